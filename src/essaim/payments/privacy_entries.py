"""Personal data held by payments: who paid, how much, when, how.

A payment is an accounting record: the association must keep it ten years (Code de commerce,
art. L123-22, which the accounting of associations follows). Erasing a contact therefore keeps
the payment (amount, date, method, reference, status) and drops what names the payer: the
link to the contact, the payer's name, the team's note. Ten years on, the retention rule does
the same to every payment still naming someone.
"""

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core.privacy import PrivacyEntry, registry

from .crypto import Secret
from .mandates import _months_before
from .models import BankLine, BankStatement, DirectDebit, Mandate, Payment
from .selectors import payments_of

# Ten years after the end of the financial year (L123-22); an association's financial year
# may end in any month, so one more calendar year covers all of them.
RETENTION_YEARS = 11

ANONYMOUS = {"person": None, "payer_name": "", "note": ""}


def _export(person) -> list[dict]:
    return [
        {
            "date": payment.paid_on.isoformat() if payment.paid_on else "",
            "amount_cents": payment.amount_cents,
            "currency": payment.currency,
            "method": payment.method,
            "status": payment.status,
            "payer_name": payment.payer_name,
            "reference": payment.reference,
            "provider": payment.provider,
            "provider_reference": payment.provider_reference,
            "note": payment.note,
            "recorded_at": payment.created_at.isoformat(),
        }
        for payment in payments_of(person)
    ]


def _erase(person) -> None:
    Payment.objects.filter(association_id=person.association_id, person=person).update(
        **ANONYMOUS, updated_at=timezone.now()
    )


def retention_cutoff(now: dt.datetime) -> dt.date:
    """Payments dated before this day have passed their legal keeping period."""
    return dt.date(timezone.localdate(now).year - RETENTION_YEARS + 1, 1, 1)


def _retention(now: dt.datetime) -> int:
    cutoff = retention_cutoff(now)
    old = Q(paid_on__lt=cutoff) | Q(paid_on__isnull=True, created_at__date__lt=cutoff)
    naming = Q(person__isnull=False) | ~Q(payer_name="") | ~Q(note="")
    return Payment.objects.filter(old & naming).update(**ANONYMOUS, updated_at=now)


def _awaited_payers(association):
    """A contact whose payment is still awaited (a debit sent to the bank, a checkout under
    way) is not an "inactive contact": erasing them now would leave the payment, once
    received, with nobody to attach the dues or the gift to."""
    return Payment.objects.filter(
        association=association, status=Payment.Status.PENDING, person__isnull=False
    ).values("person_id")


registry.register_retention_hold(_awaited_payers)

registry.register(
    PrivacyEntry(
        key="payments",
        label=_("Payments"),
        data=_(
            "Amount, date, method and status of each payment, the payer's name, the cheque "
            "number or transfer reference, the payment service's reference, the team's note."
        ),
        purpose=_("Keeping the association's accounts; matching payments to dues and gifts."),
        legal_basis=_(
            "Legal obligation (accounting records, Code de commerce art. L123-22); the "
            "membership contract or the gift the payment is for."
        ),
        retention=_(
            "10 years after the end of the financial year of the payment, as accounting "
            "records. After an erasure, or after these 10 years, the payment stays without "
            "your name nor the link to your contact record."
        ),
        models=("payments.Payment",),
        export_person=_export,
        erase_person=_erase,
        apply_retention=_retention,
        order=400,
    )
)


# --- SEPA mandates ------------------------------------------------------------------------

# A creditor keeps a mandate while it may be debited and 14 months after the last debit: the
# debtor may contest an unauthorised debit for 13 months (Code monétaire et financier,
# art. L133-24). After that, a mandate no longer in use keeps no bank details nor name.
MANDATE_RETENTION_MONTHS = 14

MANDATE_ANONYMOUS = {
    "person": None,
    "debtor_name": "",
    "iban": Secret(""),
    "iban_last4": "",
    "bic": "",
}


def _export_mandates(person) -> list[dict]:
    mandates = Mandate.objects.filter(association_id=person.association_id, person=person)
    rows = []
    for mandate in mandates.order_by("signed_on", "id"):
        debits = DirectDebit.objects.filter(mandate=mandate).select_related("batch", "payment")
        rows.append(
            {
                "rum": mandate.rum,
                "debtor_name": mandate.debtor_name,
                "iban": mandate.iban_masked,  # masked: an export may travel by e-mail
                "bic": mandate.bic,
                "signed_on": mandate.signed_on.isoformat(),
                "kind": mandate.kind,
                "status": mandate.status,
                "revoked_at": mandate.revoked_at.isoformat() if mandate.revoked_at else "",
                "last_used_on": mandate.last_used_on.isoformat() if mandate.last_used_on else "",
                "debits": [
                    {
                        "collection_date": debit.batch.collection_date.isoformat(),
                        "amount_cents": debit.amount_cents,
                        "sequence_type": debit.sequence_type,
                        "end_to_end_id": debit.end_to_end_id,
                        "status": debit.payment.status,
                    }
                    for debit in debits.order_by("id")
                ],
            }
        )
    return rows


