"""Periodic jobs, run by the worker (`manage.py worker`) or by cron (`manage.py run_periodic`).

Each job is claimed with one conditional UPDATE on its ScheduledJob row: with several workers
on several machines, a daily job still runs once a day.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone


@dataclass(frozen=True)
class Periodic:
    name: str
    task: object  # a django_tasks Task
    interval: timedelta


_jobs: dict[str, Periodic] = {}


def register(name: str, task, *, minutes: int) -> None:
    _jobs[name] = Periodic(name=name, task=task, interval=timedelta(minutes=minutes))


def jobs() -> list[Periodic]:
    return list(_jobs.values())


def _claim(job: Periodic, now) -> bool:
    """One conditional UPDATE: true for exactly one caller per interval."""
    from .models import ScheduledJob

    ScheduledJob.objects.get_or_create(name=job.name)
    return bool(
        ScheduledJob.objects.filter(name=job.name)
        .filter(Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - job.interval))
        .update(last_run_at=now)
    )


def enqueue_due(now=None) -> list[str]:
    """Enqueue every job whose interval has elapsed; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in _jobs.values():
        if _claim(job, now):
            job.task.enqueue()
            enqueued.append(job.name)
    return enqueued


def run_due(now=None) -> list[tuple[str, object]]:
    """Run every due job in this process (cron); returns (name, result) pairs."""
    from .models import ScheduledJob

    now = now or timezone.now()
    results = []
    for job in _jobs.values():
        if _claim(job, now):
            result = job.task.call()
            ScheduledJob.objects.filter(name=job.name).update(last_result=str(result)[:1000])
            results.append((job.name, result))
    return results
