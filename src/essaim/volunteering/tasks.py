from django_tasks import task

from essaim.core import scheduler

from .services import send_reminders


@task()
def volunteer_reminders() -> int:
    """Coordinators hear about applications left unanswered for REMINDER_DAYS days."""
    return send_reminders()


scheduler.register("volunteer_reminders", volunteer_reminders, minutes=24 * 60)
