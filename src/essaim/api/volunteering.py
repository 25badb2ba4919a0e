"""API of volunteering: the token creator's own volunteer profile, the association's missions
and the applications to them (`can_manage_volunteers`), and the public catalogue search (any
token) with each mission's match score for the token's creator.

Shifts and hours: a mission's shifts (/missions/{uuid}/shifts, /volunteer-shifts/{uuid}) and
the association's hours (/volunteer-hours) for `can_manage_volunteers`; the token creator as a
volunteer signs up, cancels and declares hours (/my-volunteer-shifts, /my-volunteer-hours),
like /volunteer-profile.
"""

import datetime as dt
from uuid import UUID

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from essaim.volunteering import hours as hours_services
from essaim.volunteering import matching, services
from essaim.volunteering import shifts as shift_services
from essaim.volunteering.models import (
    Application,
    HoursEntry,
    Mission,
    Shift,
    ShiftSignup,
)

from .auth import tenant
from .routers import ERRORS, NO_NUL, Pagination

VOLUNTEERS = "can_manage_volunteers"
CODE = r"^[a-z0-9-]{1,60}$"

# --- Schemas -----------------------------------------------------------------------


class ProfileOut(Schema):
    skills: list[str]
    causes: list[str]
    availability: int
    postcode: str
    commune: str
    radius_km: int
    remote_ok: bool
    languages: list[str]
    about: str


class ProfileIn(Schema):
    skills: list[str] = Field([], max_length=60)
    causes: list[str] = Field([], max_length=20)
    availability: int = Field(0, ge=0, le=(1 << 21) - 1, description="21 bits: day × 3 + part")
    postcode: str = Field("", max_length=10, pattern=NO_NUL)
    radius_km: int = Field(10, ge=0, le=200)
    remote_ok: bool = False
    languages: list[str] = Field([], max_length=20)
    about: str = Field("", max_length=2000, pattern=NO_NUL)


class MissionOut(Schema):
    uuid: UUID
    association: str
    title: str
    description: str
    cause: str
    skills: list[str]
    remote: bool
    address: str
    postcode: str
    commune: str
    kind: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    time_commitment: str
    availability: int
    places: int
    places_taken: int
    min_age: int | None
    documents: str
    questions: list[str]
    contact_name: str
    status: str

    @staticmethod
    def resolve_association(obj) -> str:
        return obj.association.name


class MissionIn(Schema):
    title: str = Field(..., max_length=150, pattern=NO_NUL)
    description: str = Field(..., max_length=10_000, pattern=NO_NUL)
    cause: str = Field(..., max_length=20, pattern=NO_NUL)
    skills: list[str] = Field([], max_length=40)
    remote: bool = False
    address: str = Field("", max_length=200, pattern=NO_NUL)
    postcode: str = Field("", max_length=10, pattern=NO_NUL)
    kind: str = Field("one_off", pattern=r"^(one_off|recurring)$")
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    time_commitment: str = Field("", max_length=150, pattern=NO_NUL)
    availability: int = Field(0, ge=0, le=(1 << 21) - 1)
    places: int = Field(1, ge=1, le=10_000)
    min_age: int | None = Field(None, ge=0, le=99)
    documents: str = Field("", max_length=300, pattern=NO_NUL)
    questions: list[str] = Field([], max_length=10)
    contact_name: str = Field("", max_length=150, pattern=NO_NUL)
    contact_email: str = Field("", max_length=254, pattern=NO_NUL)


class CatalogueFilters(Schema):
    q: str = Field("", max_length=200, pattern=NO_NUL, description="Words (accents ignored)")
    cause: str = Field("", max_length=20, pattern=NO_NUL)
    skill: str = Field("", max_length=60, pattern=r"^[a-z0-9-]{0,60}$")
    date: dt.date | None = None
    remote: bool = False
    postcode: str = Field("", max_length=10, pattern=NO_NUL)
    distance_km: int | None = Field(None, ge=1, le=200)
    sort: str = Field("score", pattern=r"^(score|distance|recent)$")


class CatalogueRow(Schema):
    mission: MissionOut
    score: float
    distance_km: float | None


class ApplicationOut(Schema):
    uuid: UUID
    mission: UUID
    mission_title: str
    status: str
    name: str
    email: str
    answers: list[dict]
    motivation: str
    shared_profile: dict
    source: str
    created_at: dt.datetime
    answered_at: dt.datetime | None

    @staticmethod
    def resolve_mission(obj) -> UUID:
        return obj.mission.uuid

    @staticmethod
    def resolve_mission_title(obj) -> str:
        return obj.mission.title


