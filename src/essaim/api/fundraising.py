"""API of fundraising: gifts, tax receipts and campaigns.

Gifts and campaigns are money matters (`can_manage_finances`); tax receipts are a legal
document with a capability of their own (`can_issue_receipts`), as on the screens. A receipt
is never edited: a mistake is corrected by cancelling it and issuing its replacement.

Responses are serialised after the endpoint returns, outside the tenant scope: every object
returned here is loaded with what its schema reads (related rows, annotations).
"""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from essaim.fundraising import campaigns as campaign_services
from essaim.fundraising import notices, selectors
from essaim.fundraising import services as fundraising_services
from essaim.fundraising.models import Campaign, Gift, TaxReceipt
from essaim.fundraising.views import pdf_response
from essaim.payments import services as payment_services

from .auth import tenant
from .payments import (
    IDEMPOTENCY_KEY,
    IDEMPOTENCY_KEY_MAX,
    PaymentMethod,
    PaymentStatus,
    idempotency_key_of,
    person_of,
)
from .routers import ERRORS, NO_NUL, Pagination

FINANCES = "can_manage_finances"
RECEIPTS = "can_issue_receipts"

GiftNature = Literal["money", "in_kind", "expenses", "securities"]
GiftForm = Literal["manual", "notarial", "private_deed", "other"]
DonorKind = Literal["individual", "company"]
ReceiptKind = Literal["single", "annual"]
ReceiptStatus = Literal["valid", "cancelled"]
CampaignStatus = Literal["draft", "published", "closed"]
assert set(GiftNature.__args__) == set(Gift.Nature.values)
assert set(GiftForm.__args__) == set(Gift.Form.values)
assert set(DonorKind.__args__) == set(Gift.DonorKind.values)
assert set(ReceiptKind.__args__) == set(TaxReceipt.Kind.values)
assert set(ReceiptStatus.__args__) == set(TaxReceipt.Status.values)
assert set(CampaignStatus.__args__) == set(Campaign.Status.values)

# The gift of money records its payment: the payments' limit holds (10 million euros).
MAX_GIFT_CENTS = min(fundraising_services.MAX_GIFT_CENTS, payment_services.MAX_AMOUNT_CENTS)
# Campaign.goal_cents is a PositiveIntegerField: a 32-bit integer on PostgreSQL, below the
# service's own limit (100 million euros).
MAX_GOAL_CENTS = campaign_services.MAX_GOAL_CENTS
GIFT_KEY_PREFIX = "api:gift:"
YEAR = Field(None, ge=1900, le=9999)


def _valid_receipt_links():
    return TaxReceipt.gifts.through.objects.filter(
        gift_id=OuterRef("pk"), taxreceipt__status=TaxReceipt.Status.VALID
    )


# --- Gifts --------------------------------------------------------------------------------


class GiftPaymentOut(Schema):
    uuid: UUID
    method: PaymentMethod
    status: PaymentStatus
    paid_on: dt.date | None


class GiftOut(Schema):
    uuid: UUID
    amount_cents: int = Field(description="In cents: 5000 is 50,00 €.", examples=[5000])
    received_on: dt.date
    nature: GiftNature
    form: GiftForm
    donor_kind: DonorKind
    person: UUID | None = Field(description="The donor's contact; none for an anonymous gift.")
    donor_name: str = Field(description="The company, or the contact's name.")
    company_name: str
    company_siren: str
    company_legal_form: str
    payment: GiftPaymentOut | None = Field(description="The money of a gift of money.")
    campaign: UUID | None
    source: str = Field(description="The share link that brought the gift.")
    description: str
    note: str
    receipt: UUID | None = Field(description="The valid tax receipt covering the gift.")
    receipt_number: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_person(obj) -> UUID | None:
        return obj.person.uuid if obj.person_id else None

    @staticmethod
    def resolve_donor_name(obj) -> str:
        if obj.donor_kind == Gift.DonorKind.COMPANY:
            return obj.company_name
        return obj.person.full_name if obj.person_id else ""

    @staticmethod
    def resolve_campaign(obj) -> UUID | None:
        return obj.campaign.uuid if obj.campaign_id else None

    @staticmethod
    def resolve_payment(obj):
        return obj.payment if obj.payment_id else None


