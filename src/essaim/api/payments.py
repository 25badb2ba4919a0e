"""API of payments and SEPA mandates: the association's ledger of money received.

Everything here needs `can_manage_finances`, like the treasurer's screens. A payment
entered through the API is money in hand (cash, a cheque, a transfer seen on the
statement, a card at a terminal): online payments come from the payment services and
direct debits from the debit batches, never from a client.

Responses are serialised after the endpoint returns, outside the tenant scope: every object
returned here is loaded with what its schema reads.
"""

import datetime as dt
from typing import Literal
from uuid import UUID

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate

from essaim.payments import mandates as mandate_services
from essaim.payments import selectors
from essaim.payments import services as payment_services
from essaim.payments.models import Mandate, Payment
from essaim.people.models import Person

from .auth import tenant
from .routers import ERRORS, NO_NUL, Pagination

FINANCES = "can_manage_finances"

# --- Shared -------------------------------------------------------------------------------

# Literals, not the models' TextChoices: every app has a "Status" and a "Method", and the
# OpenAPI document keeps one schema per name (the last one would win).
PaymentStatus = Literal["pending", "succeeded", "failed", "refunded", "cancelled"]
PaymentMethod = Literal["cash", "cheque", "transfer", "card", "card_online", "sepa_debit", "other"]
# What a client may record: money in hand. Online cards and direct debits are recorded by
# the payment services and the debit batches.
OfflineMethod = Literal["cash", "cheque", "transfer", "card", "other"]
PaymentProvider = Literal["", "stripe", "helloasso", "sepa"]
MandateKind = Literal["one_off", "recurring"]
MandateStatus = Literal["active", "revoked", "lapsed"]
assert set(PaymentStatus.__args__) == set(Payment.Status.values)
assert set(PaymentMethod.__args__) == set(Payment.Method.values)
assert set(OfflineMethod.__args__) < set(Payment.Method.values)
assert set(PaymentProvider.__args__) == set(Payment.Provider.values)
assert set(MandateKind.__args__) == set(Mandate.Kind.values)
assert set(MandateStatus.__args__) == set(Mandate.Status.values)

# Printable ASCII without spaces: a UUID, a hash, "order-2026-0042"…
IDEMPOTENCY_KEY = r"^[!-~]+$"
IDEMPOTENCY_KEY_MAX = 200
# The keys of API clients live apart from those of the screens, the checkouts and the
# debit batches ("intent:…", "recurring:…"): a client's key never finds one of theirs.
PAYMENT_KEY_PREFIX = "api:payment:"


def idempotency_key_of(header: str | None, field: str | None) -> str:
    """The client's key, from the `Idempotency-Key` header or the body's `idempotency_key`
    (both: they must be equal); "" without one."""
    if header is not None and field is not None and header != field:
        raise NinjaValidationError(
            [
                {
                    "loc": ["body", "idempotency_key"],
                    "msg": _("The Idempotency-Key header and the idempotency_key field differ."),
                    "type": "idempotency_key_mismatch",
                }
            ]
        )
    return header if header is not None else (field or "")


def person_of(request, person_uuid: UUID | None) -> Person | None:
    """The association's contact, or 404 (another association's contact is unknown here)."""
    if person_uuid is None:
        return None
    return get_object_or_404(Person, association=request.association, uuid=person_uuid)


# --- Payments -----------------------------------------------------------------------------


class PaymentRecordOut(Schema):
    uuid: UUID
    amount_cents: int = Field(description="In cents: 2500 is 25,00 €.", examples=[2500])
    currency: Literal["EUR"]
    method: PaymentMethod
    status: PaymentStatus = Field(
        description="pending (awaited), succeeded (received), failed, refunded or cancelled."
    )
    paid_on: dt.date | None = Field(description="The day the money was received.")
    status_reason: str = Field(description="Why it failed or was refunded.")
    person: UUID | None = Field(description="The payer's contact, when known.")
    payer_name: str = Field(description="The payer's name when they paid.")
    provider: PaymentProvider = Field(description='"" when entered by the team.')
    provider_reference: str
    reference: str = Field(description="Cheque number, transfer reference…")
    note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_person(obj) -> UUID | None:
        return obj.person.uuid if obj.person_id else None


