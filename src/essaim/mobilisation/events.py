"""Events: writes (create, edit, publish, cancel, register, confirm, cancel a registration,
check in, reminders) and reads (lists, registrants, public events, iCal).

Places. `Event.places_taken` counts the places held by confirmed registrations (one per
registration plus its guests). It only moves through conditional UPDATEs
(`places_taken <= capacity - n`) and a check constraint keeps it within the capacity, so two
people taking the last place at the same moment get it once: the other one is put on the
waiting list. A cancellation gives its places back and promotes the waiting list in order, in
the same transaction.

Registering with an e-mail address only is a double opt-in, like signing a petition: a pending
row, an e-mail with a link whose page shows a button (link scanners open links, they do not
press buttons). Only the confirmation takes a place. Registering while signed in to an account
needs no e-mail confirmation: the account's address is already verified.
"""

import calendar
import datetime as dt
import secrets
import uuid as uuid_module

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from essaim.core.audit import apply_changes, audit_log
from essaim.core.emails import email_enqueue
from essaim.core.models import Association
from essaim.lib import ratelimit
from essaim.lib.ical import IcalEvent, ical_calendar
from essaim.lib.text import fold, has_forbidden_characters
from essaim.people import services as people_services
from essaim.people.models import Consent, Person

from .canonical import canonical_email
from .models import Event, EventSeries, Registration
from .services import clean_source, contact_person, form_limited, public_email_error

CONFIRM_SALT = "essaim.events.confirm"
PAGE_SALT = "essaim.events.registration"
CHECKIN_SALT = "essaim.events.checkin"
MAX_OCCURRENCES = 60
MAX_TEXT = 20_000
MAX_GUESTS = 20
MAILS_PER_ADDRESS = (3, 3600)  # e-mails about one event to one address, per hour

SCOPE_ONE = "one"
SCOPE_FOLLOWING = "following"


def confirm_days() -> int:
    return int(getattr(settings, "ESSAIM_EVENT_CONFIRM_DAYS", 7))


def rate_limits() -> dict[str, tuple[int, int]]:
    """(limit, seconds) per client address and per e-mail domain on the public form."""
    return {
        "ip": tuple(getattr(settings, "ESSAIM_EVENT_RATE_LIMIT_IP", (20, 3600))),
        "domain": tuple(getattr(settings, "ESSAIM_EVENT_RATE_LIMIT_DOMAIN", (60, 3600))),
    }


def register_limited(ip: str, email: str) -> str:
    """Counts one registration attempt; "ip" or "domain" when over a limit, else ""."""
    return form_limited("event.register", ip, email, rate_limits())


# --- Events -------------------------------------------------------------------------------