def _erase_mandate_fields(mandates, now) -> int:
    touched = 0
    for mandate in mandates:
        if mandate.status == Mandate.Status.ACTIVE:
            mandate.status = Mandate.Status.REVOKED
            mandate.revoked_at = now
        for field, value in MANDATE_ANONYMOUS.items():
            setattr(mandate, field, value)
        mandate.save(
            update_fields=[*MANDATE_ANONYMOUS, "person", "status", "revoked_at", "updated_at"]
        )
        touched += 1
    return touched


def _erase_mandates(person) -> None:
    """Erasure: the mandate is revoked and loses the bank details and the name; its
    reference, dates and debits (amounts) stay, for the accounts."""
    _erase_mandate_fields(
        Mandate.objects.filter(association_id=person.association_id, person=person),
        timezone.now(),
    )


def _mandates_retention(now: dt.datetime) -> int:
    cutoff = _months_before(timezone.localdate(now), MANDATE_RETENTION_MONTHS)
    ended = ~Q(status=Mandate.Status.ACTIVE)
    unused = Q(last_used_on__lt=cutoff) | Q(last_used_on__isnull=True, signed_on__lt=cutoff)
    naming = ~Q(iban="") | ~Q(debtor_name="") | Q(person__isnull=False)
    return _erase_mandate_fields(Mandate.objects.filter(ended & unused & naming), now)


def _mandate_holders(association):
    """A contact with an active mandate is debited on the next collection: not inactive."""
    return Mandate.objects.filter(
        association=association, status=Mandate.Status.ACTIVE, person__isnull=False
    ).values("person_id")


registry.register_retention_hold(_mandate_holders)

registry.register(
    PrivacyEntry(
        key="sepa_mandates",
        label=_("SEPA direct debit mandates"),
        data=_(
            "The account holder's name, IBAN (encrypted) and BIC, the mandate reference, the "
            "day it was signed, its kind and status, and each debit made under it (day, "
            "amount, reference, outcome)."
        ),
        purpose=_("Collecting dues and gifts by direct debit, as the debtor authorised."),
        legal_basis=_(
            "The mandate signed by the debtor (contract); legal obligation for the debits "
            "(accounting records, Code de commerce art. L123-22)."
        ),
        retention=_(
            "While the mandate is in use, then 14 months after its last debit (the time to "
            "contest a debit). After an erasure or these 14 months, the mandate is revoked "
            "and keeps its reference, dates and amounts, without name nor bank details."
        ),
        models=("payments.Mandate", "payments.DirectDebit", "payments.DebitBatch"),
        export_person=_export_mandates,
        erase_person=_erase_mandates,
        apply_retention=_mandates_retention,
        order=390,
    )
)


# --- Bank statements ----------------------------------------------------------------------

# A statement still being checked keeps its file (every payer's name) a short while only.
DRAFT_STATEMENT_DAYS = 2

BANK_LINE_ANONYMOUS = {"label": "", "counterparty": "", "search_text": ""}


def _bank_lines_of(person):
    return BankLine.objects.filter(
        association_id=person.association_id, payment__person=person
    ).order_by("booked_on", "id")


def _export_bank_lines(person) -> list[dict]:
    return [
        {
            "booked_on": line.booked_on.isoformat(),
            "amount_cents": line.amount_cents,
            "label": line.label,
            "counterparty": line.counterparty,
            "reference": line.reference,
            "status": line.status,
        }
        for line in _bank_lines_of(person)
    ]


def _erase_bank_lines(person) -> None:
    """The operations matched with the person's payments keep their date, amount and
    reference (the accounts), not the label nor the counterparty, which name them. Runs
    before the payments' eraser, which unlinks the payments from the person."""
    _bank_lines_of(person).update(**BANK_LINE_ANONYMOUS, updated_at=timezone.now())


def _bank_lines_retention(now: dt.datetime) -> int:
    cutoff = retention_cutoff(now)
    naming = ~Q(label="") | ~Q(counterparty="")
    touched = BankLine.objects.filter(Q(booked_on__lt=cutoff) & naming).update(
        **BANK_LINE_ANONYMOUS, updated_at=now
    )
    drafts = BankStatement.objects.filter(
        status=BankStatement.Status.DRAFT,
        created_at__lt=now - dt.timedelta(days=DRAFT_STATEMENT_DAYS),
    )
    for statement in drafts:
        if statement.file:
            statement.file.delete(save=False)
        statement.delete()
        touched += 1
    return touched


registry.register(
    PrivacyEntry(
        key="bank_lines",
        label=_("Bank statements"),
        data=_(
            "The operations of the association's bank statements: date, amount, the bank's "
            "label (which often holds the payer's name), the counterparty and the reference; "
            "the payment each one was matched with."
        ),
        purpose=_("Checking that the payments expected reached the association's account."),
        legal_basis=_(
            "Legal obligation (accounting records, Code de commerce art. L123-22) and the "
            "association's legitimate interest in keeping exact accounts."
        ),
        retention=_(
            "10 years after the end of the financial year of the operation, as accounting "
            "records; the file of a statement is deleted once imported. After an erasure, "
            "or after these 10 years, the operation keeps its date, amount and reference "
            "without the label nor the counterparty."
        ),
        models=("payments.BankStatement", "payments.BankLine"),
        export_person=_export_bank_lines,
        erase_person=_erase_bank_lines,
        apply_retention=_bank_lines_retention,
        order=380,
    )
)
