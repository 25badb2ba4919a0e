"""Shifts of a mission: slots with places, sign-ups, attendance, reminders, calendar feed.

Places: `Shift.taken` counts the active sign-ups; taking one is a single conditional UPDATE
(`taken < capacity`) and a database CHECK refuses more, so of two volunteers racing for the
last place exactly one gets it. A volunteer's own sign-ups are serialised on the user's row
(`select_for_update`), so two overlapping shifts cannot be taken at once either.

Who signs up: a volunteer whose application to the mission is accepted, until the shift's
deadline (its start when none is set), when their profile skills cover the shift's
qualifications. The coordinator can add an accepted applicant or one of the association's
contacts at any time, and may override the qualifications.

Attendance: marking a sign-up "attended" records an **approved** hours entry (the coordinator
saw the volunteer come; no second approval needed); "no-show" refuses that entry again.
"""

import datetime as dt
import uuid as uuid_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from essaim.core.audit import audit_log, diff, snapshot
from essaim.core.emails import email_enqueue
from essaim.core.models import Association
from essaim.lib.ical import IcalEvent
from essaim.people.models import Person

from .models import Application, HoursEntry, Mission, Shift, ShiftSignup
from .reference import all_skill_labels
from .services import _clean_text, profile_of

MAX_CAPACITY = 1000
MAX_SHIFT_HOURS = 24
MAX_SERIES = 53  # a year of weekly shifts
MAX_AHEAD_DAYS = 3 * 365
CANCEL_SALT = "essaim.volunteering.shift_cancel"
CANCEL_MAX_AGE = 60 * 60 * 24 * 60
CALENDAR_SALT = "essaim.volunteering.calendar"
SHIFT_FIELDS = (
    "starts_at",
    "ends_at",
    "capacity",
    "qualifications",
    "signup_deadline",
    "location",
    "notes",
)


def _absolute(path: str) -> str:
    return settings.ESSAIM_BASE_URL + path


def when(shift: Shift) -> str:
    """ "samedi 5 décembre 2026, 14:00–17:00" in the active language."""
    start = timezone.localtime(shift.starts_at)
    end = timezone.localtime(shift.ends_at)
    day = date_format(start, "l j F Y")
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    return f"{day}, {start:%H:%M} – {date_format(end, 'l j F Y')}, {end:%H:%M}"


# --- Validation ------------------------------------------------------------------------------


def _validate(shift: Shift, *, creating: bool, now) -> None:
    errors: dict[str, str] = {}
    for name in ("starts_at", "ends_at"):
        value = getattr(shift, name)
        if not isinstance(value, dt.datetime):
            errors[name] = _("Give a date and a time.")
        elif timezone.is_naive(value):
            setattr(shift, name, timezone.make_aware(value))
    if shift.signup_deadline is not None:
        if not isinstance(shift.signup_deadline, dt.datetime):
            errors["signup_deadline"] = _("Give a date and a time.")
        elif timezone.is_naive(shift.signup_deadline):
            shift.signup_deadline = timezone.make_aware(shift.signup_deadline)
    if "starts_at" not in errors and "ends_at" not in errors:
        if shift.ends_at <= shift.starts_at:
            errors["ends_at"] = _("The end must come after the start.")
        elif shift.ends_at - shift.starts_at > dt.timedelta(hours=MAX_SHIFT_HOURS):
            errors["ends_at"] = _("A shift lasts %(max)s hours at most: split it in two.") % {
                "max": MAX_SHIFT_HOURS
            }
        if creating and shift.starts_at < now:
            errors["starts_at"] = _("This time is already past: give a time to come.")
        elif shift.starts_at > now + dt.timedelta(days=MAX_AHEAD_DAYS):
            errors["starts_at"] = _("This date is too far ahead.")
        if (
            "signup_deadline" not in errors
            and shift.signup_deadline is not None
            and shift.signup_deadline > shift.starts_at
        ):
            errors["signup_deadline"] = _("The sign-up deadline must not come after the start.")
    if isinstance(shift.capacity, bool) or not isinstance(shift.capacity, int):
        errors["capacity"] = _("Give a number of places.")
    elif shift.capacity < 1:
        errors["capacity"] = _("A shift needs at least one place.")
    elif shift.capacity > MAX_CAPACITY:
        errors["capacity"] = _("%(max)s places at most.") % {"max": MAX_CAPACITY}
    elif shift.pk and shift.capacity < shift.taken:
        errors["capacity"] = _(
            "%(taken)s volunteers are signed up: remove some before reducing the places."
        ) % {"taken": shift.taken}
    qualifications = shift.qualifications or []
    if not isinstance(qualifications, list | tuple) or not all(
        isinstance(q, str) for q in qualifications
    ):
        errors["qualifications"] = _("Give a list.")
    else:
        known = all_skill_labels()
        unknown = [q for q in qualifications if q not in known]
        if unknown:
            errors["qualifications"] = _("Unknown value: %(value)s.") % {
                "value": str(unknown[0])[:40]
            }
        shift.qualifications = list(dict.fromkeys(qualifications))
    shift.location = _clean_text(shift.location, field="location", errors=errors, max_length=200)
    shift.notes = _clean_text(shift.notes, field="notes", errors=errors, max_length=2000)
    if errors:
        raise ValidationError(errors)


