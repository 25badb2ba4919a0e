"""Services of imports: upload a file, choose its columns, check it, import it, delete it.

The import of the rows themselves runs in the background (tasks.py → engine.py).
"""

import datetime as dt
import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from essaim.core.models import Association

from ..models import DuesPayment, ImportChunk, ImportJob, MembershipType
from . import engine, reading
from .fields import AUTO, BY_KEY, GENERIC, PRESETS, auto_mapping, mapping_problems

RETENTION_DAYS = 30


def _inspection_fields(table: reading.Table, inspection: reading.Inspection) -> dict:
    return {
        "kind": table.kind,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "sheets": table.sheets,
        "sheet": table.sheet,
        "header": inspection.header,
        "header_line": inspection.header_line,
        "total_rows": inspection.rows,
        "blank_lines": inspection.blank_lines,
        "inspection": {
            "samples": inspection.samples,
            "distinct": inspection.distinct,
            "lines_before_header": inspection.lines_before_header,
        },
    }


def import_job_create(
    *,
    association: Association,
    acting_user,
    data: bytes,
    name: str,
    preset: str = AUTO,
    sheet: str = "",
) -> ImportJob:
    """Keep an uploaded file for import, after checking it is a readable spreadsheet.

    Raises reading.FileRefused (nothing is kept) when it is not.
    """
    table = reading.open_table(data, sheet=sheet)
    inspection = reading.inspect(table)
    if preset not in PRESETS and preset not in (AUTO, GENERIC):
        preset = AUTO
    mapping, preset = auto_mapping(inspection.header, preset)
    job = ImportJob(
        association=association,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        original_name=(name or "import")[-255:],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        preset=preset,
        mapping=mapping,
        language=translation.get_language() or "fr",
        **_inspection_fields(table, inspection),
    )
    job.options = default_options(job)
    job.file.save(name or "import.csv", ContentFile(data), save=False)
    job.save()
    return job


def default_options(job: ImportJob) -> dict:
    types = list(
        MembershipType.objects.filter(association=job.association, is_active=True).order_by(
            "position", "name"
        )
    )
    return {
        "default_type_id": types[0].pk if len(types) == 1 else None,
        "type_map": {},
        "duplicates": ImportJob.Duplicates.FILL,
        "name_order": "last_first",
        "record_payments": True,
        "default_method": DuesPayment.Method.OTHER,
        "default_start": timezone.localdate().isoformat(),
    }


def import_job_choose_sheet(*, association: Association, acting_user, job: ImportJob, sheet: str):
    """Read another sheet of the workbook: its columns are mapped afresh."""
    job = _lock(association, job)
    _editable(job)
    table = reading.open_table(engine.read_file(job), sheet=sheet)
    inspection = reading.inspect(table)
    for name, value in _inspection_fields(table, inspection).items():
        setattr(job, name, value)
    job.mapping, job.preset = auto_mapping(inspection.header, job.preset or AUTO)
    job.status = ImportJob.Status.DRAFT
    job.revision += 1
    job.save()
    ImportChunk.objects.filter(job=job).delete()
    return job


def _lock(association: Association, job: ImportJob) -> ImportJob:
    return ImportJob.objects.select_for_update().get(pk=job.pk, association=association)


def _editable(job: ImportJob) -> None:
    if (
        job.status
        in (
            ImportJob.Status.QUEUED,
            ImportJob.Status.RUNNING,
            ImportJob.Status.DONE,
            ImportJob.Status.FAILED,
        )
        or job.purged_at
    ):
        raise ValidationError(_("This import has started: its columns can no longer change."))