def _aware(value) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _clean_event(data: dict, *, places_taken: int = 0) -> dict:
    errors = {}
    title = " ".join(str(data.get("title") or "").split())
    description = str(data.get("description") or "").strip()
    cover_text = " ".join(str(data.get("cover_text") or "").split())
    place = " ".join(str(data.get("place") or "").split())
    online = bool(data.get("online"))
    online_url = str(data.get("online_url") or "").strip()
    starts_at = _aware(data.get("starts_at"))
    ends_at = _aware(data.get("ends_at"))
    deadline = _aware(data.get("registration_deadline"))
    visibility = data.get("visibility") or Event.Visibility.PUBLIC
    if not title or len(title) > 200 or has_forbidden_characters(title):
        errors["title"] = _("Give the event a title (at most 200 characters).")
    if len(description) > MAX_TEXT or has_forbidden_characters(description):
        errors["description"] = _("The description is limited to %(limit)d characters.") % {
            "limit": MAX_TEXT
        }
    if len(cover_text) > 300 or has_forbidden_characters(cover_text):
        errors["cover_text"] = _("The text for sharing is limited to 300 characters.")
    if starts_at is None:
        errors["starts_at"] = _("Give the day and time the event starts.")
    if ends_at is None:
        errors["ends_at"] = _("Give the day and time the event ends.")
    elif starts_at is not None and ends_at <= starts_at:
        errors["ends_at"] = _("The event must end after it starts.")
    if online:
        try:
            URLValidator(schemes=["https", "http"])(online_url)
        except ValidationError:
            errors["online_url"] = _(
                "Give the link to join the online event (it starts with https://)."
            )
    elif not place or len(place) > 300 or has_forbidden_characters(place):
        errors["place"] = _("Give the address of the event, or tick « online event ».")
    if len(place) > 300 or has_forbidden_characters(place):
        errors["place"] = _("The address is limited to 300 characters.")
    capacity = data.get("capacity")
    if capacity in ("", None):
        capacity = None
    else:
        try:
            capacity = int(capacity)
            if not 1 <= capacity <= 1_000_000:
                raise ValueError
        except (TypeError, ValueError):
            errors["capacity"] = _(
                "The number of places is at least 1 (leave it empty for no limit)."
            )
            capacity = None
        else:
            if capacity < places_taken:
                errors["capacity"] = _(
                    "%(taken)d places are already taken: the event cannot have fewer places. "
                    "Cancel registrations first."
                ) % {"taken": places_taken}
    try:
        max_guests = int(data.get("max_guests") or 0)
        if not 0 <= max_guests <= MAX_GUESTS:
            raise ValueError
    except (TypeError, ValueError):
        errors["max_guests"] = _("Guests per registration: a number from 0 to %(max)d.") % {
            "max": MAX_GUESTS
        }
        max_guests = 0
    try:
        reminder_hours = int(data.get("reminder_hours", 24) or 0)
        if not 0 <= reminder_hours <= 24 * 14:
            raise ValueError
    except (TypeError, ValueError):
        errors["reminder_hours"] = _(
            "The reminder is sent between 0 (no reminder) and 336 hours (two weeks) before."
        )
        reminder_hours = 24
    if deadline is not None and ends_at is not None and deadline > ends_at:
        errors["registration_deadline"] = _("Registrations must close before the event ends.")
    if visibility not in Event.Visibility.values:
        errors["visibility"] = _("Choose who can see the event.")
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "description": description,
        "cover_text": cover_text,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": place,
        "online": online,
        "online_url": online_url if online else "",
        "capacity": capacity,
        "max_guests": max_guests,
        "registration_deadline": deadline,
        "reminder_hours": reminder_hours,
        "visibility": visibility,
    }


