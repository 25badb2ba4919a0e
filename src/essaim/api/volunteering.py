"""API of volunteering: the token creator's own volunteer profile, the association's missions
and the applications to them (`can_manage_volunteers`), and the public catalogue search (any
token) with each mission's match score for the token's creator.
"""

import datetime as dt
from uuid import UUID

from django.shortcuts import get_object_or_404
from django_scopes import scope
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from essaim.volunteering import matching, services
from essaim.volunteering.models import Application, Mission

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
