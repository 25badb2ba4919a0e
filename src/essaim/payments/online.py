"""Online payment services: accounts, checkouts and notifications (webhooks).

The adapters (providers/) speak each service's language; this module holds what is the same
for all of them:
- `provider_account_save`: an association sets its keys (secrets encrypted at rest);
- `checkout_start`: send a payer to the service, with the caller's idempotency key in the
  metadata (`essaim_key`) so that the payment, once notified, carries it;
- `webhook_receive`: a notification becomes payments, through services.payment_record and
  services.payment_update_status. Services deliver at least once, retry for days and in no
  particular order; so:
  * a notification already received is recognised by its event id (WebhookDelivery, unique
    per account) before anything else, and answered 200 at once;
  * the same payment named by several notifications is one Payment (its provider reference
    is unique per association; the database decides between two deliveries racing);
  * an event older than the payment's current state changes nothing (a "succeeded" arriving
    after the "refunded" that followed it).
- subscriptions (monthly payments by card, Stripe only): `subscription_start` opens the
  checkout, `subscription_pause` / `_resume` / `_change_amount` / `_cancel` call the service;
  each month's payment is an ordinary Payment keyed "<key>:<YYYY-MM>", and what happens to
  the subscription itself is told to the app that started it by the signal
  `subscription_changed` (sent inside the delivery's transaction).
"""

import dataclasses
import hmac
import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from essaim.core.audit import audit_log
from essaim.core.models import Association
from essaim.lib.text import has_forbidden_characters

from . import providers, services
from .models import Payment, ProviderAccount, WebhookDelivery
from .providers.base import (
    Checkout,
    ProviderError,
    ProviderEvent,
    ProviderUnavailable,
    SubscriptionEvent,
    WebhookMessage,
    WebhookRefused,
    check_api_base_url,
)

logger = logging.getLogger(__name__)

# Sent inside the transaction of a notification about a subscription. Arguments: association,
# provider (its name), event (providers.SubscriptionEvent). A receiver returns True when it
# changed something (the delivery is then "processed").
subscription_changed = Signal()

Status = Payment.Status
Outcome = WebhookDelivery.Outcome

# Where the caller's idempotency key travels in a checkout's metadata.
KEY_METADATA = "essaim_key"
RESERVED_METADATA = frozenset({KEY_METADATA, "essaim_signature"})
_METADATA_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_:.\-]{1,200}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{20,100}$")

