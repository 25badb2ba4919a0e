"""API of consultations and asynchronous decisions: the team reads them (proposals with their
supports, answers counted, participation) and opens or closes them. Members take part from
their space, not through the API. Every endpoint needs the capability can_run_votes."""

import datetime as dt
from typing import Literal
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from essaim.governance import consultations, decisions
from essaim.governance.models import Body, Consultation, Decision

from .auth import tenant
from .routers import ERRORS, Pagination

CAP = "can_run_votes"


def _body_uuid(obj) -> UUID | None:
    body = getattr(obj, "body", None)
    return body if body is None or isinstance(body, UUID) else body.uuid


class ConsultationIn(Schema):
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=10_000)
    theme: str = Field("", max_length=100)
    body: UUID | None = Field(None, description="A body's uuid; none: all voting members")
    support_threshold: int | None = Field(None, ge=1, le=1_000_000)
    support_share: str = Field("", max_length=20, description="For example 10 % or 1/10")
    ends_on: dt.date | None = None


class ConsultationOut(Schema):
    uuid: UUID
    title: str
    theme: str
    description: str
    phase: str = Field(..., description="proposals, support or closed")
    body: UUID | None
    support_threshold: int | None
    support_share: str
    ends_on: dt.date | None
    created_at: dt.datetime

    @staticmethod
    def resolve_body(obj) -> UUID | None:
        return _body_uuid(obj)


class PhaseIn(Schema):
    phase: Literal["support", "closed"]


class ProposalOut(Schema):
    uuid: UUID
    title: str
    text: str
    author: UUID
    status: str = Field(..., description="published, retained or hidden")
    support_count: int
    retained_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_author(obj) -> UUID:
        return obj.author.uuid


class DecisionIn(Schema):
    title: str = Field(..., max_length=200)
    text: str = Field(..., max_length=10_000)
    deadline: dt.datetime
    process: Literal["consent", "single", "approval"] = "consent"
    options: list[str] = Field(default_factory=list, max_length=20)
    body: UUID | None = None
    secret: bool = False


class DecisionOut(Schema):
    uuid: UUID
    title: str
    text: str
    process: str = Field(..., description="consent, single or approval")
    options: list[str]
    secret: bool
    deadline: dt.datetime
    status: str = Field(..., description="open or closed")
    outcome: str
    closed_at: dt.datetime | None
    body: UUID | None

    @staticmethod
    def resolve_body(obj) -> UUID | None:
        return _body_uuid(obj)


class ParticipationOut(Schema):
    asked: int
    answered: int


class DecisionDetailOut(DecisionOut):
    counts: dict
    participation: ParticipationOut


class OutcomeIn(Schema):
    outcome: str = Field("", max_length=10_000)


def _body(request, body_uuid: UUID | None) -> Body | None:
    if body_uuid is None:
        return None
    return get_object_or_404(Body, association=request.association, uuid=body_uuid)


# --- Consultations ------------------------------------------------------------------------

consultation_router = Router(tags=["consultations"])


def _consultation(request, consultation_uuid: UUID) -> Consultation:
    return get_object_or_404(
        Consultation.objects.select_related("body"),
        association=request.association,
        uuid=consultation_uuid,
    )


@consultation_router.get("", response={200: list[ConsultationOut], **ERRORS})
@tenant(CAP)
@paginate(Pagination)
def consultation_list(request):
    """Consultations, newest first."""
    return Consultation.objects.filter(association=request.association).select_related("body")


@consultation_router.post("", response={201: ConsultationOut, **ERRORS})
@tenant(CAP)
def consultation_create(request, payload: ConsultationIn):
    data = payload.dict()
    data["body"] = _body(request, data.get("body"))
    consultation = consultations.consultation_create(
        association=request.association, acting_user=request.auth.created_by, **data
    )
    return Status(201, consultation)


@consultation_router.get("/{consultation_uuid}", response={200: ConsultationOut, **ERRORS})
@tenant(CAP)
def consultation_detail(request, consultation_uuid: UUID):
    return _consultation(request, consultation_uuid)


@consultation_router.post("/{consultation_uuid}/phase", response={200: ConsultationOut, **ERRORS})
@tenant(CAP)
def consultation_phase(request, consultation_uuid: UUID, payload: PhaseIn):
    """Move the consultation forward: proposals → support → closed (never back)."""
    consultation = _consultation(request, consultation_uuid)
    return consultations.consultation_set_phase(
        association=request.association,
        acting_user=request.auth.created_by,
        consultation=consultation,
        phase=payload.phase,
    )


@consultation_router.get(
    "/{consultation_uuid}/proposals", response={200: list[ProposalOut], **ERRORS}
)
@tenant(CAP)
@paginate(Pagination)
def proposal_list(
    request,
    consultation_uuid: UUID,
    q: str = "",
    sort: Literal["support", "new"] = "support",
):
    """The proposals, hidden ones included (status "hidden"), most supported or newest first;
    `q` searches their title and text."""
    consultation = _consultation(request, consultation_uuid)
    return consultations.proposals_of(consultation, query=q[:100], sort=sort, with_hidden=True)


# --- Decisions ----------------------------------------------------------------------------

decision_router = Router(tags=["decisions"])


def _decision(request, decision_uuid: UUID) -> Decision:
    return get_object_or_404(
        Decision.objects.select_related("body"),
        association=request.association,
        uuid=decision_uuid,
    )


def _detail(decision: Decision) -> dict:
    participation = decisions.participation(decision)
    return DecisionOut.from_orm(decision).dict() | {
        "counts": decisions.outcome_counts(decision),
        "participation": {"asked": participation["asked"], "answered": participation["answered"]},
    }


@decision_router.get("", response={200: list[DecisionOut], **ERRORS})
@tenant(CAP)
@paginate(Pagination)
def decision_list(request):
    """Decisions, newest first."""
    return Decision.objects.filter(association=request.association).select_related("body")


@decision_router.post("", response={201: DecisionDetailOut, **ERRORS})
@tenant(CAP)
def decision_create(request, payload: DecisionIn):
    data = payload.dict()
    data["body"] = _body(request, data.get("body"))
    decision = decisions.decision_create(
        association=request.association, acting_user=request.auth.created_by, **data
    )
    return Status(201, _detail(decision))


@decision_router.get("/{decision_uuid}", response={200: DecisionDetailOut, **ERRORS})
@tenant(CAP)
def decision_detail(request, decision_uuid: UUID):
    """The decision with its counts (consent positions, or the poll's tallies) and how many
    of the members asked answered (never who answered what)."""
    return _detail(_decision(request, decision_uuid))


@decision_router.post("/{decision_uuid}/close", response={200: DecisionDetailOut, **ERRORS})
@tenant(CAP)
def decision_close(request, decision_uuid: UUID, payload: OutcomeIn):
    decision = decisions.decision_close(
        association=request.association,
        acting_user=request.auth.created_by,
        decision=_decision(request, decision_uuid),
        outcome=payload.outcome,
    )
    return _detail(decision)
