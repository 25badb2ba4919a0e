"""Views of people: list and search, detail, create, edit, consents, merge, erase, export."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from essaim.core.audit import audit_log
from essaim.core.models import AuditLog
from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require
from essaim.lib.spreadsheets import spreadsheet_response

from . import selectors, services, solicitations
from .exports import EXPORT_COLUMNS, export_header, person_export_rows
from .forms import BulkActionForm, ConsentForm, EraseForm, MergeForm, PersonForm
from .models import Consent, Person
from .panels import panels_for


def _person(request, person_uuid) -> Person:
    return get_object_or_404(
        Person.objects.prefetch_related("tags"),
        association=request.seat.association,
        uuid=person_uuid,
    )


def _filters(request) -> dict:
    return {
        "query": request.GET.get("q", "")[:200],
        "tag": request.GET.get("tag", "")[:60],
        "has_email": request.GET.get("email", ""),
        "order": request.GET.get("order", "name"),
    }


@require("can_view_members")
def person_list(request, association_slug: str):
    association = request.seat.association
    filters = _filters(request)
    qs = selectors.person_search(association=association, **filters)
    page = paginate(request, selectors.person_list_page(qs))
    context = {
        "association": association,
        "page": page,
        "filters": filters,
        "query_string": query_without_page(request),
        "tags": selectors.tags_with_counts(association),
        "bulk_form": BulkActionForm(),
        "orderings": [
            ("name", _("Name (A → Z)")),
            ("-name", _("Name (Z → A)")),
            ("recent", _("Most recent first")),
            ("city", _("Town")),
        ],
    }
    # htmx live search swaps only the results, not the whole page.
    template = "people/_results.html" if request.htmx else "people/list.html"
    return render(request, template, context)


def _export_response(association, persons, fmt: str, acting_user) -> HttpResponse:
    rows = person_export_rows(persons.prefetch_related("tags"))
    audit_log(
        association=association,
        actor=acting_user,
        action="person.export",
        object_type="person",
        object_repr=_("Contact list"),
        data={"format": fmt},
    )
    return spreadsheet_response(
        export_header(), rows, fmt=fmt, name="contacts", title=_("Contacts")
    )


@require("can_manage_members")
def person_export(request, association_slug: str):
    association = request.seat.association
    qs = selectors.person_search(association=association, **_filters(request))
    return _export_response(association, qs, request.GET.get("format", "csv"), request.user)


@require("can_manage_members")
@require_POST
def person_bulk(request, association_slug: str):
    association = request.seat.association
    form = BulkActionForm(request.POST)
    selected = request.POST.getlist("selected")[:5000]
    persons = Person.objects.filter(
        association=association, uuid__in=_valid_uuids(selected), erased_at__isnull=True
    )
    back = request.POST.get("next") or ""
    if not back.startswith("/"):
        back = ""
    if not selected or not persons.exists():
        messages.error(request, _("Select at least one contact first."))
    elif not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    elif form.cleaned_data["action"] == "export":
        return _export_response(association, persons, "xlsx", request.user)
    else:
        try:
            count = services.persons_tag(
                association=association,
                acting_user=request.user,
                persons=persons,
                tag_name=form.cleaned_data["tag"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                ngettext(
                    "Tag “%(tag)s” added to %(count)d contact.",
                    "Tag “%(tag)s” added to %(count)d contacts.",
                    count,
                )
                % {"tag": form.cleaned_data["tag"], "count": count},
            )
    return redirect(back or f"/a/{association.slug}/people/")


def _valid_uuids(values) -> list[str]:
    import uuid

    result = []
    for value in values:
        try:
            result.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return result


@require("can_manage_members")
def person_create(request, association_slug: str):
    association = request.seat.association
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(
                association=association, acting_user=request.user, **form.service_fields()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(name)s is added.") % {"name": person})
            if "add_another" in request.POST:
                return redirect("people:create", association_slug=association.slug)
            return redirect(
                "people:detail", association_slug=association.slug, person_uuid=person.uuid
            )
    return render(
        request, "people/form.html", {"association": association, "form": form, "person": None}
    )


@require("can_view_members")
def person_detail(request, association_slug: str, person_uuid):
    association = request.seat.association
    person = _person(request, person_uuid)
    consents = list(person.consents.select_related("recorded_by"))
    latest = {}
    for consent in consents:
        latest.setdefault(consent.topic, consent)
    history = []
    if request.seat.can("can_change_settings"):
        history = list(
            AuditLog.objects.filter(
                association=association, object_type="person", object_id=str(person.uuid)
            )[:20]
        )
    return render(
        request,
        "people/detail.html",
        {
            "association": association,
            "person": person,
            "consents": consents,
            "current_consents": [
                {"topic": label, "consent": latest.get(value)}
                for value, label in Consent.Topic.choices
            ],
            "history": history,
            "panels": panels_for(request, person),
        },
    )


@require("can_manage_members")
def person_edit(request, association_slug: str, person_uuid):
    association = request.seat.association
    person = _person(request, person_uuid)
    if person.is_erased:
        messages.error(request, _("This contact was anonymised and can no longer be edited."))
        return redirect("people:detail", association_slug=association.slug, person_uuid=person.uuid)
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(
                association=association,
                acting_user=request.user,
                person=person,
                **form.service_fields(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect(
                "people:detail", association_slug=association.slug, person_uuid=person.uuid
            )
    return render(
        request, "people/form.html", {"association": association, "form": form, "person": person}
    )


@require("can_manage_members")
def consent_add(request, association_slug: str, person_uuid):
    association = request.seat.association
    person = _person(request, person_uuid)
    form = ConsentForm(request.POST or None, initial={"topic": request.GET.get("topic")})
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record(
                association=association,
                acting_user=request.user,
                person=person,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The answer is recorded."))
            return redirect(
                "people:detail", association_slug=association.slug, person_uuid=person.uuid
            )
    return render(
        request,
        "people/consent_form.html",
        {"association": association, "person": person, "form": form},
    )


@require("can_manage_members")
def person_erase(request, association_slug: str, person_uuid):
    association = request.seat.association
    person = _person(request, person_uuid)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.person_erase(
            association=association,
            acting_user=request.user,
            person=person,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("The contact's personal data are erased."))
        return redirect("people:list", association_slug=association.slug)
    return render(
        request,
        "people/erase.html",
        {"association": association, "person": person, "form": form},
    )


@require("can_manage_members")
def duplicates(request, association_slug: str):
    association = request.seat.association
    groups = selectors.duplicate_groups(association)
    reasons = {
        "email": _("Same e-mail address"),
        "name_birth": _("Same name and date of birth"),
        "name": _("Same name"),
    }
    for group in groups:
        group["label"] = reasons[group["reason"]]
    return render(request, "people/duplicates.html", {"association": association, "groups": groups})


# The fields a merge compares: the export's columns, minus tags and dates kept automatically.
MERGE_FIELDS = tuple(
    (key, label) for key, label in EXPORT_COLUMNS if key not in {"tags", "created_at"}
)


@require("can_manage_members")
def person_merge(request, association_slug: str, person_uuid, other_uuid):
    association = request.seat.association
    keep = _person(request, person_uuid)
    other = _person(request, other_uuid)
    if keep.pk == other.pk:
        messages.error(request, _("Choose two different contacts."))
        return redirect("people:duplicates", association_slug=association.slug)
    form = MergeForm(request.POST or None, keep=keep, other=other, fields=MERGE_FIELDS)
    if request.method == "POST" and form.is_valid():
        try:
            kept = services.person_merge(
                association=association,
                acting_user=request.user,
                keep=keep,
                remove=other,
                take_from_removed=form.taken_fields(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The two records are merged into one."))
            return redirect(
                "people:detail", association_slug=association.slug, person_uuid=kept.uuid
            )
    return render(
        request,
        "people/merge.html",
        {"association": association, "keep": keep, "other": other, "form": form},
    )


@require_POST
@require("can_manage_members")
def solicitations_answered(request, association_slug: str, person_uuid):
    """The team notes that the contact answered an appeal some other way than a gift."""
    person = _person(request, person_uuid)
    if person.is_erased:
        messages.error(request, _("This contact is anonymised."))
    elif solicitations.solicitations_answer(person=person, acting_user=request.user, note=True):
        messages.success(request, _("Noted: this contact may be asked for gifts again."))
    return redirect("people:detail", association_slug=association_slug, person_uuid=person.uuid)