class ApplicationFilters(Schema):
    status: str = Field("", pattern=r"^(submitted|in_review|accepted|refused|withdrawn|waiting)?$")
    mission: UUID | None = None


# --- Own profile ---------------------------------------------------------------------

profile_router = Router(tags=["volunteering"])


def _profile_out(profile) -> dict:
    if profile is None:
        return ProfileOut(
            skills=[],
            causes=[],
            availability=0,
            postcode="",
            commune="",
            radius_km=10,
            remote_ok=False,
            languages=[],
            about="",
        )
    return profile


@profile_router.get("", response={200: ProfileOut, **ERRORS})
def profile_detail(request):
    """The volunteer profile of the token's creator (empty when not filled in)."""
    return _profile_out(services.profile_of(request.auth.created_by))


@profile_router.put("", response={200: ProfileOut, **ERRORS})
def profile_update(request, payload: ProfileIn):
    return services.profile_update(user=request.auth.created_by, **payload.dict())


# --- Missions of the association ---------------------------------------------------

mission_router = Router(tags=["volunteering"])


def _mission(request, mission_uuid: UUID) -> Mission:
    return get_object_or_404(
        Mission.objects.select_related("association"),
        association=request.association,
        uuid=mission_uuid,
    )


@mission_router.get("", response={200: list[MissionOut], **ERRORS})
@tenant(VOLUNTEERS)
@paginate(Pagination)
def mission_list(request):
    return (
        Mission.objects.filter(association=request.association)
        .select_related("association")
        .order_by("-created_at", "-id")
    )


@mission_router.post("", response={201: MissionOut, **ERRORS})
@tenant(VOLUNTEERS)
def mission_create(request, payload: MissionIn):
    mission = services.mission_create(
        association=request.association, acting_user=request.auth.created_by, **payload.dict()
    )
    return Status(201, mission)


@mission_router.get("/{mission_uuid}", response={200: MissionOut, **ERRORS})
@tenant(VOLUNTEERS)
def mission_detail(request, mission_uuid: UUID):
    return _mission(request, mission_uuid)


@mission_router.post("/{mission_uuid}/publish", response={200: MissionOut, **ERRORS})
@tenant(VOLUNTEERS)
def mission_publish(request, mission_uuid: UUID):
    return services.mission_set_status(
        association=request.association,
        acting_user=request.auth.created_by,
        mission=_mission(request, mission_uuid),
        action="publish",
    )


@mission_router.post("/{mission_uuid}/close", response={200: MissionOut, **ERRORS})
@tenant(VOLUNTEERS)
def mission_close(request, mission_uuid: UUID):
    return services.mission_set_status(
        association=request.association,
        acting_user=request.auth.created_by,
        mission=_mission(request, mission_uuid),
        action="close",
    )


# --- Catalogue (every association) -----------------------------------------------------

catalogue_router = Router(tags=["volunteering"])


@catalogue_router.get("", response={200: list[CatalogueRow], **ERRORS})
@paginate(Pagination)
def catalogue_search(request, filters: Query[CatalogueFilters]):
    """Published missions of every association, scored for the token's creator."""
    seeker = matching.Seeker.from_profile(services.profile_of(request.auth.created_by))
    rows = matching.search(
        matching.Filters(
            query=filters.q,
            cause=filters.cause,
            skills=(filters.skill,) if filters.skill else (),
            on_date=filters.date,
            remote=filters.remote,
            postcode=filters.postcode,
            distance_km=filters.distance_km,
            sort=filters.sort,
        ),
        seeker,
    )
    return _LazyRows(rows)


class _LazyRows:
    """The scored rows, with their missions read only for the page the paginator slices."""

    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, key):
        return matching.hydrate(self.rows[key])


# --- Applications --------------------------------------------------------------------

application_router = Router(tags=["volunteering"])


def _application(request, application_uuid: UUID) -> Application:
    return get_object_or_404(
        Application.objects.select_related("mission"),
        association=request.association,
        uuid=application_uuid,
    )


@application_router.get("", response={200: list[ApplicationOut], **ERRORS})
@tenant(VOLUNTEERS)
@paginate(Pagination)
def application_list(request, filters: Query[ApplicationFilters]):
    applications = Application.objects.filter(association=request.association).select_related(
        "mission"
    )
    if filters.status:
        applications = applications.filter(status=filters.status)
    if filters.mission:
        applications = applications.filter(mission__uuid=filters.mission)
    return applications.order_by("created_at", "id")


