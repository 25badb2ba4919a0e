from django_tasks import task

from essaim.core import scheduler

from .services import send_reminders
from .shifts import send_shift_reminders


@task()
def volunteer_reminders() -> int:
    """Coordinators hear about applications left unanswered for REMINDER_DAYS days."""
    return send_reminders()


scheduler.register("volunteer_reminders", volunteer_reminders, minutes=24 * 60)


@task()
def shift_reminders() -> int:
    """Volunteers hear about their shift the day before (once), with a link to cancel."""
    return send_shift_reminders()


scheduler.register("shift_reminders", shift_reminders, minutes=60)
