"""Background work of mailings: start the due ones, send, resume after a crash.

`mailing_run(mailing_id)` starts a due mailing (freezes its recipients) and sends for at most
RUN_SECONDS, then enqueues itself again if there is more: a long mailing does not hold one
worker slot for an hour. `mailings_dispatch`, every minute, enqueues the due scheduled
mailings and any mailing still "sending" whose association has no live sender (its worker
died: the next run recovers its rows, see sending.py).
"""

from django_tasks import task

from essaim.core import scheduler

RUN_SECONDS = 300


@task()
def mailing_run(mailing_id: int) -> dict:
    from django_scopes import scopes_disabled

    from .mailings import mailing_start
    from .models import Mailing
    from .sending import send_mailing

    mailing_start(mailing_id)
    with scopes_disabled():
        status = Mailing.objects.filter(pk=mailing_id).values_list("status", flat=True).first()
    if status != Mailing.Status.SENDING:
        return {"outcome": status or "missing"}
    figures = send_mailing(mailing_id, max_seconds=RUN_SECONDS)
    if figures["outcome"] == "more":
        mailing_run.enqueue(mailing_id=mailing_id)
    return figures


def dispatch() -> list[int]:
    """The ids of the mailings to run now (due ones, and sending ones without a sender)."""
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from .models import Mailing
    from .sending import lease_free

    with scopes_disabled():
        due = list(
            Mailing.objects.filter(
                status=Mailing.Status.SCHEDULED, scheduled_at__lte=timezone.now()
            ).values_list("pk", flat=True)
        )
        for pk, association_id in Mailing.objects.filter(status=Mailing.Status.SENDING).values_list(
            "pk", "association_id"
        ):
            if lease_free(association_id):
                due.append(pk)
    return due


@task()
def mailings_dispatch() -> int:
    ids = dispatch()
    for mailing_id in ids:
        mailing_run.enqueue(mailing_id=mailing_id)
    return len(ids)


scheduler.register("communication_mailings_dispatch", mailings_dispatch, minutes=1)