class PaymentRecordIn(Schema):
    amount_cents: int = Field(
        ...,
        strict=True,
        ge=1,
        le=payment_services.MAX_AMOUNT_CENTS,
        description="In cents, more than zero: 2500 is 25,00 €.",
        examples=[2500],
    )
    method: OfflineMethod = Field(..., examples=["cheque"])
    paid_on: dt.date | None = Field(
        None, description="The day the money was received (default: today; not in the future)."
    )
    person: UUID | None = Field(None, description="The payer's contact (optional).")
    payer_name: str = Field(
        "", max_length=200, description="Default: the name of the contact.", examples=["M. Dupont"]
    )
    reference: str = Field("", max_length=140, examples=["Chèque n° 1234567"])
    note: str = Field("", max_length=255)
    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX,
        pattern=IDEMPOTENCY_KEY,
        description="Or the Idempotency-Key header: the same key records one payment.",
        examples=["9f0c3b9e-6a51-4d0e-8a40-2f6f7b0c1d2e"],
    )


class PaymentFilters(Schema):
    status: PaymentStatus | None = None
    method: PaymentMethod | None = None
    since: dt.date | None = Field(None, description="Paid on or after this day.")
    until: dt.date | None = Field(None, description="Paid on or before this day.")
    person: UUID | None = Field(None, description="The payer's contact.")


payment_router = Router(tags=["payments"])


def _payments(request):
    return Payment.objects.filter(association=request.association).select_related("person")


@payment_router.get("", response={200: list[PaymentRecordOut], **ERRORS})
@tenant(FINANCES)
@paginate(Pagination)
def payment_list(request, filters: Query[PaymentFilters]):
    """Payments, 50 a page: the awaited ones first, then by date of payment, newest first.
    `since` and `until` filter on the date of payment (awaited payments have none)."""
    payments = selectors.payments_for(
        association=request.association,
        status=filters.status,
        since=filters.since,
        until=filters.until,
    )
    if filters.method:
        payments = payments.filter(method=filters.method)
    if filters.person:
        payments = payments.filter(person__uuid=filters.person)
    return payments.select_related("person")


@payment_router.get("/{payment_uuid}", response={200: PaymentRecordOut, **ERRORS})
@tenant(FINANCES)
def payment_detail(request, payment_uuid: UUID):
    return get_object_or_404(_payments(request), uuid=payment_uuid)


@payment_router.post("", response={201: PaymentRecordOut, 200: PaymentRecordOut, **ERRORS})
@tenant(FINANCES)
def payment_create(
    request,
    payload: PaymentRecordIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX,
        pattern=IDEMPOTENCY_KEY,
        description="Chosen by the client: a request sent again with the same key returns "
        "the payment recorded the first time (200) instead of recording another.",
    ),
):
    """Record a payment received offline (cash, cheque, transfer, card at a terminal): 201.
    Sent again with the same idempotency key, the first payment is returned with 200; the
    same key with another amount is a 422."""
    data = payload.dict()
    key = idempotency_key_of(idempotency_key, data.pop("idempotency_key"))
    stored_key = PAYMENT_KEY_PREFIX + key if key else ""
    replay = bool(stored_key) and (
        Payment.objects.filter(association=request.association, idempotency_key=stored_key).exists()
    )
    payment = payment_services.payment_record(
        association=request.association,
        acting_user=request.auth.created_by,
        amount_cents=data["amount_cents"],
        method=data["method"],
        status=Payment.Status.SUCCEEDED,
        paid_on=data["paid_on"],
        person=person_of(request, data["person"]),
        payer_name=data["payer_name"],
        reference=data["reference"],
        note=data["note"],
        idempotency_key=stored_key,
    )
    return Status(200 if replay else 201, get_object_or_404(_payments(request), pk=payment.pk))


