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


def enqueue_due(now=None) -> list[str]:
    """Enqueue every job whose interval has elapsed; returns the names enqueued."""
    from .models import ScheduledJob

    now = now or timezone.now()
    enqueued = []
    for job in _jobs.values():
        ScheduledJob.objects.get_or_create(name=job.name)
        claimed = (
            ScheduledJob.objects.filter(name=job.name)
            .filter(Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - job.interval))
            .update(last_run_at=now)
        )
        if claimed:
            job.task.enqueue()
            enqueued.append(job.name)
    return enqueued
