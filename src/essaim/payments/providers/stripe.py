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

Monthly gifts by card are Stripe subscriptions:
- the donor goes through a Checkout Session in `mode=subscription` whose line item has a
  monthly `price_data.recurring`; the subscription's metadata holds the caller's key
  (`essaim_key`, "recurring:<uuid>");
- each month Stripe bills an invoice: `invoice.paid` / `invoice.payment_failed` become the
  Payment keyed "<key>:<YYYY-MM>" (the month its billing period starts, Paris time),
  referenced by the invoice's PaymentIntent (Stripe's retries of one invoice reuse it: one
  Payment per invoice, whose status follows);
- `customer.subscription.updated` / `.deleted` (and a subscription checkout that expired
  unpaid) keep the caller's state in step (paused, active again, new amount, cancelled);
- the team's and the donor's actions call `POST /v1/subscriptions/{id}` (`pause_collection`
  with behavior "void": nothing is billed during the pause; an empty `pause_collection` to
  resume; the item's `price_data` for a new amount, without proration) and
  `DELETE /v1/subscriptions/{id}` to cancel.
"""

import datetime as dt
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping

from django.conf import settings
from django.utils import timezone

from ..models import Payment, ProviderAccount
from . import http, payload
from .base import (
    SUBSCRIPTION_ACTIVE,
    SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_PAUSED,
    Checkout,
    Provider,
    ProviderError,
    ProviderEvent,
    SubscriptionEvent,
    WebhookMessage,
    WebhookRefused,
    header,
)

Status = Payment.Status
Method = Payment.Method

SIGNATURE_TOLERANCE_SECONDS = 5 * 60
KEY_METADATA = "essaim_key"  # payments.online.KEY_METADATA (not imported: no cycle)
_SUBSCRIPTION_ID = re.compile(r"^sub_[A-Za-z0-9]{1,250}$")
_KEY = re.compile(r"^[A-Za-z0-9_:.\-]{1,180}$")


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
        if obj.get("mode") == "subscription":
            return [], "a subscription's checkout: its invoices are the payments"
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


# --- Subscriptions ------------------------------------------------------------------------


def _subscription_id(value: object, *, required: bool = True) -> str:
    """A subscription as Stripe gives it: its id, or the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    if value in (None, "") and not required:
        return ""
    if isinstance(value, str) and _SUBSCRIPTION_ID.match(value):
        return value
    raise WebhookRefused("subscription is not a subscription id")


def _key(metadata: Mapping[str, str]) -> str:
    key = metadata.get(KEY_METADATA, "")
    return key if _KEY.match(key) else ""


def _month(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.year:04d}-{local.month:02d}"


def _invoice_event(status: str):
    def read(obj: dict, occurred_at: dt.datetime):
        if obj.get("object") != "invoice":
            raise WebhookRefused("data.object is not an Invoice")
        lines = payload.obj(obj, "lines", required=False).get("data")
        line = lines[0] if isinstance(lines, list) and lines and isinstance(lines[0], dict) else {}
        subscription = _subscription_id(
            obj.get("subscription") or line.get("subscription"), required=False
        )
        if not subscription:
            return [], "not a subscription's invoice"
        details = payload.obj(obj, "subscription_details", required=False)
        metadata = payload.metadata(details.get("metadata")) or payload.metadata(
            line.get("metadata")
        )
        key = _key(metadata)
        link = SubscriptionEvent(provider_reference=subscription, key=key, occurred_at=occurred_at)
        reference = _reference(obj.get("payment_intent"))
        if not reference:
            return [], "an invoice without payment (nothing to pay)", [link]
        if not _euros(obj):
            return [], "not in euros", [link]
        if not key:
            return [], "a subscription Essaim did not start", [link]
        amount = payload.integer(
            obj, "amount_paid" if status == Status.SUCCEEDED else "amount_due", positive=True
        )
        period = payload.obj(line, "period", required=False)
        start = (
            payload.timestamp(period, "start")
            if period.get("start") is not None
            else payload.timestamp(obj, "created")
        )
        transitions = payload.obj(obj, "status_transitions", required=False)
        paid_at = (
            payload.timestamp(transitions, "paid_at")
            if status == Status.SUCCEEDED and transitions.get("paid_at") is not None
            else None
        )
        event = ProviderEvent(
            provider_reference=reference,
            status=status,
            amount_cents=amount,
            occurred_at=occurred_at,
            payer_email=payload.text(obj, "customer_email", required=False),
            payer_name=payload.text(obj, "customer_name", required=False),
            method=Method.CARD_ONLINE,
            metadata={**metadata, KEY_METADATA: f"{key}:{_month(start)}"},
            paid_at=paid_at,
            reason="" if status == Status.SUCCEEDED else "Stripe: the monthly payment failed",
        )
        return [event], "", [link]

    return read


def _subscription_state(obj: dict, occurred_at: dt.datetime, *, deleted: bool = False):
    if obj.get("object") != "subscription":
        raise WebhookRefused("data.object is not a Subscription")
    subscription = _subscription_id(payload.text(obj, "id"))
    key = _key(payload.metadata(obj.get("metadata")))
    status = obj.get("status")
    paused_until = None
    if deleted or status in ("canceled", "incomplete_expired"):
        state = SUBSCRIPTION_CANCELLED
    elif isinstance(obj.get("pause_collection"), dict):
        state = SUBSCRIPTION_PAUSED
        pause = obj["pause_collection"]
        if pause.get("resumes_at") is not None:
            paused_until = timezone.localdate(payload.timestamp(pause, "resumes_at"))
    elif status in ("active", "trialing", "past_due", "unpaid"):
        state = SUBSCRIPTION_ACTIVE
    else:  # "incomplete": its first payment is still under way
        state = ""
    amount = None
    items = payload.obj(obj, "items", required=False).get("data")
    if isinstance(items, list) and len(items) == 1 and isinstance(items[0], dict):
        price = payload.obj(items[0], "price", required=False)
        quantity = items[0].get("quantity", 1)
        if (
            _euros(price)
            and isinstance(price.get("unit_amount"), int)
            and isinstance(quantity, int)
            and not isinstance(quantity, bool)
            and quantity > 0
        ):
            amount = payload.integer(price, "unit_amount", positive=True) * quantity
    return SubscriptionEvent(
        provider_reference=subscription,
        key=key,
        occurred_at=occurred_at,
        state=state,
        amount_cents=amount,
        paused_until=paused_until,
    )


def _subscription_updated(obj: dict, occurred_at: dt.datetime):
    return [], "", [_subscription_state(obj, occurred_at)]


def _subscription_deleted(obj: dict, occurred_at: dt.datetime):
    return [], "", [_subscription_state(obj, occurred_at, deleted=True)]


def _session_expired(obj: dict, occurred_at: dt.datetime):
    """A subscription's checkout left unpaid until it expired (24 hours): the monthly gift
    it was for never started."""
    if obj.get("object") != "checkout.session":
        raise WebhookRefused("data.object is not a Checkout Session")
    if obj.get("mode") != "subscription":
        return [], "an expired checkout (nothing was paid)"
    key = _key(payload.metadata(obj.get("metadata")))
    if not key:
        return [], "a subscription Essaim did not start"
    event = SubscriptionEvent(
        provider_reference="", key=key, occurred_at=occurred_at, state=SUBSCRIPTION_CANCELLED
    )
    return [], "", [event]


def _session_linked(obj: dict, occurred_at: dt.datetime):
    """A subscription's checkout completed: the subscription now exists."""
    if obj.get("object") != "checkout.session" or obj.get("mode") != "subscription":
        return _session_event(_completed_status)(obj, occurred_at)
    subscription = _subscription_id(obj.get("subscription"), required=False)
    key = _key(payload.metadata(obj.get("metadata")))
    if not (subscription and key):
        return [], "a subscription's checkout without subscription"
    link = SubscriptionEvent(provider_reference=subscription, key=key, occurred_at=occurred_at)
    return [], "a subscription's checkout: its invoices are the payments", [link]


HANDLERS = {
    "checkout.session.completed": _session_linked,
    "checkout.session.async_payment_succeeded": _session_event(lambda obj: Status.SUCCEEDED),
    "checkout.session.async_payment_failed": _session_event(lambda obj: Status.FAILED),
    "checkout.session.expired": _session_expired,
    "payment_intent.payment_failed": _payment_failed,
    "charge.refunded": _charge_refunded,
    "invoice.paid": _invoice_event(Status.SUCCEEDED),
    "invoice.payment_failed": _invoice_event(Status.FAILED),
    "customer.subscription.updated": _subscription_updated,
    "customer.subscription.deleted": _subscription_deleted,
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
        events, note, *rest = handler(payload.obj(data, "object"), occurred_at)
        return WebhookMessage(
            event_id, event_type, events, note=note, subscriptions=rest[0] if rest else []
        )

    # --- Subscriptions --------------------------------------------------------------------

    supports_subscriptions = True

    def _call(self, account: ProviderAccount, method: str, path: str, **kwargs) -> dict:
        headers = {"Authorization": f"Bearer {account.secret_key.reveal()}"}
        headers.update(kwargs.pop("headers", {}))
        return http.call(method, f"{account.api_base}{path}", headers=headers, **kwargs)

    @staticmethod
    def _subscription_path(reference: str) -> str:
        if not _SUBSCRIPTION_ID.match(reference or ""):
            raise ProviderError("not a Stripe subscription id")
        return f"/v1/subscriptions/{reference}"

    def start_subscription(
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
    ) -> Checkout:
        form = [
            ("mode", "subscription"),
            ("success_url", return_url),
            ("cancel_url", cancel_url),
            ("locale", "auto"),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", str(amount_cents)),
            ("line_items[0][price_data][product_data][name]", description),
            ("line_items[0][price_data][recurring][interval]", "month"),
            ("subscription_data[description]", description),
        ]
        if payer_email:
            form.append(("customer_email", payer_email))
        # On the session (checkout.session.* events) and on the subscription, whose
        # metadata every invoice and customer.subscription.* event carries.
        for key, value in metadata.items():
            form.append((f"metadata[{key}]", value))
            form.append((f"subscription_data[metadata][{key}]", value))
        answer = self._call(
            account,
            "POST",
            "/v1/checkout/sessions",
            headers={"Idempotency-Key": idempotency_key},
            form=form,
        )
        url, session_id = answer.get("url"), answer.get("id")
        if not (isinstance(url, str) and isinstance(session_id, str) and session_id):
            raise ProviderError("Stripe answered without a Checkout Session")
        if settings.PRODUCTION and not url.startswith("https://"):
            raise ProviderError("Stripe answered with a checkout address that is not https")
        return Checkout(url=url, provider_reference=session_id)

    def subscription_pause(
        self, account: ProviderAccount, reference: str, *, until: dt.date | None = None
    ) -> None:
        form = [("pause_collection[behavior]", "void")]
        if until is not None:
            # Midnight, Paris time, of the day payments start again.
            moment = timezone.make_aware(dt.datetime.combine(until, dt.time()))
            form.append(("pause_collection[resumes_at]", str(int(moment.timestamp()))))
        self._call(account, "POST", self._subscription_path(reference), form=form)

    def subscription_resume(self, account: ProviderAccount, reference: str) -> None:
        # An empty value unsets a field in Stripe's API.
        self._call(
            account, "POST", self._subscription_path(reference), form=[("pause_collection", "")]
        )

    def subscription_change_amount(
        self, account: ProviderAccount, reference: str, *, amount_cents: int, description: str
    ) -> None:
        path = self._subscription_path(reference)
        subscription = self._call(account, "GET", path)
        items = subscription.get("items")
        data = items.get("data") if isinstance(items, dict) else None
        if not (isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict)):
            raise ProviderError("the Stripe subscription does not have exactly one item")
        item_id = data[0].get("id")
        price = data[0].get("price") if isinstance(data[0].get("price"), dict) else {}
        product = price.get("product")
        if isinstance(product, dict):
            product = product.get("id")
        if not (isinstance(item_id, str) and item_id and isinstance(product, str) and product):
            raise ProviderError("the Stripe subscription's item has no price")
        self._call(
            account,
            "POST",
            path,
            form=[
                ("items[0][id]", item_id),
                ("items[0][price_data][currency]", "eur"),
                ("items[0][price_data][product]", product),
                ("items[0][price_data][unit_amount]", str(amount_cents)),
                ("items[0][price_data][recurring][interval]", "month"),
                ("items[0][quantity]", "1"),
                ("proration_behavior", "none"),
            ],
        )

    def subscription_cancel(self, account: ProviderAccount, reference: str) -> None:
        path = self._subscription_path(reference)
        try:
            self._call(account, "DELETE", path)
        except ProviderError as error:
            if error.status not in (400, 404):
                raise
            # Already cancelled (at Stripe's dashboard, or by a retry of ours)?
            try:
                current = self._call(account, "GET", path)
            except ProviderError:
                raise error from None
            if current.get("status") not in ("canceled", "incomplete_expired"):
                raise