class GiftIn(Schema):
    amount_cents: int = Field(
        ...,
        strict=True,
        ge=1,
        le=MAX_GIFT_CENTS,
        description="In cents, more than zero: 5000 is 50,00 €. For a gift in kind, its value.",
        examples=[5000],
    )
    received_on: dt.date | None = Field(
        None, description="The day of the gift (default: today; not in the future)."
    )
    nature: GiftNature = "money"
    method: PaymentMethod | None = Field(
        None, description="How a gift of money was paid (required for money).", examples=["cheque"]
    )
    form: GiftForm = "manual"
    person: UUID | None = Field(None, description="The donor's contact; none: anonymous.")
    donor_kind: DonorKind = "individual"
    company_name: str = Field("", max_length=200)
    company_siren: str = Field("", max_length=9, pattern=r"^[0-9]*$", description="9 digits.")
    company_legal_form: str = Field("", max_length=60, examples=["SARL"])
    description: str = Field(
        "", max_length=255, description="What was given (required in kind and for expenses)."
    )
    reference: str = Field("", max_length=140, examples=["Chèque n° 1234567"])
    note: str = Field("", max_length=255)
    campaign: UUID | None = Field(None, description="The campaign the gift answers.")
    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX,
        pattern=IDEMPOTENCY_KEY,
        description="Or the Idempotency-Key header: the same key records one gift of money.",
    )


class GiftFilters(Schema):
    year: int | None = YEAR
    person: UUID | None = Field(None, description="The donor's contact.")
    nature: GiftNature | None = None
    campaign: UUID | None = None


gift_router = Router(tags=["gifts"])


def _gifts(request):
    links = _valid_receipt_links()
    return (
        selectors.gifts_of(request.association)
        .select_related("campaign")
        .annotate(
            receipt=Subquery(links.values("taxreceipt__uuid")[:1]),
            receipt_number=Subquery(links.values("taxreceipt__number")[:1]),
        )
    )


def _gift(request, gift_uuid: UUID) -> Gift:
    return get_object_or_404(_gifts(request), uuid=gift_uuid)


@gift_router.get("", response={200: list[GiftOut], **ERRORS})
@tenant(FINANCES)
@paginate(Pagination)
def gift_list(request, filters: Query[GiftFilters]):
    """Gifts, 50 a page, the most recent first."""
    gifts = _gifts(request)
    if filters.year:
        gifts = gifts.filter(
            received_on__range=(dt.date(filters.year, 1, 1), dt.date(filters.year, 12, 31))
        )
    if filters.person:
        gifts = gifts.filter(person__uuid=filters.person)
    if filters.nature:
        gifts = gifts.filter(nature=filters.nature)
    if filters.campaign:
        gifts = gifts.filter(campaign__uuid=filters.campaign)
    return gifts.order_by("-received_on", "-id")


@gift_router.get("/{gift_uuid}", response={200: GiftOut, **ERRORS})
@tenant(FINANCES)
def gift_detail(request, gift_uuid: UUID):
    return _gift(request, gift_uuid)


@gift_router.post("", response={201: GiftOut, 200: GiftOut, **ERRORS})
@tenant(FINANCES)
def gift_create(
    request,
    payload: GiftIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX,
        pattern=IDEMPOTENCY_KEY,
        description="For a gift of money: a request sent again with the same key returns "
        "the gift recorded the first time (200) instead of recording another.",
    ),
):
    """Record a gift: of money (its payment is recorded too: give `method`), in kind, or
    volunteer expenses waived (give `description`). Without `person` the gift is anonymous
    (no tax receipt). 201; 200 when the same idempotency key was recorded already."""
    association = request.association
    data = payload.dict()
    key = idempotency_key_of(idempotency_key, data.pop("idempotency_key"))
    money = data["nature"] == Gift.Nature.MONEY
    stored_key = GIFT_KEY_PREFIX + key if key and money else ""
    replay = bool(stored_key) and (
        Gift.objects.filter(association=association, payment__idempotency_key=stored_key).exists()
    )
    campaign_uuid = data.pop("campaign")
    campaign = (
        get_object_or_404(Campaign, association=association, uuid=campaign_uuid)
        if campaign_uuid
        else None
    )
    gift = fundraising_services.gift_record(
        association=association,
        acting_user=request.auth.created_by,
        person=person_of(request, data.pop("person")),
        received_on=data.pop("received_on") or timezone.localdate(),
        method=data.pop("method") or "",
        idempotency_key=stored_key,
        campaign=campaign,
        **data,
    )
    return Status(200 if replay else 201, _gift(request, gift.uuid))


