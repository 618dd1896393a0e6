from django.core.management.base import CommandError

from accounts.models import Organization


def get_org(slug: str) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise CommandError(f"No organization with slug {slug!r}.")
    return org
