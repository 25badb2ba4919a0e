"""API endpoints: thin wrappers over the same services and selectors as the web pages."""

from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from essaim.people import selectors as people_selectors
from essaim.people import services as people_services
from essaim.people.models import Consent, Person

from .auth import tenant
from .schemas import (
    AssociationOut,
    ConsentIn,
    ConsentOut,
    Error,
    PersonIn,
    PersonOut,
    PersonPatch,
)

ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error, 429: Error}


class Pagination(PageNumberPagination):
    """Page numbers with bounds: ?page=10**18 is a 422, not a database overflow."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=200)

    def __init__(self, **kwargs):
        super().__init__(page_size=50, max_page_size=200, **kwargs)


association_router = Router(tags=["association"])


@association_router.get("", response={200: AssociationOut, **ERRORS})
@tenant("can_view_members")
def association_detail(request):
    """The association the token belongs to."""
    return request.association


person_router = Router(tags=["persons"])


# PostgreSQL refuses NUL in a query parameter ("A string literal cannot contain NUL"): a 422
# here, not a 500 from the database driver.
NO_NUL = r"^[^\x00]*$"


class PersonFilters(Schema):
    q: str = Field(
        "", max_length=200, pattern=NO_NUL, description="Words to find (accents ignored)"
    )
    tag: str = Field("", max_length=60, pattern=NO_NUL)
    order: str = Field("name", pattern="^(name|-name|recent|city)$")


@person_router.get("", response={200: list[PersonOut], **ERRORS})
@tenant("can_view_members")
@paginate(Pagination)
def person_list(request, filters: Query[PersonFilters]):
    """Contacts of the association, 50 a page; `q` searches names, e-mail, phone and town."""
    qs = people_selectors.person_search(
        association=request.association, query=filters.q, tag=filters.tag, order=filters.order
    )
    return qs.prefetch_related("tags")


@person_router.post("", response={201: PersonOut, **ERRORS})
@tenant("can_manage_members")
def person_create(request, payload: PersonIn):
    data = payload.dict()
    tags = data.pop("tags")
    person = people_services.person_create(
        association=request.association,
        acting_user=request.auth.created_by,
        tags=tags,
        source=Person.Source.API,
        **data,
    )
    # Reloaded with its tags prefetched: the response is serialised after this function
    # returns, outside the tenant scope, where `person.tags.all()` would raise ScopeError.
    return Status(201, _get_person(request, person.uuid))


def _get_person(request, person_uuid: UUID) -> Person:
    return get_object_or_404(
        Person.objects.prefetch_related("tags"),
        association=request.association,
        uuid=person_uuid,
    )


@person_router.get("/{person_uuid}", response={200: PersonOut, **ERRORS})
@tenant("can_view_members")
def person_detail(request, person_uuid: UUID):
    return _get_person(request, person_uuid)


@person_router.patch("/{person_uuid}", response={200: PersonOut, **ERRORS})
@tenant("can_manage_members")
def person_update(request, person_uuid: UUID, payload: PersonPatch):
    person = _get_person(request, person_uuid)
    data = payload.dict(exclude_unset=True)
    tags = data.pop("tags", None)
    person = people_services.person_update(
        association=request.association,
        acting_user=request.auth.created_by,
        person=person,
        tags=tags,
        **{k: ("" if v is None and k != "birth_date" else v) for k, v in data.items()},
    )
    return _get_person(request, person.uuid)


@person_router.delete("/{person_uuid}", response={204: None, **ERRORS})
@tenant("can_manage_members")
def person_erase(request, person_uuid: UUID):
    """Erase the contact: personal data anonymised, legally required records kept."""
    person = _get_person(request, person_uuid)
    people_services.person_erase(
        association=request.association,
        acting_user=request.auth.created_by,
        person=person,
        reason="api",
    )
    return Status(204, None)


@person_router.get("/{person_uuid}/consents", response={200: list[ConsentOut], **ERRORS})
@tenant("can_view_members")
def consent_list(request, person_uuid: UUID):
    person = _get_person(request, person_uuid)
    return list(Consent.objects.filter(person=person)[:500])


@person_router.post("/{person_uuid}/consents", response={201: ConsentOut, **ERRORS})
@tenant("can_manage_members")
def consent_create(request, person_uuid: UUID, payload: ConsentIn):
    person = _get_person(request, person_uuid)
    consent = people_services.consent_record(
        association=request.association,
        acting_user=request.auth.created_by,
        person=person,
        topic=payload.topic.value,
        granted=payload.granted,
        source=payload.source.value,
        note=payload.note,
    )
    return Status(201, consent)
