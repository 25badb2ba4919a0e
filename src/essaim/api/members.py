"""API of members and dues: membership types, memberships, payments of dues, renewals.

Responses are serialised after the endpoint returns, outside the tenant scope: every object
returned here is loaded with what its schema reads (related rows, the status annotation).
"""

import datetime as dt
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from essaim.members import selectors, services
from essaim.members.models import DuesPayment, Membership, MembershipType
from essaim.people.models import Person

from .auth import tenant
from .routers import ERRORS, NO_NUL, Pagination

# --- Schemas ------------------------------------------------------------------------------

PriceKind = MembershipType.PriceKind
PeriodKind = MembershipType.PeriodKind


class MembershipTypeOut(Schema):
    uuid: UUID
    name: str
    description: str
    price_kind: PriceKind
    amount_cents: int
    min_amount_cents: int
    reduced_amount_cents: int | None
    reduced_label: str
    period_kind: PeriodKind
    season_start_month: int
    prorata: bool
    is_household: bool
    max_household_size: int
    voting_rights: bool
    voting_weight: int
    online: bool
    is_active: bool


class MembershipTypeIn(Schema):
    name: str = Field(..., max_length=100)
    description: str = Field("", max_length=5000)
    price_kind: PriceKind = PriceKind.FIXED
    amount_cents: int = Field(0, ge=0, le=10_000_000)
    min_amount_cents: int = Field(0, ge=0, le=10_000_000)
    reduced_amount_cents: int | None = Field(None, ge=0, le=10_000_000)
    reduced_label: str = Field("", max_length=200)
    period_kind: PeriodKind = PeriodKind.CALENDAR_YEAR
    season_start_month: int = Field(9, ge=1, le=12)
    prorata: bool = False
    is_household: bool = False
    max_household_size: int = Field(6, ge=2, le=20)
    voting_rights: bool = True
    voting_weight: int = Field(1, ge=0, le=100)
    online: bool = True
    is_active: bool = True


class MembershipTypePatch(Schema):
    name: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=5000)
    amount_cents: int | None = Field(None, ge=0, le=10_000_000)
    min_amount_cents: int | None = Field(None, ge=0, le=10_000_000)
    reduced_amount_cents: int | None = Field(None, ge=0, le=10_000_000)
    reduced_label: str | None = Field(None, max_length=200)
    voting_rights: bool | None = None
    voting_weight: int | None = Field(None, ge=0, le=100)
    online: bool | None = None
    is_active: bool | None = None


class MemberPersonOut(Schema):
    uuid: UUID
    first_name: str
    last_name: str
    email: str


class MembershipOut(Schema):
    uuid: UUID
    person: MemberPersonOut
    membership_type: UUID
    membership_type_name: str
    period_start: dt.date
    period_end: dt.date | None
    status: Membership.Status
    rate: Membership.Rate
    amount_due_cents: int
    paid_on: dt.date | None
    household: str | None
    source: Membership.Source
    created_at: dt.datetime

    @staticmethod
    def resolve_membership_type(obj) -> UUID:
        return obj.membership_type.uuid

    @staticmethod
    def resolve_membership_type_name(obj) -> str:
        return obj.membership_type.name

    @staticmethod
    def resolve_status(obj) -> str:
        return obj.computed_status

    @staticmethod
    def resolve_household(obj) -> str | None:
        return obj.household.name if obj.household_id else None


class MembershipIn(Schema):
    person: UUID
    membership_type: UUID
    start_on: dt.date | None = Field(None, description="Default: today")
    rate: Membership.Rate = Membership.Rate.NORMAL
    chosen_amount_cents: int | None = Field(None, ge=0, le=10_000_000)
    reduced_proof: str = Field("", max_length=255)


class PaymentIn(Schema):
    method: DuesPayment.Method
    paid_on: dt.date | None = Field(None, description="Default: today")
    amount_cents: int | None = Field(
        None, ge=0, le=10_000_000, description="Default: the dues still owed"
    )
    reference: str = Field("", max_length=100)