# --- Tax receipts -------------------------------------------------------------------------


class DonorAsPrinted(Schema):
    """The donor as the receipt prints them, copied when it was issued."""

    kind: str = ""
    last_name: str = ""
    first_names: str = ""
    company_name: str = ""
    company_siren: str = ""
    company_legal_form: str = ""
    address: list[str] = []
    postcode: str = ""
    city: str = ""
    email: str = ""


class TaxReceiptOut(Schema):
    uuid: UUID
    number: str = Field(description="Numbered per year without gaps.", examples=["2026-000042"])
    year: int
    kind: ReceiptKind = Field(description="single (one gift) or annual (a donor's year).")
    status: ReceiptStatus
    donor_kind: DonorKind
    person: UUID | None = Field(description="The donor's contact.")
    donor: DonorAsPrinted
    amount_cents: int = Field(description="In cents.", examples=[5000])
    first_gift_on: dt.date
    last_gift_on: dt.date
    issued_at: dt.datetime
    sha256: str = Field(description="SHA-256 of the PDF as issued.")
    gifts: list[UUID]
    cancelled_at: dt.datetime | None
    cancel_reason: str
    replaces: UUID | None = Field(description="The cancelled receipt this one replaces.")
    replaced_by: UUID | None = Field(description="The receipt that replaces this cancelled one.")
    emailed_at: dt.datetime | None
    pdf_url: str = Field(description="Where to download the PDF (application/pdf).")

    @staticmethod
    def resolve_person(obj) -> UUID | None:
        return obj.person.uuid if obj.person_id else None

    @staticmethod
    def resolve_donor(obj) -> dict:
        donor = obj.donor if isinstance(obj.donor, dict) else {}
        fields = DonorAsPrinted.model_fields
        result = {name: str(donor.get(name) or "") for name in fields if name != "address"}
        address = donor.get("address") or []
        result["address"] = [str(line) for line in address] if isinstance(address, list) else []
        return result

    @staticmethod
    def resolve_gifts(obj) -> list[UUID]:
        return sorted(gift.uuid for gift in obj.gifts.all())

    @staticmethod
    def resolve_replaces(obj) -> UUID | None:
        return obj.replaces.uuid if obj.replaces_id else None

    @staticmethod
    def resolve_replaced_by(obj) -> UUID | None:
        return obj.replaced_by_uuid

    @staticmethod
    def resolve_pdf_url(obj) -> str:
        return f"/api/v1/tax-receipts/{obj.uuid}/pdf"


class ReceiptIssueIn(Schema):
    gift: UUID = Field(..., description="The gift to receipt.")
    send_email: bool = Field(
        False, description="E-mail the donor a link to the receipt in their donor space."
    )


class ReceiptCancelIn(Schema):
    reason: str = Field(
        ...,
        min_length=1,
        max_length=255,
        pattern=NO_NUL,
        description="Why the receipt is cancelled (kept with it).",
        examples=["Adresse du donateur erronée"],
    )
    reissue: bool = Field(
        True, description="Issue the replacement, with the donor's current details."
    )


class ReceiptCancelOut(Schema):
    cancelled: TaxReceiptOut
    replacement: TaxReceiptOut | None


class ReceiptFilters(Schema):
    year: int | None = Field(None, ge=1900, le=9999, description="The year of issue.")
    status: ReceiptStatus | None = None
    person: UUID | None = Field(None, description="The donor's contact.")


receipt_router = Router(tags=["tax receipts"])


def _receipts(request):
    return (
        selectors.receipts_of(request.association)
        .prefetch_related("gifts")
        .annotate(
            replaced_by_uuid=Subquery(
                TaxReceipt.objects.filter(replaces=OuterRef("pk")).values("uuid")[:1]
            )
        )
    )


def _receipt(request, receipt_uuid: UUID) -> TaxReceipt:
    return get_object_or_404(_receipts(request), uuid=receipt_uuid)