@application_router.get("/{application_uuid}", response={200: ApplicationOut, **ERRORS})
@tenant(VOLUNTEERS)
def application_detail(request, application_uuid: UUID):
    return _application(request, application_uuid)


def _decide(request, application_uuid: UUID, action: str):
    application = services.application_decide(
        association=request.association,
        acting_user=request.auth.created_by,
        application=_application(request, application_uuid),
        action=action,
    )
    with scope(association=request.association):
        return Application.objects.select_related("mission").get(pk=application.pk)


@application_router.post("/{application_uuid}/review", response={200: ApplicationOut, **ERRORS})
@tenant(VOLUNTEERS)
def application_review(request, application_uuid: UUID):
    return _decide(request, application_uuid, "review")


@application_router.post("/{application_uuid}/accept", response={200: ApplicationOut, **ERRORS})
@tenant(VOLUNTEERS)
def application_accept(request, application_uuid: UUID):
    return _decide(request, application_uuid, "accept")


@application_router.post("/{application_uuid}/refuse", response={200: ApplicationOut, **ERRORS})
@tenant(VOLUNTEERS)
def application_refuse(request, application_uuid: UUID):
    return _decide(request, application_uuid, "refuse")


# --- Shifts and hours ----------------------------------------------------------------------


class ShiftOut(Schema):
    uuid: UUID
    mission: UUID
    mission_title: str
    association: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    taken: int
    places_left: int
    qualifications: list[str]
    signup_deadline: dt.datetime
    location: str
    notes: str
    cancelled: bool

    @staticmethod
    def resolve_mission(obj) -> UUID:
        return obj.mission.uuid

    @staticmethod
    def resolve_mission_title(obj) -> str:
        return obj.mission.title

    @staticmethod
    def resolve_association(obj) -> str:
        return obj.association.name

    @staticmethod
    def resolve_signup_deadline(obj) -> dt.datetime:
        return obj.deadline

    @staticmethod
    def resolve_cancelled(obj) -> bool:
        return obj.cancelled_at is not None


