"""Monthly gifts (dons mensuels) by SEPA direct debit, or by card through Stripe.

Each month, the debit source `recurring_due` tells the payments app what is due: one debit
per active monthly gift, keyed `recurring:<uuid>:<YYYY-MM>` (so a month is never debited
twice); a paused gift is skipped until its `paused_until` (or until resumed), a cancelled
one for ever. When such a payment is collected, it becomes a Gift (campaign, source, the
monthly gift), once even if the news comes twice. A refused or returned debit records no
gift; after FAILURES_BEFORE_PAUSE of them in a row the gift is paused, and the team sees it
(the list of monthly gifts and the activity log).

By card (method `card_online`), the gift is a Stripe subscription (`provider_reference`):
Stripe takes the money each month and notifies it; the payment arrives keyed
`recurring:<uuid>:<YYYY-MM>` (payments.online, from the subscription's metadata) and follows
the same path as a SEPA debit: a gift once, a failure counted once, paused after two in a row
(and then paused at Stripe too). What changes at Stripe (paused, resumed, new amount,
cancelled, from its dashboard or after its own retries) comes back through
`on_subscription_event`; a notification older than the last change applied changes nothing.
HelloAsso takes no monthly payments through its checkout intents: monthly gifts by card are
offered only with Stripe.

The team (back office) and the donor (their account space) pause, resume, change the
amount and cancel through the services below; for a gift by card each of them calls Stripe
first, and nothing changes here when Stripe refuses or cannot be reached.
"""

import datetime as dt
import logging
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_scopes import scope

from essaim.core.audit import audit_log
from essaim.core.models import Association, AuditLog
from essaim.lib.money import format_euros
from essaim.payments import mandates as mandate_services
from essaim.payments import online
from essaim.payments.debit_sources import DueDebit
from essaim.payments.models import Mandate, Payment
from essaim.payments.providers import SubscriptionEvent
from essaim.payments.providers.base import (
    SUBSCRIPTION_ACTIVE,
    SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_PAUSED,
)

from .donations import MAX_MONTHLY_CENTS, MIN_GIFT_CENTS, intent_paid, record_gift
from .models import GiftIntent, RecurringGift

logger = logging.getLogger(__name__)

PREFIX = "recurring:"
FAILURES_BEFORE_PAUSE = 2
_KEY = re.compile(r"^recurring:([0-9a-f-]{36}):(\d{4})-(\d{2})$")
_BASE_KEY = re.compile(r"^recurring:([0-9a-f-]{36})$")
# The only service with monthly payments by card (see the module's docstring).
CARD_PROVIDER = "stripe"
MAX_PAUSE_DAYS = 366

Status = RecurringGift.Status
Method = RecurringGift.Method


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def recurring_key(gift: RecurringGift, day: dt.date) -> str:
    return f"{PREFIX}{gift.uuid}:{month_of(day)}"


def subscription_key(gift: RecurringGift) -> str:
    """The key a card gift's subscription carries; its months' payments add ":<YYYY-MM>"."""
    return f"{PREFIX}{gift.uuid}"


def by_card(gift: RecurringGift) -> bool:
    return gift.method == Method.CARD_ONLINE


def parse_key(key: str) -> tuple[str, dt.date] | None:
    """(uuid, first day of the month) of a `recurring:<uuid>:<YYYY-MM>` key, or None."""
    match = _KEY.match(key or "")
    if match is None:
        return None
    try:
        month = dt.date(int(match[2]), int(match[3]), 1)
    except ValueError:
        return None
    return match[1], month


def is_due(gift: RecurringGift, collection_date: dt.date) -> bool:
    """Whether the gift is debited in a batch collected on `collection_date`."""
    if gift.status == Status.CANCELLED:
        return False
    if gift.status == Status.PAUSED and (
        gift.paused_until is None or gift.paused_until > collection_date
    ):
        return False
    return month_of(gift.started_on) <= month_of(collection_date)


def effective_status(gift: RecurringGift, today: dt.date | None = None) -> str:
    """A pause whose end has come is over, even before anyone saves the gift."""
    today = today or timezone.localdate()
    if gift.status == Status.PAUSED and gift.paused_until and gift.paused_until <= today:
        return Status.ACTIVE
    return gift.status


def paused_after_failures(gift: RecurringGift) -> bool:
    return gift.status == Status.PAUSED and gift.failed_debits >= FAILURES_BEFORE_PAUSE