def _unique_slug(association: Association, title: str, *, private: bool, suffix: str = "") -> str:
    base = slugify(fold(title))[:60] or "event"
    if suffix:
        base = f"{base}-{suffix}"
    if private:
        # Only with the link: an address nobody can guess from the title.
        base = f"{base}-{secrets.token_hex(4)}"
    slug, n = base, 1
    while Event.objects.filter(association=association, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def occurrences(starts_at: dt.datetime, frequency: str, until: dt.date) -> list[dt.datetime]:
    """The start of each occurrence (the first included), at the same local time of day
    (18:30 stays 18:30 across a change of summer time), until `until` included."""
    local = timezone.localtime(starts_at)
    day, clock = local.date(), local.time().replace(tzinfo=None)
    out = []
    index = 0
    while len(out) < MAX_OCCURRENCES:
        if frequency == EventSeries.Frequency.WEEKLY:
            current = day + dt.timedelta(weeks=index)
        else:
            current = _add_months(day, index)
        if current > until:
            break
        out.append(timezone.make_aware(dt.datetime.combine(current, clock)))
        index += 1
    return out


@transaction.atomic
def event_create(
    *, association: Association, acting_user, repeat: str = "", repeat_until=None, **fields
) -> Event:
    """A draft event; with `repeat` ("weekly"/"monthly") and `repeat_until`, a series of
    occurrences (each its own event and registrations). Returns the first one."""
    data = _clean_event(fields)
    starts = [data["starts_at"]]
    series = None
    if repeat:
        errors = {}
        if repeat not in EventSeries.Frequency.values:
            errors["repeat"] = _("Choose how often the event repeats.")
        if not isinstance(repeat_until, dt.date) or repeat_until < data["starts_at"].date():
            errors["repeat_until"] = _("Give the last day of the series (after the first one).")
        if errors:
            raise ValidationError(errors)
        starts = occurrences(data["starts_at"], repeat, repeat_until)
        if len(starts) >= MAX_OCCURRENCES and starts[-1].date() < repeat_until:
            raise ValidationError(
                {
                    "repeat_until": _("A series has at most %(max)d occurrences.")
                    % {"max": MAX_OCCURRENCES}
                }
            )
        series = EventSeries.objects.create(
            association=association, frequency=repeat, until=repeat_until
        )
    duration = data["ends_at"] - data["starts_at"]
    before_deadline = (
        data["starts_at"] - data["registration_deadline"] if data["registration_deadline"] else None
    )
    created_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    first = None
    for start in starts:
        values = {
            **data,
            "starts_at": start,
            "ends_at": start + duration,
            "registration_deadline": start - before_deadline if before_deadline else None,
        }
        event = Event.objects.create(
            association=association,
            slug=_unique_slug(
                association,
                data["title"],
                private=data["visibility"] == Event.Visibility.PRIVATE,
                suffix=timezone.localtime(start).strftime("%Y-%m-%d") if series else "",
            ),
            series=series,
            created_by=created_by,
            **values,
        )
        first = first or event
    audit_log(
        association=association,
        actor=acting_user,
        action="event.create",
        obj=first,
        data={"occurrences": len(starts)} if series else None,
    )
    return first


EDITABLE = (
    "title",
    "description",
    "cover_text",
    "place",
    "online",
    "online_url",
    "capacity",
    "max_guests",
    "reminder_hours",
    "visibility",
)


@transaction.atomic
def event_update(
    *, association: Association, acting_user, event: Event, scope: str = SCOPE_ONE, **fields
) -> Event:
    """Change an event; for an occurrence of a series, `scope="following"` applies the
    change to this occurrence and the following ones (their own days, the new time of day,
    duration and other fields)."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    data = _clean_event(fields, places_taken=event.places_taken)
    targets = [event]
    if scope == SCOPE_FOLLOWING and event.series_id:
        targets += list(
            Event.objects.select_for_update()
            .filter(series_id=event.series_id, starts_at__gt=event.starts_at)
            .exclude(status=Event.Status.CANCELLED)
            .order_by("starts_at")
        )
    new_local = timezone.localtime(data["starts_at"])
    duration = data["ends_at"] - data["starts_at"]
    before_deadline = (
        data["starts_at"] - data["registration_deadline"] if data["registration_deadline"] else None
    )
    changed_total = {}
    for target in targets:
        values = {name: data[name] for name in EDITABLE}
        if target.pk == event.pk:
            values.update(
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                registration_deadline=data["registration_deadline"],
            )
        else:
            day = timezone.localtime(target.starts_at).date()
            start = timezone.make_aware(
                dt.datetime.combine(day, new_local.time().replace(tzinfo=None))
            )
            values.update(
                starts_at=start,
                ends_at=start + duration,
                registration_deadline=start - before_deadline if before_deadline else None,
            )
            if values["capacity"] is not None and values["capacity"] < target.places_taken:
                raise ValidationError(
                    {
                        "capacity": _(
                            "The occurrence of %(day)s already has %(taken)d places taken."
                        )
                        % {"day": day.strftime("%d/%m/%Y"), "taken": target.places_taken}
                    }
                )
        changes = apply_changes(target, values)
        if "visibility" in changes and target.visibility == Event.Visibility.PRIVATE:
            target.slug = _unique_slug(association, target.title, private=True)
        if changes:
            target.sequence += 1
            target.save()
            changed_total.update(changes)
            if "capacity" in changes:
                _promote(target)
            if target.status == Event.Status.PUBLISHED and changes.keys() & NOTIFIED:
                _tell_change(target)
    if changed_total:
        audit_log(
            association=association,
            actor=acting_user,
            action="event.update",
            obj=event,
            changes=changed_total,
            data={"occurrences": len(targets)} if len(targets) > 1 else None,
        )
    return event


# A change of these tells the registrants by e-mail (the time, the place, the online link).
NOTIFIED = {"starts_at", "ends_at", "place", "online", "online_url"}


def _tell_change(event: Event) -> None:
    registrations = Registration.objects.filter(
        event=event, status__in=(Registration.Status.CONFIRMED, Registration.Status.WAITING)
    ).exclude(email="")
    for registration in registrations.iterator():
        registration.event = event
        registration.association = event.association
        _mail(registration, "event_changed")


@transaction.atomic
def event_set_status(*, association: Association, acting_user, event: Event, status: str) -> Event:
    """Publish a draft, or cancel an event (its registrants are told by e-mail)."""
    event = Event.objects.select_for_update().get(pk=event.pk, association=association)
    if status not in (Event.Status.PUBLISHED, Event.Status.CANCELLED):
        raise ValidationError(_("Unknown action."))
    if event.status == status:
        return event
    if event.status == Event.Status.CANCELLED:
        raise ValidationError(_("A cancelled event cannot be published again: create another."))
    if status == Event.Status.PUBLISHED and event.ends_at < timezone.now():
        raise ValidationError({"ends_at": _("The event is over: change its dates first.")})
    event.status = status
    told = 0
    if status == Event.Status.CANCELLED:
        event.cancelled_at = timezone.now()
        event.sequence += 1
        registrations = Registration.objects.filter(
            event=event, status__in=(Registration.Status.CONFIRMED, Registration.Status.WAITING)
        ).exclude(email="")
        for registration in registrations.iterator():
            _mail(registration, "event_cancelled", event=event)
            told += 1
    event.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="event.publish" if status == Event.Status.PUBLISHED else "event.cancel",
        obj=event,
        data={"told": told} if told else None,
    )
    return event


def event_is_open(event: Event, now: dt.datetime | None = None) -> bool:
    """Registrations are open: published, not started, before the deadline."""
    now = now or timezone.now()
    if event.status != Event.Status.PUBLISHED or now >= event.starts_at:
        return False
    return event.registration_deadline is None or now < event.registration_deadline


def closed_reason(event: Event, now: dt.datetime | None = None) -> str:
    """Why registrations are closed: "cancelled", "draft", "started", "deadline" or ""."""
    now = now or timezone.now()
    if event.status == Event.Status.CANCELLED:
        return "cancelled"
    if event.status == Event.Status.DRAFT:
        return "draft"
    if now >= event.starts_at:
        return "started"
    if event.registration_deadline is not None and now >= event.registration_deadline:
        return "deadline"
    return ""


def event_url(event: Event, source: str = "") -> str:
    url = settings.ESSAIM_BASE_URL + reverse(
        "mobilisation_public:event",
        kwargs={"slug": event.association.slug, "event_slug": event.slug},
    )
    return f"{url}?src={source}" if source else url


# --- Tokens -------------------------------------------------------------------------------


def confirm_token(registration: Registration) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign_object(str(registration.uuid))


def page_token(registration: Registration) -> str:
    return signing.Signer(salt=PAGE_SALT).sign_object(str(registration.uuid))


def checkin_token(registration: Registration) -> str:
    return signing.Signer(salt=CHECKIN_SALT).sign_object(str(registration.uuid))


def _from_token(token: str, salt: str, max_age=None) -> tuple[Registration | None, str]:
    try:
        if max_age is None:
            value = signing.Signer(salt=salt).unsign_object(token)
        else:
            value = signing.TimestampSigner(salt=salt).unsign_object(token, max_age=max_age)
        value = str(uuid_module.UUID(str(value)))
    except signing.SignatureExpired:
        return None, "expired"
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        return None, "invalid"
    with scopes_disabled():
        registration = (
            Registration.objects.select_related("event", "association").filter(uuid=value).first()
        )
    if registration is None or registration.erased_at is not None:
        return None, "invalid"
    registration.event.association = registration.association
    return registration, ""


def registration_from_confirm_token(token: str):
    return _from_token(token, CONFIRM_SALT, dt.timedelta(days=confirm_days()))


def registration_from_page_token(token: str):
    return _from_token(token, PAGE_SALT)


def registration_from_checkin_token(token: str):
    return _from_token(token, CHECKIN_SALT)


def _public(name: str, token: str) -> str:
    return settings.ESSAIM_BASE_URL + reverse(
        f"mobilisation_public:{name}", kwargs={"token": token}
    )


def confirm_url(registration: Registration) -> str:
    return _public("event_confirm", confirm_token(registration))


def page_url(registration: Registration) -> str:
    return _public("registration", page_token(registration))


def page_path(registration: Registration) -> str:
    """The registration page's path (for redirects: the same host as the request)."""
    return reverse("mobilisation_public:registration", kwargs={"token": page_token(registration)})


def qr_url(registration: Registration) -> str:
    return _public("registration_qr", page_token(registration))


def checkin_url(registration: Registration) -> str:
    """What the QR code holds: the team's check-in address (a team member's phone opens it)."""
    return settings.ESSAIM_BASE_URL + reverse(
        "mobilisation:event_checkin_qr",
        kwargs={
            "association_slug": registration.association.slug,
            "event_uuid": registration.event.uuid,
            "checkin_token": checkin_token(registration),
        },
    )


# --- Registering --------------------------------------------------------------------------


def _clean_registration(event: Event, data: dict) -> dict:
    errors = {}
    first = " ".join(str(data.get("first_name") or "").split())
    last = " ".join(str(data.get("last_name") or "").split())
    email = str(data.get("email") or "").strip()
    if not first or len(first) > 150 or has_forbidden_characters(first):
        errors["first_name"] = _("Give your first name.")
    if not last or len(last) > 150 or has_forbidden_characters(last):
        errors["last_name"] = _("Give your last name.")
    if error := public_email_error(email):
        errors["email"] = error
    try:
        guests = int(data.get("guests") or 0)
        if not 0 <= guests <= event.max_guests:
            raise ValueError
    except (TypeError, ValueError):
        errors["guests"] = (
            _("You may bring at most %(max)d guests.") % {"max": event.max_guests}
            if event.max_guests
            else _("This event takes no guests: each person registers.")
        )
        guests = 0
    if errors:
        raise ValidationError(errors)
    return {"first_name": first, "last_name": last, "email": email, "guests": guests}


def _closed_error(event: Event) -> ValidationError:
    reason = closed_reason(event)
    if reason == "cancelled":
        return ValidationError(_("This event is cancelled."))
    if reason == "deadline":
        return ValidationError(_("Registrations for this event are closed."))
    if reason == "started":
        return ValidationError(_("This event has started: registrations are closed."))
    return ValidationError(_("This event does not take registrations."))


def registration_create(
    *,
    association: Association,
    event: Event,
    user=None,
    source: str = "",
    news: bool = False,
    **fields,
) -> tuple[str, Registration | None]:
    """Register someone: returns (outcome, registration).

    With an e-mail address only (no `user`): "sent" (a confirmation e-mail is on its way),
    "resent" (already pending: a new link), "already" (already registered: an e-mail says
    so, with their registration page). The public page answers the same in every case, so
    nobody learns whether an address registered. The registration is None then.

    Signed in (`user`): the account's address is used, no confirmation needed: "confirmed",
    "waiting" or "already", with the registration.
    """
    if event.association_id != association.pk or not event_is_open(event):
        raise _closed_error(event)
    if user is not None:
        fields["email"] = user.email
    data = _clean_registration(event, fields)
    key = canonical_email(data["email"])
    source = clean_source(source)
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                association=association,
                event=event,
                email_canonical=key,
                news=bool(news),
                source=source,
                user=user,
                **data,
            )
            if user is None:
                _mail(registration, "event_confirm", confirm_url=confirm_url(registration))
    except IntegrityError:
        registration = None
    if registration is not None:
        if user is None:
            return "sent", None
        return registration_confirm(registration=registration), _reload(registration)
    existing = Registration.objects.filter(event=event, email_canonical=key).first()
    if existing is None:
        return "already", None
    if existing.status == Registration.Status.CANCELLED:
        # They cancelled and come back: a fresh registration, confirmed again.
        with transaction.atomic():
            reopened = Registration.objects.filter(
                pk=existing.pk, status=Registration.Status.CANCELLED
            ).update(
                status=Registration.Status.PENDING,
                cancelled_at=None,
                confirmed_at=None,
                waiting_since=None,
                news=bool(news),
                source=source,
                **data,
            )
            existing.refresh_from_db()
            if reopened and user is None:
                _mail(existing, "event_confirm", confirm_url=confirm_url(existing))
                return "sent", None
        if reopened:
            return registration_confirm(registration=existing), _reload(existing)
    if user is not None:
        if existing.status == Registration.Status.PENDING:
            return registration_confirm(registration=existing), _reload(existing)
        return "already", existing
    limit, period = MAILS_PER_ADDRESS
    if ratelimit.hit_identity(f"event.mail.{event.pk}", key, limit=limit, period=period):
        return ("resent" if existing.status == Registration.Status.PENDING else "already"), None
    with transaction.atomic():
        if existing.status == Registration.Status.PENDING:
            Registration.objects.filter(pk=existing.pk).update(
                email=data["email"], news=bool(news), guests=data["guests"]
            )
            existing.email = data["email"]
            _mail(existing, "event_confirm", confirm_url=confirm_url(existing))
            return "resent", None
        existing.email = data["email"]
        _mail(existing, "event_already")
    return "already", None


