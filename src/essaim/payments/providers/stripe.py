"""Stripe: Checkout Sessions to pay, signed webhook events to learn what happened.

Written against Stripe's documented HTTP API, without the SDK (one POST and an HMAC do
not justify a dependency that changes every month):
- a checkout is `POST /v1/checkout/sessions` (form-encoded, `Authorization: Bearer <secret
  key>`, an `Idempotency-Key` header: a retried request returns the same session);
- each webhook delivery carries `Stripe-Signature: t=<unix time>,v1=<hex>[,v1=…]`, where v1
  is HMAC-SHA256(signing secret, "<t>.<raw body>"). Several v1 appear while a secret is
  being rolled. Stripe's libraries refuse a timestamp more than 5 minutes away (a captured
  delivery cannot be replayed later) and compare in constant time: so do we.

The payment's reference is its PaymentIntent id (pi_…): every event below names it, the
Checkout Session's as much as the refund's, so they all find the same Payment.
"""

import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

from django.conf import settings

from ..models import Payment, ProviderAccount
from . import http, payload
from .base import (
    Checkout,
    Provider,
    ProviderError,
    ProviderEvent,
    WebhookMessage,
    WebhookRefused,
    header,
)

Status = Payment.Status
Method = Payment.Method

SIGNATURE_TOLERANCE_SECONDS = 5 * 60


def sign(payload_bytes: bytes, secret: str, timestamp: int) -> str:
    """The v1 signature of a payload at `timestamp`, as Stripe computes it."""
    signed = str(timestamp).encode() + b"." + payload_bytes
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(
    payload_bytes: bytes, signature_header: str, secret: str, *, now: float | None = None
) -> int:
    """Check a Stripe-Signature header; returns its timestamp, raises WebhookRefused."""
    if not signature_header:
        raise WebhookRefused("missing Stripe-Signature header")
    timestamp = ""
    signatures = []
    for item in signature_header.split(",")[:20]:
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12) or not signatures:
        raise WebhookRefused("malformed Stripe-Signature header")
    expected = sign(payload_bytes, secret, int(timestamp)).encode()
    # Every candidate is compared (no early exit on the first): constant time per candidate.
    matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in signatures]
    if not any(matches):
        raise WebhookRefused("signature mismatch")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise WebhookRefused("timestamp outside the tolerance")
    return int(timestamp)


