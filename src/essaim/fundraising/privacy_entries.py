"""Personal data held by fundraising: gifts, tax receipts, the reports of annual runs.

A tax receipt is a document the association must be able to show the tax administration:
the duplicate (the stored PDF) and its register are kept until the end of the sixth year
after the one it was issued in (Livre des procédures fiscales, art. L102 B and L14 A).
Erasing a donor therefore leaves their receipts untouched while that period runs (a legal
hold, as members' dues are held as accounting records); once it has passed, the retention
rule deletes the PDF and blanks the donor's name and address, keeping the number, the amount
and the dates (the numbering stays gapless).

A gift is an accounting record: erasing the donor keeps its amount, date and nature and
drops the link to them (and the team's note); its payment follows the payments' rules.
"""

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core.privacy import PrivacyEntry, registry
from essaim.payments.privacy_entries import retention_cutoff as payments_retention_cutoff

from .models import Gift, ReceiptRun, TaxReceipt

# LPF art. L102 B: six years; counted from the end of the year of issue (L14 A lets the
# administration check receipts until the end of the sixth year after they were issued).
RECEIPT_RETENTION_YEARS = 6
# The list of donors an annual run left without a receipt is a to-do list for the team.
RUN_REPORT_RETENTION = dt.timedelta(days=365)


def _date(value) -> str:
    return value.isoformat() if value else ""


def _gifts_export(person) -> list[dict]:
    return [
        {
            "date": _date(gift.received_on),
            "amount_cents": gift.amount_cents,
            "nature": gift.nature,
            "form": gift.form,
            "donor_kind": gift.donor_kind,
            "company_name": gift.company_name,
            "company_siren": gift.company_siren,
            "payment_method": gift.payment.method if gift.payment else "",
            "description": gift.description,
            "note": gift.note,
            "recorded_at": gift.created_at.isoformat(),
        }
        for gift in Gift.objects.filter(
            association_id=person.association_id, person=person
        ).select_related("payment")
    ]


def _gifts_erase(person) -> None:
    Gift.objects.filter(association_id=person.association_id, person=person).update(
        person=None, note="", updated_at=timezone.now()
    )


def _gifts_retention(now: dt.datetime) -> int:
    """Gifts older than the accounting records they are forget their donor, as payments do."""
    cutoff = payments_retention_cutoff(now)
    return (
        Gift.objects.filter(received_on__lt=cutoff)
        .filter(Q(person__isnull=False) | ~Q(note=""))
        .update(person=None, note="", updated_at=now)
    )


def _recent_donors(association):
    """Donors of this year or last year are not "inactive contacts": their annual receipt
    may still be due (it needs their name and address)."""
    since = dt.date(timezone.localdate().year - 1, 1, 1)
    return Gift.objects.filter(
        association=association, person__isnull=False, received_on__gte=since
    ).values("person_id")


registry.register_retention_hold(_recent_donors)

registry.register(
    PrivacyEntry(
        key="gifts",
        label=_("Gifts"),
        data=_(
            "Amount, date, nature and form of each gift, how it was paid, the description of "
            "a gift in kind, the company given for, the team's note."
        ),
        purpose=_("Keeping the association's accounts; issuing tax receipts to donors."),
        legal_basis=_(
            "Legal obligation (accounting records); the gift itself, which the donor made."
        ),
        retention=_(
            "As long as the accounting records (10 years). After an erasure the gift stays, "
            "with its amount, date and nature, without your name nor the link to your "
            "contact record."
        ),
        models=("fundraising.Gift",),
        export_person=_gifts_export,
        erase_person=_gifts_erase,
        apply_retention=_gifts_retention,
        order=450,
    )
)


def _receipts_export(person) -> list[dict]:
    return [
        {
            "number": receipt.number,
            "kind": receipt.kind,
            "status": receipt.status,
            "amount_cents": receipt.amount_cents,
            "first_gift": _date(receipt.first_gift_on),
            "last_gift": _date(receipt.last_gift_on),
            "issued_at": receipt.issued_at.isoformat(),
            "emailed_at": receipt.emailed_at.isoformat() if receipt.emailed_at else "",
            "cancelled_at": receipt.cancelled_at.isoformat() if receipt.cancelled_at else "",
            "cancel_reason": receipt.cancel_reason,
            "donor_as_printed": receipt.donor,
        }
        for receipt in TaxReceipt.objects.filter(
            association_id=person.association_id, person=person
        )
    ]


def _receipts_erase(person) -> None:
    """The receipts stay as issued (legal hold); the annual runs' reports forget the person."""
    # A handful of runs per association and year: read in Python (JSON containment is not
    # portable between SQLite and PostgreSQL).
    runs = ReceiptRun.objects.filter(association_id=person.association_id).exclude(skipped=[])
    for run in runs.only("pk", "skipped"):
        kept = [item for item in run.skipped if item.get("person") != str(person.uuid)]
        if len(kept) != len(run.skipped):
            ReceiptRun.objects.filter(pk=run.pk).update(skipped=kept)


def receipt_retention_cutoff(now: dt.datetime) -> int:
    """Receipts issued in a year before this one have passed their keeping period."""
    return timezone.localdate(now).year - RECEIPT_RETENTION_YEARS


def _receipts_retention(now: dt.datetime) -> int:
    cutoff = receipt_retention_cutoff(now)
    old = TaxReceipt.objects.filter(year__lt=cutoff).exclude(Q(pdf="") & Q(person__isnull=True))
    touched = 0
    for receipt in old.only("pk", "pdf", "donor").iterator():
        if receipt.pdf:
            receipt.pdf.delete(save=False)
        kind = (receipt.donor or {}).get("kind", "")
        TaxReceipt.objects.filter(pk=receipt.pk).update(
            pdf="", donor={"kind": kind}, person=None, updated_at=now
        )
        touched += 1
    stale = ReceiptRun.objects.filter(created_at__lt=now - RUN_REPORT_RETENTION).exclude(skipped=[])
    touched += stale.update(skipped=[])
    return touched


registry.register(
    PrivacyEntry(
        key="tax_receipts",
        label=_("Tax receipts"),
        data=_(
            "Each tax receipt as issued: its number, your name and postal address as printed, "
            "the amount and dates of the gifts, the PDF, when it was e-mailed to you; for the "
            "team, the donors an annual run could not issue a receipt to, and why."
        ),
        purpose=_("Issuing the tax receipts donors need for their tax reduction."),
        legal_basis=_(
            "Legal obligation (CGI art. 200 and 238 bis; the receipts and their duplicates "
            "are kept for the tax administration, Livre des procédures fiscales art. L102 B)."
        ),
        retention=_(
            "Until the end of the sixth year after the receipt was issued, even after an "
            "erasure; then the PDF is deleted and your name and address are blanked, keeping "
            "the number, the amount and the dates."
        ),
        models=("fundraising.TaxReceipt", "fundraising.ReceiptRun"),
        export_person=_receipts_export,
        erase_person=_receipts_erase,
        apply_retention=_receipts_retention,
        order=460,
    )
)