def _reload(registration: Registration) -> Registration:
    fresh = Registration.objects.select_related("event").get(pk=registration.pk)
    fresh.event.association = registration.association
    return fresh


def _take_places(event_id: int, places: int) -> bool:
    """One conditional UPDATE: True when the places were free and are now taken."""
    return bool(
        Event.objects.filter(pk=event_id)
        .filter(Q(capacity__isnull=True) | Q(places_taken__lte=F("capacity") - places))
        .update(places_taken=F("places_taken") + places)
    )


def _release_places(event_id: int, places: int) -> None:
    Event.objects.filter(pk=event_id).update(places_taken=F("places_taken") - places)


def registration_confirm(*, registration: Registration) -> str:
    """The registrant pressed the confirm button (or registered signed in): "confirmed"
    (a place is theirs), "waiting" (the event is full: on the waiting list), "already"
    (done before) or "cancelled"."""
    association = registration.association
    with transaction.atomic():
        current = (
            Registration.objects.select_for_update()
            .select_related("event")
            .filter(pk=registration.pk)
            .first()
        )
        if current is None or current.status == Registration.Status.CANCELLED:
            return "cancelled"
        if current.status != Registration.Status.PENDING:
            return "already"
        event = current.event
        event.association = association
        now = timezone.now()
        if event.status == Event.Status.CANCELLED:
            return "cancelled"
        if _take_places(event.pk, current.places):
            outcome, status = "confirmed", Registration.Status.CONFIRMED
        else:
            outcome, status = "waiting", Registration.Status.WAITING
        person = contact_person(
            association=association,
            first_name=current.first_name,
            last_name=current.last_name,
            email=current.email,
        )
        Registration.objects.filter(pk=current.pk).update(
            status=status,
            confirmed_at=now,
            waiting_since=now if status == Registration.Status.WAITING else None,
            person=person,
        )
        current.status, current.person = status, person
        if current.news:
            people_services.consent_record_from_form(
                association=association,
                person=person,
                topic=Consent.Topic.ASSOCIATION_NEWS,
                granted=True,
                note=_("Registered to the event « %(title)s » and agreed to receive news.")
                % {"title": event.title[:180]},
            )
        _mail(current, "event_registered" if outcome == "confirmed" else "event_waiting")
        audit_log(
            association=association,
            actor=current.user,
            action="event.register" if outcome == "confirmed" else "event.wait",
            obj=event,
            data={"registration": str(current.uuid), "places": current.places},
        )
        if current.source.startswith("act-"):
            from .actions import completion_from_registration

            completion_from_registration(registration=current)
    return outcome


