"""API of governance: general meetings (with their agenda and live quorum), proxies,
check-in, and votes (prepare, open, close and seal, publish, paper ballots, results, recount
export). Every endpoint needs the capability can_run_votes."""

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from essaim.governance import selectors, services, votes
from essaim.governance.models import AgendaItem, Assembly, Attendance, Proxy, Vote
from essaim.people.models import Person

from .auth import tenant
from .routers import ERRORS, Pagination

CAP = "can_run_votes"


class AgendaItemOut(Schema):
    uuid: UUID
    position: int
    title: str
    description: str
    is_resolution: bool


class QuorumOut(Schema):
    rule: str | None
    voters: int
    present: int
    represented: int
    required: int
    reached: bool
    weighted: bool


class AssemblyOut(Schema):
    uuid: UUID
    title: str
    kind: str
    # Plain strings: ninja names an enum's schema after its class ("Status", "Mode"), and
    # other apps' enums of the same name would collide in the OpenAPI components.
    mode: str = Field(..., description="on_site, online or hybrid")
    status: str = Field(..., description="draft, convened, open or closed")
    starts_at: dt.datetime
    place: str
    convocation_number: int
    convened_at: dt.datetime | None
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None


class AssemblyDetailOut(AssemblyOut):
    online_link: str
    items: list[AgendaItemOut]
    quorum: QuorumOut
    notice_deadline: dt.date
    notice_met: bool


class ProxyIn(Schema):
    giver: UUID
    holder: UUID


class ProxyOut(Schema):
    uuid: UUID
    giver: UUID
    holder: UUID
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_giver(obj) -> UUID:
        return obj.giver.uuid

    @staticmethod
    def resolve_holder(obj) -> UUID:
        return obj.holder.uuid


class CheckInIn(Schema):
    person: UUID


class CheckInOut(Schema):
    person: UUID
    checked_in_at: dt.datetime
    method: str = Field(..., description="team, qr, self or api")
    quorum: QuorumOut


assembly_router = Router(tags=["general meetings"])


def _assembly(request, assembly_uuid: UUID) -> Assembly:
    return get_object_or_404(Assembly, association=request.association, uuid=assembly_uuid)


def _quorum(assembly: Assembly) -> dict:
    quorum = selectors.quorum_of(assembly)
    return quorum.status.as_dict() | {"weighted": quorum.weighted}


@assembly_router.get("", response={200: list[AssemblyOut], **ERRORS})
@tenant(CAP)
@paginate(Pagination)
def assembly_list(request):
    """General meetings, newest first."""
    return selectors.assemblies_of(request.association)


@assembly_router.get("/{assembly_uuid}", response={200: AssemblyDetailOut, **ERRORS})
@tenant(CAP)
def assembly_detail(request, assembly_uuid: UUID):
    assembly = _assembly(request, assembly_uuid)
    data = AssemblyOut.from_orm(assembly).dict()
    return data | {
        "online_link": assembly.online_link,
        "items": list(assembly.items.all()),
        "quorum": _quorum(assembly),
        "notice_deadline": selectors.notice_deadline(assembly),
        "notice_met": selectors.notice_met(assembly),
    }


@assembly_router.get("/{assembly_uuid}/proxies", response={200: list[ProxyOut], **ERRORS})
@tenant(CAP)
def proxy_list(request, assembly_uuid: UUID):
    """The proxies in force (not revoked)."""
    assembly = _assembly(request, assembly_uuid)
    return list(selectors.live_proxies(assembly).select_related("giver", "holder"))


@assembly_router.post("/{assembly_uuid}/proxies", response={201: ProxyOut, **ERRORS})
@tenant(CAP)
def proxy_create(request, assembly_uuid: UUID, payload: ProxyIn):
    """Record a proxy: `giver` asks `holder` to vote for them (cap and rules of the statutes
    apply; 422 with the reason otherwise)."""
    association = request.association
    assembly = _assembly(request, assembly_uuid)
    giver = get_object_or_404(Person, association=association, uuid=payload.giver)
    holder = get_object_or_404(Person, association=association, uuid=payload.holder)
    proxy = services.proxy_give(
        association=association,
        acting_user=request.auth.created_by,
        assembly=assembly,
        giver=giver,
        holder=holder,
    )
    return Status(201, proxy)


@assembly_router.post(
    "/{assembly_uuid}/proxies/{proxy_uuid}/revoke", response={200: ProxyOut, **ERRORS}
)
@tenant(CAP)
def proxy_revoke(request, assembly_uuid: UUID, proxy_uuid: UUID):
    assembly = _assembly(request, assembly_uuid)
    proxy = get_object_or_404(
        Proxy.objects.select_related("giver", "holder"),
        association=request.association,
        assembly=assembly,
        uuid=proxy_uuid,
    )
    return services.proxy_revoke(
        association=request.association, acting_user=request.auth.created_by, proxy=proxy
    )


