"""Background tasks of core. Tasks take ids, never model instances, and may run twice."""

from django_tasks import task

from . import emails, scheduler


@task()
def outbox_deliver(email_id: int) -> str:
    return emails.outbox_deliver_one(email_id)


@task()
def outbox_sweep() -> int:
    return emails.outbox_sweep()


@task()
def privacy_apply_retention() -> dict:
    from .retention import apply_all

    return apply_all()


scheduler.register("outbox_sweep", outbox_sweep, minutes=5)
scheduler.register("privacy_retention", privacy_apply_retention, minutes=24 * 60)
