"""Bank reconciliation: the operations of the bank statements matched with payments.

Reads (totals, lists, suggestions) and writes (match, record a payment from a line, ignore,
undo). A line is matched to one payment and a payment to one line: the database enforces it
(`bankline_one_per_payment`), so two treasurers confirming at the same moment cannot both
win. Confirming a match on an awaited payment marks it received on the day of the bank
operation, through `services.payment_update_status` (the apps the payment is for hear of it).
"""

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log
from essaim.core.models import Association
from essaim.lib.money import parse_euros
from essaim.lib.text import fold, search_terms
from essaim.people.models import Person

from . import services
from .models import BankLine, BankStatement, Payment

Status = Payment.Status
Line = BankLine.Status

# Received payments that a bank line may still confirm: money that goes through the bank
# account as its own operation. Cash is deposited in bulk, cards and debits arrive as
# batches from the provider: those are matched by hand if ever (pick another payment).
RECEIVED_MATCHABLE_METHODS = (Payment.Method.TRANSFER, Payment.Method.CHEQUE)
# An awaited payment older than this is shown as late on the reconciliation screen.
LATE_AFTER_DAYS = 30
SUGGESTIONS = 5
# A search for "another payment" looks at this many of the most recent matchable payments.
SEARCHED_PAYMENTS = 3000


# --- Reads ---------------------------------------------------------------------------------


def matchable_payments(association: Association) -> QuerySet[Payment]:
    """Payments a bank line may confirm: awaited ones (any method), and received transfers
    and cheques no line confirms yet."""
    return (
        Payment.objects.filter(association=association)
        .filter(
            Q(status=Status.PENDING)
            | Q(status=Status.SUCCEEDED, method__in=RECEIVED_MATCHABLE_METHODS)
        )
        .exclude(Exists(BankLine.objects.filter(payment=OuterRef("pk"))))
    )


def _words(text: str) -> set[str]:
    return {word for word in fold(text).replace("-", " ").split() if len(word) >= 3}


def similarity(line: BankLine, payment: Payment) -> float:
    """How much of the payment's names and reference the bank line mentions (0 to 1).

    Banks write "VIR SEPA DUPONT MARIE ADH 2026", the payment knows "Marie Dupont": the
    words of the payer's name found in the line count, and a reference found whole counts
    double (it was typed by the payer from what the association asked)."""
    haystack = line.search_text or fold(f"{line.label} {line.counterparty} {line.reference}")
    names = _words(payment.payer_name)
    if payment.person_id and getattr(payment, "person", None) is not None:
        names |= _words(payment.person.full_name)
    found = sum(1 for word in names if word in haystack)
    score = found / len(names) if names else 0.0
    reference = fold(payment.reference)
    if len(reference) >= 4 and reference in haystack:
        score += 1.0
    return round(score, 3)


def _day_of(payment: Payment) -> dt.date:
    return payment.paid_on or timezone.localdate(payment.created_at)


