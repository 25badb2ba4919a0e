"""API of governance: general meetings (with their agenda and live quorum), proxies and
check-in. Every endpoint needs the capability can_run_votes."""

import datetime as dt
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from essaim.governance import selectors, services
from essaim.governance.models import Assembly, Attendance, Proxy
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