def registration_cancel(*, registration: Registration, acting_user=None) -> str:
    """Cancel a registration ("cancelled" or "already"); its places go to the waiting list,
    in order, each promoted person told by e-mail."""
    association = registration.association
    with transaction.atomic():
        current = (
            Registration.objects.select_for_update()
            .select_related("event")
            .filter(pk=registration.pk)
            .first()
        )
        if current is None or current.status == Registration.Status.CANCELLED:
            return "already"
        had_places = current.status == Registration.Status.CONFIRMED
        Registration.objects.filter(pk=current.pk).update(
            status=Registration.Status.CANCELLED, cancelled_at=timezone.now()
        )
        event = current.event
        event.association = association
        if had_places:
            _release_places(event.pk, current.places)
            if event.status == Event.Status.PUBLISHED and event.starts_at > timezone.now():
                _promote(event)
        audit_log(
            association=association,
            actor=acting_user,
            action="event.unregister",
            obj=event,
            data={"registration": str(current.uuid), "by_team": acting_user is not None},
        )
    return "cancelled"


def _promote(event: Event) -> list[Registration]:
    """Give free places to the waiting list, first come first served (a group that does not
    fit lets a smaller one behind it through). Call inside a transaction."""
    promoted = []
    waiting = (
        Registration.objects.select_for_update()
        .filter(event_id=event.pk, status=Registration.Status.WAITING)
        .order_by("waiting_since", "id")
    )
    for registration in waiting:
        fresh = Event.objects.filter(pk=event.pk).values("capacity", "places_taken").get()
        if fresh["capacity"] is not None and fresh["places_taken"] >= fresh["capacity"]:
            break
        if not _take_places(event.pk, registration.places):
            continue
        Registration.objects.filter(pk=registration.pk).update(
            status=Registration.Status.CONFIRMED, promoted_at=timezone.now()
        )
        registration.status = Registration.Status.CONFIRMED
        registration.association = event.association
        registration.event = event
        _mail(registration, "event_promoted")
        audit_log(
            association=event.association,
            actor=None,
            action="event.promote",
            obj=event,
            data={"registration": str(registration.uuid)},
        )
        promoted.append(registration)
    return promoted