def _check_mission(mission: Mission) -> None:
    if mission.status == Mission.Status.CLOSED:
        raise ValidationError(_("This mission is closed: publish it again to add shifts."))


# --- Shifts ----------------------------------------------------------------------------------


@transaction.atomic
def shift_create(
    *,
    association: Association,
    acting_user,
    mission: Mission,
    starts_at,
    ends_at,
    capacity: int = 1,
    qualifications=(),
    signup_deadline=None,
    location: str = "",
    notes: str = "",
    repeat_until: dt.date | None = None,
    now=None,
) -> Shift:
    """One shift, or a weekly series until `repeat_until` (inclusive); returns the first.
    Every shift of a series shares `series`."""
    now = now or timezone.now()
    mission = Mission.objects.get(pk=mission.pk, association=association)
    _check_mission(mission)
    first = Shift(
        association=association,
        mission=mission,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        qualifications=list(qualifications or []),
        signup_deadline=signup_deadline,
        location=location,
        notes=notes,
        created_by=acting_user,
    )
    _validate(first, creating=True, now=now)
    shifts = [first]
    if repeat_until is not None:
        if not isinstance(repeat_until, dt.date) or isinstance(repeat_until, dt.datetime):
            raise ValidationError({"repeat_until": _("Give a date.")})
        local_start = timezone.localtime(first.starts_at)
        if repeat_until <= local_start.date():
            raise ValidationError(
                {"repeat_until": _("The last date of the series must come after the first shift.")}
            )
        first.series = uuid_module.uuid4()
        week = 1
        while True:
            start = _shift_local(first.starts_at, week)
            if timezone.localtime(start).date() > repeat_until:
                break
            if len(shifts) >= MAX_SERIES:
                raise ValidationError(
                    {
                        "repeat_until": _("%(max)s shifts at most in one series.")
                        % {"max": MAX_SERIES}
                    }
                )
            shifts.append(
                Shift(
                    association=association,
                    mission=mission,
                    starts_at=start,
                    ends_at=_shift_local(first.ends_at, week),
                    capacity=first.capacity,
                    qualifications=first.qualifications,
                    signup_deadline=_shift_local(first.signup_deadline, week)
                    if first.signup_deadline
                    else None,
                    location=first.location,
                    notes=first.notes,
                    series=first.series,
                    created_by=acting_user,
                )
            )
            week += 1
    for shift in shifts:
        shift.save()
    audit_log(
        association=association,
        actor=acting_user,
        action="shift.create",
        obj=first,
        data={"mission": mission.title, "count": len(shifts)},
    )
    return first


