"""`manage.py worker`: run background tasks, and the periodic jobs that are due.

The task loop is django-tasks-db's worker; a thread beside it enqueues the periodic jobs
(retention, outbox sweep) when they fall due. Run several workers for more throughput; pass
--no-scheduler to all but one if you prefer (the scheduler is safe to run many times anyway).
"""

import logging
import threading

from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from essaim.core import scheduler

logger = logging.getLogger(__name__)


def _scheduler_loop(stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            names = scheduler.enqueue_due()
            if names:
                logger.info("periodic jobs enqueued: %s", ", ".join(names))
        except Exception:  # a database hiccup must not kill the thread for good
            logger.exception("scheduler tick failed")
        finally:
            connection.close()
        stop.wait(interval)


class Command(DbWorkerCommand):
    help = "Run Essaim's background worker (tasks and periodic jobs)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="Do not enqueue periodic jobs from this worker.",
        )
        parser.add_argument(
            "--scheduler-interval",
            type=float,
            default=30.0,
            help="Seconds between two checks for due periodic jobs (default: 30).",
        )

    def handle(self, *args, scheduler: bool = True, scheduler_interval: float = 30.0, **options):
        options.setdefault("queue_name", "*")
        stop = threading.Event()
        if scheduler and not options.get("batch"):
            thread = threading.Thread(
                target=_scheduler_loop, args=(stop, scheduler_interval), daemon=True
            )
            thread.start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