# --- The debit source ---------------------------------------------------------------------


def recurring_due(association: Association, collection_date: dt.date) -> list[DueDebit]:
    """The month's debit of every monthly gift due on `collection_date`."""
    gifts = (
        RecurringGift.objects.filter(
            association=association,
            status__in=(Status.ACTIVE, Status.PAUSED),
            method=RecurringGift.Method.SEPA_DEBIT,
            mandate__status=Mandate.Status.ACTIVE,
            mandate__signed_on__lte=collection_date,
        )
        .select_related("mandate", "campaign")
        .order_by("started_on", "id")
    )
    month = date_format(collection_date, "F Y")
    due = []
    for gift in gifts:
        if not is_due(gift, collection_date):
            continue
        due.append(
            DueDebit(
                mandate=gift.mandate,
                amount_cents=gift.amount_cents,
                remittance=_("Monthly gift %(name)s %(month)s")
                % {"name": association.name, "month": month},
                key=recurring_key(gift, collection_date),
                label=_("Monthly gift — %(month)s") % {"month": month},
            )
        )
    return due


# --- When a month's debit moves -----------------------------------------------------------


def _failure_counted(association: Association, payment: Payment) -> bool:
    return AuditLog.objects.filter(
        association=association, action="recurring.debit_failed", object_id=str(payment.uuid)
    ).exists()


def on_recurring_payment(association: Association, payment: Payment) -> None:
    """A payment keyed `recurring:<uuid>:<YYYY-MM>` was recorded or changed status."""
    parsed = parse_key(payment.idempotency_key)
    if parsed is None:
        return
    gift = (
        RecurringGift.objects.select_for_update()
        .filter(association=association, uuid=parsed[0])
        .first()
    )
    if gift is None:
        logger.warning("payment %s names an unknown monthly gift", payment.pk)
        return
    if payment.status == Payment.Status.SUCCEEDED:
        _collected(association, gift, payment)
    elif payment.status == Payment.Status.FAILED:
        _failed(association, gift, payment)


def _collected(association: Association, gift: RecurringGift, payment: Payment) -> None:
    intent = GiftIntent.objects.filter(association=association, recurring=gift).first()
    if intent is not None and intent.gift_id is None:
        # The first month: the gift promised on the form is paid, the donor thanked.
        intent_paid(association, intent, payment)
    else:
        record_gift(
            association,
            payment,
            person=gift.person,
            campaign=gift.campaign,
            source=gift.source,
            recurring=gift,
        )
    changes = {}
    if gift.failed_debits:
        changes["failed_debits"] = 0
    if effective_status(gift) != gift.status:  # the pause has ended
        changes.update(status=Status.ACTIVE, paused_until=None)
    if changes:
        RecurringGift.objects.filter(pk=gift.pk).update(**changes, updated_at=timezone.now())


def _failed(association: Association, gift: RecurringGift, payment: Payment) -> None:
    """No gift; one more failure in a row (counted once per payment); paused at the limit."""
    if _failure_counted(association, payment):
        return
    failures = gift.failed_debits + 1
    audit_log(
        association=association,
        actor=None,
        action="recurring.debit_failed",
        object_type="payment",
        object_id=str(payment.uuid),
        object_repr=str(gift),
        data={"monthly_gift": str(gift.uuid), "failures": failures},
    )
    fields = {"failed_debits": failures}
    if failures >= FAILURES_BEFORE_PAUSE and gift.status == Status.ACTIVE:
        fields.update(status=Status.PAUSED, paused_until=None)
        audit_log(
            association=association,
            actor=None,
            action="recurring.auto_pause",
            obj=gift,
            data={"failures": failures},
        )
        if by_card(gift) and gift.provider_reference:
            fields["provider_synced_at"] = timezone.now()
            gift_pk = gift.pk
            transaction.on_commit(lambda: _pause_at_provider(association, gift_pk))
    RecurringGift.objects.filter(pk=gift.pk).update(**fields, updated_at=timezone.now())


def _pause_at_provider(association: Association, gift_pk: int) -> None:
    """After two failed months, Stripe stops trying too (until the gift is resumed). Run
    after the notification's transaction: a service down does not lose the notification."""
    with scope(association=association):
        gift = RecurringGift.objects.filter(pk=gift_pk, association=association).first()
        if gift is None or gift.status != Status.PAUSED or not gift.provider_reference:
            return
        try:
            online.subscription_call(
                "pause",
                association=association,
                provider=CARD_PROVIDER,
                reference=gift.provider_reference,
            )
        except ValidationError as error:
            logger.warning(
                "monthly gift %s paused after failures, but not at Stripe: %s",
                gift.pk,
                " ".join(error.messages),
            )


