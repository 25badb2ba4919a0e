"""Back office of the minutes (procès-verbal) of a general meeting."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.tenancy import require

from . import minutes as services
from .decision_forms import MinutesForm
from .minutes_pdf import minutes_pdf
from .models import Assembly, Minutes

CAP = "can_run_votes"


def _assembly(request, assembly_uuid) -> Assembly:
    return get_object_or_404(Assembly, association=request.seat.association, uuid=assembly_uuid)


def _minutes(request, assembly, minutes_uuid) -> Minutes:
    return get_object_or_404(
        Minutes, association=request.seat.association, assembly=assembly, uuid=minutes_uuid
    )


def _to_minutes(assembly):
    return redirect(
        "governance:minutes",
        association_slug=assembly.association.slug,
        assembly_uuid=assembly.uuid,
    )


def pdf_response(minutes: Minutes, data: bytes) -> HttpResponse:
    name = slugify(minutes.assembly.title) or "minutes"
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="pv-{name}-v{minutes.version}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require(CAP)
def minutes(request, association_slug: str, assembly_uuid):
    """The minutes of a meeting: every version, the draft's form, its figures."""
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    versions = services.minutes_of(assembly)
    draft = next((m for m in versions if not m.is_frozen), None)
    items = list(assembly.items.order_by("position", "id"))
    form = None
    if draft is not None:
        initial = {
            name: getattr(draft, name)
            for name in ("chair_name", "secretary_name", "opening_text", "closing_text")
        } | {"correction_note": draft.correction_note}
        for index, item in enumerate(items):
            initial[f"item_{index}"] = draft.item_texts.get(str(item.uuid), "")
        form = MinutesForm(
            request.POST or None,
            initial=initial,
            items=items,
            correction=draft.previous_id is not None,
        )
        if request.method == "POST":
            saved = form.call_service(
                services.minutes_update,
                association=association,
                acting_user=request.user,
                minutes=draft,
            )
            if saved is not None:
                messages.success(request, _("Draft saved."))
                return _to_minutes(assembly)
    elif request.method == "POST":
        raise Http404
    figures = services.figures_of(assembly) if assembly.status != Assembly.Status.DRAFT else {}
    return render(
        request,
        "governance/minutes.html",
        {
            "association": association,
            "assembly": assembly,
            "versions": versions,
            "draft": draft,
            "form": form,
            "figures": figures,
            "can_start": assembly.status in (Assembly.Status.OPEN, Assembly.Status.CLOSED),
        },
        status=422 if form is not None and form.errors else 200,
    )


@require(CAP)
@require_POST
def minutes_start(request, association_slug: str, assembly_uuid):
    assembly = _assembly(request, assembly_uuid)
    try:
        services.minutes_start(
            association=request.seat.association, acting_user=request.user, assembly=assembly
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _to_minutes(assembly)


@require(CAP)
@require_POST
def minutes_freeze(request, association_slug: str, assembly_uuid, minutes_uuid):
    assembly = _assembly(request, assembly_uuid)
    draft = _minutes(request, assembly, minutes_uuid)
    try:
        services.minutes_freeze(
            association=request.seat.association, acting_user=request.user, minutes=draft
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The minutes are final. Download the PDF to have it signed."))
    return _to_minutes(assembly)


@require(CAP)
@require_POST
def minutes_correct(request, association_slug: str, assembly_uuid, minutes_uuid):
    assembly = _assembly(request, assembly_uuid)
    frozen = _minutes(request, assembly, minutes_uuid)
    try:
        services.minutes_correct(
            association=request.seat.association, acting_user=request.user, minutes=frozen
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Corrected version started: say what it corrects."))
    return _to_minutes(assembly)


@require(CAP)
def minutes_download(request, association_slug: str, assembly_uuid, minutes_uuid):
    """The frozen PDF as stored; a draft gives a preview (not final, not stored)."""
    assembly = _assembly(request, assembly_uuid)
    found = _minutes(request, assembly, minutes_uuid)
    if found.is_frozen:
        return pdf_response(found, services.minutes_bytes(found))
    found.figures = services.figures_of(assembly)
    return pdf_response(found, minutes_pdf(found))