# --- SEPA mandates ------------------------------------------------------------------------


class MandateOut(Schema):
    uuid: UUID
    rum: str = Field(description="The mandate reference (RUM), unique in the association.")
    person: UUID | None = Field(description="The debtor's contact, when known.")
    debtor_name: str = Field(description="The account holder, as signed.")
    iban_masked: str = Field(
        description="The end of the IBAN (…0189): the IBAN itself is never sent back.",
        examples=["…0189"],
    )
    bic: str
    signed_on: dt.date
    kind: MandateKind
    status: MandateStatus
    revoked_at: dt.datetime | None
    last_used_on: dt.date | None = Field(description="The day of the last collection.")
    created_at: dt.datetime

    @staticmethod
    def resolve_person(obj) -> UUID | None:
        return obj.person.uuid if obj.person_id else None


class MandateIn(Schema):
    iban: str = Field(
        ...,
        max_length=64,
        pattern=NO_NUL,
        description="The debtor's IBAN, with or without spaces.",
        examples=["FR76 3000 6000 0112 3456 7890 189"],
    )
    bic: str = Field("", max_length=20, pattern=NO_NUL, description="Default: from the IBAN.")
    signed_on: dt.date = Field(..., description="Not in the future.", examples=["2026-01-15"])
    kind: MandateKind = "recurring"
    person: UUID | None = Field(None, description="The debtor's contact.")
    debtor_name: str = Field(
        "", max_length=200, description="The account holder. Default: the contact's name."
    )


class MandateFilters(Schema):
    status: MandateStatus | None = None
    person: UUID | None = Field(None, description="The debtor's contact.")


mandate_router = Router(tags=["SEPA mandates"])


def _mandates(request):
    return Mandate.objects.filter(association=request.association).select_related("person")


def _mandate(request, mandate_uuid: UUID) -> Mandate:
    return get_object_or_404(_mandates(request), uuid=mandate_uuid)


@mandate_router.get("", response={200: list[MandateOut], **ERRORS})
@tenant(FINANCES)
@paginate(Pagination)
def mandate_list(request, filters: Query[MandateFilters]):
    """SEPA mandates, 50 a page, the last signed first."""
    mandates = mandate_services.mandates_for(association=request.association, status=filters.status)
    if filters.person:
        mandates = mandates.filter(person__uuid=filters.person)
    return mandates.select_related("person")


@mandate_router.post("", response={201: MandateOut, **ERRORS})
@tenant(FINANCES)
def mandate_create(request, payload: MandateIn):
    """Record a mandate the debtor signed: it gets its reference (RUM). A wrong IBAN or BIC
    is a 422 that says what is wrong with it."""
    data = payload.dict()
    mandate = mandate_services.mandate_create(
        association=request.association,
        acting_user=request.auth.created_by,
        iban=data["iban"],
        bic=data["bic"],
        signed_on=data["signed_on"],
        kind=data["kind"],
        person=person_of(request, data["person"]),
        debtor_name=data["debtor_name"],
    )
    return Status(201, _mandate(request, mandate.uuid))


@mandate_router.get("/{mandate_uuid}", response={200: MandateOut, **ERRORS})
@tenant(FINANCES)
def mandate_detail(request, mandate_uuid: UUID):
    return _mandate(request, mandate_uuid)


@mandate_router.post("/{mandate_uuid}/revoke", response={200: MandateOut, **ERRORS})
@tenant(FINANCES)
def mandate_revoke(request, mandate_uuid: UUID):
    """The debtor withdrew the mandate: it is never debited again (debits already sent to
    the bank are not recalled). Revoking again changes nothing."""
    mandate_services.mandate_revoke(
        association=request.association,
        acting_user=request.auth.created_by,
        mandate=_mandate(request, mandate_uuid),
    )
    return _mandate(request, mandate_uuid)
