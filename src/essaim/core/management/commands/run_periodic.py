"""`manage.py run_periodic`: run the periodic jobs that are due, in this process (for cron).

Without --force, only the jobs whose interval has elapsed run; with it, all of them. Each job
is claimed first (core.scheduler), so cron and a worker never run the same job twice.
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
        for name, result in scheduler.run_due():
            self.stdout.write(f"{name}: {result}")