def _reference(value: object) -> str:
    """A PaymentIntent as Stripe gives it: its id, or the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str) and value.startswith("pi_") and len(value) <= 255:
        return value
    if value in (None, ""):
        return ""
    raise WebhookRefused("payment_intent is not a PaymentIntent id")


def _euros(obj: Mapping) -> bool:
    return str(obj.get("currency") or "").lower() == "eur"


def _method(type_: object) -> str:
    return {
        "card": Method.CARD_ONLINE,
        "sepa_debit": Method.SEPA_DEBIT,
        "customer_balance": Method.TRANSFER,
    }.get(str(type_ or ""), Method.OTHER)


def _session_event(status_for: Callable[[dict], str | None]):
    def read(obj: dict, occurred_at: dt.datetime) -> tuple[list[ProviderEvent], str]:
        if obj.get("object") != "checkout.session":
            raise WebhookRefused("data.object is not a Checkout Session")
        if obj.get("mode") not in (None, "payment"):
            return [], "not a one-off payment session"
        reference = _reference(obj.get("payment_intent"))
        status = status_for(obj)
        if not reference or status is None:
            return [], "no payment in this session"
        amount = payload.integer(obj, "amount_total", positive=True)
        if not _euros(obj):
            return [], "not in euros"
        customer = payload.obj(obj, "customer_details", required=False)
        types = obj.get("payment_method_types")
        method = Method.CARD_ONLINE
        if isinstance(types, list) and types and "card" not in types:
            method = _method(types[0])
        event = ProviderEvent(
            provider_reference=reference,
            status=status,
            amount_cents=amount,
            occurred_at=occurred_at,
            payer_email=payload.text(customer, "email", required=False)
            or payload.text(obj, "customer_email", required=False),
            payer_name=payload.text(customer, "name", required=False),
            method=method,
            metadata=payload.metadata(obj.get("metadata")),
        )
        return [event], ""

    return read


def _completed_status(obj: dict) -> str | None:
    # "unpaid": an asynchronous method (SEPA debit) is under way; its outcome comes later
    # as checkout.session.async_payment_succeeded / _failed.
    return {"paid": Status.SUCCEEDED, "unpaid": Status.PENDING}.get(obj.get("payment_status"))


def _payment_failed(obj: dict, occurred_at: dt.datetime) -> tuple[list[ProviderEvent], str]:
    if obj.get("object") != "payment_intent":
        raise WebhookRefused("data.object is not a PaymentIntent")
    reference = _reference(payload.text(obj, "id"))
    amount = payload.integer(obj, "amount", positive=True)
    if not _euros(obj):
        return [], "not in euros"
    error = payload.obj(obj, "last_payment_error", required=False)
    code = payload.text(error, "decline_code", required=False, limit=60) or payload.text(
        error, "code", required=False, limit=60
    )
    event = ProviderEvent(
        provider_reference=reference,
        status=Status.FAILED,
        amount_cents=amount,
        occurred_at=occurred_at,
        payer_email=payload.text(obj, "receipt_email", required=False),
        metadata=payload.metadata(obj.get("metadata")),
        reason=f"Stripe: {code}" if code else "Stripe: payment failed",
    )
    return [event], ""


def _charge_refunded(obj: dict, occurred_at: dt.datetime) -> tuple[list[ProviderEvent], str]:
    if obj.get("object") != "charge":
        raise WebhookRefused("data.object is not a Charge")
    reference = _reference(obj.get("payment_intent"))
    amount = payload.integer(obj, "amount", positive=True)
    if not reference:
        return [], "a charge without PaymentIntent"
    if not _euros(obj):
        return [], "not in euros"
    if obj.get("refunded") is not True:
        # A Payment has no "partly refunded" state: the treasurer records it by hand.
        return [], "partial refund"
    billing = payload.obj(obj, "billing_details", required=False)
    details = payload.obj(obj, "payment_method_details", required=False)
    paid_at = payload.timestamp(obj, "created")
    event = ProviderEvent(
        provider_reference=reference,
        status=Status.REFUNDED,
        amount_cents=amount,
        occurred_at=occurred_at,
        payer_email=payload.text(billing, "email", required=False)
        or payload.text(obj, "receipt_email", required=False),
        payer_name=payload.text(billing, "name", required=False),
        method=_method(details.get("type")) if details else Method.CARD_ONLINE,
        metadata=payload.metadata(obj.get("metadata")),
        # The charge's own time is when the money came in: the refund comes later.
        paid_at=paid_at,
        reason="Stripe: refunded",
    )
    return [event], ""


HANDLERS = {
    "checkout.session.completed": _session_event(_completed_status),
    "checkout.session.async_payment_succeeded": _session_event(lambda obj: Status.SUCCEEDED),
    "checkout.session.async_payment_failed": _session_event(lambda obj: Status.FAILED),
    "payment_intent.payment_failed": _payment_failed,
    "charge.refunded": _charge_refunded,
}


class Stripe(Provider):
    name = "stripe"
    label = "Stripe"
    default_api_base_url = "https://api.stripe.com"
    allowed_hosts = frozenset({"api.stripe.com"})

    def is_configured(self, account: ProviderAccount) -> bool:
        return bool(account.secret_key) and bool(account.webhook_secret)

    def start_checkout(
        self,
        account: ProviderAccount,
        *,
        amount_cents: int,
        description: str,
        payer_email: str,
        return_url: str,
        cancel_url: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
        donation: bool = False,
    ) -> Checkout:
        form = [
            ("mode", "payment"),
            ("success_url", return_url),
            ("cancel_url", cancel_url),
            ("locale", "auto"),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", str(amount_cents)),
            ("line_items[0][price_data][product_data][name]", description),
            ("payment_intent_data[description]", description),
        ]
        if payer_email:
            form.append(("customer_email", payer_email))
        # On the session (checkout.session.* events) and on the PaymentIntent, whose
        # metadata Stripe shows on the payment_intent.* events and in its dashboard.
        for key, value in metadata.items():
            form.append((f"metadata[{key}]", value))
            form.append((f"payment_intent_data[metadata][{key}]", value))
        answer = http.call(
            "POST",
            f"{account.api_base}/v1/checkout/sessions",
            headers={
                "Authorization": f"Bearer {account.secret_key.reveal()}",
                "Idempotency-Key": idempotency_key,
            },
            form=form,
        )
        url, session_id = answer.get("url"), answer.get("id")
        if not (isinstance(url, str) and isinstance(session_id, str) and session_id):
            raise ProviderError("Stripe answered without a Checkout Session")
        if settings.PRODUCTION and not url.startswith("https://"):
            raise ProviderError("Stripe answered with a checkout address that is not https")
        return Checkout(url=url, provider_reference=session_id)

    def read_webhook(
        self, account: ProviderAccount, request_body: bytes, headers: Mapping[str, str]
    ) -> WebhookMessage:
        secret = account.webhook_secret
        if not secret:
            raise WebhookRefused("no signing secret is set for this account")
        verify_signature(request_body, header(headers, "Stripe-Signature"), secret.reveal())
        event = payload.load(request_body)
        if event.get("object") != "event":
            raise WebhookRefused("not a Stripe event")
        event_id = payload.text(event, "id")
        event_type = payload.text(event, "type", limit=100)
        occurred_at = payload.timestamp(event, "created")
        handler = HANDLERS.get(event_type)
        if handler is None:
            return WebhookMessage(event_id, event_type, [], note="event type not used")
        live_key = account.secret_key.reveal().startswith(("sk_live_", "rk_live_"))
        if live_key and event.get("livemode") is False:
            # A test payment must never enter live accounts (a misconfigured endpoint).
            return WebhookMessage(event_id, event_type, [], note="test-mode event")
        data = payload.obj(event, "data")
        events, note = handler(payload.obj(data, "object"), occurred_at)
        return WebhookMessage(event_id, event_type, events, note=note)