class PaymentOut(Schema):
    uuid: UUID
    amount_cents: int
    method: DuesPayment.Method
    paid_on: dt.date
    reference: str


class MembershipFilters(Schema):
    q: str = Field("", max_length=200, pattern=NO_NUL)
    status: Membership.Status | None = None
    membership_type: UUID | None = None
    period: str = Field(
        "current", pattern=r"^(current|all|\d{4})$", description="current, all or a year"
    )
    unpaid: bool = False


class ResignIn(Schema):
    reason: str = Field("", max_length=255)


# --- Membership types ---------------------------------------------------------------------

type_router = Router(tags=["membership types"])


def _type(request, type_uuid: UUID) -> MembershipType:
    return get_object_or_404(MembershipType, association=request.association, uuid=type_uuid)


@type_router.get("", response={200: list[MembershipTypeOut], **ERRORS})
@tenant("can_view_members")
def type_list(request):
    return list(selectors.types_of(request.association))


@type_router.post("", response={201: MembershipTypeOut, **ERRORS})
@tenant("can_manage_members")
def type_create(request, payload: MembershipTypeIn):
    mtype = services.membership_type_create(
        association=request.association, acting_user=request.auth.created_by, **payload.dict()
    )
    return Status(201, mtype)


@type_router.get("/{type_uuid}", response={200: MembershipTypeOut, **ERRORS})
@tenant("can_view_members")
def type_detail(request, type_uuid: UUID):
    return _type(request, type_uuid)


@type_router.patch("/{type_uuid}", response={200: MembershipTypeOut, **ERRORS})
@tenant("can_manage_members")
def type_update(request, type_uuid: UUID, payload: MembershipTypePatch):
    return services.membership_type_update(
        association=request.association,
        acting_user=request.auth.created_by,
        membership_type=_type(request, type_uuid),
        **payload.dict(exclude_unset=True, exclude_none=True),
    )


# --- Memberships --------------------------------------------------------------------------

membership_router = Router(tags=["memberships"])


def _membership(request, membership_uuid: UUID) -> Membership:
    return get_object_or_404(
        selectors.with_status(
            Membership.objects.select_related("person", "membership_type", "household"),
            request.association,
        ),
        association=request.association,
        uuid=membership_uuid,
    )


@membership_router.get("", response={200: list[MembershipOut], **ERRORS})
@tenant("can_view_members")
@paginate(Pagination)
def membership_list(request, filters: Query[MembershipFilters]):
    """Memberships, 50 a page: by default those of the current period, in name order."""
    qs = selectors.member_search(
        association=request.association,
        query=filters.q,
        status=filters.status or "",
        type_uuid=str(filters.membership_type or ""),
        period=filters.period,
        unpaid=filters.unpaid,
    )
    return qs.select_related("person", "membership_type", "household")


@membership_router.post("", response={201: MembershipOut, **ERRORS})
@tenant("can_manage_members")
def membership_create(request, payload: MembershipIn):
    association = request.association
    person = get_object_or_404(Person, association=association, uuid=payload.person)
    mtype = get_object_or_404(MembershipType, association=association, uuid=payload.membership_type)
    membership = services.membership_create(
        association=association,
        acting_user=request.auth.created_by,
        person=person,
        membership_type=mtype,
        start_on=payload.start_on,
        rate=payload.rate,
        chosen_amount_cents=payload.chosen_amount_cents,
        reduced_proof=payload.reduced_proof,
        source=Membership.Source.API,
    )
    return Status(201, _membership(request, membership.uuid))


@membership_router.get("/{membership_uuid}", response={200: MembershipOut, **ERRORS})
@tenant("can_view_members")
def membership_detail(request, membership_uuid: UUID):
    return _membership(request, membership_uuid)