@receipt_router.get("", response={200: list[TaxReceiptOut], **ERRORS})
@tenant(RECEIPTS)
@paginate(Pagination)
def receipt_list(request, filters: Query[ReceiptFilters]):
    """Tax receipts, 50 a page, the last issued first."""
    receipts = _receipts(request)
    if filters.year:
        receipts = receipts.filter(year=filters.year)
    if filters.status:
        receipts = receipts.filter(status=filters.status)
    if filters.person:
        receipts = receipts.filter(person__uuid=filters.person)
    return receipts.order_by("-year", "-sequence")


@receipt_router.post("", response={201: TaxReceiptOut, **ERRORS})
@tenant(RECEIPTS)
def receipt_issue(request, payload: ReceiptIssueIn):
    """Issue the tax receipt of one gift. 422 with every reason when it cannot be issued:
    the association may not issue receipts (or lacks what a receipt prints), the donor's
    name or address is missing, the money is not received, a receipt covers it already."""
    association = request.association
    gift = get_object_or_404(Gift, association=association, uuid=payload.gift)
    with transaction.atomic():
        receipt = fundraising_services.receipt_issue(
            association=association, acting_user=request.auth.created_by, gifts=[gift]
        )
        if payload.send_email:
            notices.receipts_email(association, [receipt])
    return Status(201, _receipt(request, receipt.uuid))


@receipt_router.get("/{receipt_uuid}", response={200: TaxReceiptOut, **ERRORS})
@tenant(RECEIPTS)
def receipt_detail(request, receipt_uuid: UUID):
    return _receipt(request, receipt_uuid)