@transaction.atomic
def registration_check_in(
    *, association: Association, acting_user, registration: Registration, undo: bool = False
) -> Registration:
    """Mark a registrant present (or not any more). Only a registration with a place."""
    current = Registration.objects.select_for_update().get(
        pk=registration.pk, association=association
    )
    if current.status != Registration.Status.CONFIRMED:
        raise ValidationError(
            _("%(name)s has no place at this event (%(status)s).")
            % {"name": current.full_name, "status": current.get_status_display()}
        )
    if undo:
        if current.checked_in_at is None:
            return current
        current.checked_in_at, current.checked_in_by = None, None
    else:
        if current.checked_in_at is not None:
            return current  # checked in twice (two phones): once
        current.checked_in_at = timezone.now()
        current.checked_in_by = (
            acting_user if getattr(acting_user, "is_authenticated", False) else None
        )
    current.save(update_fields=["checked_in_at", "checked_in_by"])
    audit_log(
        association=association,
        actor=acting_user,
        action="event.check_in_undo" if undo else "event.check_in",
        obj=current.event,
        data={"registration": str(current.uuid)},
    )
    return current


def export_logged(*, association: Association, acting_user, event: Event, kind: str) -> None:
    audit_log(
        association=association,
        actor=acting_user,
        action="event.export",
        obj=event,
        data={"format": kind},
    )


