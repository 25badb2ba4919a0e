"""Back office of the member import: upload, choose the columns, check, import, report.

The check (preview) and the import run in the background; their page polls a small status
fragment (htmx) and reloads itself when the work is done; without JavaScript, a link
refreshes the page.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require
from essaim.lib.spreadsheets import csv_bytes

from .import_forms import ImportMappingForm, ImportUploadForm, SheetForm
from .importing import engine, reading
from .importing import selectors as import_selectors
from .importing import services as import_services
from .importing.fields import BY_KEY, PRESETS
from .models import ImportJob, MembershipType

ROWS_PER_PAGE = 50


def _job(request, job_uuid) -> ImportJob:
    return get_object_or_404(
        ImportJob.objects.select_related("created_by"),
        association=request.seat.association,
        uuid=job_uuid,
    )


def _redirect(job: ImportJob, name: str = "members:import_job"):
    return redirect(name, association_slug=job.association.slug, job_uuid=job.uuid)


@require("can_manage_members")
def import_home(request, association_slug: str):
    """Choose a file; the imports already made, newest first."""
    association = request.seat.association
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_services.import_job_create(
                association=association,
                acting_user=request.user,
                data=upload.read(),
                name=upload.name,
                preset=form.cleaned_data["preset"],
            )
        except reading.FileRefused as refusal:
            form.add_error("file", str(refusal))
        else:
            return _redirect(job, "members:import_mapping")
    return render(
        request,
        "members/import/home.html",
        {
            "association": association,
            "form": form,
            "jobs": import_selectors.import_jobs(association)[:20],
            "has_types": MembershipType.objects.filter(association=association).exists(),
        },
    )


@require("can_manage_members")
def import_mapping(request, association_slug: str, job_uuid):
    """What each column of the file is, and how to import: then the check starts."""
    association = request.seat.association
    job = _job(request, job_uuid)
    # While the rows are being checked the columns may change again: that check is dropped.
    editable = (ImportJob.Status.DRAFT, ImportJob.Status.ANALYSING, ImportJob.Status.READY)
    if job.status not in editable or job.purged_at:
        return _redirect(job)
    can_pay = request.seat.can("can_manage_finances")
    sheet_form = SheetForm(job=job) if len(job.sheets) > 1 else None
    if request.method == "POST" and request.POST.get("action") == "sheet" and sheet_form:
        sheet_form = SheetForm(request.POST, job=job)
        if sheet_form.is_valid():
            try:
                import_services.import_job_choose_sheet(
                    association=association,
                    acting_user=request.user,
                    job=job,
                    sheet=sheet_form.cleaned_data["sheet"],
                )
            except (ValidationError, reading.FileRefused) as error:
                messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            else:
                messages.success(request, _("The columns of this sheet are shown below."))
            return _redirect(job, "members:import_mapping")
    bound = request.method == "POST"
    form = ImportMappingForm(request.POST if bound else None, job=job, can_record_payments=can_pay)
    if bound and form.is_valid():
        try:
            import_services.import_job_configure(
                association=association,
                acting_user=request.user,
                job=job,
                **form.service_fields(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _redirect(job)
    return render(
        request,
        "members/import/mapping.html",
        {
            "association": association,
            "job": job,
            "form": form,
            "sheet_form": sheet_form,
            "can_pay": can_pay,
            "preset": PRESETS.get(job.preset),
            "has_types": bool(form.types),
            "delimiter_name": reading.DELIMITER_NAMES.get(job.delimiter, job.delimiter),
        },
    )


def _counts_context(job: ImportJob) -> dict:
    counts = job.counts or {}
    rows = counts.get("rows", 0)
    parts = sum(counts.get(k, 0) for k in ("created", "updated", "skipped", "rejected"))
    return {"counts": counts, "counts_add_up": rows == parts, "rows": rows}


@require("can_manage_members")
def import_job(request, association_slug: str, job_uuid):
    """The state of an import: its progress, its preview or its results, row by row."""
    association = request.seat.association
    job = _job(request, job_uuid)
    if job.status == ImportJob.Status.DRAFT:
        return _redirect(job, "members:import_mapping")  # which shows job.error, if any
    outcome = request.GET.get("show", "all")
    if outcome not in import_selectors.OUTCOME_FILTERS:
        outcome = "all"
    page = None
    if not job.is_working and not job.purged_at:
        page = paginate(request, import_selectors.result_rows(job, outcome), ROWS_PER_PAGE)
    context = {
        "association": association,
        "job": job,
        "page": page,
        "outcome": outcome,
        "filters": _filters(),
        "query_string": query_without_page(request),
        "preview": import_selectors.results_phase(job) == "preview",
        "stalled": engine.is_stalled(job),
        "mapped": _mapped_fields(job),
        **_counts_context(job),
    }
    return render(request, "members/import/job.html", context)


def _filters():
    return [
        ("all", _("All rows")),
        ("problems", _("Not imported")),
        ("rejected", _("Rejected")),
        ("skipped", _("Skipped")),
        ("created", _("New contacts")),
        ("updated", _("Updated contacts")),
    ]


def _mapped_fields(job: ImportJob) -> list[tuple[str, str]]:
    return [
        (job.header[int(index)], BY_KEY[key].label)
        for index, key in sorted((job.mapping or {}).items(), key=lambda kv: int(kv[0]))
        if key in BY_KEY and int(index) < len(job.header)
    ]


@require("can_manage_members")
def import_status(request, association_slug: str, job_uuid):
    """The progress fragment the job page polls; asks for a reload once the work is done."""
    job = _job(request, job_uuid)
    response = render(
        request,
        "members/import/_status.html",
        {"association": request.seat.association, "job": job, "stalled": engine.is_stalled(job)},
    )
    if request.htmx and not job.is_working:
        response["HX-Refresh"] = "true"
    return response


@require("can_manage_members")
@require_POST
def import_run(request, association_slug: str, job_uuid):
    """Import the checked rows (or resume an interrupted import)."""
    job = _job(request, job_uuid)
    try:
        import_services.import_job_start(
            association=request.seat.association, acting_user=request.user, job=job
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _redirect(job)


@require("can_manage_members")
def import_report(request, association_slug: str, job_uuid):
    """The rows not imported (all rows with ?all=1), with why, as a CSV French Excel opens."""
    job = _job(request, job_uuid)
    if job.purged_at or job.status == ImportJob.Status.DRAFT or job.is_working:
        messages.error(request, _("There is no report for this import."))
        return _redirect(job)
    header, rows = import_selectors.report(job, everything=request.GET.get("all") == "1")
    response = HttpResponse(csv_bytes(header, rows), content_type="text/csv; charset=utf-8")
    stem = job.original_name.rsplit(".", 1)[0][:60] or "import"
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem)
    response["Content-Disposition"] = f'attachment; filename="rapport-{safe}.csv"'
    return response


@require("can_manage_members")
@require_POST
def import_delete(request, association_slug: str, job_uuid):
    job = _job(request, job_uuid)
    try:
        import_services.import_job_delete(
            association=request.seat.association, acting_user=request.user, job=job
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _redirect(job)
    messages.success(request, _("The import is cancelled and its file deleted."))
    return redirect("members:import", association_slug=request.seat.association.slug)