@assembly_router.post("/{assembly_uuid}/check-ins", response={201: CheckInOut, **ERRORS})
@tenant(CAP)
def check_in(request, assembly_uuid: UUID, payload: CheckInIn):
    """Mark a member with voting rights present; checking in twice returns the first."""
    association = request.association
    assembly = _assembly(request, assembly_uuid)
    person = get_object_or_404(Person, association=association, uuid=payload.person)
    attendance = services.attendance_check_in(
        association=association,
        acting_user=request.auth.created_by,
        assembly=assembly,
        person=person,
        method=Attendance.Method.API,
    )
    return Status(
        201,
        {
            "person": person.uuid,
            "checked_in_at": attendance.checked_in_at,
            "method": attendance.method,
            "quorum": _quorum(assembly),
        },
    )


# --- Votes --------------------------------------------------------------------------------
# Team-side: API tokens belong to the association, not to a member, so ballots cast through
# the API are the paper ballots the tellers enter (members vote in their space).


class VoteOptionOut(Schema):
    key: str
    label: str


class VoteIn(Schema):
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=5000)
    method: str = Field("yes_no", description="yes_no, single, approval, ranked, judgment or score")
    assembly: UUID | None = Field(None, description="the general meeting holding the vote")
    agenda_item: UUID | None = Field(None, description="a resolution of the meeting's agenda")
    options: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=30
    )
    secret: bool = True
    weighted: bool | None = Field(None, description="default: the statutes rules")
    majority: str | None = Field(
        None, description="simple, absolute, two_thirds or custom; default: the statutes rules"
    )
    majority_custom: str = Field("", max_length=20)
    max_score: int = Field(5, ge=1, le=100)
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None


class VoteOut(Schema):
    uuid: UUID
    title: str
    description: str
    method: str = Field(..., description="yes_no, single, approval, ranked, judgment or score")
    status: str = Field(..., description="draft, open, closed or published")
    secret: bool
    weighted: bool
    majority: str
    majority_custom: str
    max_score: int
    grades: list[str]
    assembly: UUID | None
    agenda_item: UUID | None
    options: list[VoteOptionOut]
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    published_at: dt.datetime | None
    ballot_count: int
    final_hash: str

    @staticmethod
    def resolve_assembly(obj) -> UUID | None:
        return obj.assembly.uuid if obj.assembly_id else None

    @staticmethod
    def resolve_agenda_item(obj) -> UUID | None:
        return obj.agenda_item.uuid if obj.agenda_item_id else None

    @staticmethod
    def resolve_options(obj) -> list:
        return list(obj.options.all())


class ParticipationOut(Schema):
    electorate: int
    electorate_weight: int
    voted: int
    voted_weight: int
    online: int
    paper: int
    by_proxy: int


class PaperRollIn(Schema):
    voter: UUID
    represented: UUID | None = Field(None, description="the member whose proxy the voter holds")
    choice: Any = Field(None, description="public votes only: the choice, as in the export")


class PaperEntry(Schema):
    choice: Any = Field(None, description="as in the recount export; null is a blank ballot")
    count: int = Field(1, ge=0, le=100000)


class PaperBallotsIn(Schema):
    entries: list[PaperEntry] = Field(..., min_length=1, max_length=1000)


class PaperBallotsOut(Schema):
    added: int
    participation: ParticipationOut


class VerificationOut(Schema):
    ok: bool
    ballots: int
    final_hash: str
    problems: list[dict]


vote_router = Router(tags=["votes"])


def _vote(request, vote_uuid: UUID) -> Vote:
    return get_object_or_404(
        Vote.objects.select_related("assembly", "agenda_item"),
        association=request.association,
        uuid=vote_uuid,
    )


def _out(vote: Vote) -> Vote:
    """The vote with what VoteOut reads loaded now, inside the association's scope (the
    response is serialised after it)."""
    vote = (
        Vote.objects.select_related("assembly", "agenda_item")
        .prefetch_related("options")
        .get(pk=vote.pk)
    )
    list(vote.options.all())
    return vote


def _participation(vote: Vote) -> dict:
    p = votes.participation(vote)
    return {
        "electorate": p["electorate"]["heads"],
        "electorate_weight": p["electorate"]["weight"],
        "voted": p["voted"],
        "voted_weight": p["voted_weight"],
        "online": p["online"],
        "paper": p["paper"],
        "by_proxy": p["by_proxy"],
    }


@vote_router.post("", response={201: VoteOut, **ERRORS})
@tenant(CAP)
def vote_create(request, payload: VoteIn):
    """Prepare a vote: of a general meeting (`assembly`, on its `agenda_item` when given; the
    majority defaults to the statutes rules for this kind of meeting) or, without
    `assembly`, an online vote of the members (statutes allowing remote voting)."""
    association = request.association
    assembly = item = None
    if payload.assembly:
        assembly = _assembly(request, payload.assembly)
    if payload.agenda_item:
        item = get_object_or_404(
            AgendaItem,
            association=association,
            uuid=payload.agenda_item,
            **({"assembly": assembly} if assembly else {}),
        )
    data = payload.dict(exclude={"agenda_item", "assembly"})
    vote = votes.vote_create(
        association=association,
        acting_user=request.auth.created_by,
        assembly=None if item else assembly,
        agenda_item=item,
        **data,
    )
    return Status(201, _out(vote))