# --- E-mails and reminders ----------------------------------------------------------------


def when_text(event: Event) -> str:
    """« samedi 5 décembre 2026, 18:30 – 20:00 » in the active language."""
    from django.utils.formats import date_format

    start = timezone.localtime(event.starts_at)
    end = timezone.localtime(event.ends_at)
    text = f"{date_format(start, 'l j F Y')}, {start:%H:%M}"
    if end.date() == start.date():
        return f"{text} – {end:%H:%M}"
    return f"{text} – {date_format(end, 'l j F Y')}, {end:%H:%M}"


def _mail(registration: Registration, template: str, **extra) -> None:
    if not registration.email:
        return
    event = registration.event
    reveal = registration.status == Registration.Status.CONFIRMED and event.online
    email_enqueue(
        to=registration.email,
        template=template,
        context={
            "event": event,
            "when": when_text(event),
            "first_name": registration.first_name,
            "registration": registration,
            "page_url": page_url(registration),
            "qr_url": qr_url(registration),
            "event_url": event_url(event),
            "online_url": event.online_url if reveal else "",
            "valid_days": confirm_days(),
            **extra,
        },
        association=registration.association,
    )


def reminders_send(now: dt.datetime | None = None) -> int:
    """E-mail the registrants of events starting within their reminder delay, once per
    event (claimed by one conditional UPDATE). Returns the number of e-mails queued."""
    now = now or timezone.now()
    sent = 0
    with scopes_disabled():
        due = (
            Event.objects.filter(
                status=Event.Status.PUBLISHED,
                reminded_at__isnull=True,
                reminder_hours__gt=0,
                starts_at__gt=now,
                starts_at__lte=now + dt.timedelta(hours=24 * 14),
            )
            .select_related("association")
            .order_by("starts_at")
        )
        for event in due:
            if event.starts_at - dt.timedelta(hours=event.reminder_hours) > now:
                continue
            with transaction.atomic():
                claimed = Event.objects.filter(pk=event.pk, reminded_at__isnull=True).update(
                    reminded_at=now
                )
                if not claimed:
                    continue
                registrations = Registration.objects.filter(
                    event=event, status=Registration.Status.CONFIRMED
                ).exclude(email="")
                for registration in registrations.iterator():
                    registration.event = event
                    registration.association = event.association
                    _mail(registration, "event_reminder")
                    sent += 1
    return sent