def _shift_local(moment: dt.datetime, weeks: int) -> dt.datetime:
    """The same wall-clock time `weeks` weeks later (a shift at 9:00 stays at 9:00 across
    the change to summer time)."""
    local = timezone.localtime(moment).replace(tzinfo=None) + dt.timedelta(weeks=weeks)
    return timezone.make_aware(local)


@transaction.atomic
def shift_update(*, association: Association, acting_user, shift: Shift, **fields) -> Shift:
    shift = Shift.objects.select_for_update().get(pk=shift.pk, association=association)
    if shift.cancelled_at:
        raise ValidationError(_("This shift is cancelled."))
    before = snapshot(shift, SHIFT_FIELDS)
    for name, value in fields.items():
        if name not in SHIFT_FIELDS:
            raise TypeError(f"unknown field {name}")
        setattr(shift, name, value)
    if "qualifications" in fields:
        shift.qualifications = list(shift.qualifications or [])
    _validate(shift, creating=False, now=timezone.now())
    shift.save()
    changes = diff(before, snapshot(shift, SHIFT_FIELDS))
    if changes:
        audit_log(
            association=association,
            actor=acting_user,
            action="shift.update",
            obj=shift,
            changes=changes,
        )
    return shift


def _signup_email(signup: ShiftSignup) -> str:
    if signup.user_id and signup.user and signup.user.email:
        return signup.user.email
    if signup.person_id and signup.person and signup.person.email:
        return signup.person.email
    return ""


@transaction.atomic
def shift_cancel(*, association: Association, acting_user, shift: Shift, reason: str = "") -> Shift:
    """Cancel a shift: its sign-ups are cancelled and the volunteers told by e-mail."""
    errors: dict[str, str] = {}
    reason = _clean_text(reason, field="reason", errors=errors, max_length=1000)
    if errors:
        raise ValidationError(errors)
    shift = (
        Shift.objects.select_for_update()
        .select_related("mission")
        .get(pk=shift.pk, association=association)
    )
    if shift.cancelled_at:
        raise ValidationError(_("This shift is already cancelled."))
    if shift.ends_at < timezone.now():
        raise ValidationError(_("This shift is over: mark the attendance instead."))
    now = timezone.now()
    shift.cancelled_at = now
    shift.save(update_fields=["cancelled_at", "updated_at"])
    signups = list(
        ShiftSignup.objects.filter(shift=shift, status=ShiftSignup.Status.SIGNED_UP).select_related(
            "user", "person"
        )
    )
    told = 0
    for signup in signups:
        to = _signup_email(signup)
        if to:
            email_enqueue(
                to=to,
                template="shift_cancelled",
                association=association,
                context={
                    "name": signup.name,
                    "mission_title": shift.mission.title,
                    "when": when(shift),
                    "reason": reason,
                },
            )
            told += 1
    ShiftSignup.objects.filter(pk__in=[s.pk for s in signups]).update(
        status=ShiftSignup.Status.CANCELLED, cancelled_at=now
    )
    Shift.objects.filter(pk=shift.pk).update(taken=0)
    audit_log(
        association=association,
        actor=acting_user,
        action="shift.cancel",
        obj=shift,
        data={"signups": len(signups), "told": told, "reason": reason},
    )
    shift.refresh_from_db()
    return shift


# --- Sign-ups --------------------------------------------------------------------------------


def _take_place(shift_id: int) -> bool:
    try:
        with transaction.atomic():
            taken = Shift.objects.filter(
                pk=shift_id, cancelled_at__isnull=True, taken__lt=F("capacity")
            ).update(taken=F("taken") + 1)
    except IntegrityError:  # the CHECK constraint: another transaction took it first
        return False
    return bool(taken)


def _free_place(shift_id: int) -> None:
    Shift.objects.filter(pk=shift_id, taken__gt=0).update(taken=F("taken") - 1)