@vote_router.get("", response={200: list[VoteOut], **ERRORS})
@tenant(CAP)
@paginate(Pagination)
def vote_list(request, assembly: UUID | None = None):
    """The votes of the association (meetings, boards, online), newest first; `assembly`
    keeps those of one general meeting."""
    found = None
    if assembly:
        found = _assembly(request, assembly)
    return votes.votes_of(request.association, found).prefetch_related("options")


@vote_router.get("/{vote_uuid}", response={200: VoteOut, **ERRORS})
@tenant(CAP)
def vote_detail(request, vote_uuid: UUID):
    return _out(_vote(request, vote_uuid))


@vote_router.post("/{vote_uuid}/open", response={200: VoteOut, **ERRORS})
@tenant(CAP)
def vote_open(request, vote_uuid: UUID):
    return _out(
        votes.vote_open(
            association=request.association,
            acting_user=request.auth.created_by,
            vote=_vote(request, vote_uuid),
        )
    )


@vote_router.post("/{vote_uuid}/close", response={200: VoteOut, **ERRORS})
@tenant(CAP)
def vote_close(request, vote_uuid: UUID):
    """Close and seal the box: ballots shuffled, hash-chained, counted."""
    return _out(
        votes.vote_close(
            association=request.association,
            acting_user=request.auth.created_by,
            vote=_vote(request, vote_uuid),
        )
    )


@vote_router.post("/{vote_uuid}/publish", response={200: VoteOut, **ERRORS})
@tenant(CAP)
def vote_publish(request, vote_uuid: UUID):
    """Publish the result and the final hash (422 if the box no longer matches its seal)."""
    return _out(
        votes.vote_publish(
            association=request.association,
            acting_user=request.auth.created_by,
            vote=_vote(request, vote_uuid),
        )
    )


@vote_router.get("/{vote_uuid}/participation", response={200: ParticipationOut, **ERRORS})
@tenant(CAP)
def vote_participation(request, vote_uuid: UUID):
    """Counts only: never a partial result."""
    return _participation(_vote(request, vote_uuid))


@vote_router.get("/{vote_uuid}/result", response={200: dict, **ERRORS})
@tenant(CAP)
def vote_result(request, vote_uuid: UUID):
    """The result as essaim.governance.votes.vote_result gives it (`counts` is null until the
    vote is closed)."""
    return votes.vote_result(_vote(request, vote_uuid))


@vote_router.post("/{vote_uuid}/verify", response={200: VerificationOut, **ERRORS})
@tenant(CAP)
def vote_verify(request, vote_uuid: UUID):
    """Verify the sealed box against its hash chain (logged)."""
    check = votes.vote_verify(
        association=request.association,
        acting_user=request.auth.created_by,
        vote=_vote(request, vote_uuid),
    )
    return check.as_dict()


@vote_router.get("/{vote_uuid}/export", response={200: dict, **ERRORS})
@tenant(CAP)
def vote_export(request, vote_uuid: UUID):
    """The recount export (python -m essaim.governance.recount export.json); 422 before
    closing."""
    return votes.recount_export(_vote(request, vote_uuid))


@vote_router.post("/{vote_uuid}/paper-roll", response={201: ParticipationOut, **ERRORS})
@tenant(CAP)
def vote_paper_roll(request, vote_uuid: UUID, payload: PaperRollIn):
    """A teller marks a paper voter on the roll (with the choice for a public vote)."""
    association = request.association
    vote = _vote(request, vote_uuid)
    voter = get_object_or_404(Person, association=association, uuid=payload.voter)
    represented = (
        get_object_or_404(Person, association=association, uuid=payload.represented)
        if payload.represented
        else voter
    )
    votes.vote_paper_record(
        association=association,
        acting_user=request.auth.created_by,
        vote=vote,
        voter=voter,
        represented=represented,
        choice=payload.choice,
    )
    return Status(201, _participation(vote))


@vote_router.post("/{vote_uuid}/paper-ballots", response={201: PaperBallotsOut, **ERRORS})
@tenant(CAP)
def vote_paper_ballots(request, vote_uuid: UUID, payload: PaperBallotsIn):
    """Tellers add the paper ballots of a secret vote: each entry a choice and how many
    ballots carry it. Never more than the paper voters marked on the roll."""
    vote = _vote(request, vote_uuid)
    added = votes.vote_paper_ballots_add(
        association=request.association,
        acting_user=request.auth.created_by,
        vote=vote,
        entries=[(entry.choice, entry.count) for entry in payload.entries],
    )
    return Status(201, {"added": added, "participation": _participation(vote)})
