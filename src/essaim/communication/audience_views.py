"""Back office of audiences: /a/<association>/audiences/….

Building and counting audiences needs `can_send_mailings` (an audience holds no personal
data: criteria, and a number). Seeing who is in it (preview of names, CSV/XLSX export) also
needs `can_view_members`.

The builder works without JavaScript: every button posts the whole state (the definition
rides in a hidden field); with htmx the count updates as criteria are chosen.
"""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.pagination import paginate
from essaim.core.tenancy import require
from essaim.lib.spreadsheets import spreadsheet_response
from essaim.people import segments
from essaim.people.exports import export_header, person_export_rows

from . import audiences
from .audience_forms import AudienceForm, CriterionForm, criterion_choices, read_definition
from .models import Audience

CAPABILITY = "can_send_mailings"
PREVIEW_SIZE = 50


def _audience(association, audience_uuid) -> Audience:
    audience = get_object_or_404(Audience, association=association, uuid=audience_uuid)
    audience.association = association
    return audience


def _rules(association, definition) -> list[dict]:
    rows = []
    for part in ("include", "exclude"):
        for index, rule in enumerate(definition.get(part) or []):
            summary = audiences.rule_summary(association, rule)
            rows.append({**summary, "part": part, "index": index, "excluded": part == "exclude"})
    return rows


@require(CAPABILITY)
def audience_list(request, association_slug: str):
    association = request.seat.association
    page = paginate(request, audiences.audiences_of(association))
    rows = []
    for audience in page.object_list:
        audience.association = association
        rows.append(
            {
                "audience": audience,
                "count": audiences.audience_count(audience),
                "rules": [r["label"] for r in _rules(association, audience.definition)],
            }
        )
    return render(
        request,
        "communication/audiences.html",
        {"association": association, "page": page, "rows": rows},
    )


def _builder_state(request, association, audience):
    """(form, definition, criterion, criterion_form, saved) of a builder request."""
    post = request.POST
    definition = read_definition(post.get("definition"))
    criterion = segments.get(post.get("criterion") or "")
    action = post.get("action", "")
    form = AudienceForm(initial={"name": post.get("name"), "description": post.get("description")})
    criterion_form = CriterionForm(association, criterion) if criterion else None
    saved = None
    if action == "add" and criterion is not None:
        criterion_form = CriterionForm(association, criterion, data=post)
        if criterion_form.is_valid():
            part, rule = criterion_form.rule()
            definition[part].append(rule)
            criterion, criterion_form = None, None
    elif action.startswith("remove:"):
        _action, part, index = [*action.split(":"), "", ""][:3]
        if part in ("include", "exclude") and index.isdigit():
            rules = definition[part]
            if int(index) < len(rules):
                rules.pop(int(index))
    elif action == "save":
        form = AudienceForm(post)
        if audience is None:
            saved = form.call_service(
                audiences.audience_create,
                association=association,
                acting_user=request.user,
                definition=definition,
            )
        else:
            saved = form.call_service(
                audiences.audience_update,
                association=association,
                acting_user=request.user,
                audience=audience,
                definition=definition,
            )
    return form, definition, criterion, criterion_form, saved


def _builder(request, association, audience=None):
    if request.method == "POST":
        form, definition, criterion, criterion_form, saved = _builder_state(
            request, association, audience
        )
        if saved is not None:
            messages.success(request, _("The audience is saved."))
            return redirect(
                "communication:audience_detail",
                association_slug=association.slug,
                audience_uuid=saved.uuid,
            )
    else:
        definition = audience.definition if audience else audiences.empty_definition()
        definition = read_definition(json.dumps(definition))
        form = AudienceForm(
            initial={"name": audience.name, "description": audience.description}
            if audience
            else None
        )
        criterion = segments.get(request.GET.get("criterion") or "")
        criterion_form = CriterionForm(association, criterion) if criterion else None
    count = audiences.definition_persons(association, definition).count()
    return render(
        request,
        "communication/audience_builder.html",
        {
            "association": association,
            "audience": audience,
            "form": form,
            "definition_json": json.dumps(definition),
            "rules": _rules(association, definition),
            "criteria": criterion_choices(),
            "criterion": criterion,
            "criterion_form": criterion_form,
            "count": count,
            "problems": _problems(association, definition),
        },
    )