def _overlapping(shift: Shift, *, user=None, person=None) -> ShiftSignup | None:
    """An active sign-up of the same volunteer to another shift at the same time (in any
    association for an account)."""
    holder = Q(user=user) if user is not None else Q(person=person)
    with scopes_disabled():
        return (
            ShiftSignup.objects.filter(
                holder,
                status=ShiftSignup.Status.SIGNED_UP,
                shift__cancelled_at__isnull=True,
                shift__starts_at__lt=shift.ends_at,
                shift__ends_at__gt=shift.starts_at,
            )
            .exclude(shift=shift)
            .select_related("shift__mission", "shift__association")
            .first()
        )


def _overlap_error(other: ShiftSignup) -> ValidationError:
    return ValidationError(
        _("This shift overlaps another one you are signed up for: “%(mission)s”, %(when)s.")
        % {"mission": other.shift.mission.title, "when": when(other.shift)}
    )


def missing_qualifications(shift: Shift, skills) -> list[str]:
    have = set(skills or [])
    return [q for q in shift.qualifications if q not in have]


def _qualification_error(shift: Shift, missing: list[str]) -> ValidationError:
    labels = all_skill_labels()
    return ValidationError(
        _("This shift asks for skills missing from the profile: %(skills)s.")
        % {"skills": ", ".join(labels.get(code, code) for code in missing)}
    )


def accepted_on(mission: Mission, user) -> bool:
    with scopes_disabled():
        return Application.objects.filter(
            mission=mission, user=user, status=Application.Status.ACCEPTED
        ).exists()


def _lock_user(user) -> None:
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def _create_signup(shift: Shift, **fields) -> ShiftSignup:
    if not _take_place(shift.pk):
        raise ValidationError(_("This shift is full."))
    try:
        with transaction.atomic():
            return ShiftSignup.objects.create(association=shift.association, shift=shift, **fields)
    except IntegrityError as error:
        raise ValidationError(_("Already signed up for this shift.")) from error


@transaction.atomic
def signup_create(*, shift: Shift, user, now=None) -> ShiftSignup:
    """The volunteer signs up (their application to the mission is accepted)."""
    now = now or timezone.now()
    _lock_user(user)
    with scopes_disabled():
        shift = Shift.objects.select_related("mission", "association").get(pk=shift.pk)
    if shift.cancelled_at:
        raise ValidationError(_("This shift is cancelled."))
    if now >= shift.deadline:
        raise ValidationError(_("Sign-ups for this shift are closed."))
    if not accepted_on(shift.mission, user):
        raise ValidationError(
            _("Only volunteers whose application to this mission is accepted can sign up.")
        )
    with scopes_disabled():
        if ShiftSignup.objects.filter(
            shift=shift, user=user, status__in=ShiftSignup.ACTIVE
        ).exists():
            raise ValidationError(_("Already signed up for this shift."))
    profile = profile_of(user)
    missing = missing_qualifications(shift, profile.skills if profile else [])
    if missing:
        raise _qualification_error(shift, missing)
    other = _overlapping(shift, user=user)
    if other is not None:
        raise _overlap_error(other)
    signup = _create_signup(shift, user=user, name=(user.get_full_name() or user.email)[:200])
    audit_log(association=shift.association, actor=user, action="shift_signup.create", obj=signup)
    return signup