# Which account fields each service uses; another service's field must stay empty.
FIELDS = {
    "stripe": {"publishable_key", "secret_key", "webhook_secret"},
    "helloasso": {"organization_slug", "client_id", "secret_key"},
}
SECRET_FIELDS = ("secret_key", "webhook_secret")
# Stripe's key prefixes: a key pasted in the wrong box is caught before the first payment.
STRIPE_PREFIXES = {
    "publishable_key": ("pk_live_", "pk_test_"),
    "secret_key": ("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
    "webhook_secret": ("whsec_",),
}


# --- Accounts -----------------------------------------------------------------------------


def _check_account_text(errors: dict, provider: str, name: str, value: str) -> str:
    value = value.strip()
    if not value:
        return value
    if name not in FIELDS[provider]:
        errors[name] = _("This setting is for another payment service.")
    elif len(value) > 255 or has_forbidden_characters(value) or any(c.isspace() for c in value):
        errors[name] = _("This key is not valid: copy it again from the payment service.")
    elif provider == "stripe" and not value.startswith(STRIPE_PREFIXES[name]):
        errors[name] = _("This key should start with %(prefix)s.") % {
            "prefix": " / ".join(STRIPE_PREFIXES[name])
        }
    elif name == "organization_slug" and not _SLUG.match(value):
        errors[name] = _(
            "The organization slug is the part of your HelloAsso address after "
            "/associations/ (lower-case letters, digits and hyphens)."
        )
    return value


@transaction.atomic
def provider_account_save(
    *,
    association: Association,
    acting_user,
    provider: str,
    enabled: bool | None = None,
    publishable_key: str | None = None,
    organization_slug: str | None = None,
    client_id: str | None = None,
    secret_key: str | None = None,
    webhook_secret: str | None = None,
    api_base_url: str | None = None,
) -> ProviderAccount:
    """Create or change the association's account at `provider` ("stripe", "helloasso").

    None leaves a setting as it is. A secret left empty keeps the one stored: screens never
    show a secret back, so an empty box means "unchanged". The activity log names the
    settings changed, never their values.
    """
    if provider not in ProviderAccount.Provider.values:
        raise ValidationError({"provider": _("Unknown payment service.")})
    errors: dict[str, str] = {}
    given = {
        "publishable_key": publishable_key,
        "organization_slug": organization_slug,
        "client_id": client_id,
        "secret_key": secret_key,
        "webhook_secret": webhook_secret,
    }
    values = {
        name: _check_account_text(errors, provider, name, str(value))
        for name, value in given.items()
        if value is not None
    }
    if api_base_url is not None:
        api_base_url = api_base_url.strip()
        problem = check_api_base_url(providers.get(provider), api_base_url)
        if problem:
            errors["api_base_url"] = problem
    if errors:
        raise ValidationError(errors)

    account = (
        ProviderAccount.objects.select_for_update()
        .filter(association=association, provider=provider)
        .first()
    )
    created = account is None
    if created:
        account = ProviderAccount(association=association, provider=provider)
    changed = []
    for name, value in values.items():
        if name in SECRET_FIELDS:
            if value and value != getattr(account, name).reveal():
                setattr(account, name, value)
                changed.append(name)
        elif value != getattr(account, name):
            setattr(account, name, value)
            changed.append(name)
    if enabled is not None and bool(enabled) != account.enabled:
        account.enabled = bool(enabled)
        changed.append("enabled")
    if api_base_url is not None and api_base_url != account.api_base_url:
        account.api_base_url = api_base_url
        changed.append("api_base_url")
    if created or changed:
        account.save()
        audit_log(
            association=association,
            actor=acting_user,
            action="payment.provider_account",
            obj=account,
            data={"provider": provider, "created": created, "changed": sorted(changed)},
        )
    return account


@transaction.atomic
def provider_account_rotate_webhook_token(
    *, association: Association, acting_user, account: ProviderAccount
) -> ProviderAccount:
    """A new notification address for the account; the old one answers 404 from now on
    (after it leaked, or to check the service's settings point at the right place)."""
    account = ProviderAccount.objects.select_for_update().get(
        pk=account.pk, association=association
    )
    account.rotate_webhook_token()
    account.save(update_fields=["webhook_token", "webhook_token_digest", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="payment.provider_account",
        obj=account,
        data={"provider": account.provider, "changed": ["webhook_address"]},
    )
    return account


# --- Checkout -----------------------------------------------------------------------------


def checkout_start(
    *,
    association: Association,
    acting_user,
    provider: str,
    amount_cents: int,
    description: str,
    return_url: str,
    cancel_url: str,
    idempotency_key: str,
    payer_email: str = "",
    metadata: dict[str, str] | None = None,
    donation: bool = False,
) -> Checkout:
    """Open a checkout at `provider` and return where to send the payer.

    Nothing is recorded yet: the Payment is created when the service notifies it, with
    `idempotency_key` (unique in the association: e.g. "gift:<uuid>") as its key, so the
    caller finds it (and reacts to it through signals.payment_status_changed). Calling
    again with the same key is safe (Stripe returns the same session).
    """
    errors: dict[str, str] = {}
    services._check_amount(errors, amount_cents)
    description = " ".join(str(description or "").split())
    if not description or len(description) > 250 or has_forbidden_characters(description):
        errors["description"] = _("Describe the payment in at most 250 characters.")
    check_url = URLValidator(schemes=["https"] if settings.PRODUCTION else ["http", "https"])
    for name, url in (("return_url", return_url), ("cancel_url", cancel_url)):
        try:
            check_url(url)
        except ValidationError:
            errors[name] = _("Enter a complete web address.")
    if not _IDEMPOTENCY_KEY.match(idempotency_key or ""):
        errors["idempotency_key"] = _("Invalid idempotency key.")
    if payer_email:
        try:
            validate_email(payer_email)
        except ValidationError:
            errors["payer_email"] = _("Enter a valid e-mail address.")
    metadata = dict(metadata or {})
    if len(metadata) > 20 or any(
        not _METADATA_KEY.match(str(k))
        or k in RESERVED_METADATA
        or not isinstance(v, str)
        or len(v) > 500
        or has_forbidden_characters(v)
        for k, v in metadata.items()
    ):
        errors["metadata"] = _("Invalid metadata.")
    account = (
        ProviderAccount.objects.filter(association=association, provider=provider).first()
        if provider in ProviderAccount.Provider.values
        else None
    )
    if account is None or not account.is_active:
        errors["provider"] = _("This payment service is not set up for your association.")
    if errors:
        raise ValidationError(errors)

    metadata[KEY_METADATA] = idempotency_key
    adapter = providers.get(provider)
    try:
        return adapter.start_checkout(
            account,
            amount_cents=amount_cents,
            description=description,
            payer_email=payer_email,
            return_url=return_url,
            cancel_url=cancel_url,
            idempotency_key=idempotency_key,
            metadata=metadata,
            donation=donation,
        )
    except ProviderUnavailable as error:
        logger.warning(
            "checkout at %s failed (association %s): %s", provider, association.pk, error
        )
        raise ValidationError(
            _("The payment service cannot be reached. Try again in a few minutes.")
        ) from None
    except ProviderError as error:
        logger.warning(
            "checkout at %s refused (association %s): %s", provider, association.pk, error
        )
        raise ValidationError(
            _("The payment service refused the payment. Its settings may need checking.")
        ) from None


# --- Subscriptions (monthly payments by card) ---------------------------------------------


def subscriptions_offered(association: Association) -> ProviderAccount | None:
    """The account, enabled and set up, of a service that takes monthly payments by card."""
    for account in ProviderAccount.objects.filter(association=association, enabled=True):
        if account.is_active and providers.get(account.provider).supports_subscriptions:
            return account
    return None


def _refusal(provider: str, association: Association, error: ProviderError, what: str):
    if isinstance(error, ProviderUnavailable):
        logger.warning(
            "%s at %s failed (association %s): %s", what, provider, association.pk, error
        )
        return ValidationError(
            _("The payment service cannot be reached. Try again in a few minutes.")
        )
    logger.warning("%s at %s refused (association %s): %s", what, provider, association.pk, error)
    return ValidationError(
        _("The payment service refused the change. Its settings may need checking.")
    )


def subscription_start(
    *,
    association: Association,
    provider: str,
    amount_cents: int,
    description: str,
    return_url: str,
    cancel_url: str,
    key: str,
    payer_email: str = "",
) -> Checkout:
    """Open a checkout where the payer agrees to pay `amount_cents` every month.

    `key` (e.g. "recurring:<uuid>") travels in the subscription's metadata; each month's
    payment is recorded with the key "<key>:<YYYY-MM>", and the subscription's changes are
    told through `subscription_changed`.
    """
    errors: dict[str, str] = {}
    services._check_amount(errors, amount_cents)
    description = " ".join(str(description or "").split())
    if not description or len(description) > 250 or has_forbidden_characters(description):
        errors["description"] = _("Describe the payment in at most 250 characters.")
    if not _IDEMPOTENCY_KEY.match(key or "") or len(key) > 180:
        errors["idempotency_key"] = _("Invalid idempotency key.")
    account = (
        ProviderAccount.objects.filter(association=association, provider=provider).first()
        if provider in ProviderAccount.Provider.values
        else None
    )
    if account is None or not account.is_active:
        errors["provider"] = _("This payment service is not set up for your association.")
    elif not providers.get(provider).supports_subscriptions:
        errors["provider"] = _("This payment service takes no monthly payments by card.")
    if errors:
        raise ValidationError(errors)
    adapter = providers.get(provider)
    try:
        return adapter.start_subscription(
            account,
            amount_cents=amount_cents,
            description=description,
            payer_email=payer_email,
            return_url=return_url,
            cancel_url=cancel_url,
            idempotency_key=key,
            metadata={KEY_METADATA: key},
        )
    except ProviderError as error:
        raise _refusal(provider, association, error, "subscription checkout") from None


def subscription_call(
    action: str, *, association: Association, provider: str, reference: str, **arguments
) -> None:
    """Run `action` ("pause", "resume", "change_amount", "cancel") on the subscription
    `reference` at `provider`; a refusal or an outage is a ValidationError for the screen.

    The account needs its keys, enabled or not: a service no longer offered to donors still
    holds the subscriptions started before.
    """
    account = ProviderAccount.objects.filter(association=association, provider=provider).first()
    if account is None or not account.is_configured:
        raise ValidationError(
            _("The payment service of this monthly gift is no longer set up: set its keys again.")
        )
    adapter = providers.get(provider)
    method = getattr(adapter, f"subscription_{action}")
    try:
        method(account, reference, **arguments)
    except ProviderError as error:
        raise _refusal(provider, association, error, f"subscription {action}") from None


# --- Notifications ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WebhookResult:
    status: int  # the HTTP status to answer
    outcome: str  # processed, ignored, duplicate, refused, unavailable
    detail: str = ""
    payments: tuple[int, ...] = ()  # ids of the payments recorded or changed


def webhook_account(provider: str, token: str) -> ProviderAccount | None:
    """The account whose notification address holds `token`, or None.

    Looked up by the token's SHA-256: the time the lookup takes says nothing about the
    token itself, and the database holds no usable token.
    """
    if provider not in ProviderAccount.Provider.values or not _TOKEN.match(token or ""):
        return None
    digest = ProviderAccount.token_digest(token)
    with scopes_disabled():
        account = (
            ProviderAccount.objects.select_related("association")
            .filter(provider=provider, webhook_token_digest=digest)
            .first()
        )
    if account is None or not hmac.compare_digest(account.webhook_token_digest, digest):
        return None
    return account


def webhook_receive(*, account: ProviderAccount, body: bytes, headers) -> WebhookResult:
    """Verify a notification addressed to `account` and record what it says.

    An account that is no longer offered to payers (enabled=False) still records: payments
    started before must not be lost.
    """
    adapter = providers.get(account.provider)
    try:
        message = adapter.read_webhook(account, body, headers)
    except WebhookRefused as refusal:
        return _refused(account, refusal.reason)
    with scope(association=account.association):
        if _received_again(account, message.event_id):
            return WebhookResult(200, "duplicate")
        try:
            events = [adapter.confirm_event(account, event) for event in message.events]
        except WebhookRefused as refusal:
            return _refused(account, refusal.reason, message)
        except ProviderError as error:
            # Unreachable, or our credentials refused: answer 503 so the service tries
            # again later (HelloAsso and Stripe both retry), rather than lose the payment.
            logger.warning(
                "payments webhook from %s (association %s) cannot be confirmed: %s",
                account.provider,
                account.association_id,
                error,
            )
            detail = (
                "the payment service cannot be reached"
                if isinstance(error, ProviderUnavailable)
                else "the payment service refused Essaim's credentials"
            )
            return WebhookResult(503, "unavailable", detail)
        confirmed = [event for event in events if event is not None]
        if message.events and not confirmed:
            message = dataclasses.replace(message, note="the service's state asks nothing")
        return _record(account, message, confirmed)


def _received_again(account: ProviderAccount, event_id: str) -> bool:
    """Counts one more delivery of an event already received; False for a new event."""
    return bool(
        WebhookDelivery.objects.filter(
            association=account.association, account=account, event_id=event_id
        ).update(attempts=F("attempts") + 1, last_received_at=timezone.now())
    )


def _refused(
    account: ProviderAccount, reason: str, message: WebhookMessage | None = None
) -> WebhookResult:
    # WARNING: someone or something is knocking with a wrong signature or a forged body; the
    # treasurer sees it among the deliveries (a signing secret pasted wrong shows up here).
    logger.warning(
        "payments webhook from %s refused (association %s): %s",
        account.provider,
        account.association_id,
        reason,
    )
    now = timezone.now()
    with scope(association=account.association):
        WebhookDelivery.objects.create(
            association=account.association,
            account=account,
            provider=account.provider,
            # Not the event id: it is not trustworthy, and must not block the real one.
            event_id="",
            event_type=message.event_type[:100] if message else "",
            outcome=Outcome.REFUSED,
            detail=reason[:255],
            received_at=now,
            last_received_at=now,
        )
    return WebhookResult(400, "refused", reason)


class _AlreadyReceived(Exception):
    pass


def _record(
    account: ProviderAccount, message: WebhookMessage, events: list[ProviderEvent]
) -> WebhookResult:
    now = timezone.now()
    try:
        with transaction.atomic():
            delivery = WebhookDelivery(
                association=account.association,
                account=account,
                provider=account.provider,
                event_id=message.event_id,
                event_type=message.event_type,
                outcome=Outcome.IGNORED,
                detail=message.note[:255] if message.note else "",
                received_at=now,
                last_received_at=now,
            )
            try:
                # First, so that the same event delivered twice at once stops here: the
                # second insert waits for the first transaction and fails once it commits.
                with transaction.atomic():
                    delivery.save(force_insert=True)
            except IntegrityError:
                raise _AlreadyReceived from None
            # The subscription first: a month's failure may pause it at the service.
            # (every event applied: a list, not a short-circuiting generator)
            told = [_apply_subscription(account, event) for event in message.subscriptions]
            changed = any(told)
            results = [_apply(account, event) for event in events]
            touched = [payment for outcome, payment, _detail in results if payment is not None]
            if changed or any(
                outcome == Outcome.PROCESSED for outcome, _payment, _detail in results
            ):
                delivery.outcome = Outcome.PROCESSED
            details = [detail for _outcome, _payment, detail in results if detail]
            if details:
                delivery.detail = "; ".join(details)[:255]
            if not events and not message.subscriptions and not delivery.detail:
                delivery.detail = "no payment in this event"
            delivery.payment = touched[0] if touched else None
            delivery.save(update_fields=["outcome", "detail", "payment"])
    except _AlreadyReceived:
        _received_again(account, message.event_id)
        return WebhookResult(200, "duplicate")
    logger.info(
        "payments webhook %s %s from %s (association %s): %s",
        message.event_type,
        message.event_id,
        account.provider,
        account.association_id,
        delivery.outcome,
    )
    return WebhookResult(
        200,
        delivery.outcome,
        delivery.detail,
        payments=tuple(dict.fromkeys(payment.pk for payment in touched)),
    )


def _apply_subscription(account: ProviderAccount, event: SubscriptionEvent) -> bool:
    """Tell the app that started the subscription; True when it changed something."""
    answers = subscription_changed.send(
        sender=ProviderAccount,
        association=account.association,
        provider=account.provider,
        event=event,
    )
    return any(bool(answer) for _receiver, answer in answers)


# The order of a payment's life, to break ties between two events of the same second
# (Stripe's times are whole seconds): at equal times the later state wins.
_RANK = {
    Status.PENDING: 0,
    Status.FAILED: 1,
    Status.CANCELLED: 1,
    Status.SUCCEEDED: 2,
    Status.REFUNDED: 3,
}


def _is_stale(payment: Payment, event: ProviderEvent) -> bool:
    if payment.status == Status.PENDING:
        return False
    if event.occurred_at < payment.status_changed_at:
        return True
    return (
        event.occurred_at == payment.status_changed_at
        and _RANK[event.status] < _RANK[payment.status]
    )


def _find(association, provider: str, reference: str, key: str) -> Payment | None:
    payments = Payment.objects.filter(association=association)
    found = payments.filter(provider=provider, provider_reference=reference).first()
    if found is None and key:
        found = payments.filter(idempotency_key=key).first()
    return found


def _attach(payment: Payment, account: ProviderAccount, event: ProviderEvent, key: str) -> None:
    """A payment found by its key (created by the caller before the checkout, or by an
    earlier event without metadata) gets the provider's reference, and the reverse."""
    changes = {}
    if not payment.provider_reference and payment.provider in ("", account.provider):
        changes = {"provider": account.provider, "provider_reference": event.provider_reference}
    elif not payment.idempotency_key and key:
        changes = {"idempotency_key": key}
    if not changes:
        return
    try:
        with transaction.atomic():
            Payment.objects.filter(pk=payment.pk, association=payment.association).update(
                **changes, updated_at=timezone.now()
            )
    except IntegrityError:
        # Another payment already holds that reference or key: leave both as they are.
        logger.warning("payments webhook: payment %s cannot take its reference", payment.pk)


def _clean_name(name: str) -> str:
    name = name.encode("utf-8", "ignore").decode("utf-8").replace("\x00", "")
    return " ".join(name.split())[:200]


def _paid_on(event: ProviderEvent):
    if event.status not in (Status.SUCCEEDED, Status.REFUNDED) or event.paid_at is None:
        return None
    return min(timezone.localdate(event.paid_at), timezone.localdate())


def _describe(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)[:255]


def _apply(account: ProviderAccount, event: ProviderEvent) -> tuple[str, Payment | None, str]:
    """Record one event: (outcome, payment, detail)."""
    association = account.association
    key = event.metadata.get(KEY_METADATA, "")
    if not _IDEMPOTENCY_KEY.match(key):
        key = ""
    payment = _find(association, account.provider, event.provider_reference, key)
    if payment is None:
        try:
            payment = services.payment_record(
                association=association,
                acting_user=None,
                amount_cents=event.amount_cents,
                method=event.method,
                status=event.status,
                paid_on=_paid_on(event),
                occurred_at=event.occurred_at,
                payer_name=_clean_name(event.payer_name),
                provider=account.provider,
                provider_reference=event.provider_reference,
                idempotency_key=key,
                reason=_clean_name(event.reason),
            )
        except ValidationError as error:
            logger.warning("payments webhook event not recorded: %s", _describe(error))
            return Outcome.IGNORED, None, _describe(error)
        if payment.status == event.status:
            return Outcome.PROCESSED, payment, ""
        # Recorded a moment ago by another delivery, in another state: apply ours to it.
    # Locked until the delivery commits: the checks below see what the update will change.
    payment = Payment.objects.select_for_update().get(pk=payment.pk, association=association)
    _attach(payment, account, event, key)
    if payment.amount_cents != event.amount_cents:
        logger.warning("payments webhook: amount differs from payment %s", payment.pk)
        return Outcome.IGNORED, payment, "the amount differs from the payment recorded"
    if event.status == payment.status or event.status == Status.PENDING:
        return Outcome.IGNORED, payment, "already known"
    if _is_stale(payment, event):
        return Outcome.IGNORED, payment, "older than the payment's current state"
    try:
        if event.status == Status.REFUNDED and payment.status in (Status.PENDING, Status.FAILED):
            # A refund says the payment went through: its success is late (or lost), so it
            # is applied first, at the time the money came in (e.g. a declined card, then a
            # success and its refund, the success delivered last).
            paid_at = max(event.paid_at or event.occurred_at, payment.status_changed_at)
            payment = services.payment_update_status(
                association=association,
                acting_user=None,
                payment=payment,
                status=Status.SUCCEEDED,
                occurred_at=min(paid_at, event.occurred_at),
                paid_on=_paid_on(event),
            )
        payment = services.payment_update_status(
            association=association,
            acting_user=None,
            payment=payment,
            status=event.status,
            occurred_at=event.occurred_at,
            reason=_clean_name(event.reason)[:255],
        )
    except ValidationError as error:
        logger.warning("payments webhook: payment %s not changed: %s", payment.pk, _describe(error))
        return Outcome.IGNORED, payment, _describe(error)
    return Outcome.PROCESSED, payment, ""
