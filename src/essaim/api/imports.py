"""API of member imports: follow an import started on the screens, and start it.

The file is uploaded and its columns chosen on the import screens (a person looks at the
preview before anything is written); the API lets a script or the association's own tools
follow the progress and the counts, and launch the checked import.
"""

import datetime as dt
from typing import Literal
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from essaim.members.importing import engine
from essaim.members.importing import selectors as import_selectors
from essaim.members.importing import services as import_services
from essaim.members.models import ImportJob

from .auth import tenant
from .routers import ERRORS, Pagination


class ImportCounts(Schema):
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0


# Its own name in the OpenAPI document (the Membership status is also a "Status").
ImportStatus = Literal["draft", "analysing", "ready", "queued", "running", "done", "failed"]
assert set(ImportStatus.__args__) == set(ImportJob.Status.values)


class ImportOut(Schema):
    uuid: UUID
    file_name: str
    size: int
    status: ImportStatus
    status_label: str
    phase: str
    total_rows: int
    processed_rows: int
    percent: int
    stalled: bool
    counts: ImportCounts
    preview_counts: ImportCounts
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    file_deleted: bool

    @staticmethod
    def resolve_file_name(job: ImportJob) -> str:
        return job.original_name

    @staticmethod
    def resolve_status_label(job: ImportJob) -> str:
        return str(job.get_status_display())

    @staticmethod
    def resolve_phase(job: ImportJob) -> str:
        """ "preview" while the rows are only checked, "import" once they are written."""
        return str(import_selectors.results_phase(job))

    @staticmethod
    def resolve_stalled(job: ImportJob) -> bool:
        return engine.is_stalled(job)

    @staticmethod
    def resolve_counts(job: ImportJob) -> dict:
        return _counts(job.counts)

    @staticmethod
    def resolve_preview_counts(job: ImportJob) -> dict:
        return _counts(job.preview_counts)

    @staticmethod
    def resolve_file_deleted(job: ImportJob) -> bool:
        return job.purged_at is not None


def _counts(counts: dict | None) -> dict:
    counts = counts or {}
    return {key: int(counts.get(key, 0) or 0) for key in ImportCounts.model_fields}


import_router = Router(tags=["member imports"])


def _job(request, job_uuid: UUID) -> ImportJob:
    return get_object_or_404(ImportJob, association=request.association, uuid=job_uuid)


@import_router.get("", response={200: list[ImportOut], **ERRORS})
@tenant("can_manage_members")
@paginate(Pagination)
def import_list(request):
    """Member imports, newest first, 50 a page."""
    return import_selectors.import_jobs(request.association)


@import_router.get("/{job_uuid}", response={200: ImportOut, **ERRORS})
@tenant("can_manage_members")
def import_detail(request, job_uuid: UUID):
    """The state of one import: poll it to follow the progress (`percent`); the counts of
    a finished import always add up to `rows`."""
    return _job(request, job_uuid)


@import_router.post("/{job_uuid}/run", response={202: ImportOut, **ERRORS})
@tenant("can_manage_members")
def import_run(request, job_uuid: UUID):
    """Import the checked rows in the background (or resume an interrupted import): 202,
    then follow it with GET. 422 when the import is not checked yet, or already done."""
    job = import_services.import_job_start(
        association=request.association,
        acting_user=request.auth.created_by,
        job=_job(request, job_uuid),
    )
    job.refresh_from_db()
    return Status(202, job)