@transaction.atomic
def signup_add(
    *,
    association: Association,
    acting_user,
    shift: Shift,
    user=None,
    person: Person | None = None,
    override: bool = False,
) -> ShiftSignup:
    """The coordinator adds an accepted applicant (`user`) or a contact (`person`)."""
    if (user is None) == (person is None):
        raise ValidationError(_("Choose one volunteer."))
    shift = (
        Shift.objects.select_related("mission", "association")
        .filter(pk=shift.pk, association=association)
        .first()
    )
    if shift is None:
        raise ValidationError(_("Unknown shift."))
    if shift.cancelled_at:
        raise ValidationError(_("This shift is cancelled."))
    if shift.ends_at <= timezone.now():
        raise ValidationError(_("This shift is over."))
    if user is not None:
        _lock_user(user)
        if not accepted_on(shift.mission, user):
            raise ValidationError(_("This person's application to the mission is not accepted."))
        profile = profile_of(user)
        skills = profile.skills if profile else []
        name = user.get_full_name() or user.email
        exists = Q(user=user)
    else:
        person = Person.objects.select_for_update().filter(pk=person.pk).first()
        if person is None or person.association_id != association.pk or person.is_erased:
            raise ValidationError(_("Unknown contact."))
        skills = []
        name = person.full_name or person.email
        exists = Q(person=person)
    if ShiftSignup.objects.filter(exists, shift=shift, status__in=ShiftSignup.ACTIVE).exists():
        raise ValidationError(_("Already signed up for this shift."))
    missing = missing_qualifications(shift, skills)
    if missing and not override:
        raise _qualification_error(shift, missing)
    other = _overlapping(shift, user=user, person=person)
    if other is not None:
        raise _overlap_error(other)
    signup = _create_signup(
        shift, user=user, person=person, name=(name or "")[:200], added_by=acting_user
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="shift_signup.add",
        obj=signup,
        data={"override": bool(missing and override)},
    )
    return signup


@transaction.atomic
def signup_cancel(
    *, signup: ShiftSignup, acting_user, by_team: bool = False, now=None
) -> ShiftSignup:
    """The volunteer cancels until the deadline; the team removes a sign-up until the end."""
    now = now or timezone.now()
    with scopes_disabled():
        signup = (
            ShiftSignup.objects.select_for_update()
            .select_related("shift__mission", "association")
            .get(pk=signup.pk)
        )
    if signup.status != ShiftSignup.Status.SIGNED_UP:
        raise ValidationError(_("This sign-up is already cancelled or closed."))
    if by_team:
        if now >= signup.shift.ends_at:
            raise ValidationError(_("This shift is over: mark the attendance instead."))
    elif now >= signup.shift.deadline:
        raise ValidationError(
            _("The deadline to cancel has passed: tell the coordinator of the mission.")
        )
    signup.status = ShiftSignup.Status.CANCELLED
    signup.cancelled_at = now
    signup.save(update_fields=["status", "cancelled_at"])
    _free_place(signup.shift_id)
    audit_log(
        association=signup.association,
        actor=acting_user,
        action="shift_signup.remove" if by_team else "shift_signup.cancel",
        obj=signup,
    )
    return signup


ATTENDANCE = ("attended", "no_show")


@transaction.atomic
def signup_mark(
    *, association: Association, acting_user, signup: ShiftSignup, status: str
) -> ShiftSignup:
    """Attendance, once the shift has started: "attended" records approved hours."""
    if status not in ATTENDANCE:
        raise ValidationError(_("Unknown action."))
    signup = (
        ShiftSignup.objects.select_for_update()
        .select_related("shift__mission")
        .get(pk=signup.pk, association=association)
    )
    if signup.status == ShiftSignup.Status.CANCELLED:
        raise ValidationError(_("This sign-up is cancelled."))
    if signup.shift.starts_at > timezone.now():
        raise ValidationError(_("Attendance can be marked once the shift has started."))
    if signup.status == status:
        return signup
    signup.status = status
    signup.save(update_fields=["status"])
    audit_log(
        association=association,
        actor=acting_user,
        action=f"shift_signup.{status}",
        obj=signup,
    )
    from . import hours

    hours.hours_from_signup(association=association, acting_user=acting_user, signup=signup)
    return signup


# --- Reminders -------------------------------------------------------------------------------


def cancel_token(signup: ShiftSignup) -> str:
    return signing.dumps(str(signup.uuid), salt=CANCEL_SALT, compress=True)


def signup_from_token(token: str) -> ShiftSignup | None:
    try:
        value = signing.loads(token, salt=CANCEL_SALT, max_age=CANCEL_MAX_AGE)
    except signing.BadSignature:
        return None
    try:
        signup_uuid = uuid_module.UUID(str(value))
    except ValueError:
        return None
    with scopes_disabled():
        return (
            ShiftSignup.objects.select_related("shift__mission", "association", "user")
            .filter(uuid=signup_uuid)
            .first()
        )


