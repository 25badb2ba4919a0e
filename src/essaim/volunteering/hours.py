"""Volunteer hours: recorded from attended shifts or declared by the volunteer, approved or
refused by the coordinator, totalled per person and period and valued in euros.

- An attended shift (marked by the coordinator) gives an entry already **approved**: the
  coordinator saw the volunteer come. Marking it "no-show" afterwards refuses that entry.
- A volunteer declares hours on a mission where their application is accepted: a date not in
  the future and at most a year ago, 1 minute to 24 hours, and never more than 24 hours in one
  day counting all their entries not refused (serialised on the user's row).
- Only a declared entry can be approved or refused, once; a refused entry keeps its reason.
- Valuation: minutes × the association's hourly rate (`VolunteeringSettings`), in cents, for
  the "contributions volontaires en nature" of the accounts (comptes 86 and 87).
"""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from essaim.core.audit import audit_log
from essaim.core.models import Association

from .models import Application, HoursEntry, Mission, ShiftSignup, VolunteeringSettings
from .services import _clean_text

MAX_MINUTES = HoursEntry.MAX_MINUTES
MAX_DAYS_BACK = 366
MAX_RATE_CENTS = 100_000  # 1 000 € an hour: surely a typing error above
MAX_BULK = 500


# --- Settings --------------------------------------------------------------------------------


def settings_for(association: Association) -> VolunteeringSettings:
    """The association's settings (the defaults, unsaved, when it never changed them)."""
    found = VolunteeringSettings.objects.filter(association=association).first()
    return found or VolunteeringSettings(association=association)


@transaction.atomic
def settings_update(
    *, association: Association, acting_user, volunteer_hourly_rate_cents: int
) -> VolunteeringSettings:
    rate = volunteer_hourly_rate_cents
    if isinstance(rate, bool) or not isinstance(rate, int):
        raise ValidationError({"volunteer_hourly_rate_cents": _("Give an amount in euros.")})
    if not 0 <= rate <= MAX_RATE_CENTS:
        raise ValidationError(
            {"volunteer_hourly_rate_cents": _("Give an hourly rate between 0 and 1,000 euros.")}
        )
    found, _created = VolunteeringSettings.objects.select_for_update().get_or_create(
        association=association
    )
    before = found.volunteer_hourly_rate_cents
    found.volunteer_hourly_rate_cents = rate
    found.save()
    if before != rate or _created:
        audit_log(
            association=association,
            actor=acting_user,
            action="volunteering_settings.update",
            obj=found,
            changes={"volunteer_hourly_rate_cents": [before, rate]},
        )
    return found


def valuation_cents(minutes: int, rate_cents: int) -> int:
    """minutes × hourly rate, rounded to the cent (half up)."""
    return (minutes * rate_cents + 30) // 60


# --- Writes ----------------------------------------------------------------------------------


def _check_minutes(minutes, errors: dict) -> None:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        errors["minutes"] = _("Give a duration.")
    elif minutes < 1:
        errors["minutes"] = _("Give a duration of at least one minute.")
    elif minutes > MAX_MINUTES:
        errors["minutes"] = _("24 hours at most in one day.")


def _check_day(worked_on, errors: dict, today: dt.date) -> None:
    if not isinstance(worked_on, dt.date) or isinstance(worked_on, dt.datetime):
        errors["worked_on"] = _("Give a date.")
    elif worked_on > today:
        errors["worked_on"] = _("This date is in the future: declare hours once they are done.")
    elif worked_on < today - dt.timedelta(days=MAX_DAYS_BACK):
        errors["worked_on"] = _("This date is more than a year ago.")


def _minutes_that_day(*, user=None, person=None, worked_on: dt.date, exclude_pk=None) -> int:
    holder = Q(user=user) if user is not None else Q(person=person)
    with scopes_disabled():
        rows = HoursEntry.objects.filter(holder, worked_on=worked_on).exclude(
            status=HoursEntry.Status.REFUSED
        )
        if exclude_pk:
            rows = rows.exclude(pk=exclude_pk)
        return rows.aggregate(total=Sum("minutes"))["total"] or 0