def _rank(line: BankLine, payment: Payment) -> tuple:
    days = abs((line.booked_on - _day_of(payment)).days)
    # Date first, by weeks: the same week counts as close; then the names; then the days.
    return (days // 7, -similarity(line, payment), days, payment.pk)


@dataclass
class Suggestion:
    payment: Payment
    days: int
    similarity: float


def suggestions_for_lines(
    association: Association,
    lines: list[BankLine],
    limit: int = SUGGESTIONS,
    *,
    unique: bool = False,
) -> dict[int, list[Suggestion]]:
    """For each unmatched credit line, the payments of the same amount, best first. One
    query whatever the number of lines.

    `unique`: one suggestion per line, never the same payment for two lines (the list
    screen): the line that fits a payment best gets it, so that confirming every suggestion
    of a page never asks for a payment twice."""
    wanted = [line for line in lines if line.status == Line.UNMATCHED and line.amount_cents > 0]
    if not wanted:
        return {}
    amounts = {line.amount_cents for line in wanted}
    candidates = list(
        matchable_payments(association)
        .filter(amount_cents__in=amounts)
        .select_related("person")
        .order_by("created_at", "id")[:2000]
    )
    by_amount: dict[int, list[Payment]] = {}
    for payment in candidates:
        by_amount.setdefault(payment.amount_cents, []).append(payment)

    def suggestion(line: BankLine, payment: Payment) -> Suggestion:
        return Suggestion(
            payment=payment,
            days=abs((line.booked_on - _day_of(payment)).days),
            similarity=similarity(line, payment),
        )

    if unique:
        pairs = sorted(
            (_rank(line, payment), index, line, payment)
            for index, line in enumerate(wanted)
            for payment in by_amount.get(line.amount_cents, [])
        )
        result: dict[int, list[Suggestion]] = {}
        taken: set[int] = set()
        for _rank_key, _index, line, payment in pairs:
            if line.pk in result or payment.pk in taken:
                continue
            result[line.pk] = [suggestion(line, payment)]
            taken.add(payment.pk)
        return result
    result = {}
    for line in wanted:
        ranked = sorted(by_amount.get(line.amount_cents, []), key=lambda p: _rank(line, p))
        result[line.pk] = [suggestion(line, p) for p in ranked[:limit]]
    return result


def payment_search(association: Association, query: str, limit: int = 20) -> list[Payment]:
    """Matchable payments whose payer, reference or amount fits the query ("dupont",
    "ADH-42", "30" or "30,00")."""
    payments = matchable_payments(association).select_related("person")
    query = (query or "").strip()
    if not query:
        return []
    amount = None
    with contextlib.suppress(ValueError):
        amount = parse_euros(query)
    payments = payments.order_by("-created_at", "-id")
    if amount is not None:
        return list(payments.filter(amount_cents=amount)[:limit])
    terms = search_terms(query)
    if not terms:
        return []
    # The payer's name is stored as typed ("Lefèvre"): the terms are compared with its
    # folded form, over the most recent payments a line may confirm (SQLite has no
    # unaccent). The contact's search text is folded already.
    found = []
    for payment in payments[:SEARCHED_PAYMENTS]:
        text = fold(f"{payment.payer_name} {payment.reference}")
        if payment.person is not None:
            text += " " + payment.person.search_text
        if all(term in text for term in terms):
            found.append(payment)
            if len(found) >= limit:
                break
    return found


def contact_search(association: Association, query: str, limit: int = 10) -> list[Person]:
    people = Person.objects.filter(association=association, erased_at__isnull=True)
    terms = search_terms(query)
    if not terms:
        return []
    for term in terms:
        people = people.filter(search_text__contains=term)
    return list(people.order_by("last_name", "first_name", "id")[:limit])


@dataclass
class Period:
    since: dt.date
    until: dt.date


def default_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(since=dt.date(today.year, 1, 1), until=today)


def totals(association: Association, period: Period) -> dict:
    """Expected vs received for a period.

    Expected: the payments recorded as received in the period, plus those still awaited
    that were recorded in it. On the bank: the money in booked in the period, matched or
    not (ignored lines apart)."""
    payments = Payment.objects.filter(association=association)
    received = payments.filter(
        status=Status.SUCCEEDED, paid_on__range=(period.since, period.until)
    ).aggregate(total=Sum("amount_cents"))["total"]
    awaited = payments.filter(
        status=Status.PENDING,
        created_at__date__range=(period.since, period.until),
    ).aggregate(total=Sum("amount_cents"))["total"]
    lines = BankLine.objects.filter(
        association=association,
        amount_cents__gt=0,
        booked_on__range=(period.since, period.until),
    )
    sums = {
        status: lines.filter(status=status).aggregate(total=Sum("amount_cents"))["total"] or 0
        for status in Line.values
    }
    received = received or 0
    awaited = awaited or 0
    return {
        "received_cents": received,
        "awaited_cents": awaited,
        "expected_cents": received + awaited,
        "bank_in_cents": sums[Line.MATCHED] + sums[Line.UNMATCHED],
        "matched_cents": sums[Line.MATCHED],
        "unmatched_cents": sums[Line.UNMATCHED],
        "ignored_cents": sums[Line.IGNORED],
        "unmatched_count": lines.filter(status=Line.UNMATCHED).count(),
    }


LINE_FILTERS = ("unmatched", "matched", "ignored", "all")
DIRECTIONS = ("in", "out", "all")


def lines_for(
    association: Association,
    *,
    status: str = "unmatched",
    direction: str = "in",
    query: str = "",
    period: Period | None = None,
) -> QuerySet[BankLine]:
    """The bank operations to show, newest first."""
    lines = BankLine.objects.filter(association=association)
    if status in Line.values:
        lines = lines.filter(status=status)
    if direction == "in":
        lines = lines.filter(amount_cents__gt=0)
    elif direction == "out":
        lines = lines.filter(amount_cents__lt=0)
    for term in search_terms(query):
        lines = lines.filter(search_text__contains=term)
    if period is not None:
        lines = lines.filter(booked_on__range=(period.since, period.until))
    return lines.select_related("payment__person").order_by("-booked_on", "-id")


def awaited_payments(association: Association, *, query: str = "") -> QuerySet[Payment]:
    """Payments still awaited, the oldest first."""
    payments = Payment.objects.filter(association=association, status=Status.PENDING)
    for term in search_terms(query):
        payments = payments.filter(
            Q(payer_name__icontains=term)
            | Q(reference__icontains=term)
            | Q(person__search_text__contains=term)
        )
    return payments.select_related("person").order_by("created_at", "id")


def late_before(today: dt.date | None = None, days: int = LATE_AFTER_DAYS) -> dt.datetime:
    today = today or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time()))
    return start


