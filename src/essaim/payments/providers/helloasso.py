"""HelloAsso: checkout intents to pay, notifications to learn what happened (API v5).

Written against HelloAsso's documented API (dev.helloasso.com):
- OAuth2 "client_credentials": `POST /oauth2/token` (form: grant_type, client_id,
  client_secret) gives a bearer token valid 30 minutes; it is kept in the cache, encrypted,
  until shortly before it expires;
- a checkout is `POST /v5/organizations/{slug}/checkout-intents` (JSON: totalAmount,
  initialAmount, itemName, backUrl, errorUrl, returnUrl, containsDonation, payer, metadata),
  answered with `{"id", "redirectUrl"}`;
- notifications are POSTed as JSON `{"eventType": "Payment"|"Order"|…, "data": {…},
  "metadata": {…}}` (metadata: what the checkout intent was created with).

HelloAsso does not sign its notifications. Two checks take the place of a signature:
1. the notification address holds the account's secret token (an unknown token is a 404
   before this adapter runs);
2. the payment is fetched back from the API (`GET /v5/payments/{id}`, with the association's
   own credentials) and only what the API says is recorded: a forged body can at most make
   Essaim ask HelloAsso about a payment, never invent one or change its state.
The metadata cannot be fetched back with the payment: Essaim signs it when it creates the
checkout intent (an HMAC over the metadata, the amount and the account), and keeps it only
when the signature matches the amount HelloAsso confirms.
"""

import hashlib
import json
import urllib.parse
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .. import crypto
from ..models import Payment, ProviderAccount
from . import http, payload
from .base import (
    Checkout,
    Provider,
    ProviderError,
    ProviderEvent,
    ProviderUnavailable,
    WebhookMessage,
    WebhookRefused,
)

Status = Payment.Status
Method = Payment.Method

# HelloAsso's PaymentState. Not here, so nothing changes: Refunding (the refund is not done
# yet), Unknown, Corrected, Deleted, Inconsistent, NoDonation.
STATES = {
    "Authorized": Status.SUCCEEDED,
    "AuthorizedPreprod": Status.SUCCEEDED,  # the sandbox's "Authorized"
    "Registered": Status.SUCCEEDED,  # an offline payment the association registered
    "Refused": Status.FAILED,
    "Error": Status.FAILED,
    "Contested": Status.FAILED,  # a chargeback: the money is taken back
    "Refunded": Status.REFUNDED,
    "Canceled": Status.CANCELLED,
    "Abandoned": Status.CANCELLED,
    "Pending": Status.PENDING,
    "Waiting": Status.PENDING,
    "WaitingBankValidation": Status.PENDING,
    "WaitingBankWithdraw": Status.PENDING,
    "WaitingAuthentication": Status.PENDING,
    "Init": Status.PENDING,
}
MEANS = {
    "Card": Method.CARD_ONLINE,
    "Sepa": Method.SEPA_DEBIT,
    "Check": Method.CHEQUE,
    "Cash": Method.CASH,
    "BankTransfer": Method.TRANSFER,
}
SIGNATURE_KEY = "essaim_signature"
MAX_PAYMENTS_PER_ORDER = 50