def _problems(association, definition) -> list[str]:
    try:
        audiences.clean_definition(association, definition)
    except ValidationError as exc:
        return list(exc.messages)
    return []


@require(CAPABILITY)
def audience_create(request, association_slug: str):
    return _builder(request, request.seat.association)


@require(CAPABILITY)
def audience_edit(request, association_slug: str, audience_uuid):
    association = request.seat.association
    return _builder(request, association, _audience(association, audience_uuid))


@require(CAPABILITY)
@require_POST
def audience_count(request, association_slug: str):
    """The count box of the builder (htmx): the audience so far, and with the criterion being
    chosen when its parameters are complete."""
    association = request.seat.association
    definition = read_definition(request.POST.get("definition"))
    count = audiences.definition_persons(association, definition).count()
    pending = None
    criterion = segments.get(request.POST.get("criterion") or "")
    if criterion is not None:
        criterion_form = CriterionForm(association, criterion, data=request.POST)
        if criterion_form.is_valid():
            part, rule = criterion_form.rule()
            definition[part].append(rule)
            pending = audiences.definition_persons(association, definition).count()
    return render(
        request,
        "communication/audience_count.html",
        {"count": count, "pending": pending},
    )


@require(CAPABILITY)
def audience_detail(request, association_slug: str, audience_uuid):
    association = request.seat.association
    audience = _audience(association, audience_uuid)
    return render(
        request,
        "communication/audience_detail.html",
        {
            "association": association,
            "audience": audience,
            "count": audiences.audience_count(audience),
            "rules": _rules(association, audience.definition),
            "problems": audiences.definition_problems(audience),
            "can_view_members": request.seat.can("can_view_members"),
        },
    )


def _require_view_members(request) -> None:
    if not request.seat.can("can_view_members"):
        raise PermissionDenied


@require(CAPABILITY)
def audience_preview(request, association_slug: str, audience_uuid):
    _require_view_members(request)
    association = request.seat.association
    audience = _audience(association, audience_uuid)
    persons = list(
        audiences.audience_persons(audience).only("uuid", "first_name", "last_name", "email")[
            :PREVIEW_SIZE
        ]
    )
    return render(
        request,
        "communication/audience_preview.html",
        {
            "association": association,
            "audience": audience,
            "persons": persons,
            "count": audiences.audience_count(audience),
            "preview_size": PREVIEW_SIZE,
        },
    )


@require(CAPABILITY)
def audience_export(request, association_slug: str, audience_uuid):
    _require_view_members(request)
    association = request.seat.association
    audience = _audience(association, audience_uuid)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    audiences.audience_export_logged(
        association=association, acting_user=request.user, audience=audience, fmt=fmt
    )
    persons = (
        audiences.audience_persons(audience).prefetch_related("tags").iterator(chunk_size=2000)
    )
    return spreadsheet_response(
        export_header(),
        person_export_rows(persons),
        fmt=fmt,
        name="audience",
        title=audience.name[:31],
    )


@require(CAPABILITY)
@require_POST
def audience_duplicate(request, association_slug: str, audience_uuid):
    association = request.seat.association
    audience = _audience(association, audience_uuid)
    copy = audiences.audience_duplicate(
        association=association, acting_user=request.user, audience=audience
    )
    messages.success(request, _("The audience is duplicated: rename it and change its criteria."))
    return redirect(
        "communication:audience_edit", association_slug=association.slug, audience_uuid=copy.uuid
    )


@require(CAPABILITY)
def audience_delete(request, association_slug: str, audience_uuid):
    association = request.seat.association
    audience = _audience(association, audience_uuid)
    if request.method == "POST":
        try:
            audiences.audience_delete(
                association=association, acting_user=request.user, audience=audience
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(
                "communication:audience_detail",
                association_slug=association.slug,
                audience_uuid=audience.uuid,
            )
        messages.success(request, _("The audience is deleted."))
        return redirect("communication:audiences", association_slug=association.slug)
    return render(
        request,
        "communication/audience_delete.html",
        {"association": association, "audience": audience},
    )