def drafts_for(association: Association) -> QuerySet[BankStatement]:
    """Statements read but not imported yet, newest first."""
    return BankStatement.objects.filter(
        association=association, status=BankStatement.Status.DRAFT
    ).order_by("-created_at", "-id")


def statements_for(association: Association) -> QuerySet[BankStatement]:
    return BankStatement.objects.filter(
        association=association, status=BankStatement.Status.IMPORTED
    ).order_by("-imported_at", "-id")


# --- Writes --------------------------------------------------------------------------------


def _locked_line(association: Association, line: BankLine) -> BankLine:
    return BankLine.objects.select_for_update().get(pk=line.pk, association=association)


def _link(association, acting_user, current: BankLine, payment: Payment, created: bool) -> None:
    current.status = Line.MATCHED
    current.payment = payment
    current.payment_created = created
    current.matched_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    current.matched_at = timezone.now()
    try:
        # A savepoint: when another line took this payment a moment ago, the unique index
        # refuses ours and only this save is rolled back.
        with transaction.atomic():
            current.save(
                update_fields=[
                    "status",
                    "payment",
                    "payment_created",
                    "matched_by",
                    "matched_at",
                    "updated_at",
                ]
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"payment": _("This payment is already matched with another bank operation.")}
        ) from exc


@transaction.atomic
def bank_line_match(
    *, association: Association, acting_user, line: BankLine, payment: Payment
) -> BankLine:
    """Match a credit line with a payment of the same amount. An awaited (or failed)
    payment becomes received, dated the day of the bank operation."""
    current = _locked_line(association, line)
    if current.status != Line.UNMATCHED:
        raise ValidationError(
            _("This bank operation is already “%(status)s”.")
            % {"status": current.get_status_display()}
        )
    if current.amount_cents <= 0:
        raise ValidationError(_("Only money received can be matched with a payment."))
    if payment.association_id != association.pk:
        raise ValidationError({"payment": _("Unknown payment.")})
    payment = Payment.objects.select_for_update().get(pk=payment.pk, association=association)
    if payment.amount_cents != current.amount_cents:
        raise ValidationError(
            {"payment": _("The payment's amount is not the amount of the bank operation.")}
        )
    if payment.status not in (Status.PENDING, Status.SUCCEEDED, Status.FAILED):
        raise ValidationError(
            {
                "payment": _("This payment is “%(status)s”: it cannot be matched.")
                % {"status": payment.get_status_display()}
            }
        )
    _link(association, acting_user, current, payment, created=False)
    previous = payment.status
    if payment.status != Status.SUCCEEDED:
        services.payment_update_status(
            association=association,
            acting_user=acting_user,
            payment=payment,
            status=Status.SUCCEEDED,
            paid_on=current.booked_on,
        )
    audit_log(
        association=association,
        actor=acting_user,
        action="bank_line.match",
        obj=current,
        data={"payment": str(payment.uuid), "payment_status_before": previous},
    )
    return current


