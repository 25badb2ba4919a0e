"""What every online payment service plugs in: start a checkout, read its notifications.

A provider adapter turns one service's API into these few types, and nothing else in
Essaim knows that service's words. Payments are recorded by `payments.online` from the
`ProviderEvent`s an adapter returns, with the same idempotent services as every other
payment (services.payment_record, services.payment_update_status).

Notifications ("webhooks") are read in two steps, so that a notification delivered again is
recognised before any costly work:
1. `read_webhook` authenticates the delivery (Stripe: its signature) and reads the events
   and the service's id of the notification;
2. `confirm_event` makes an event trustworthy when the delivery alone is not (HelloAsso signs
   nothing: its adapter fetches the payment back from the API).
`parse_webhook` does both, for callers that do not care.
"""

import dataclasses
import datetime as dt
import ipaddress
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from ..models import Payment, ProviderAccount

Status = Payment.Status

# A notification is a few kilobytes (a Stripe event with a full Checkout Session is ~5 KB);
# anything far larger is not one.
MAX_WEBHOOK_BYTES = 256 * 1024


class WebhookRefused(Exception):
    """The notification is not authentic or not readable: answer 400 with `reason`.

    `reason` is short, in English, for the service's delivery log and ours: it never holds a
    secret nor the payer's details.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ProviderError(Exception):
    """The service answered with an error (bad key, invalid request)."""

    def __init__(self, message: str, *, status: int | None = None, code: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code


class ProviderUnavailable(ProviderError):
    """The service could not be reached or failed (timeout, 5xx): try again later."""


@dataclasses.dataclass(frozen=True)
class Checkout:
    """Where to send the payer, and the service's id of this checkout (a Stripe Checkout
    Session id, a HelloAsso checkout intent id) for the support desk. The payment itself
    is known once the service notifies it."""

    url: str
    provider_reference: str


@dataclasses.dataclass(frozen=True)
class ProviderEvent:
    """Something that happened to one payment at the service."""

    provider_reference: str  # the service's id of the payment (PaymentIntent, payment id)
    status: str  # a Payment.Status value
    amount_cents: int
    occurred_at: dt.datetime  # aware; the service's time of the event
    payer_email: str = ""
    payer_name: str = ""
    method: str = Payment.Method.CARD_ONLINE
    # What the checkout was started with (`essaim_key`: the caller's idempotency key).
    metadata: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # When the money was received, if the event is later than that (a refund).
    paid_at: dt.datetime | None = None
    reason: str = ""  # why it failed or was refunded, in a few words
    # The event as read from the notification still has to be checked with the service.
    needs_confirmation: bool = False


@dataclasses.dataclass(frozen=True)
class SubscriptionEvent:
    """Something that happened to a subscription (a monthly payment by card) at the service.

    A subscription is started with the caller's key (`essaim_key`, e.g. "recurring:<uuid>")
    in its metadata; each of its payments then carries the key "<that key>:<YYYY-MM>" (the
    month of the billing period), so a month is one Payment however often it is notified.
    """

    provider_reference: str  # the service's id of the subscription (sub_…)
    key: str  # the caller's key, from the subscription's metadata ("" if unknown)
    occurred_at: dt.datetime
    # One of SUBSCRIPTION_STATES, or "" when the event only links the subscription to the
    # key (a checkout completed, an invoice) and says nothing of its state.
    state: str = ""
    amount_cents: int | None = None  # the monthly amount, when the event says it
    paused_until: dt.date | None = None  # when a pause ends by itself


SUBSCRIPTION_ACTIVE = "active"
SUBSCRIPTION_PAUSED = "paused"
SUBSCRIPTION_CANCELLED = "cancelled"
SUBSCRIPTION_STATES = (SUBSCRIPTION_ACTIVE, SUBSCRIPTION_PAUSED, SUBSCRIPTION_CANCELLED)


@dataclasses.dataclass(frozen=True)
class WebhookMessage:
    """One notification: the service's id and type of it, and the payment events it holds
    (none for an event Essaim has no use for), and the subscription events."""

    event_id: str
    event_type: str
    events: list[ProviderEvent]
    note: str = ""  # why there is nothing to do, in a few words
    subscriptions: list[SubscriptionEvent] = dataclasses.field(default_factory=list)


class Provider(ABC):
    name: ClassVar[str]
    label: ClassVar[str]
    default_api_base_url: ClassVar[str]
    # The hosts an account's api_base_url may point at in production (the service's own).
    allowed_hosts: ClassVar[frozenset[str]]

    @abstractmethod
    def is_configured(self, account: ProviderAccount) -> bool:
        """Every key this service needs is set on the account."""

    @abstractmethod
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
        """Create a checkout at the service; raises ProviderError / ProviderUnavailable."""

    @abstractmethod
    def read_webhook(
        self, account: ProviderAccount, request_body: bytes, headers: Mapping[str, str]
    ) -> WebhookMessage:
        """Authenticate and read a notification; raises WebhookRefused."""

    # Monthly payments by card (subscriptions). HelloAsso's checkout intents have none: its
    # monthly payments exist only on its own forms, which Essaim does not drive.
    supports_subscriptions: ClassVar[bool] = False

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
        """A checkout where the payer agrees to pay `amount_cents` every month."""
        raise ProviderError(f"{self.label} takes no monthly payments by card")

    def subscription_pause(
        self, account: ProviderAccount, reference: str, *, until: dt.date | None = None
    ) -> None:
        """No payment taken until `until` (or until resumed)."""
        raise ProviderError(f"{self.label} takes no monthly payments by card")

    def subscription_resume(self, account: ProviderAccount, reference: str) -> None:
        raise ProviderError(f"{self.label} takes no monthly payments by card")

    def subscription_change_amount(
        self, account: ProviderAccount, reference: str, *, amount_cents: int, description: str
    ) -> None:
        """A new monthly amount, from the next payment (no proration)."""
        raise ProviderError(f"{self.label} takes no monthly payments by card")

    def subscription_cancel(self, account: ProviderAccount, reference: str) -> None:
        """Stop for ever; a subscription already cancelled at the service is not an error."""
        raise ProviderError(f"{self.label} takes no monthly payments by card")

    def confirm_event(self, account: ProviderAccount, event: ProviderEvent) -> ProviderEvent | None:
        """The event as the service confirms it (None: nothing to do after all); raises
        WebhookRefused, ProviderUnavailable."""
        return event

    def parse_webhook(
        self, account: ProviderAccount, request_body: bytes, headers: Mapping[str, str]
    ) -> list[ProviderEvent]:
        """The verified payment events of a notification; raises WebhookRefused."""
        message = self.read_webhook(account, request_body, headers)
        confirmed = [self.confirm_event(account, event) for event in message.events]
        return [event for event in confirmed if event is not None]


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value whatever the case of its name (HTTP names are case-insensitive)."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value or ""


def check_api_base_url(provider: Provider, url: str) -> str | None:
    """Why `url` cannot be an account's API address, or None when it can.

    The secret key is sent there: in production only the service's own hosts over https
    (a team member must not be able to send it elsewhere, nor make the server call an
    internal address). Elsewhere http on the loopback is allowed too, for the tests' fake
    service.
    """
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host in provider.allowed_hosts:
        return None
    if not settings.PRODUCTION and parts.scheme in ("http", "https") and host:
        try:
            if host == "localhost" or ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            pass
    return _("Use the payment service's own https address.")
