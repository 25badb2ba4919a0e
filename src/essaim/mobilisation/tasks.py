from django_tasks import task

from essaim.core import scheduler


@task()
def petitions_reconcile() -> None:
    """Recompute the count of every open (or recently closed) petition from its signatures,
    and forget signatures never confirmed (privacy_entries.PENDING_RETENTION)."""
    import datetime as dt

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from .models import Petition
    from .services import petition_reconcile

    since = timezone.now() - dt.timedelta(days=2)
    with scopes_disabled():
        petitions = list(
            Petition.objects.filter(status=Petition.Status.OPEN)
            | Petition.objects.filter(closed_at__gte=since)
        )
        for petition in petitions:
            petition_reconcile(petition=petition)


@task()
def petition_confirmations_send() -> int:
    """Queue the confirmation e-mails of new signatures (services.signature_sign asks for
    this task once per second at most during a surge)."""
    from .services import signature_confirmations_send

    return signature_confirmations_send()


scheduler.register("mobilisation_petitions_reconcile", petitions_reconcile, minutes=10)
# The safety net of petition_confirmations_send: a signature that came in while the task
# was finishing gets its e-mail within a minute.
scheduler.register("mobilisation_petition_confirmations", petition_confirmations_send, minutes=1)


@task()
def events_remind() -> None:
    """E-mail the registrants of events starting within their reminder delay (once each)."""
    from .events import reminders_send

    reminders_send()


scheduler.register("mobilisation_events_remind", events_remind, minutes=15)