def cancel_subscriptions_after_commit(association: Association, references) -> None:
    """Cancel these Stripe subscriptions once the caller's transaction is committed (an
    erasure: it must not fail because Stripe is down; a failure is logged for the team)."""
    references = list(references)
    if not references:
        return

    def cancel():
        with scope(association=association):
            for reference in references:
                try:
                    online.subscription_call(
                        "cancel",
                        association=association,
                        provider=CARD_PROVIDER,
                        reference=reference,
                    )
                except ValidationError as error:
                    logger.error(
                        "Stripe subscription %s of an erased donor not cancelled, cancel it "
                        "in Stripe's dashboard: %s",
                        reference,
                        " ".join(error.messages),
                    )
                    # The team sees it in the activity log.
                    audit_log(
                        association=association,
                        actor=None,
                        action="recurring.stripe_cancel_failed",
                        object_type="subscription",
                        object_id=reference,
                        object_repr=reference,
                    )

    transaction.on_commit(cancel)


# --- When the subscription changes at the payment service ---------------------------------


def _gift_of_subscription(association: Association, event: SubscriptionEvent):
    match = _BASE_KEY.match(event.key or "")
    gifts = RecurringGift.objects.select_for_update().filter(
        association=association, method=Method.CARD_ONLINE
    )
    if match is not None:
        return gifts.filter(uuid=match[1]).first()
    if event.provider_reference:
        return gifts.filter(provider_reference=event.provider_reference).first()
    return None


def on_subscription_event(association: Association, provider: str, event: SubscriptionEvent):
    """A card gift's subscription was linked or changed at Stripe; True if anything changed."""
    if provider != CARD_PROVIDER:
        return False
    gift = _gift_of_subscription(association, event)
    if gift is None:
        if (event.key or "").startswith(PREFIX):
            logger.warning("a subscription notification names no monthly gift by card")
        return False
    changes: dict = {}
    if event.provider_reference and event.provider_reference != gift.provider_reference:
        if gift.provider_reference:
            logger.warning("monthly gift %s: another subscription is notified", gift.pk)
            return False
        changes["provider_reference"] = event.provider_reference
    synced = gift.provider_synced_at
    if event.state and not (synced and event.occurred_at <= synced):
        changes.update(_state_changes(association, gift, event))
    if not changes:
        return False
    RecurringGift.objects.filter(pk=gift.pk).update(**changes, updated_at=timezone.now())
    return True


def _state_changes(association: Association, gift: RecurringGift, event: SubscriptionEvent):
    changes: dict = {"provider_synced_at": event.occurred_at}
    if gift.status == Status.CANCELLED:
        return changes  # never comes back
    if event.state == SUBSCRIPTION_CANCELLED:
        if not event.provider_reference and gift.provider_reference:
            # An expired checkout, while the subscription exists: another checkout of the
            # same gift was completed.
            return changes
        changes.update(status=Status.CANCELLED, cancelled_at=timezone.now(), paused_until=None)
        audit_log(
            association=association,
            actor=None,
            action="recurring.cancel",
            obj=gift,
            data={"by": "stripe" if event.provider_reference else "checkout expired"},
        )
        if not event.provider_reference:
            from .models import GiftIntent

            GiftIntent.objects.filter(
                association=association, recurring=gift, status=GiftIntent.Status.PENDING
            ).update(status=GiftIntent.Status.CANCELLED, updated_at=timezone.now())
        return changes
    if event.state == SUBSCRIPTION_PAUSED and (
        gift.status != Status.PAUSED or gift.paused_until != event.paused_until
    ):
        changes.update(status=Status.PAUSED, paused_until=event.paused_until)
        audit_log(
            association=association,
            actor=None,
            action="recurring.pause",
            obj=gift,
            data={"until": event.paused_until, "by": "stripe"},
        )
    elif event.state == SUBSCRIPTION_ACTIVE and gift.status == Status.PAUSED:
        changes.update(status=Status.ACTIVE, paused_until=None, failed_debits=0)
        audit_log(
            association=association,
            actor=None,
            action="recurring.resume",
            obj=gift,
            data={"by": "stripe"},
        )
    if event.amount_cents and event.amount_cents != gift.amount_cents:
        changes["amount_cents"] = event.amount_cents
        audit_log(
            association=association,
            actor=None,
            action="recurring.amount",
            obj=gift,
            changes={"amount_cents": [gift.amount_cents, event.amount_cents]},
            data={"by": "stripe"},
        )
    return changes