@transaction.atomic
def hours_declare(
    *,
    association: Association,
    user,
    mission: Mission,
    worked_on: dt.date,
    minutes: int,
    activity: str = "",
    today: dt.date | None = None,
) -> HoursEntry:
    """The volunteer declares hours on a mission of the association; the coordinator decides."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if mission is None or mission.association_id != association.pk:
        errors["mission"] = _("Choose the mission.")
    elif not Application.objects.filter(
        mission=mission, user=user, status=Application.Status.ACCEPTED
    ).exists():
        errors["mission"] = _(
            "You can declare hours only on a mission where your application is accepted."
        )
    _check_minutes(minutes, errors)
    _check_day(worked_on, errors, today)
    activity = _clean_text(activity, field="activity", errors=errors, max_length=200)
    if not errors:
        already = _minutes_that_day(user=user, worked_on=worked_on)
        if already + minutes > MAX_MINUTES:
            errors["minutes"] = _(
                "With the %(hours)s already recorded that day, this makes more than 24 hours."
            ) % {"hours": format_minutes(already)}
    if errors:
        raise ValidationError(errors)
    entry = HoursEntry.objects.create(
        association=association,
        mission=mission,
        user=user,
        name=(user.get_full_name() or user.email)[:200],
        worked_on=worked_on,
        minutes=minutes,
        activity=activity,
        source=HoursEntry.Source.DECLARED,
        status=HoursEntry.Status.DECLARED,
    )
    audit_log(association=association, actor=user, action="hours.declare", obj=entry)
    return entry


def hours_from_signup(*, association: Association, acting_user, signup: ShiftSignup) -> HoursEntry:
    """Called by `shifts.signup_mark` (inside its transaction): attended → an approved entry
    of the shift's length; no-show → that entry refused."""
    shift = signup.shift
    entry = HoursEntry.objects.select_for_update().filter(signup=signup).first()
    now = timezone.now()
    if signup.status == ShiftSignup.Status.ATTENDED:
        minutes = min(
            MAX_MINUTES, max(1, int((shift.ends_at - shift.starts_at).total_seconds() // 60))
        )
        entry = entry or HoursEntry(
            association=association,
            mission=shift.mission,
            shift=shift,
            signup=signup,
            user=signup.user,
            person=signup.person,
            name=signup.name,
            source=HoursEntry.Source.SHIFT,
        )
        entry.worked_on = timezone.localtime(shift.starts_at).date()
        entry.minutes = minutes
        entry.activity = entry.activity or shift.mission.title[:200]
        entry.status = HoursEntry.Status.APPROVED
        entry.refusal_reason = ""
        action = "hours.approve"
    else:
        if entry is None:
            return None
        entry.status = HoursEntry.Status.REFUSED
        entry.refusal_reason = _("Marked absent from the shift.")
        action = "hours.refuse"
    entry.decided_by = acting_user
    entry.decided_at = now
    entry.save()
    audit_log(
        association=association,
        actor=acting_user,
        action=action,
        obj=entry,
        data={"from_shift": True},
    )
    return entry


ACTIONS = {"approve": HoursEntry.Status.APPROVED, "refuse": HoursEntry.Status.REFUSED}


def _decide_one(association, acting_user, entry: HoursEntry, action: str, reason: str, now):
    entry.status = ACTIONS[action]
    entry.decided_by = acting_user
    entry.decided_at = now
    entry.refusal_reason = reason if action == "refuse" else ""
    entry.save(update_fields=["status", "decided_by", "decided_at", "refusal_reason", "updated_at"])
    audit_log(association=association, actor=acting_user, action=f"hours.{action}", obj=entry)


def _clean_decision(action: str, reason: str) -> str:
    if action not in ACTIONS:
        raise ValidationError(_("Unknown action."))
    errors: dict[str, str] = {}
    reason = _clean_text(reason, field="reason", errors=errors, max_length=1000)
    if errors:
        raise ValidationError(errors)
    return reason


@transaction.atomic
def hours_decide(
    *, association: Association, acting_user, entry: HoursEntry, action: str, reason: str = ""
) -> HoursEntry:
    reason = _clean_decision(action, reason)
    entry = HoursEntry.objects.select_for_update().get(pk=entry.pk, association=association)
    if entry.status != HoursEntry.Status.DECLARED:
        raise ValidationError(
            _("These hours are already %(status)s.") % {"status": entry.get_status_display()}
        )
    _decide_one(association, acting_user, entry, action, reason, timezone.now())
    return entry


@transaction.atomic
def hours_decide_bulk(
    *, association: Association, acting_user, entry_uuids, action: str, reason: str = ""
) -> int:
    """Approve or refuse the declared entries among `entry_uuids`; the others (already
    decided, another association's) are left alone. Returns how many changed."""
    reason = _clean_decision(action, reason)
    entry_uuids = list(entry_uuids or [])[:MAX_BULK]
    entries = HoursEntry.objects.select_for_update().filter(
        association=association, uuid__in=entry_uuids, status=HoursEntry.Status.DECLARED
    )
    now = timezone.now()
    count = 0
    for entry in entries:
        _decide_one(association, acting_user, entry, action, reason, now)
        count += 1
    return count


# --- Reading ---------------------------------------------------------------------------------


def format_minutes(minutes: int) -> str:
    """125 → "2 h 05"."""
    minutes = int(minutes or 0)
    return f"{minutes // 60} h {minutes % 60:02d}"


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    kind: str  # "month", "year" or "range"


def period_from(
    kind: str = "month",
    *,
    year: int | None = None,
    month: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    today: dt.date | None = None,
) -> Period:
    """A month, a calendar year or a custom range (at most 5 years)."""
    today = today or timezone.localdate()
    if kind == "range":
        if start is None or end is None:
            raise ValidationError(_("Give the first and the last day."))
        if end < start:
            raise ValidationError(_("The last day must not come before the first."))
        if (end - start).days > 5 * 366:
            raise ValidationError(_("Five years at most."))
        return Period(start, end, "range")
    year = year or today.year
    if not 1900 <= year <= 2999:
        raise ValidationError(_("Give a year."))
    if kind == "year":
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
    month = month or today.month
    if not 1 <= month <= 12:
        raise ValidationError(_("Give a month."))
    last = calendar.monthrange(year, month)[1]
    return Period(dt.date(year, month, 1), dt.date(year, month, last), "month")


def entries_in(association: Association, period: Period | None = None):
    rows = HoursEntry.objects.filter(association=association)
    if period is not None:
        rows = rows.filter(worked_on__gte=period.start, worked_on__lte=period.end)
    return rows


def totals(association: Association, period: Period, *, status: str = "approved") -> list[dict]:
    """Per volunteer (account, or contact, or the name left after anonymisation): minutes,
    entries and the valuation in cents, largest first."""
    rate = settings_for(association).volunteer_hourly_rate_cents
    rows = (
        entries_in(association, period)
        .filter(status=status)
        .values("user_id", "person_id", "name")
        .annotate(minutes=Sum("minutes"), entries=Count("id"))
        .order_by("-minutes", "name")
    )
    merged: dict[tuple, dict] = {}
    for row in rows:
        key = (
            (row["user_id"], row["person_id"])
            if row["user_id"] or row["person_id"]
            else (
                None,
                None,
                row["name"],
            )
        )
        found = merged.setdefault(
            key, {"name": row["name"], "minutes": 0, "entries": 0, "user_id": row["user_id"]}
        )
        found["minutes"] += row["minutes"]
        found["entries"] += row["entries"]
    result = sorted(merged.values(), key=lambda r: (-r["minutes"], r["name"]))
    for row in result:
        row["value_cents"] = valuation_cents(row["minutes"], rate)
        row["duration"] = format_minutes(row["minutes"])
    return result


def summary(association: Association, period: Period) -> dict:
    rate = settings_for(association).volunteer_hourly_rate_cents
    approved = (
        entries_in(association, period)
        .filter(status=HoursEntry.Status.APPROVED)
        .aggregate(minutes=Sum("minutes"), people=Count("name", distinct=True))
    )
    minutes = approved["minutes"] or 0
    return {
        "minutes": minutes,
        "duration": format_minutes(minutes),
        "people": approved["people"] or 0,
        "rate_cents": rate,
        "value_cents": valuation_cents(minutes, rate),
        "to_decide": HoursEntry.objects.filter(
            association=association, status=HoursEntry.Status.DECLARED
        ).count(),
    }
