"""Back office of events: /a/<association>/events/….

Capability `can_send_mailings`, as for petitions: running an event is campaigning and writing
to the people who registered. The registrants' e-mail addresses appear in the list and the
export only for a member who may also see contacts (`can_view_members`).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.flash import run_and_flash
from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require
from essaim.lib.spreadsheets import spreadsheet_response

from . import events
from .event_forms import EventCreateForm, EventEditForm
from .event_public_views import share_links
from .models import Event, Registration

CAPABILITY = "can_send_mailings"
CHECK_IN_ROWS = 50


def _event(association, event_uuid) -> Event:
    event = get_object_or_404(Event, association=association, uuid=event_uuid)
    event.association = association
    return event


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


@require(CAPABILITY)
def event_list(request, association_slug: str):
    association = request.seat.association
    query = request.GET.get("q", "").strip()[:100]
    when = request.GET.get("when", "upcoming")
    rows = events.events_with_counts(association)
    now = timezone.now()
    if when == "past":
        rows = rows.filter(ends_at__lt=now).order_by("-starts_at", "-id")
    elif when == "all":
        rows = rows.order_by("-starts_at", "-id")
    else:
        when = "upcoming"
        rows = rows.filter(ends_at__gte=now).order_by("starts_at", "id")
    for word in query.split()[:5]:
        rows = rows.filter(Q(title__icontains=word) | Q(place__icontains=word))
    page = paginate(request, rows)
    return render(
        request,
        "mobilisation/events.html",
        {
            "association": association,
            "page": page,
            "rows": page.object_list,
            "query": query,
            "when": when,
            "query_string": query_without_page(request),
        },
    )


@require(CAPABILITY)
def event_create(request, association_slug: str):
    association = request.seat.association
    form = EventCreateForm(request.POST or None)
    if request.method == "POST":
        event = form.call_service(
            events.event_create, association=association, acting_user=request.user
        )
        if event is not None:
            messages.success(
                request, _("The event is created as a draft: check it, then publish it.")
            )
            return redirect(
                "mobilisation:event", association_slug=association.slug, event_uuid=event.uuid
            )
    return render(
        request, "mobilisation/event_form.html", {"association": association, "form": form}
    )


@require(CAPABILITY)
def event_edit(request, association_slug: str, event_uuid):
    association = request.seat.association
    event = _event(association, event_uuid)
    if event.status == Event.Status.CANCELLED:
        messages.error(request, _("A cancelled event cannot be changed."))
        return redirect(
            "mobilisation:event", association_slug=association.slug, event_uuid=event.uuid
        )
    initial = {name: getattr(event, name) for name in events.EDITABLE}
    initial |= {
        "starts_at": _local(event.starts_at),
        "ends_at": _local(event.ends_at),
        "registration_deadline": _local(event.registration_deadline),
        "scope": "one",
    }
    form = EventEditForm(request.POST or None, initial=initial)
    if not event.series_id:
        del form.fields["scope"]
    saved = request.method == "POST" and form.call_service(
        events.event_update, association=association, acting_user=request.user, event=event
    )
    if saved:
        messages.success(request, _("The event is saved."))
        return redirect(
            "mobilisation:event", association_slug=association.slug, event_uuid=event.uuid
        )
    return render(
        request,
        "mobilisation/event_form.html",
        {"association": association, "form": form, "event": event},
    )


@require(CAPABILITY)
def event_detail(request, association_slug: str, event_uuid):
    association = request.seat.association
    event = _event(association, event_uuid)
    series = []
    if event.series_id:
        series = list(
            Event.objects.filter(series_id=event.series_id).order_by("starts_at")[:MAX_SERIES]
        )
    return render(
        request,
        "mobilisation/event_detail.html",
        {
            "association": association,
            "event": event,
            "when": events.when_text(event),
            "counts": events.registration_counts(event),
            "share": share_links(event),
            "public_url": events.event_url(event),
            "is_open": events.event_is_open(event),
            "closed": events.closed_reason(event),
            "series": series,
            "tab": "detail",
        },
    )


MAX_SERIES = 60


@require(CAPABILITY)
@require_POST
def event_status(request, association_slug: str, event_uuid, action: str):
    association = request.seat.association
    event = _event(association, event_uuid)
    status = {"publish": Event.Status.PUBLISHED, "cancel": Event.Status.CANCELLED}.get(action)
    if status is None:
        raise Http404
    run_and_flash(
        request,
        lambda: events.event_set_status(
            association=association, acting_user=request.user, event=event, status=status
        ),
        _("The event is published: share its page.")
        if status == Event.Status.PUBLISHED
        else _("The event is cancelled; its registrants are told by e-mail."),
    )
    return redirect("mobilisation:event", association_slug=association.slug, event_uuid=event.uuid)


@require(CAPABILITY)
def event_registrations(request, association_slug: str, event_uuid):
    association = request.seat.association
    event = _event(association, event_uuid)
    query = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    page = paginate(request, events.search_registrations(event, query, status))
    return render(
        request,
        "mobilisation/event_registrations.html",
        {
            "association": association,
            "event": event,
            "page": page,
            "rows": page.object_list,
            "query": query,
            "status": status,
            "statuses": Registration.Status.choices,
            "with_emails": request.seat.can("can_view_members"),
            "query_string": query_without_page(request),
            "counts": events.registration_counts(event),
            "tab": "registrations",
        },
    )


def _registration(event, registration_uuid) -> Registration:
    registration = get_object_or_404(Registration, event=event, uuid=registration_uuid)
    registration.event = event
    return registration


@require(CAPABILITY)
@require_POST
def registration_cancel(request, association_slug: str, event_uuid, registration_uuid):
    association = request.seat.association
    event = _event(association, event_uuid)
    registration = _registration(event, registration_uuid)
    events.registration_cancel(registration=registration, acting_user=request.user)
    messages.success(
        request, _("The registration of %(name)s is cancelled.") % {"name": registration}
    )
    return redirect(
        "mobilisation:event_registrations", association_slug=association.slug, event_uuid=event.uuid
    )


@require(CAPABILITY)
def event_checkin(request, association_slug: str, event_uuid):
    """The check-in list on a phone: search a name, tick."""
    association = request.seat.association
    event = _event(association, event_uuid)
    query = request.GET.get("q", "").strip()[:100]
    rows = events.search_registrations(event, query, Registration.Status.CONFIRMED)
    context = {
        "association": association,
        "event": event,
        "rows": list(rows[:CHECK_IN_ROWS]),
        "limit": CHECK_IN_ROWS,
        "query": query,
        "counts": events.registration_counts(event),
        "tab": "checkin",
    }
    template = (
        "mobilisation/_event_checkin_rows.html"
        if getattr(request, "htmx", False)
        else "mobilisation/event_checkin.html"
    )
    return render(request, template, context)


def _check_in(request, association, registration, undo=False) -> bool:
    try:
        events.registration_check_in(
            association=association,
            acting_user=request.user,
            registration=registration,
            undo=undo,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    return True


@require(CAPABILITY)
@require_POST
def event_checkin_one(request, association_slug: str, event_uuid, registration_uuid):
    association = request.seat.association
    event = _event(association, event_uuid)
    registration = _registration(event, registration_uuid)
    undo = bool(request.POST.get("undo"))
    if _check_in(request, association, registration, undo):
        if undo:
            messages.info(
                request, _("%(name)s is no longer marked present.") % {"name": registration}
            )
        else:
            messages.success(request, _("%(name)s is present.") % {"name": registration})
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(
        "mobilisation:event_checkin", association_slug=association.slug, event_uuid=event.uuid
    )


@require(CAPABILITY)
def event_checkin_qr(request, association_slug: str, event_uuid, checkin_token: str):
    """What a registrant's QR code opens: for the team, it checks them in at once (opening
    it twice checks in once) and shows who it is, big, with an undo button."""
    association = request.seat.association
    event = _event(association, event_uuid)
    registration, problem = events.registration_from_checkin_token(checkin_token)
    if registration is None or registration.event_id != event.pk:
        return render(
            request,
            "mobilisation/event_checkin_qr.html",
            {"association": association, "event": event, "problem": problem or "invalid"},
            status=404,
        )
    registration.event = event
    already = registration.checked_in_at is not None
    ok = True
    if registration.status == Registration.Status.CONFIRMED and not already:
        ok = _check_in(request, association, registration)
        registration.refresh_from_db()
    return render(
        request,
        "mobilisation/event_checkin_qr.html",
        {
            "association": association,
            "event": event,
            "registration": registration,
            "already": already,
            "ok": ok and registration.status == Registration.Status.CONFIRMED,
        },
    )


@require(CAPABILITY)
def event_export(request, association_slug: str, event_uuid):
    """Attendance: name, e-mail (with can_view_members), status, guests, checked-in time,
    source, as CSV (or XLSX with ?format=xlsx)."""
    association = request.seat.association
    event = _event(association, event_uuid)
    fmt = request.GET.get("format", "csv")
    with_emails = request.seat.can("can_view_members")
    events.export_logged(association=association, acting_user=request.user, event=event, kind=fmt)
    header = [_("First name"), _("Last name")]
    if with_emails:
        header.append(_("E-mail"))
    header += [_("Status"), _("Guests"), _("Checked in at"), _("Source"), _("Registered on")]
    rows = (
        Registration.objects.filter(event=event, erased_at__isnull=True)
        .exclude(status=Registration.Status.PENDING)
        .order_by("last_name", "first_name", "id")
    )
    labels = dict(Registration.Status.choices)

    def stamp(value, spreadsheet):
        if not value:
            return ""
        local = timezone.localtime(value)
        return local.replace(tzinfo=None) if spreadsheet else local.strftime("%d/%m/%Y %H:%M")

    def cells(spreadsheet: bool):
        for row in rows.iterator():
            line = [row.first_name, row.last_name]
            if with_emails:
                line.append(row.email)
            line += [
                str(labels.get(row.status, row.status)),
                row.guests,
                stamp(row.checked_in_at, spreadsheet),
                row.source,
                stamp(row.confirmed_at or row.created_at, spreadsheet),
            ]
            yield line

    return spreadsheet_response(
        header, cells, fmt=fmt, name=f"attendance-{event.slug}"[:80], title=_("Attendance")
    )