class ShiftIn(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int = Field(1, ge=1, le=1000)
    qualifications: list[str] = Field([], max_length=40)
    signup_deadline: dt.datetime | None = None
    location: str = Field("", max_length=200, pattern=NO_NUL)
    notes: str = Field("", max_length=2000, pattern=NO_NUL)
    repeat_until: dt.date | None = Field(
        None, description="Repeat every week until this date (inclusive); 53 shifts at most."
    )


class ShiftCancelIn(Schema):
    reason: str = Field("", max_length=1000, pattern=NO_NUL)


class ShiftFilters(Schema):
    when: str = Field("upcoming", pattern=r"^(upcoming|past|all)$")


class SignupOut(Schema):
    uuid: UUID
    shift: UUID
    name: str
    status: str
    added_by_team: bool
    created_at: dt.datetime
    cancelled_at: dt.datetime | None

    @staticmethod
    def resolve_shift(obj) -> UUID:
        return obj.shift.uuid

    @staticmethod
    def resolve_added_by_team(obj) -> bool:
        return obj.added_by_id is not None


class MySignupOut(SignupOut):
    shift_detail: ShiftOut

    @staticmethod
    def resolve_shift_detail(obj):
        return obj.shift


class HoursOut(Schema):
    uuid: UUID
    name: str
    mission: UUID | None
    mission_title: str
    association: str
    worked_on: dt.date
    minutes: int
    activity: str
    source: str
    status: str
    refusal_reason: str
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_mission(obj) -> UUID | None:
        return obj.mission.uuid if obj.mission else None

    @staticmethod
    def resolve_mission_title(obj) -> str:
        return obj.mission.title if obj.mission else ""

    @staticmethod
    def resolve_association(obj) -> str:
        return obj.association.name


class HoursFilters(Schema):
    status: str = Field("", pattern=r"^(declared|approved|refused)?$")
    mission: UUID | None = None
    start: dt.date | None = Field(None, description="First day (worked_on ≥)")
    end: dt.date | None = Field(None, description="Last day (worked_on ≤)")
    q: str = Field("", max_length=100, pattern=NO_NUL, description="Words of the name")


class HoursDeclareIn(Schema):
    mission: UUID
    worked_on: dt.date
    minutes: int = Field(..., ge=1, le=24 * 60)
    activity: str = Field("", max_length=200, pattern=NO_NUL)


class HoursRefuseIn(Schema):
    reason: str = Field("", max_length=1000, pattern=NO_NUL)


class HoursBulkIn(Schema):
    entries: list[UUID] = Field(..., min_length=1, max_length=500)
    action: str = Field(..., pattern=r"^(approve|refuse)$")
    reason: str = Field("", max_length=1000, pattern=NO_NUL)


class BulkOut(Schema):
    changed: int


def _shifts_of(association):
    return Shift.objects.filter(association=association).select_related("mission", "association")


@mission_router.get("/{mission_uuid}/shifts", response={200: list[ShiftOut], **ERRORS})
@tenant(VOLUNTEERS)
@paginate(Pagination)
def mission_shift_list(request, mission_uuid: UUID, filters: Query[ShiftFilters]):
    """The shifts of a mission, upcoming (default), past or all."""
    mission = _mission(request, mission_uuid)
    rows = _shifts_of(request.association).filter(mission=mission)
    now = timezone.now()
    if filters.when == "upcoming":
        rows = rows.filter(ends_at__gte=now).order_by("starts_at", "id")
    elif filters.when == "past":
        rows = rows.filter(ends_at__lt=now).order_by("-starts_at", "-id")
    else:
        rows = rows.order_by("starts_at", "id")
    return rows


@mission_router.post("/{mission_uuid}/shifts", response={201: ShiftOut, **ERRORS})
@tenant(VOLUNTEERS)
def mission_shift_create(request, mission_uuid: UUID, payload: ShiftIn):
    """One shift, or a weekly series with `repeat_until` (returns the first)."""
    shift = shift_services.shift_create(
        association=request.association,
        acting_user=request.auth.created_by,
        mission=_mission(request, mission_uuid),
        **payload.dict(),
    )
    return Status(201, _shifts_of(request.association).get(pk=shift.pk))


shift_router = Router(tags=["volunteering"])


def _shift(request, shift_uuid: UUID) -> Shift:
    return get_object_or_404(_shifts_of(request.association), uuid=shift_uuid)


@shift_router.get("/{shift_uuid}", response={200: ShiftOut, **ERRORS})
@tenant(VOLUNTEERS)
def shift_detail(request, shift_uuid: UUID):
    return _shift(request, shift_uuid)


@shift_router.post("/{shift_uuid}/cancel", response={200: ShiftOut, **ERRORS})
@tenant(VOLUNTEERS)
def shift_cancel(request, shift_uuid: UUID, payload: ShiftCancelIn):
    """Cancel the shift; the volunteers signed up are told by e-mail."""
    shift_services.shift_cancel(
        association=request.association,
        acting_user=request.auth.created_by,
        shift=_shift(request, shift_uuid),
        reason=payload.reason,
    )
    return _shift(request, shift_uuid)


@shift_router.get("/{shift_uuid}/signups", response={200: list[SignupOut], **ERRORS})
@tenant(VOLUNTEERS)
@paginate(Pagination)
def shift_signups(request, shift_uuid: UUID):
    shift = _shift(request, shift_uuid)
    return ShiftSignup.objects.filter(shift=shift).select_related("shift").order_by("created_at")


# The token creator as a volunteer (like /volunteer-profile): their shifts, sign up, cancel.

my_shift_router = Router(tags=["volunteering"])


@my_shift_router.get("", response={200: list[MySignupOut], **ERRORS})
@paginate(Pagination)
def my_signups(request):
    """The token creator's sign-ups to shifts to come (every association)."""
    with scopes_disabled():
        return list(
            ShiftSignup.objects.filter(
                user=request.auth.created_by,
                status=ShiftSignup.Status.SIGNED_UP,
                shift__ends_at__gte=timezone.now(),
            )
            .select_related("shift__mission", "shift__association")
            .order_by("shift__starts_at", "id")[:500]
        )


@my_shift_router.get("/open", response={200: list[ShiftOut], **ERRORS})
@paginate(Pagination)
def my_open_shifts(request):
    """Shifts the token creator can sign up for (missions where their application is
    accepted, not started, sign-ups open)."""
    from essaim.volunteering.shift_views import open_shifts_for

    return open_shifts_for(request.auth.created_by, limit=500)


@my_shift_router.post("/{shift_uuid}/sign-up", response={201: MySignupOut, **ERRORS})
def my_signup(request, shift_uuid: UUID):
    user = request.auth.created_by
    with scopes_disabled():
        shift = Shift.objects.select_related("association", "mission").filter(uuid=shift_uuid)
        shift = shift.first()
    if shift is None or not shift_services.accepted_on(shift.mission, user):
        raise Http404
    with scope(association=shift.association):
        signup = shift_services.signup_create(shift=shift, user=user)
    with scopes_disabled():
        signup = ShiftSignup.objects.select_related("shift__mission", "shift__association").get(
            pk=signup.pk
        )
    return Status(201, signup)


@my_shift_router.post("/signups/{signup_uuid}/cancel", response={200: MySignupOut, **ERRORS})
def my_signup_cancel(request, signup_uuid: UUID):
    with scopes_disabled():
        signup = (
            ShiftSignup.objects.select_related("shift__mission", "shift__association")
            .filter(uuid=signup_uuid, user=request.auth.created_by)
            .first()
        )
    if signup is None:
        raise Http404
    with scope(association=signup.shift.association):
        shift_services.signup_cancel(signup=signup, acting_user=request.auth.created_by)
    signup.refresh_from_db()
    return signup


# Hours: the association's (coordinator) and the token creator's own.

hours_router = Router(tags=["volunteering"])


@hours_router.get("", response={200: list[HoursOut], **ERRORS})
@tenant(VOLUNTEERS)
@paginate(Pagination)
def hours_list(request, filters: Query[HoursFilters]):
    rows = HoursEntry.objects.filter(association=request.association).select_related(
        "mission", "association"
    )
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.mission:
        rows = rows.filter(mission__uuid=filters.mission)
    if filters.start:
        rows = rows.filter(worked_on__gte=filters.start)
    if filters.end:
        rows = rows.filter(worked_on__lte=filters.end)
    for word in filters.q.split()[:5]:
        rows = rows.filter(Q(name__icontains=word))
    return rows.order_by("-worked_on", "-id")


def _entry(request, entry_uuid: UUID) -> HoursEntry:
    return get_object_or_404(
        HoursEntry.objects.select_related("mission", "association"),
        association=request.association,
        uuid=entry_uuid,
    )


@hours_router.post("/decide", response={200: BulkOut, **ERRORS})
@tenant(VOLUNTEERS)
def hours_bulk(request, payload: HoursBulkIn):
    """Approve or refuse many declared entries; the others are left alone."""
    changed = hours_services.hours_decide_bulk(
        association=request.association,
        acting_user=request.auth.created_by,
        entry_uuids=payload.entries,
        action=payload.action,
        reason=payload.reason,
    )
    return {"changed": changed}


@hours_router.post("/{entry_uuid}/approve", response={200: HoursOut, **ERRORS})
@tenant(VOLUNTEERS)
def hours_approve(request, entry_uuid: UUID):
    hours_services.hours_decide(
        association=request.association,
        acting_user=request.auth.created_by,
        entry=_entry(request, entry_uuid),
        action="approve",
    )
    return _entry(request, entry_uuid)


@hours_router.post("/{entry_uuid}/refuse", response={200: HoursOut, **ERRORS})
@tenant(VOLUNTEERS)
def hours_refuse(request, entry_uuid: UUID, payload: HoursRefuseIn):
    hours_services.hours_decide(
        association=request.association,
        acting_user=request.auth.created_by,
        entry=_entry(request, entry_uuid),
        action="refuse",
        reason=payload.reason,
    )
    return _entry(request, entry_uuid)


my_hours_router = Router(tags=["volunteering"])


@my_hours_router.get("", response={200: list[HoursOut], **ERRORS})
@paginate(Pagination)
def my_hours_list(request):
    """The token creator's own hours (every association)."""
    with scopes_disabled():
        return list(
            HoursEntry.objects.filter(user=request.auth.created_by)
            .select_related("mission", "association")
            .order_by("-worked_on", "-id")[:1000]
        )


@my_hours_router.post("", response={201: HoursOut, **ERRORS})
def my_hours_declare(request, payload: HoursDeclareIn):
    """Declare hours on a mission where the token creator's application is accepted."""
    with scopes_disabled():
        mission = Mission.objects.select_related("association").filter(uuid=payload.mission)
        mission = mission.first()
    if mission is None:
        raise Http404
    with scope(association=mission.association):
        entry = hours_services.hours_declare(
            association=mission.association,
            user=request.auth.created_by,
            mission=mission,
            worked_on=payload.worked_on,
            minutes=payload.minutes,
            activity=payload.activity,
        )
    with scopes_disabled():
        return Status(
            201, HoursEntry.objects.select_related("mission", "association").get(pk=entry.pk)
        )