@transaction.atomic
def bank_line_record_payment(
    *,
    association: Association,
    acting_user,
    line: BankLine,
    person: Person | None = None,
    payer_name: str = "",
    note: str = "",
) -> BankLine:
    """Record a received transfer from a credit line and match them."""
    current = _locked_line(association, line)
    if current.status != Line.UNMATCHED:
        raise ValidationError(
            _("This bank operation is already “%(status)s”.")
            % {"status": current.get_status_display()}
        )
    if current.amount_cents <= 0:
        raise ValidationError(_("Only money received can be recorded as a payment."))
    payment = services.payment_record(
        association=association,
        acting_user=acting_user,
        amount_cents=current.amount_cents,
        method=Payment.Method.TRANSFER,
        status=Status.SUCCEEDED,
        paid_on=current.booked_on,
        person=person,
        payer_name=payer_name or (current.counterparty if person is None else ""),
        reference=current.reference,
        note=note,
    )
    _link(association, acting_user, current, payment, created=True)
    audit_log(
        association=association,
        actor=acting_user,
        action="bank_line.record_payment",
        obj=current,
        data={"payment": str(payment.uuid)},
    )
    return current


@transaction.atomic
def bank_line_ignore(*, association: Association, acting_user, line: BankLine) -> BankLine:
    """Set a line aside: it is no payment to match (bank fees, an internal transfer…)."""
    current = _locked_line(association, line)
    if current.status != Line.UNMATCHED:
        raise ValidationError(
            _("This bank operation is already “%(status)s”.")
            % {"status": current.get_status_display()}
        )
    current.status = Line.IGNORED
    current.matched_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    current.matched_at = timezone.now()
    current.save(update_fields=["status", "matched_by", "matched_at", "updated_at"])
    audit_log(association=association, actor=acting_user, action="bank_line.ignore", obj=current)
    return current


@transaction.atomic
def bank_line_undo(*, association: Association, acting_user, line: BankLine) -> BankLine:
    """Undo a match or an ignore: the line is to match again.

    A payment recorded from the line is cancelled (it was typed in from the line, and the
    line is the proof). A payment matched with the line stays as it is: it may have been
    received otherwise; the treasurer changes its status herself if it was not."""
    current = _locked_line(association, line)
    if current.status == Line.UNMATCHED:
        return current
    previous = current.status
    payment, created = current.payment, current.payment_created
    current.status = Line.UNMATCHED
    current.payment = None
    current.payment_created = False
    current.matched_by = None
    current.matched_at = None
    current.save(
        update_fields=[
            "status",
            "payment",
            "payment_created",
            "matched_by",
            "matched_at",
            "updated_at",
        ]
    )
    if payment is not None and created and payment.status == Status.SUCCEEDED:
        services.payment_update_status(
            association=association,
            acting_user=acting_user,
            payment=payment,
            status=Status.CANCELLED,
            reason=_("Recorded from a bank operation, then unmatched."),
        )
    audit_log(
        association=association,
        actor=acting_user,
        action="bank_line.undo",
        obj=current,
        changes={"status": [previous, Line.UNMATCHED]},
        data={"payment": str(payment.uuid) if payment else ""},
    )
    return current
