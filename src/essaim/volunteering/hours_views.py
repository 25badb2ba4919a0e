"""Volunteer hours: the coordinator's screens (`can_manage_volunteers`) and the volunteer's.

Back office, /a/<slug>/volunteering/hours/:
  ""                 entries to decide (and all others, filtered), approve / refuse one by
                     one or in bulk
  totals/            totals per volunteer for a month, a year or a range, valued in euros;
                     ?format=csv|xlsx downloads them
  export/            the entries of the period as CSV / XLSX
  rate/              the hourly rate used for the valuation
Volunteer: /account/volunteering/hours/ (their hours, declare new ones).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_scopes import scope, scopes_disabled

from essaim.core.audit import audit_log
from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require
from essaim.lib.money import format_euros
from essaim.lib.spreadsheets import spreadsheet_response
from essaim.lib.text import uuid_or_none

from . import hours
from .models import Application, HoursEntry, Mission
from .shift_forms import HoursDeclareForm, PeriodForm, RateForm, RefuseForm

VOLUNTEERS = "can_manage_volunteers"


def _period(request):
    form = PeriodForm(request.GET or None)
    try:
        period = hours.period_from(**form.period_kwargs(timezone.localdate()))
    except ValidationError as error:
        form.is_valid()
        form.add_error(None, error.messages)
        period = hours.period_from("month")
    return form, period


def _filtered(request, association):
    rows = HoursEntry.objects.filter(association=association).select_related("mission")
    status = request.GET.get("status", "declared")
    if status in HoursEntry.Status.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    mission_uuid = request.GET.get("mission", "")
    missions = list(Mission.objects.filter(association=association).order_by("title")[:300])
    if mission_uuid and mission_uuid in {str(m.uuid) for m in missions}:
        rows = rows.filter(mission__uuid=mission_uuid)
    else:
        mission_uuid = ""
    query = (request.GET.get("q") or "").strip()[:100]
    for word in query.split()[:5]:
        rows = rows.filter(name__icontains=word)
    return rows, {"status": status, "mission": mission_uuid, "q": query, "missions": missions}


@require(VOLUNTEERS)
def hours_list(request, association_slug: str):
    association = request.seat.association
    rows, filters = _filtered(request, association)
    page = paginate(request, rows.order_by("-worked_on", "-id"))
    return render(
        request,
        "volunteering/hours_list.html",
        {
            "association": association,
            "page": page,
            "filters": filters,
            "statuses": HoursEntry.Status.choices,
            "query_string": query_without_page(request),
            "summary": hours.summary(association, hours.period_from("year")),
            "refuse_form": RefuseForm(),
        },
    )


def _back(request, association):
    target = request.POST.get("next", "")
    if target.startswith(f"/a/{association.slug}/volunteering/hours/"):
        return redirect(target)
    return redirect("volunteering:hours", association_slug=association.slug)


@require(VOLUNTEERS)
@require_POST
def hours_decide(request, association_slug: str, entry_uuid, action: str):
    association = request.seat.association
    entry = get_object_or_404(HoursEntry, association=association, uuid=entry_uuid)
    form = RefuseForm(request.POST)
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    try:
        hours.hours_decide(
            association=association,
            acting_user=request.user,
            entry=entry,
            action=action,
            reason=reason,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The hours are approved.") if action == "approve" else _("The hours are refused."),
        )
    return _back(request, association)


@require(VOLUNTEERS)
@require_POST
def hours_bulk(request, association_slug: str):
    association = request.seat.association
    action = request.POST.get("action", "")
    uuids = request.POST.getlist("entries")[: hours.MAX_BULK]
    uuids = [u for u in (uuid_or_none(v) for v in uuids) if u]
    if not uuids:
        messages.error(request, _("Tick the hours to approve or refuse."))
        return _back(request, association)
    try:
        count = hours.hours_decide_bulk(
            association=association,
            acting_user=request.user,
            entry_uuids=uuids,
            action=action,
            reason=(request.POST.get("reason") or "")[:1000],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            (
                _("%(count)s entries approved.")
                if action == "approve"
                else _("%(count)s entries refused.")
            )
            % {"count": count},
        )
    return _back(request, association)


def _totals_header() -> list[str]:
    return [_("Volunteer"), _("Entries"), _("Hours"), _("Minutes"), _("Valuation (€)")]


@require(VOLUNTEERS)
def hours_totals(request, association_slug: str):
    association = request.seat.association
    form, period = _period(request)
    rows = hours.totals(association, period)
    summary = hours.summary(association, period)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        audit_log(
            association=association,
            actor=request.user,
            action="hours.export",
            object_type="hours",
            object_repr=_("Totals of volunteer hours"),
            data={"format": fmt, "start": str(period.start), "end": str(period.end)},
        )

        def cells(xlsx: bool):
            for row in rows:
                value = row["value_cents"] / 100
                yield [
                    row["name"],
                    row["entries"],
                    round(row["minutes"] / 60, 2) if xlsx else row["duration"],
                    row["minutes"],
                    value if xlsx else format_euros(row["value_cents"], sign=False),
                ]

        return spreadsheet_response(
            _totals_header(),
            cells,
            fmt=fmt,
            name=f"heures-benevoles-{period.start}-{period.end}",
            title=_("Volunteer hours"),
        )
    return render(
        request,
        "volunteering/hours_totals.html",
        {
            "association": association,
            "form": form,
            "period": period,
            "rows": rows,
            "summary": summary,
            "query_string": request.GET.urlencode(),
        },
    )


@require(VOLUNTEERS)
def hours_export(request, association_slug: str):
    association = request.seat.association
    _form, period = _period(request)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    rate = hours.settings_for(association).volunteer_hourly_rate_cents
    entries = (
        hours.entries_in(association, period)
        .select_related("mission", "decided_by")
        .order_by("worked_on", "id")
    )
    audit_log(
        association=association,
        actor=request.user,
        action="hours.export",
        object_type="hours",
        object_repr=_("Volunteer hours entries"),
        data={"format": fmt, "start": str(period.start), "end": str(period.end)},
    )
    header = [
        _("Date"),
        _("Volunteer"),
        _("Mission"),
        _("Activity"),
        _("Minutes"),
        _("Hours"),
        _("Source"),
        _("Status"),
        _("Valuation (€)"),
        _("Decided on"),
        _("Reason for refusal"),
    ]

    def cells(xlsx: bool):
        for entry in entries.iterator(chunk_size=2000):
            value = hours.valuation_cents(entry.minutes, rate)
            yield [
                entry.worked_on if xlsx else entry.worked_on.strftime("%d/%m/%Y"),
                entry.name,
                entry.mission.title if entry.mission else "",
                entry.activity,
                entry.minutes,
                round(entry.minutes / 60, 2) if xlsx else hours.format_minutes(entry.minutes),
                entry.get_source_display(),
                entry.get_status_display(),
                value / 100 if xlsx else format_euros(value, sign=False),
                timezone.localtime(entry.decided_at).strftime("%d/%m/%Y")
                if entry.decided_at
                else "",
                entry.refusal_reason,
            ]

    return spreadsheet_response(
        header,
        cells,
        fmt=fmt,
        name=f"heures-benevoles-detail-{period.start}-{period.end}",
        title=_("Volunteer hours"),
    )


@require(VOLUNTEERS)
def hours_rate(request, association_slug: str):
    association = request.seat.association
    current = hours.settings_for(association)
    form = RateForm(
        request.POST or None,
        initial={"volunteer_hourly_rate_cents": current.volunteer_hourly_rate_cents},
    )
    if request.method == "POST" and form.call_service(
        hours.settings_update, association=association, acting_user=request.user
    ):
        messages.success(request, _("The hourly rate is saved."))
        return redirect("volunteering:hours_totals", association_slug=association.slug)
    return render(
        request,
        "volunteering/hours_rate.html",
        {"association": association, "form": form, "current": current},
    )


# --- Volunteer side ------------------------------------------------------------------------


def _accepted_missions(user) -> list[Mission]:
    with scopes_disabled():
        return list(
            Mission.objects.filter(
                applications__user=user, applications__status=Application.Status.ACCEPTED
            )
            .select_related("association")
            .distinct()
            .order_by("title")[:100]
        )


@login_required
def my_hours(request):
    missions = _accepted_missions(request.user)
    form = HoursDeclareForm(
        request.POST or None,
        missions=missions,
        initial={"worked_on": timezone.localdate(), "hours": 2, "minutes": 0},
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            with scope(association=fields["association"]):
                hours.hours_declare(user=request.user, **fields)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("Your hours are recorded; the coordinator of the mission approves them.")
            )
            return redirect("volunteering_public:hours")
    with scopes_disabled():
        entries = list(
            HoursEntry.objects.filter(user=request.user)
            .select_related("mission", "association")
            .order_by("-worked_on", "-id")[:200]
        )
        approved = sum(e.minutes for e in entries if e.status == HoursEntry.Status.APPROVED)
    return render(
        request,
        "volunteering/public/hours_mine.html",
        {
            "form": form,
            "missions": missions,
            "entries": entries,
            "approved": hours.format_minutes(approved),
        },
    )