def send_shift_reminders(now=None) -> int:
    """E-mail each volunteer once, the day before their shift (shifts starting in the next
    24 hours), with a link to cancel."""
    now = now or timezone.now()
    sent = 0
    with scopes_disabled():
        due = (
            ShiftSignup.objects.filter(
                status=ShiftSignup.Status.SIGNED_UP,
                reminded_at__isnull=True,
                shift__cancelled_at__isnull=True,
                shift__starts_at__gt=now,
                shift__starts_at__lte=now + dt.timedelta(hours=24),
            )
            .select_related("shift__mission", "association", "user", "person")
            .order_by("shift__starts_at", "id")
        )
        for signup in due[:5000]:
            with transaction.atomic():
                claimed = ShiftSignup.objects.filter(pk=signup.pk, reminded_at__isnull=True).update(
                    reminded_at=now
                )
                to = _signup_email(signup)
                if not claimed or not to:
                    continue
                shift = signup.shift
                email_enqueue(
                    to=to,
                    template="shift_reminder",
                    association=signup.association,
                    context={
                        "name": signup.name,
                        "mission_title": shift.mission.title,
                        "when": when(shift),
                        "location": shift.location or shift.mission.address,
                        "notes": shift.notes,
                        "can_cancel": now < shift.deadline,
                        "cancel_url": _absolute(
                            reverse(
                                "volunteering_public:shift_cancel_link",
                                kwargs={"token": cancel_token(signup)},
                            )
                        ),
                    },
                )
                sent += 1
    return sent


# --- Calendar feed ---------------------------------------------------------------------------


def calendar_token(user_uuid) -> str:
    """The secret part of the volunteer's calendar URL (stable: calendars poll it)."""
    return signing.Signer(salt=CALENDAR_SALT).sign(str(user_uuid)).split(":", 1)[1]


def user_from_calendar_token(user_uuid, token: str):
    if not signing.constant_time_compare(calendar_token(user_uuid), token):
        return None
    return get_user_model().objects.filter(uuid=user_uuid, is_active=True).first()


def calendar_events(user, *, now=None) -> list[IcalEvent]:
    """The volunteer's shifts from 90 days ago on: one VEVENT per shift, cancelled ones with
    STATUS:CANCELLED so calendars remove them."""
    now = now or timezone.now()
    host = settings.ESSAIM_BASE_URL.split("://", 1)[-1].split("/", 1)[0] or "essaim"
    with scopes_disabled():
        signups = (
            ShiftSignup.objects.filter(user=user, shift__ends_at__gte=now - dt.timedelta(days=90))
            .select_related("shift__mission", "association")
            .order_by("shift__starts_at", "id")[:500]
        )
        events = []
        for signup in signups:
            shift = signup.shift
            cancelled = bool(shift.cancelled_at) or signup.status == ShiftSignup.Status.CANCELLED
            mission = shift.mission
            changed = max(shift.updated_at, signup.cancelled_at or shift.updated_at)
            events.append(
                IcalEvent(
                    uid=f"shift-{shift.uuid}-{user.uuid}@{host}",
                    starts_at=shift.starts_at,
                    ends_at=shift.ends_at,
                    summary=f"{mission.title} — {signup.association.name}",
                    description=shift.notes,
                    location=shift.location
                    or " ".join(
                        p for p in (mission.address, mission.postcode, mission.commune) if p
                    ),
                    url=_absolute(reverse("volunteering_public:shifts")),
                    status="CANCELLED" if cancelled else "CONFIRMED",
                    sequence=int(changed.timestamp()),
                    last_modified=changed,
                )
            )
    return events


def hours_entry_for(signup: ShiftSignup) -> HoursEntry | None:
    return HoursEntry.objects.filter(signup=signup).first()