# --- Pause, resume, change, cancel --------------------------------------------------------


def _lock(association: Association, gift: RecurringGift) -> RecurringGift:
    return RecurringGift.objects.select_for_update().get(pk=gift.pk, association=association)


def _refuse_cancelled(gift: RecurringGift) -> None:
    if gift.status == Status.CANCELLED:
        raise ValidationError(_("This monthly gift is cancelled."))


def _at_stripe(association: Association, gift: RecurringGift, action: str, **arguments) -> None:
    """Make the change at Stripe first (a card gift): a refusal changes nothing here."""
    if not by_card(gift):
        return
    if not gift.provider_reference:
        raise ValidationError(
            _(
                "The donor has not finished their first card payment yet: "
                "nothing can be changed before."
            )
        )
    online.subscription_call(
        action,
        association=association,
        provider=CARD_PROVIDER,
        reference=gift.provider_reference,
        **arguments,
    )
    gift.provider_synced_at = timezone.now()


@transaction.atomic
def recurring_pause(
    *,
    association: Association,
    acting_user,
    recurring: RecurringGift,
    until: dt.date | None = None,
) -> RecurringGift:
    """No debit until `until` (included: debits start again on that day) or until resumed."""
    gift = _lock(association, recurring)
    _refuse_cancelled(gift)
    today = timezone.localdate()
    if until is not None:
        if not isinstance(until, dt.date) or isinstance(until, dt.datetime):
            raise ValidationError({"until": _("Give a date.")})
        if until <= today:
            raise ValidationError({"until": _("The end of the pause must be in the future.")})
        if until > today + dt.timedelta(days=MAX_PAUSE_DAYS):
            raise ValidationError(
                {"until": _("A pause lasts a year at most: cancel the gift instead.")}
            )
    _at_stripe(association, gift, "pause", until=until)
    gift.status = Status.PAUSED
    gift.paused_until = until
    gift.save(update_fields=["status", "paused_until", "provider_synced_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="recurring.pause",
        obj=gift,
        data={"until": until},
    )
    return gift


@transaction.atomic
def recurring_resume(
    *, association: Association, acting_user, recurring: RecurringGift
) -> RecurringGift:
    """Debit again from the next batch; the count of failed debits starts again."""
    gift = _lock(association, recurring)
    _refuse_cancelled(gift)
    if not by_card(gift) and (gift.mandate is None or gift.mandate.status != Mandate.Status.ACTIVE):
        raise ValidationError(
            _("The direct debit mandate of this gift is no longer valid: a new one is needed.")
        )
    if gift.status == Status.ACTIVE and not gift.failed_debits:
        return gift
    if gift.status == Status.PAUSED:
        _at_stripe(association, gift, "resume")
    gift.status = Status.ACTIVE
    gift.paused_until = None
    gift.failed_debits = 0
    gift.save(
        update_fields=[
            "status",
            "paused_until",
            "failed_debits",
            "provider_synced_at",
            "updated_at",
        ]
    )
    audit_log(association=association, actor=acting_user, action="recurring.resume", obj=gift)
    return gift


@transaction.atomic
def recurring_change_amount(
    *, association: Association, acting_user, recurring: RecurringGift, amount_cents: int
) -> RecurringGift:
    """A new monthly amount, from the next debit not yet sent to the bank."""
    gift = _lock(association, recurring)
    _refuse_cancelled(gift)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise ValidationError({"amount_cents": _("Give an amount in euros, for example 30.")})
    if amount_cents < MIN_GIFT_CENTS:
        raise ValidationError(
            {"amount_cents": _("The smallest gift is %(min)s.") % {"min": format_euros(100)}}
        )
    if amount_cents > MAX_MONTHLY_CENTS:
        raise ValidationError(
            {
                "amount_cents": _("A monthly gift is %(max)s at most.")
                % {"max": format_euros(MAX_MONTHLY_CENTS)}
            }
        )
    if amount_cents == gift.amount_cents:
        return gift
    _at_stripe(
        association,
        gift,
        "change_amount",
        amount_cents=amount_cents,
        description=(_("Monthly gift to %(name)s") % {"name": association.name})[:250],
    )
    before = gift.amount_cents
    gift.amount_cents = amount_cents
    gift.save(update_fields=["amount_cents", "provider_synced_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="recurring.amount",
        obj=gift,
        changes={"amount_cents": [before, amount_cents]},
    )
    return gift


@transaction.atomic
def recurring_cancel(
    *, association: Association, acting_user, recurring: RecurringGift
) -> RecurringGift:
    """Stop for ever. The mandate, signed for this gift alone, is revoked with it (debits
    already sent to the bank are not recalled); by card, the Stripe subscription is
    cancelled (a card gift whose checkout was never finished has none)."""
    gift = _lock(association, recurring)
    if gift.status == Status.CANCELLED:
        return gift
    if by_card(gift) and gift.provider_reference:
        _at_stripe(association, gift, "cancel")
    gift.status = Status.CANCELLED
    gift.cancelled_at = timezone.now()
    gift.paused_until = None
    gift.save(
        update_fields=["status", "cancelled_at", "paused_until", "provider_synced_at", "updated_at"]
    )
    audit_log(association=association, actor=acting_user, action="recurring.cancel", obj=gift)
    mandate = gift.mandate
    if (
        mandate is not None
        and mandate.status == Mandate.Status.ACTIVE
        and not RecurringGift.objects.filter(association=association, mandate=mandate)
        .exclude(pk=gift.pk)
        .exclude(status=Status.CANCELLED)
        .exists()
    ):
        mandate_services.mandate_revoke(
            association=association, acting_user=acting_user, mandate=mandate
        )
    return gift


def recurring_of(association: Association):
    return RecurringGift.objects.filter(association=association).select_related(
        "person", "campaign", "mandate"
    )


def recurring_gifts_count(gift: RecurringGift) -> dict:
    """What a monthly gift brought: {count, total_cents}."""
    from django.db.models import Count, Sum

    figures = gift.gifts.aggregate(count=Count("id"), total=Sum("amount_cents"))
    return {"count": figures["count"], "total_cents": figures["total"] or 0}


# --- The actions of the screens (back office and donor space) -----------------------------

DONOR_ACTIONS = ("pause", "resume", "amount", "cancel")


def done_message(action: str, gift: RecurringGift | None = None) -> str:
    if gift is not None and by_card(gift):
        return {
            "pause": _("The monthly gift is paused: the card is not charged during the pause."),
            "resume": _("The monthly gift starts again from the next monthly payment."),
            "amount": _("The monthly amount is changed from the next monthly payment."),
            "cancel": _("The monthly gift is stopped. The card will not be charged again."),
        }[action]
    return {
        "pause": _("The monthly gift is paused."),
        "resume": _("The monthly gift starts again from the next collection."),
        "amount": _("The monthly amount is changed from the next collection."),
        "cancel": _("The monthly gift is stopped. Its direct debit mandate is revoked."),
    }[action]


def perform(action: str, *, association, acting_user, recurring: RecurringGift, data, prefix=""):
    """Run one of DONOR_ACTIONS from a posted form; returns the error to show, or ""."""
    from .campaign_forms import MonthlyAmountForm, PauseForm

    try:
        if action == "pause":
            form = PauseForm(data, prefix=prefix or None)
            if not form.is_valid():
                return " ".join(m for ms in form.errors.values() for m in ms)
            recurring_pause(
                association=association,
                acting_user=acting_user,
                recurring=recurring,
                until=form.cleaned_data.get("until"),
            )
        elif action == "resume":
            recurring_resume(association=association, acting_user=acting_user, recurring=recurring)
        elif action == "amount":
            form = MonthlyAmountForm(data, prefix=prefix or None)
            if not form.is_valid():
                return " ".join(m for ms in form.errors.values() for m in ms)
            recurring_change_amount(
                association=association,
                acting_user=acting_user,
                recurring=recurring,
                amount_cents=form.cleaned_data["amount_cents"],
            )
        elif action == "cancel":
            if data.get("confirm") != "yes":
                return _("Tick the box to confirm that the monthly gift stops.")
            recurring_cancel(association=association, acting_user=acting_user, recurring=recurring)
        else:
            return _("Unknown action.")
    except ValidationError as error:
        return " ".join(error.messages)
    return ""