@receipt_router.get(
    "/{receipt_uuid}/pdf",
    response=ERRORS,
    openapi_extra={
        "responses": {
            200: {
                "description": "The PDF exactly as it was issued.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
@tenant(RECEIPTS)
def receipt_pdf(request, receipt_uuid: UUID):
    """The receipt's PDF, exactly as issued (its SHA-256 is `sha256`)."""
    receipt = get_object_or_404(TaxReceipt, association=request.association, uuid=receipt_uuid)
    return pdf_response(receipt)


@receipt_router.post("/{receipt_uuid}/cancel", response={200: ReceiptCancelOut, **ERRORS})
@tenant(RECEIPTS)
def receipt_cancel(request, receipt_uuid: UUID, payload: ReceiptCancelIn):
    """Cancel a receipt (it stays, with the reason) and, by default, issue its replacement
    for the same gifts with the donor's current details: both or nothing (422 with the
    reasons when the replacement cannot be issued, and the receipt stays valid)."""
    receipt = _receipt(request, receipt_uuid)
    replacement = fundraising_services.receipt_cancel(
        association=request.association,
        acting_user=request.auth.created_by,
        receipt=receipt,
        reason=payload.reason,
        reissue=payload.reissue,
    )
    return {
        "cancelled": _receipt(request, receipt_uuid),
        "replacement": _receipt(request, replacement.uuid) if replacement else None,
    }


# --- Campaigns ----------------------------------------------------------------------------


class CampaignOut(Schema):
    uuid: UUID
    slug: str = Field(description="The address of its page: /d/<association>/<slug>/.")
    title: str
    summary: str
    story: str
    status: CampaignStatus
    goal_cents: int | None = Field(description="In cents; none without a goal.")
    raised_cents: int = Field(description="The sum of its gifts, in cents.")
    donors: int = Field(description="Contacts who gave, each anonymous gift counting as one.")
    percent: int = Field(description="Whole percentage of the goal reached (may pass 100).")
    days_left: int | None = Field(description="Days until the deadline, included.")
    starts_on: dt.date | None
    ends_on: dt.date | None
    suggested_amounts: list[int] = Field(description="In cents, as offered on the form.")
    allow_monthly: bool
    thank_you_message: str
    created_at: dt.datetime

    @staticmethod
    def resolve_raised_cents(obj) -> int:
        return obj.raised

    @staticmethod
    def resolve_percent(obj) -> int:
        return campaign_services.progress_of(obj, obj.raised, obj.donors)["percent"]

    @staticmethod
    def resolve_days_left(obj) -> int | None:
        return campaign_services.progress_of(obj, obj.raised, obj.donors)["days_left"]


SLUG = r"^[-a-zA-Z0-9_]+$"
SuggestedAmount = Annotated[int, Field(strict=True, ge=1, le=campaign_services.MAX_SUGGESTED_CENTS)]
AMOUNTS = Field(
    None,
    max_length=campaign_services.MAX_SUGGESTED,
    description="In cents, in the order shown on the form.",
    examples=[[2000, 5000, 10000]],
)


class CampaignIn(Schema):
    slug: str = Field(..., min_length=1, max_length=80, pattern=SLUG, examples=["toit-2026"])
    title: str = Field(..., min_length=1, max_length=150, examples=["Un toit pour le local"])
    summary: str = Field("", max_length=300)
    story: str = Field("", max_length=20000)
    goal_cents: int | None = Field(None, strict=True, ge=1, le=MAX_GOAL_CENTS, examples=[500000])
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    suggested_amounts: list[SuggestedAmount] | None = AMOUNTS
    allow_monthly: bool = True
    thank_you_message: str = Field("", max_length=5000)


class CampaignPatch(Schema):
    slug: str | None = Field(None, min_length=1, max_length=80, pattern=SLUG)
    title: str | None = Field(None, min_length=1, max_length=150)
    summary: str | None = Field(None, max_length=300)
    story: str | None = Field(None, max_length=20000)
    goal_cents: int | None = Field(None, strict=True, ge=1, le=MAX_GOAL_CENTS)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    suggested_amounts: list[SuggestedAmount] | None = AMOUNTS
    allow_monthly: bool | None = None
    thank_you_message: str | None = Field(None, max_length=5000)


class CampaignFilters(Schema):
    status: CampaignStatus | None = None


campaign_router = Router(tags=["fundraising campaigns"])


def _campaigns(request):
    """Annotated with what they raised (`raised`, `donors`): a whole page in one query."""
    return campaign_services.campaigns_with_progress(request.association)


def _campaign(request, campaign_uuid: UUID) -> Campaign:
    return get_object_or_404(_campaigns(request), uuid=campaign_uuid)


@campaign_router.get("", response={200: list[CampaignOut], **ERRORS})
@tenant(FINANCES)
@paginate(Pagination)
def campaign_list(request, filters: Query[CampaignFilters]):
    """Fundraising campaigns, 50 a page, the newest first, with what each raised."""
    campaigns = _campaigns(request)
    if filters.status:
        campaigns = campaigns.filter(status=filters.status)
    return campaigns.order_by("-created_at", "-id")


@campaign_router.post("", response={201: CampaignOut, **ERRORS})
@tenant(FINANCES)
def campaign_create(request, payload: CampaignIn):
    """Create a campaign, as a draft (publish it to open its page)."""
    campaign = campaign_services.campaign_create(
        association=request.association, acting_user=request.auth.created_by, **payload.dict()
    )
    return Status(201, _campaign(request, campaign.uuid))


@campaign_router.get("/{campaign_uuid}", response={200: CampaignOut, **ERRORS})
@tenant(FINANCES)
def campaign_detail(request, campaign_uuid: UUID):
    return _campaign(request, campaign_uuid)


@campaign_router.patch("/{campaign_uuid}", response={200: CampaignOut, **ERRORS})
@tenant(FINANCES)
def campaign_update(request, campaign_uuid: UUID, payload: CampaignPatch):
    """Change the fields sent (not the status: publish or close it)."""
    campaign_services.campaign_update(
        association=request.association,
        acting_user=request.auth.created_by,
        campaign=_campaign(request, campaign_uuid),
        **payload.dict(exclude_unset=True),
    )
    return _campaign(request, campaign_uuid)


@campaign_router.post("/{campaign_uuid}/publish", response={200: CampaignOut, **ERRORS})
@tenant(FINANCES)
def campaign_publish(request, campaign_uuid: UUID):
    """Open the campaign's page to the public (a draft, or a closed campaign reopened)."""
    campaign_services.campaign_publish(
        association=request.association,
        acting_user=request.auth.created_by,
        campaign=_campaign(request, campaign_uuid),
    )
    return _campaign(request, campaign_uuid)


@campaign_router.post("/{campaign_uuid}/close", response={200: CampaignOut, **ERRORS})
@tenant(FINANCES)
def campaign_close(request, campaign_uuid: UUID):
    """Stop taking gifts: the page stays and says the campaign is closed."""
    campaign_services.campaign_close(
        association=request.association,
        acting_user=request.auth.created_by,
        campaign=_campaign(request, campaign_uuid),
    )
    return _campaign(request, campaign_uuid)
