"""API of audiences: the criteria available, list (with live counts), create, count, and the
persons of an audience (paginated).

Audiences hold criteria and a number (capability `can_send_mailings`); the persons endpoint
hands out names and e-mail addresses, so it also needs `can_view_members`. A definition is
the JSON of `communication.audiences` (version, include, exclude); an unknown criterion or a
parameter of the wrong type is a 422 naming it.
"""

from typing import Any
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import AuthorizationError
from ninja.pagination import paginate

from essaim.communication import audiences
from essaim.communication.models import Audience
from essaim.people import segments

from .auth import tenant
from .routers import ERRORS, NO_NUL, Pagination

CAPABILITY = "can_send_mailings"


class ParamOut(Schema):
    name: str
    label: str
    kind: str
    required: bool
    choices: list[list[str]]


class CriterionOut(Schema):
    key: str
    label: str
    group: str
    params: list[ParamOut]


class AudienceIn(Schema):
    name: str = Field(..., min_length=1, max_length=120, pattern=NO_NUL)
    description: str = Field("", max_length=255, pattern=NO_NUL)
    definition: dict[str, Any] = Field(
        ...,
        description='{"version": 1, "include": [{"criterion": key, "params": {…}}], '
        '"exclude": […]}',
    )


class AudienceOut(Schema):
    uuid: UUID
    name: str
    description: str
    definition: dict[str, Any]
    count: int
    problems: list[str]


class CountOut(Schema):
    uuid: UUID
    count: int
    problems: list[str]


class AudiencePersonOut(Schema):
    uuid: UUID
    first_name: str
    last_name: str
    email: str


audience_router = Router(tags=["audiences"])


def _out(audience: Audience) -> dict:
    return {
        "uuid": audience.uuid,
        "name": audience.name,
        "description": audience.description,
        "definition": audience.definition,
        "count": audiences.audience_count(audience),
        "problems": audiences.definition_problems(audience),
    }


def _audience(request, audience_uuid: UUID) -> Audience:
    audience = get_object_or_404(Audience, association=request.association, uuid=audience_uuid)
    audience.association = request.association
    return audience


@audience_router.get("/criteria", response={200: list[CriterionOut], **ERRORS})
@tenant(CAPABILITY)
def criterion_list(request):
    """The criteria an audience can use, with their parameters (and this association's
    choices: its tags, membership types, campaigns, missions, petitions, events)."""
    return [
        {
            "key": c.key,
            "label": str(c.label),
            "group": str(c.group),
            "params": [
                {
                    "name": p.name,
                    "label": str(p.label),
                    "kind": p.kind,
                    "required": p.required,
                    "choices": [[v, lbl] for v, lbl in p.choices_for(request.association)],
                }
                for p in c.params
            ],
        }
        for c in segments.all_criteria()
    ]


@audience_router.get("", response={200: list[AudienceOut], **ERRORS})
@tenant(CAPABILITY)
def audience_list(request):
    """The association's audiences (200 at most), each counted live."""
    rows = list(audiences.audiences_of(request.association)[:200])
    for audience in rows:
        audience.association = request.association
    return [_out(a) for a in rows]


@audience_router.post("", response={201: AudienceOut, **ERRORS})
@tenant(CAPABILITY)
def audience_create(request, payload: AudienceIn):
    """Create an audience; the definition is validated (unknown criterion, wrong parameter:
    422 naming it)."""
    audience = audiences.audience_create(
        association=request.association,
        acting_user=request.auth.created_by,
        name=payload.name,
        description=payload.description,
        definition=payload.definition,
    )
    return Status(201, _out(audience))


@audience_router.get("/{audience_uuid}", response={200: AudienceOut, **ERRORS})
@tenant(CAPABILITY)
def audience_detail(request, audience_uuid: UUID):
    return _out(_audience(request, audience_uuid))


@audience_router.get("/{audience_uuid}/count", response={200: CountOut, **ERRORS})
@tenant(CAPABILITY)
def audience_count(request, audience_uuid: UUID):
    """How many contacts the audience holds now; `problems` names criteria that no longer
    work (a deleted tag: they match nobody)."""
    audience = _audience(request, audience_uuid)
    return {
        "uuid": audience.uuid,
        "count": audiences.audience_count(audience),
        "problems": audiences.definition_problems(audience),
    }


@audience_router.get("/{audience_uuid}/persons", response={200: list[AudiencePersonOut], **ERRORS})
@tenant(CAPABILITY)
@paginate(Pagination)
def audience_persons(request, audience_uuid: UUID):
    """The contacts of the audience, 50 a page, in name order (needs `can_view_members`)."""
    if "can_view_members" not in request.auth.effective_capabilities:
        raise AuthorizationError(
            message="This token does not have the capability can_view_members."
        )
    audience = _audience(request, audience_uuid)
    return audiences.audience_persons(audience).only("uuid", "first_name", "last_name", "email")
