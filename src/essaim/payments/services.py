"""Services of payments: record a payment, change its status.

Every service takes `association=` and `acting_user=` (None for a provider event or a
background job), runs in a transaction, writes the activity log, tells the apps above through
`signals.payment_status_changed` and returns the payment.

Two rules make a payment count once:
- **idempotency**: a payment recorded again with the same `idempotency_key`, or the same
  `provider` + `provider_reference`, is the first one, returned as it is. The database's unique
  constraints decide between two requests racing each other (see `payment_record`).
- **ordering**: a status only moves along `TRANSITIONS`, and an event older than the payment's
  current status (`occurred_at` < `status_changed_at`) is late and changes nothing. Providers
  deliver webhooks at least once and in no particular order (Stripe and HelloAsso both say so).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log
from essaim.core.models import Association
from essaim.lib import bulk
from essaim.lib.money import format_euros
from essaim.lib.text import has_forbidden_characters
from essaim.people.models import Person

from .models import Payment
from .signals import payment_status_changed

Status = Payment.Status

# 10 million euros: an association's largest legacy is below; above, it is a typo (cents
# typed as euros) or an attack, not a payment. Also far below PositiveIntegerField's limit.
MAX_AMOUNT_CENTS = 1_000_000_000

# Where each status may go. Everything else is refused, except a late event (see above).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED}),
    # FAILED after SUCCEEDED: a bounced cheque, a SEPA debit returned by the debtor's bank
    # after settlement (insufficient funds, closed account: R-transactions up to 5 days later).
    Status.SUCCEEDED: frozenset({Status.REFUNDED, Status.FAILED}),
    # SUCCEEDED after FAILED: a card refused then accepted in the same checkout, a cheque
    # presented a second time.
    Status.FAILED: frozenset({Status.SUCCEEDED}),
    Status.REFUNDED: frozenset(),
    Status.CANCELLED: frozenset(),
}

TEXT_LIMITS = {
    "status_reason": 255,
    "payer_name": 200,
    "provider_reference": 255,
    "idempotency_key": 255,
    "reference": 140,
    "note": 255,
}


def _check_text(errors: dict, name: str, value: str) -> str:
    value = " ".join(str(value or "").split()) if name != "note" else str(value or "").strip()
    limit = TEXT_LIMITS[name]
    if len(value) > limit:
        errors[name] = _("At most %(limit)d characters.") % {"limit": limit}
    elif has_forbidden_characters(value):
        errors[name] = _("This text contains characters that are not allowed.")
    return value


def _check_amount(errors: dict, amount_cents) -> None:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        errors["amount_cents"] = _("The amount must be a whole number of cents.")
    elif amount_cents <= 0:
        errors["amount_cents"] = _("The amount must be positive.")
    elif amount_cents > MAX_AMOUNT_CENTS:
        errors["amount_cents"] = _("The amount cannot be above %(limit)s.") % {
            "limit": format_euros(MAX_AMOUNT_CENTS)
        }


def _check_paid_on(errors: dict, paid_on: dt.date | None) -> None:
    if paid_on is None:
        return
    if not isinstance(paid_on, dt.date) or isinstance(paid_on, dt.datetime):
        errors["paid_on"] = _("Give the date of payment as a date.")
    elif paid_on > timezone.localdate():
        errors["paid_on"] = _("The date of payment cannot be in the future.")


def _check_occurred_at(occurred_at: dt.datetime | None) -> None:
    if occurred_at is not None and timezone.is_naive(occurred_at):
        # A programming error, not a user's: provider adapters pass aware datetimes.
        raise ValueError("occurred_at must be timezone-aware")


def _find_existing(
    association: Association, provider: str, provider_reference: str, idempotency_key: str
) -> Payment | None:
    payments = Payment.objects.filter(association=association)
    if idempotency_key:
        found = payments.filter(idempotency_key=idempotency_key).first()
        if found is not None:
            return found
    if provider_reference:
        return payments.filter(provider=provider, provider_reference=provider_reference).first()
    return None


def _same_payment(existing: Payment, amount_cents: int) -> Payment:
    # Reusing a key for another amount is a bug of the caller (or a forged request): say so
    # rather than hand back a payment of another amount as if it were the one asked for.
    if existing.amount_cents != amount_cents:
        raise ValidationError(
            {
                "amount_cents": _(
                    "This payment was already recorded, with another amount (%(amount)s)."
                )
                % {"amount": format_euros(existing.amount_cents)}
            }
        )
    return existing


@transaction.atomic
def payment_record(
    *,
    association: Association,
    acting_user,
    amount_cents: int,
    method: str,
    status: str = Status.SUCCEEDED,
    paid_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
    person: Person | None = None,
    payer_name: str = "",
    provider: str = "",
    provider_reference: str = "",
    idempotency_key: str = "",
    reference: str = "",
    note: str = "",
    currency: str = "EUR",
    reason: str = "",
) -> Payment:
    """Record a payment, or return the one already recorded for the same key.

    `status` is SUCCEEDED for money in hand (cash, a cheque, a transfer seen on the statement)
    and PENDING for money announced (a checkout started, a debit sent to the bank).
    `paid_on` defaults to the day of `occurred_at`, or today, for received money.
    `idempotency_key` (chosen by the caller) or `provider` + `provider_reference` (the
    provider's id) make the call safe to repeat: the first payment is returned, never a second
    one, even when two requests race (the unique constraints of Payment decide).
    `reason` says why a payment recorded as failed or refunded is so (a provider's event).
    """
    errors: dict[str, str] = {}
    _check_amount(errors, amount_cents)
    if currency != "EUR":
        errors["currency"] = _("Payments are in euros only.")
    if method not in Payment.Method.values:
        errors["method"] = _("Unknown payment method.")
    if status not in Status.values:
        errors["status"] = _("Unknown payment status.")
    if provider not in Payment.Provider.values:
        errors["provider"] = _("Unknown payment service.")
    _check_paid_on(errors, paid_on)
    _check_occurred_at(occurred_at)
    if status == Status.PENDING and paid_on is not None:
        errors["paid_on"] = _("A payment still awaited has no date of payment yet.")
    if person is not None and person.association_id != association.pk:
        errors["person"] = _("Unknown contact.")
    texts = {
        name: _check_text(errors, name, value)
        for name, value in (
            ("payer_name", payer_name),
            ("provider_reference", provider_reference),
            ("idempotency_key", idempotency_key),
            ("reference", reference),
            ("note", note),
            ("status_reason", reason),
        )
    }
    if errors:
        raise ValidationError(errors)

    existing = _find_existing(
        association, provider, texts["provider_reference"], texts["idempotency_key"]
    )
    if existing is not None:
        return _same_payment(existing, amount_cents)

    when = occurred_at or timezone.now()
    if status in (Status.SUCCEEDED, Status.REFUNDED) and paid_on is None:
        paid_on = timezone.localdate(when)
    if not texts["payer_name"] and person is not None:
        texts["payer_name"] = person.full_name[:200]
    payment = Payment(
        association=association,
        amount_cents=amount_cents,
        currency=currency,
        method=method,
        status=status,
        paid_on=paid_on,
        status_changed_at=when,
        person=person,
        provider=provider,
        recorded_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        **texts,
    )
    try:
        # A savepoint: when another request recorded the same key a moment ago, its row wins
        # the unique index and ours is rolled back alone, not the caller's whole transaction.
        # On PostgreSQL the insert waits for the other transaction and fails once it commits;
        # on SQLite (IMMEDIATE transactions) the two never overlap and the lookup above finds it.
        with transaction.atomic():
            payment.save(force_insert=True)
    except IntegrityError:
        existing = _find_existing(
            association, provider, texts["provider_reference"], texts["idempotency_key"]
        )
        if existing is None:
            raise
        return _same_payment(existing, amount_cents)

    if person is not None:
        Person.objects.filter(pk=person.pk).update(last_activity_at=timezone.now())
    audit_log(
        association=association,
        actor=acting_user,
        action="payment.record",
        obj=payment,
        data={
            "amount_cents": amount_cents,
            "method": method,
            "status": status,
            "provider": provider,
        },
    )
    payment_status_changed.send(
        sender=Payment,
        association=association,
        payment=payment,
        previous=None,
        acting_user=acting_user,
    )
    return payment


@transaction.atomic
def payment_update_status(
    *,
    association: Association,
    acting_user,
    payment: Payment,
    status: str,
    occurred_at: dt.datetime | None = None,
    paid_on: dt.date | None = None,
    reason: str = "",
) -> Payment:
    """Move a payment to `status` (received, failed, refunded, cancelled).

    Repeating the current status changes nothing (a webhook delivered twice). An event older
    than the current status (`occurred_at`, the provider's time of the event) changes nothing
    either: a "succeeded" delivered after the "refunded" that followed it must not revive the
    payment. A move outside `TRANSITIONS` is refused with a ValidationError that says why.
    `paid_on` (the day the money arrived) is only for a move to received; it defaults to the
    day of `occurred_at`, or today.
    """
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown payment status.")})
    _check_occurred_at(occurred_at)
    errors: dict[str, str] = {}
    _check_paid_on(errors, paid_on)
    if paid_on is not None and status != Status.SUCCEEDED:
        errors["paid_on"] = _("Only a received payment has a date of payment.")
    reason = " ".join(str(reason or "").split())
    if len(reason) > 255:
        errors["reason"] = _("At most %(limit)d characters.") % {"limit": 255}
    elif has_forbidden_characters(reason):
        errors["reason"] = _("This text contains characters that are not allowed.")
    if errors:
        raise ValidationError(errors)

    current = Payment.objects.select_for_update().get(pk=payment.pk, association=association)
    if current.status == status:
        return current
    if (
        occurred_at is not None
        and current.status != Status.PENDING  # set when recorded, not by an event
        and occurred_at < current.status_changed_at
    ):
        return current
    # A payment the team typed in by mistake (no payment service behind it) may be cancelled
    # after it was received; money that really came in is refunded instead.
    mistake = (
        status == Status.CANCELLED
        and current.status == Status.SUCCEEDED
        and current.provider == Payment.Provider.MANUAL
    )
    if status not in TRANSITIONS[current.status] and not mistake:
        raise ValidationError(
            {
                "status": _("This payment is “%(current)s”: it cannot become “%(new)s”.")
                % {
                    "current": current.get_status_display(),
                    "new": Status(status).label,
                }
            }
        )

    previous = current.status
    when = occurred_at or timezone.now()
    current.status = status
    current.status_changed_at = when
    current.status_reason = reason
    if status == Status.SUCCEEDED:
        current.paid_on = paid_on or timezone.localdate(when)
    current.save(
        update_fields=["status", "status_changed_at", "status_reason", "paid_on", "updated_at"]
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="payment.status",
        obj=current,
        changes={"status": [previous, status]},
        data={"occurred_at": occurred_at} if occurred_at else None,
    )
    payment_status_changed.send(
        sender=Payment,
        association=association,
        payment=current,
        previous=previous,
        acting_user=acting_user,
    )
    return current


@transaction.atomic
def payment_record_many(
    *, association: Association, acting_user, rows: list[dict]
) -> list[Payment]:
    """Record many received payments at once (an import, a bulk action): one insert, one
    activity-log line. Each row holds amount_cents, method, paid_on and optionally person_id,
    payer_name, reference and note; rows are checked like `payment_record`'s and the whole
    batch is refused if one is wrong. No idempotency key: the caller writes each batch once
    (in its own transaction). Sends no `payment_status_changed`: the caller is the one app
    the payments are for, and links them itself."""
    now = timezone.now()
    today = timezone.localdate()
    recorder = acting_user.pk if getattr(acting_user, "is_authenticated", False) else None
    payments = []
    for index, row in enumerate(rows):
        errors: dict[str, str] = {}
        _check_amount(errors, row.get("amount_cents"))
        if row.get("method") not in Payment.Method.values:
            errors["method"] = _("Unknown payment method.")
        paid_on = row.get("paid_on")
        if not isinstance(paid_on, dt.date) or paid_on > today:
            errors["paid_on"] = _("The date of payment cannot be in the future.")
        texts = {
            name: " ".join(str(row.get(name) or "").split())
            for name in ("payer_name", "reference", "note")
        }
        for name, value in texts.items():
            if len(value) > TEXT_LIMITS[name] or has_forbidden_characters(value):
                errors[name] = _("This text contains characters that are not allowed.")
        if errors:
            raise ValidationError({f"{index}.{name}": message for name, message in errors.items()})
        payments.append(
            bulk.new(
                Payment,
                association_id=association.pk,
                amount_cents=row["amount_cents"],
                method=row["method"],
                status=Status.SUCCEEDED,
                paid_on=paid_on,
                status_changed_at=now,
                person_id=row.get("person_id"),
                recorded_by_id=recorder,
                **texts,
            )
        )
    bulk.insert(payments, now=now)
    if payments:
        audit_log(
            association=association,
            actor=acting_user,
            action="payment.record_many",
            object_type="payment",
            object_repr=str(len(payments)),
            data={"count": len(payments), "amount_cents": sum(p.amount_cents for p in payments)},
        )
    return payments
