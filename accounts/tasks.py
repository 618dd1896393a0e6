from celery import shared_task

from . import services


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def invitation_send_email_task(invitation_id: int, accept_url: str) -> bool:
    return services.invitation_send_email(invitation_id=invitation_id, accept_url=accept_url)