def metadata_signature(
    account: ProviderAccount, metadata: Mapping[str, str], amount: int, *, secret: str | None = None
) -> str:
    canonical = json.dumps(
        [
            sorted((k, v) for k, v in metadata.items() if k != SIGNATURE_KEY),
            amount,
            str(account.uuid),
        ],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return salted_hmac(
        "essaim.payments.helloasso.metadata", canonical, secret=secret, algorithm="sha256"
    ).hexdigest()[:40]


def _trusted_metadata(account: ProviderAccount, metadata: Mapping[str, str], amount: int) -> dict:
    given = metadata.get(SIGNATURE_KEY, "")
    if not given:
        return {}
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
    for key in keys:
        if constant_time_compare(given, metadata_signature(account, metadata, amount, secret=key)):
            return {k: v for k, v in metadata.items() if k != SIGNATURE_KEY}
    return {}


class HelloAsso(Provider):
    name = "helloasso"
    label = "HelloAsso"
    default_api_base_url = "https://api.helloasso.com"
    allowed_hosts = frozenset({"api.helloasso.com", "api.helloasso-sandbox.com"})

    def is_configured(self, account: ProviderAccount) -> bool:
        return bool(account.organization_slug and account.client_id and account.secret_key)

    # --- API ------------------------------------------------------------------------------

    def _token_cache_key(self, account: ProviderAccount) -> str:
        credentials = f"{account.client_id}:{account.secret_key.reveal()}:{account.api_base}"
        digest = hashlib.sha256(credentials.encode()).hexdigest()[:24]
        return f"payments:helloasso:token:{account.pk}:{digest}"

    def _access_token(self, account: ProviderAccount, *, fresh: bool = False) -> str:
        key = self._token_cache_key(account)
        if not fresh:
            cached = cache.get(key)
            if cached:
                try:
                    return crypto.decrypt(cached)
                except crypto.UndecryptableSecret:
                    pass
        try:
            answer = http.call(
                "POST",
                f"{account.api_base}/oauth2/token",
                form={
                    "grant_type": "client_credentials",
                    "client_id": account.client_id,
                    "client_secret": account.secret_key.reveal(),
                },
            )
        except ProviderUnavailable:
            raise
        except ProviderError as error:
            # No status: this is about our credentials, not about what was asked.
            raise ProviderError(
                "HelloAsso refused the API client id or secret", code=error.code
            ) from None
        token, expires_in = answer.get("access_token"), answer.get("expires_in", 1800)
        if not isinstance(token, str) or not token:
            raise ProviderUnavailable("HelloAsso answered without an access token")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int):
            expires_in = 1800
        # Kept encrypted: the cache may be a file or a Redis shared with other software.
        cache.set(key, crypto.encrypt(token), timeout=max(30, min(expires_in, 3600) - 120))
        return token

    def _api(self, account: ProviderAccount, method: str, path: str, *, json_body=None) -> dict:
        url = f"{account.api_base}{path}"
        for attempt in range(2):
            token = self._access_token(account, fresh=attempt > 0)
            try:
                return http.call(
                    method, url, headers={"Authorization": f"Bearer {token}"}, json_body=json_body
                )
            except ProviderUnavailable:
                raise
            except ProviderError as error:
                # A token revoked before its time: fetch a new one, once.
                if error.status != 401 or attempt:
                    raise
        raise AssertionError("unreachable")

    # --- Checkout -------------------------------------------------------------------------

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
        # HelloAsso has no idempotency header: a retried call makes a second checkout intent,
        # which is harmless (only one is paid; the key in the metadata names the payment).
        signed = dict(metadata)
        signed[SIGNATURE_KEY] = metadata_signature(account, signed, amount_cents)
        body = {
            "totalAmount": amount_cents,
            "initialAmount": amount_cents,
            "itemName": description[:250],
            "backUrl": cancel_url,
            "errorUrl": cancel_url,
            "returnUrl": return_url,
            "containsDonation": bool(donation),
            "metadata": signed,
        }
        if payer_email:
            body["payer"] = {"email": payer_email}
        slug = urllib.parse.quote(account.organization_slug, safe="")
        answer = self._api(
            account, "POST", f"/v5/organizations/{slug}/checkout-intents", json_body=body
        )
        intent_id, url = answer.get("id"), answer.get("redirectUrl")
        if isinstance(intent_id, bool) or not isinstance(intent_id, int | str) or not intent_id:
            raise ProviderError("HelloAsso answered without a checkout intent")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ProviderError("HelloAsso answered without a payment address")
        if settings.PRODUCTION and not url.startswith("https://"):
            raise ProviderError("HelloAsso answered with a payment address that is not https")
        return Checkout(url=url, provider_reference=str(intent_id))

    # --- Notifications --------------------------------------------------------------------

    def read_webhook(
        self, account: ProviderAccount, request_body: bytes, headers: Mapping[str, str]
    ) -> WebhookMessage:
        # The token in the address was checked before (webhooks.py): the body is read, and
        # each payment it names will be fetched back (confirm_event).
        notification = payload.load(request_body)
        event_type = payload.text(notification, "eventType", limit=40)
        data = payload.obj(notification, "data")
        if event_type == "Payment":
            payments = [data]
        elif event_type == "Order":
            payments = data.get("payments") or []
            if not isinstance(payments, list) or len(payments) > MAX_PAYMENTS_PER_ORDER:
                raise WebhookRefused("data.payments is not a list of payments")
        else:
            digest = hashlib.sha256(request_body).hexdigest()[:32]
            return WebhookMessage(
                f"{event_type}:{digest}", event_type, [], note="event type not used"
            )
        metadata = payload.metadata(notification.get("metadata"))
        events, fingerprint = [], []
        for item in payments:
            if not isinstance(item, dict):
                raise WebhookRefused("a payment is not an object")
            reference = str(payload.integer(item, "id", positive=True))
            state = payload.text(item, "state", limit=40)
            meta = payload.obj(item, "meta", required=False)
            fingerprint.append([reference, state, str(meta.get("updatedAt") or "")])
            events.append(
                ProviderEvent(
                    provider_reference=reference,
                    # What the body says; confirm_event replaces it with what the API says.
                    status=STATES.get(state, Status.PENDING),
                    amount_cents=payload.integer(item, "amount", positive=True),
                    occurred_at=timezone.now(),
                    metadata=metadata,
                    needs_confirmation=True,
                )
            )
        # HelloAsso gives notifications no id: the same notification delivered again has the
        # same payments in the same states at the same update time, hence the same id.
        object_id = payload.integer(data, "id", positive=True)
        digest = hashlib.sha256(json.dumps(fingerprint).encode()).hexdigest()[:24]
        return WebhookMessage(f"{event_type}:{object_id}:{digest}", event_type, events)

    def confirm_event(self, account: ProviderAccount, event: ProviderEvent) -> ProviderEvent | None:
        """The payment as HelloAsso's API describes it now, or None when its state asks
        nothing of Essaim."""
        if not event.needs_confirmation:
            return event
        try:
            detail = self._api(account, "GET", f"/v5/payments/{int(event.provider_reference)}")
        except ProviderUnavailable:
            raise
        except ProviderError as error:
            if error.status in (400, 403, 404):
                raise WebhookRefused("HelloAsso does not know this payment") from None
            raise
        if str(detail.get("id")) != event.provider_reference:
            raise WebhookRefused("HelloAsso answered about another payment")
        order = payload.obj(detail, "order", required=False)
        slug = order.get("organizationSlug")
        if slug is not None and str(slug).lower() != account.organization_slug.lower():
            raise WebhookRefused("the payment belongs to another organization")
        state = payload.text(detail, "state", limit=40)
        status = STATES.get(state)
        if status is None:
            return None
        amount = payload.integer(detail, "amount", positive=True)
        meta = payload.obj(detail, "meta", required=False)
        paid_at = payload.iso_datetime(detail.get("date"), "date") if detail.get("date") else None
        updated = meta.get("updatedAt")
        occurred_at = payload.iso_datetime(updated, "meta.updatedAt") if updated else paid_at
        if occurred_at is None:
            raise WebhookRefused("the payment has no date")
        payer = payload.obj(detail, "payer", required=False)
        name = " ".join(
            part
            for part in (
                payload.text(payer, "firstName", required=False, limit=100),
                payload.text(payer, "lastName", required=False, limit=100),
            )
            if part
        )
        return ProviderEvent(
            provider_reference=event.provider_reference,
            status=status,
            amount_cents=amount,
            occurred_at=occurred_at,
            payer_email=payload.text(payer, "email", required=False),
            payer_name=name,
            method=MEANS.get(str(detail.get("paymentMeans") or ""), Method.OTHER),
            metadata=_trusted_metadata(account, event.metadata, amount),
            paid_at=paid_at,
            reason=f"HelloAsso: {state}" if status != Status.SUCCEEDED else "",
        )
