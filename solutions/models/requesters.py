"""Requesters: the people a ticket is for when they are not members of the organization (an
employee who wrote in by e-mail). A contact belongs to one organization; the same address
writing to two organizations is two contacts, one each."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Organization


class Contact(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contacts"
    )
    # Lowercased when stored (solutions.services.requesters): one contact per address.
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"], name="contact_email_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email
