"""Monthly gifts (dons mensuels) by SEPA direct debit.

Each month, the debit source `recurring_due` tells the payments app what is due: one debit
per active monthly gift, keyed `recurring:<uuid>:<YYYY-MM>` (so a month is never debited
twice); a paused gift is skipped until its `paused_until` (or until resumed), a cancelled
one for ever. When such a payment is collected, it becomes a Gift (campaign, source, the
monthly gift), once even if the news comes twice. A refused or returned debit records no
gift; after FAILURES_BEFORE_PAUSE of them in a row the gift is paused, and the team sees it
(the list of monthly gifts and the activity log).

The team (back office) and the donor (their account space) pause, resume, change the
amount and cancel through the services below.
"""

import datetime as dt
import logging
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log
from essaim.core.models import Association, AuditLog
from essaim.lib.money import format_euros
from essaim.payments import mandates as mandate_services
from essaim.payments.debit_sources import DueDebit
from essaim.payments.models import Mandate, Payment

from .donations import MAX_MONTHLY_CENTS, MIN_GIFT_CENTS, intent_paid, record_gift
from .models import GiftIntent, RecurringGift

logger = logging.getLogger(__name__)

PREFIX = "recurring:"
FAILURES_BEFORE_PAUSE = 2
_KEY = re.compile(r"^recurring:([0-9a-f-]{36}):(\d{4})-(\d{2})$")
MAX_PAUSE_DAYS = 366

Status = RecurringGift.Status


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def recurring_key(gift: RecurringGift, day: dt.date) -> str:
    return f"{PREFIX}{gift.uuid}:{month_of(day)}"


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
    RecurringGift.objects.filter(pk=gift.pk).update(**fields, updated_at=timezone.now())


# --- Pause, resume, change, cancel --------------------------------------------------------


def _lock(association: Association, gift: RecurringGift) -> RecurringGift:
    return RecurringGift.objects.select_for_update().get(pk=gift.pk, association=association)


def _refuse_cancelled(gift: RecurringGift) -> None:
    if gift.status == Status.CANCELLED:
        raise ValidationError(_("This monthly gift is cancelled."))


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
    gift.status = Status.PAUSED
    gift.paused_until = until
    gift.save(update_fields=["status", "paused_until", "updated_at"])
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
    if gift.mandate is None or gift.mandate.status != Mandate.Status.ACTIVE:
        raise ValidationError(
            _("The direct debit mandate of this gift is no longer valid: a new one is needed.")
        )
    if gift.status == Status.ACTIVE and not gift.failed_debits:
        return gift
    gift.status = Status.ACTIVE
    gift.paused_until = None
    gift.failed_debits = 0
    gift.save(update_fields=["status", "paused_until", "failed_debits", "updated_at"])
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
    before = gift.amount_cents
    gift.amount_cents = amount_cents
    gift.save(update_fields=["amount_cents", "updated_at"])
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
    already sent to the bank are not recalled)."""
    gift = _lock(association, recurring)
    if gift.status == Status.CANCELLED:
        return gift
    gift.status = Status.CANCELLED
    gift.cancelled_at = timezone.now()
    gift.paused_until = None
    gift.save(update_fields=["status", "cancelled_at", "paused_until", "updated_at"])
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


def done_message(action: str) -> str:
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