# --- Reads --------------------------------------------------------------------------------


def events_with_counts(association: Association):
    return Event.objects.filter(association=association).annotate(
        registered=Count("registrations", filter=Q(registrations__status="confirmed")),
        waiting=Count("registrations", filter=Q(registrations__status="waiting")),
    )


def search_registrations(event: Event, query: str = "", status: str = ""):
    rows = Registration.objects.filter(event=event, erased_at__isnull=True)
    if status in Registration.Status.values:
        rows = rows.filter(status=status)
    for word in fold(query or "").split()[:5]:
        rows = rows.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return rows.order_by("last_name", "first_name", "id")


def registration_counts(event: Event) -> dict:
    counts = Registration.objects.filter(event=event).aggregate(
        confirmed=Count("id", filter=Q(status="confirmed")),
        waiting=Count("id", filter=Q(status="waiting")),
        pending=Count("id", filter=Q(status="pending")),
        cancelled=Count("id", filter=Q(status="cancelled")),
        checked_in=Count("id", filter=Q(status="confirmed", checked_in_at__isnull=False)),
        guests=Sum("guests", filter=Q(status="confirmed"), default=0),
    )
    return counts


def registrant_persons(association: Association, event: Event | None = None):
    """Contacts registered to the association's events (or to `event`): with a place or on
    the waiting list, registration confirmed by e-mail. For audiences."""
    registrations = Registration.objects.filter(
        association=association,
        status__in=(Registration.Status.CONFIRMED, Registration.Status.WAITING),
        person__isnull=False,
    )
    if event is not None:
        registrations = registrations.filter(event=event)
    return Person.objects.filter(
        association=association,
        erased_at__isnull=True,
        pk__in=registrations.values("person_id"),
    )


def public_events(association: Association):
    """Upcoming public published events (not over yet), soonest first: the public page."""
    return (
        Event.objects.filter(
            association=association,
            status=Event.Status.PUBLISHED,
            visibility=Event.Visibility.PUBLIC,
            ends_at__gte=timezone.now(),
        )
        .select_related("association")
        .order_by("starts_at", "id")
    )


def _host() -> str:
    from urllib.parse import urlsplit

    return urlsplit(settings.ESSAIM_BASE_URL).hostname or "essaim"


def ical_event(event: Event) -> IcalEvent:
    """One event for a calendar: UID stable across edits, never the online link (a calendar
    feed is public); the registrant's own file carries it (see registration_ical)."""
    return IcalEvent(
        uid=f"event-{event.uuid}@{_host()}",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        summary=event.title,
        description=(event.cover_text or event.description)[:2000],
        location=_("Online") if event.online else event.place,
        url=event_url(event),
        status="CANCELLED" if event.status == Event.Status.CANCELLED else "CONFIRMED",
        sequence=event.sequence,
        last_modified=event.updated_at,
    )


def event_ical(events) -> bytes:
    """The events as one iCalendar file (bytes, for text/calendar)."""
    events = list(events)
    name = events[0].association.name if events else ""
    return ical_calendar([ical_event(e) for e in events], name=name)


def registration_ical(registration: Registration) -> bytes:
    event = registration.event
    item = ical_event(event)
    if event.online and registration.status == Registration.Status.CONFIRMED:
        from dataclasses import replace

        item = replace(
            item,
            location=event.online_url,
            description=f"{item.description}\n\n{event.online_url}".strip(),
        )
    return ical_calendar([item], name=event.association.name)
