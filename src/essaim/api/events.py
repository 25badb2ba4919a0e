"""API of events: list, detail, create (team), register, registrations, check-in.

Registering through the API follows the public form's rules (for the association's own
website or app): the same validation, disposable domains refused, the same double opt-in
(the person confirms from the e-mail; the place is taken then), the same answer whether or
not the address had registered before. The rate limit per client address applies to the
address the website gives (`ip`), the domain limit as on the form. The online link is never
in these answers: registrants get it by e-mail.
"""

import datetime as dt
from typing import Literal
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from essaim.mobilisation import events
from essaim.mobilisation.models import Event, Registration

from .auth import tenant
from .routers import ERRORS, NO_NUL, Pagination

CAPABILITY = "can_send_mailings"
EventStatus = Literal["draft", "published", "cancelled"]
RegistrationStatus = Literal["pending", "confirmed", "waiting", "cancelled"]


class EventOut(Schema):
    uuid: UUID
    slug: str
    title: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    online: bool
    capacity: int | None
    places_taken: int
    max_guests: int
    registration_deadline: dt.datetime | None
    visibility: Literal["public", "private"]
    status: EventStatus
    open_for_registration: bool
    url: str


class EventIn(Schema):
    title: str = Field(..., max_length=200, pattern=NO_NUL)
    description: str = Field("", max_length=20_000, pattern=NO_NUL)
    cover_text: str = Field("", max_length=300, pattern=NO_NUL)
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str = Field("", max_length=300, pattern=NO_NUL)
    online: bool = False
    online_url: str = Field("", max_length=500, pattern=NO_NUL)
    capacity: int | None = Field(None, ge=1, le=1_000_000)
    max_guests: int = Field(0, ge=0, le=20)
    registration_deadline: dt.datetime | None = None
    reminder_hours: int = Field(24, ge=0, le=336)
    visibility: Literal["public", "private"] = "public"
    publish: bool = False


class RegisterIn(Schema):
    first_name: str = Field(..., max_length=150, pattern=NO_NUL)
    last_name: str = Field(..., max_length=150, pattern=NO_NUL)
    email: str = Field(..., max_length=254, pattern=NO_NUL)
    guests: int = Field(0, ge=0, le=20)
    news: bool = False
    source: str = Field("api", max_length=40, pattern=NO_NUL)
    ip: str = Field("", max_length=45, pattern=NO_NUL, description="the registrant's address")


class RegisterOut(Schema):
    detail: str


class RegistrationOut(Schema):
    uuid: UUID
    first_name: str
    last_name: str
    email: str
    guests: int
    status: RegistrationStatus
    source: str
    created_at: dt.datetime
    checked_in_at: dt.datetime | None


class CheckInIn(Schema):
    undo: bool = False


event_router = Router(tags=["events"])


def _out(event: Event) -> dict:
    return {
        "uuid": event.uuid,
        "slug": event.slug,
        "title": event.title,
        "description": event.description,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "place": event.place,
        "online": event.online,
        "capacity": event.capacity,
        "places_taken": event.places_taken,
        "max_guests": event.max_guests,
        "registration_deadline": event.registration_deadline,
        "visibility": event.visibility,
        "status": event.status,
        "open_for_registration": events.event_is_open(event),
        "url": events.event_url(event),
    }


def _event(request, event_uuid: UUID) -> Event:
    return get_object_or_404(
        Event.objects.select_related("association"),
        association=request.association,
        uuid=event_uuid,
    )


@event_router.get("", response={200: list[EventOut], **ERRORS})
@tenant(CAPABILITY)
@paginate(Pagination)
def event_list(request, upcoming: bool = True):
    """The association's events, soonest first (`upcoming=false`: all, latest first)."""
    from django.utils import timezone

    rows = Event.objects.filter(association=request.association).select_related("association")
    if upcoming:
        rows = rows.filter(ends_at__gte=timezone.now()).order_by("starts_at", "id")
    else:
        rows = rows.order_by("-starts_at", "-id")
    return [_out(e) for e in rows]


@event_router.get("/{event_uuid}", response={200: EventOut, **ERRORS})
@tenant(CAPABILITY)
def event_detail(request, event_uuid: UUID):
    return _out(_event(request, event_uuid))


@event_router.post("", response={201: EventOut, **ERRORS})
@tenant(CAPABILITY)
def event_create(request, payload: EventIn):
    """A draft event (published at once with `publish`)."""
    data = payload.dict()
    publish = data.pop("publish")
    event = events.event_create(
        association=request.association, acting_user=request.auth.created_by, **data
    )
    if publish:
        event = events.event_set_status(
            association=request.association,
            acting_user=request.auth.created_by,
            event=event,
            status=Event.Status.PUBLISHED,
        )
    event.association = request.association
    return Status(201, _out(event))


@event_router.post("/{event_uuid}/registrations", response={202: RegisterOut, **ERRORS})
@tenant(CAPABILITY)
def event_register(request, event_uuid: UUID, payload: RegisterIn):
    """Register someone: a confirmation e-mail goes to the address; the place is taken (or
    the waiting list joined) once confirmed. 202 in every case (new, pending or already
    registered): nobody learns whether an address registered."""
    event = _event(request, event_uuid)
    ip = payload.ip or f"api:{request.auth.pk}"
    if events.register_limited(ip, payload.email):
        raise HttpError(429, "Too many registrations from this address or e-mail domain.")
    data = payload.dict()
    data.pop("ip")
    events.registration_create(
        association=request.association,
        event=event,
        source=data.pop("source"),
        news=data.pop("news"),
        **data,
    )
    return Status(202, {"detail": "A confirmation e-mail was sent."})


@event_router.get("/{event_uuid}/registrations", response={200: list[RegistrationOut], **ERRORS})
@tenant(CAPABILITY)
@paginate(Pagination)
def registration_list(request, event_uuid: UUID, status: RegistrationStatus | None = None):
    """The event's registrations (e-mail addresses only with `can_view_members`)."""
    event = _event(request, event_uuid)
    rows = Registration.objects.filter(event=event, erased_at__isnull=True).order_by(
        "created_at", "id"
    )
    if status:
        rows = rows.filter(status=status)
    with_emails = "can_view_members" in request.auth.effective_capabilities
    return [
        {
            "uuid": r.uuid,
            "first_name": r.first_name,
            "last_name": r.last_name,
            "email": r.email if with_emails else "",
            "guests": r.guests,
            "status": r.status,
            "source": r.source,
            "created_at": r.created_at,
            "checked_in_at": r.checked_in_at,
        }
        for r in rows
    ]


@event_router.post(
    "/{event_uuid}/registrations/{registration_uuid}/check-in",
    response={200: RegistrationOut, **ERRORS},
)
@tenant(CAPABILITY)
def registration_check_in(request, event_uuid: UUID, registration_uuid: UUID, payload: CheckInIn):
    """Mark a registrant present (`undo`: not any more). 422 without a place."""
    event = _event(request, event_uuid)
    registration = get_object_or_404(Registration, event=event, uuid=registration_uuid)
    registration = events.registration_check_in(
        association=request.association,
        acting_user=request.auth.created_by,
        registration=registration,
        undo=payload.undo,
    )
    with_emails = "can_view_members" in request.auth.effective_capabilities
    return {
        "uuid": registration.uuid,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "email": registration.email if with_emails else "",
        "guests": registration.guests,
        "status": registration.status,
        "source": registration.source,
        "created_at": registration.created_at,
        "checked_in_at": registration.checked_in_at,
    }
