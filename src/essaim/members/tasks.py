from django_tasks import task

from essaim.core import scheduler

from .reminders import send_membership_reminders


@task()
def membership_reminders() -> int:
    return send_membership_reminders()


scheduler.register("membership_reminders", membership_reminders, minutes=24 * 60)
