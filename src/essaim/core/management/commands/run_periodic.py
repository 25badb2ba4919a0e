"""`manage.py run_periodic`: run the periodic jobs now, in this process (for cron).

Without --force, only the jobs that are due run; with it, all of them.
"""

from django.core.management.base import BaseCommand

from essaim.core import scheduler
from essaim.core.models import ScheduledJob


class Command(BaseCommand):
    help = "Run the periodic jobs (retention, outbox sweep) that are due, or all with --force."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Run every job now.")

    def handle(self, *args, force: bool = False, **options):
        if force:
            ScheduledJob.objects.update(last_run_at=None)
        for job in scheduler.jobs():
            ScheduledJob.objects.get_or_create(name=job.name)
        names = scheduler.enqueue_due()
        self.stdout.write("enqueued: " + (", ".join(names) or "nothing due"))