@membership_router.post(
    "/{membership_uuid}/payments", response={201: PaymentOut, 200: None, **ERRORS}
)
@tenant("can_manage_finances")
def membership_pay(request, membership_uuid: UUID, payload: PaymentIn):
    """Record the payment of the dues (for a household: of the whole household). 200 with
    no body when they were paid already."""
    payment = services.dues_payment_record(
        association=request.association,
        acting_user=request.auth.created_by,
        memberships=[_membership(request, membership_uuid)],
        **payload.dict(),
    )
    if payment is None:
        return Status(200, None)
    return Status(201, payment)


@membership_router.post("/{membership_uuid}/renew", response={201: MembershipOut, **ERRORS})
@tenant("can_manage_members")
def membership_renew(request, membership_uuid: UUID):
    """Renew for the next period; calling it again returns the same renewal."""
    renewal = services.membership_renew(
        association=request.association,
        acting_user=request.auth.created_by,
        membership=_membership(request, membership_uuid),
        source=Membership.Source.API,
    )
    return Status(201, _membership(request, renewal.uuid))


@membership_router.post("/{membership_uuid}/resign", response={200: MembershipOut, **ERRORS})
@tenant("can_manage_members")
def membership_resign(request, membership_uuid: UUID, payload: ResignIn):
    services.membership_resign(
        association=request.association,
        acting_user=request.auth.created_by,
        membership=_membership(request, membership_uuid),
        reason=payload.reason,
    )
    return _membership(request, membership_uuid)


# --- Join ---------------------------------------------------------------------------------


class JoinContact(Schema):
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    address_line1: str = Field("", max_length=200)
    address_line2: str = Field("", max_length=200)
    postcode: str = Field("", max_length=10)
    city: str = Field("", max_length=100)
    birth_date: dt.date | None = None


class JoinHouseholdMember(Schema):
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    birth_date: dt.date | None = None


class JoinIn(Schema):
    membership_type: UUID
    contact: JoinContact
    household: list[JoinHouseholdMember] = Field(default_factory=list, max_length=20)
    rate: Membership.Rate = Membership.Rate.NORMAL
    chosen_amount_cents: int | None = Field(None, ge=0, le=10_000_000)
    reduced_proof: str = Field("", max_length=255)
    newsletter: bool = False
    statutes_accepted: bool = Field(
        False, description="The person accepted the statutes (required to join)."
    )
    privacy_accepted: bool = Field(
        False, description="The person read the personal data notice (required to join)."
    )


class JoinOut(Schema):
    person: UUID
    memberships: list[MembershipOut]
    amount_cents: int
    already_member: bool


join_router = Router(tags=["join"])


@join_router.post("", response={201: JoinOut, 200: JoinOut, **ERRORS})
@tenant("can_manage_members")
def join(request, payload: JoinIn):
    """A person joins, as on the public join form (for the association's own website): the
    same rules (the form must be open, the type offered online, statutes and notice
    accepted), the same confirmation e-mail. 200 when they were a member already."""
    from essaim.members.join import membership_join

    association = request.association
    mtype = get_object_or_404(MembershipType, association=association, uuid=payload.membership_type)
    data = payload.dict()
    result = membership_join(
        association=association,
        membership_type=mtype,
        contact=data["contact"],
        household=data["household"],
        rate=payload.rate,
        chosen_amount_cents=payload.chosen_amount_cents,
        reduced_proof=payload.reduced_proof,
        newsletter=payload.newsletter,
        statutes_accepted=payload.statutes_accepted,
        privacy_accepted=payload.privacy_accepted,
    )
    memberships = list(
        selectors.with_status(
            Membership.objects.filter(pk__in=[m.pk for m in result.memberships]).select_related(
                "person", "membership_type", "household"
            ),
            association,
        )
    )
    body = {
        "person": result.person.uuid,
        "memberships": memberships,
        "amount_cents": result.amount_cents,
        "already_member": result.already_member,
    }
    return Status(200 if result.already_member else 201, body)