@transaction.atomic
def import_job_configure(
    *,
    association: Association,
    acting_user,
    job: ImportJob,
    mapping: dict[str, str],
    default_type: MembershipType | None,
    type_map: dict[str, MembershipType | None],
    duplicates: str,
    name_order: str = "last_first",
    default_method: str = DuesPayment.Method.OTHER,
    default_start: dt.date | None = None,
    record_payments: bool = True,
) -> ImportJob:
    """Save what each column is and how to import, then check every row in the background
    (the preview)."""
    job = _lock(association, job)
    _editable(job)
    mapping = {
        str(index): (mapping.get(str(index)) or "")
        for index in range(len(job.header))
        if (mapping.get(str(index)) or "") in ("", *BY_KEY)
    }
    problems = mapping_problems(mapping, job.header)
    for mtype in [default_type, *type_map.values()]:
        if mtype is not None and mtype.association_id != association.pk:
            problems.append(_("Unknown membership type."))
    if duplicates not in ImportJob.Duplicates.values:
        problems.append(_("Choose what to do with the contacts already known."))
    if default_method not in DuesPayment.Method.values:
        problems.append(_("Unknown payment method."))
    if problems:
        raise ValidationError(problems)
    job.mapping = mapping
    job.options = {
        "default_type_id": default_type.pk if default_type else None,
        "type_map": {value: (t.pk if t else None) for value, t in type_map.items()},
        "duplicates": duplicates,
        "name_order": "first_last" if name_order == "first_last" else "last_first",
        "record_payments": bool(record_payments),
        "default_method": default_method,
        "default_start": (default_start or timezone.localdate()).isoformat(),
    }
    job.status = ImportJob.Status.ANALYSING
    job.revision += 1
    job.heartbeat_at = None  # the check to come claims the job by setting it
    job.processed_rows = 0
    job.counts = {}
    job.error = ""
    job.language = translation.get_language() or job.language
    job.save()
    ImportChunk.objects.filter(job=job, phase=ImportChunk.Phase.PREVIEW).delete()
    job_id, revision = job.pk, job.revision

    def enqueue():
        from .tasks import membership_import_analyse

        membership_import_analyse.enqueue(job_id, revision)

    transaction.on_commit(enqueue)
    return job


@transaction.atomic
def import_job_start(*, association: Association, acting_user, job: ImportJob) -> ImportJob:
    """Import the checked rows, in the background; also resumes an interrupted import."""
    job = _lock(association, job)
    stalled = engine.is_stalled(job)
    if job.purged_at or not (
        job.status in (ImportJob.Status.READY, ImportJob.Status.FAILED) or stalled
    ):
        raise ValidationError(_("This import cannot be started now."))
    if job.status == ImportJob.Status.READY:
        job.processed_rows = 0
    job.status = ImportJob.Status.QUEUED
    job.error = ""
    job.save(update_fields=["status", "error", "processed_rows", "updated_at"])
    job_id = job.pk

    def enqueue():
        from .tasks import membership_import_run

        membership_import_run.enqueue(job_id)

    transaction.on_commit(enqueue)
    return job


@transaction.atomic
def import_job_delete(*, association: Association, acting_user, job: ImportJob) -> None:
    """Forget an import that has not started (its file is deleted at once)."""
    job = _lock(association, job)
    if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        raise ValidationError(_("An import that is running cannot be deleted."))
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        raise ValidationError(
            _("This import has written to your members: it stays in the history.")
        )
    _delete_file(job)
    job.delete()


def _delete_file(job: ImportJob) -> None:
    if job.file:
        storage, name = job.file.storage, job.file.name
        transaction.on_commit(lambda: storage.delete(name))


def import_jobs_purge(now: dt.datetime) -> int:
    """Privacy retention: 30 days after an import (or an abandoned upload), its file and its
    row results go; the counts stay in the history."""
    cutoff = now - dt.timedelta(days=RETENTION_DAYS)
    purged = 0
    jobs = ImportJob.objects.filter(purged_at__isnull=True).exclude(
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    )
    finished = jobs.filter(finished_at__lt=cutoff)
    abandoned = jobs.filter(finished_at__isnull=True, updated_at__lt=cutoff)
    for job in [*finished, *abandoned]:
        _delete_file(job)
        ImportChunk.objects.filter(job=job).delete()
        # The example values of the columns are personal data too.
        ImportJob.objects.filter(pk=job.pk).update(purged_at=now, file="", inspection={})
        purged += 1
    return purged
