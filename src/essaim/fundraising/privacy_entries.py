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

A gift promised on a campaign's page (GiftIntent) and a monthly gift (RecurringGift) name
their donor; erasing the donor stops a monthly gift (nobody left to debit) and drops the
link. Promises never paid are given up after INTENT_PENDING_RETENTION; the link to the
donor goes INTENT_RETENTION after the promise, and MONTHLY_RETENTION after a monthly gift
stopped (the CNIL keeps donors' data three years after the last contact for appeals).
"""

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from essaim.core.privacy import PrivacyEntry, registry
from essaim.payments.privacy_entries import retention_cutoff as payments_retention_cutoff

from .models import Campaign, Gift, GiftIntent, ReceiptRun, RecurringGift, TaxReceipt

# LPF art. L102 B: six years; counted from the end of the year of issue (L14 A lets the
# administration check receipts until the end of the sixth year after they were issued).
RECEIPT_RETENTION_YEARS = 6
INTENT_PENDING_RETENTION = dt.timedelta(days=90)
INTENT_RETENTION = dt.timedelta(days=365)
MONTHLY_RETENTION = dt.timedelta(days=3 * 365)
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


def _intents_export(person) -> list[dict]:
    return [
        {
            "created_at": intent.created_at.isoformat(),
            "amount_cents": intent.amount_cents,
            "monthly": intent.monthly,
            "method": intent.method,
            "status": intent.status,
            "campaign": intent.campaign.title if intent.campaign else "",
            "donor_kind": intent.donor_kind,
            "company_name": intent.company_name,
            "company_siren": intent.company_siren,
            "source": intent.source,
            "mandate": intent.mandate.rum if intent.mandate else "",
            "thanked_at": intent.thanked_at.isoformat() if intent.thanked_at else "",
        }
        for intent in GiftIntent.objects.filter(
            association_id=person.association_id, person=person
        ).select_related("campaign", "mandate")
    ]


def _intents_erase(person) -> None:
    now = timezone.now()
    intents = GiftIntent.objects.filter(association_id=person.association_id, person=person)
    intents.filter(status=GiftIntent.Status.PENDING).update(
        status=GiftIntent.Status.CANCELLED, updated_at=now
    )
    intents.update(person=None, company_name="", company_siren="", updated_at=now)


def _intents_retention(now: dt.datetime) -> int:
    touched = GiftIntent.objects.filter(
        status=GiftIntent.Status.PENDING, created_at__lt=now - INTENT_PENDING_RETENTION
    ).update(status=GiftIntent.Status.CANCELLED, updated_at=now)
    touched += (
        GiftIntent.objects.filter(created_at__lt=now - INTENT_RETENTION)
        .exclude(status=GiftIntent.Status.PENDING)
        .exclude(recurring__status__in=[RecurringGift.Status.ACTIVE, RecurringGift.Status.PAUSED])
        .filter(Q(person__isnull=False) | ~Q(company_name="") | ~Q(company_siren=""))
        .update(person=None, company_name="", company_siren="", updated_at=now)
    )
    return touched


registry.register(
    PrivacyEntry(
        key="gift_intents",
        label=_("Gifts promised on a campaign page"),
        data=_(
            "The gift you promised on a campaign's page: amount, once or every month, how you "
            "chose to pay, the company given for, the link you came from, whether it was paid "
            "and when you were thanked."
        ),
        purpose=_("Recording your gift once its payment arrives, and thanking you."),
        legal_basis=_("The gift itself, which you asked for on the form."),
        retention=_(
            "A promise never paid is given up after 90 days; the link to you is removed one "
            "year after the promise (the gift itself stays with the accounts)."
        ),
        models=("fundraising.GiftIntent",),
        export_person=_intents_export,
        erase_person=_intents_erase,
        apply_retention=_intents_retention,
        order=440,
    )
)


def _monthly_export(person) -> list[dict]:
    return [
        {
            "amount_cents": gift.amount_cents,
            "status": gift.status,
            "started_on": _date(gift.started_on),
            "paused_until": _date(gift.paused_until),
            "cancelled_at": gift.cancelled_at.isoformat() if gift.cancelled_at else "",
            "campaign": gift.campaign.title if gift.campaign else "",
            "mandate": gift.mandate.rum if gift.mandate else "",
            "paid_by": gift.method,
            "card_subscription": gift.provider_reference,
            "source": gift.source,
            "failed_debits": gift.failed_debits,
        }
        for gift in RecurringGift.objects.filter(
            association_id=person.association_id, person=person
        ).select_related("campaign", "mandate")
    ]


def _monthly_erase(person) -> None:
    """Nobody is debited after being forgotten: the monthly gift stops, and forgets them (a
    card gift's Stripe subscription is cancelled once the erasure is committed)."""
    from .recurring import cancel_subscriptions_after_commit

    now = timezone.now()
    gifts = RecurringGift.objects.filter(association_id=person.association_id, person=person)
    cancel_subscriptions_after_commit(
        person.association,
        gifts.filter(method=RecurringGift.Method.CARD_ONLINE)
        .exclude(status=RecurringGift.Status.CANCELLED)
        .exclude(provider_reference="")
        .values_list("provider_reference", flat=True),
    )
    gifts.exclude(status=RecurringGift.Status.CANCELLED).update(
        status=RecurringGift.Status.CANCELLED, cancelled_at=now, updated_at=now
    )
    gifts.update(person=None, source="", updated_at=now)


def _monthly_retention(now: dt.datetime) -> int:
    return RecurringGift.objects.filter(
        status=RecurringGift.Status.CANCELLED,
        cancelled_at__lt=now - MONTHLY_RETENTION,
        person__isnull=False,
    ).update(person=None, source="", updated_at=now)


def _monthly_donors(association):
    """A monthly donor (or one whose gift waits for its payment) is not an inactive contact."""
    return RecurringGift.objects.filter(
        association=association,
        person__isnull=False,
        status__in=[RecurringGift.Status.ACTIVE, RecurringGift.Status.PAUSED],
    ).values("person_id")


registry.register_retention_hold(_monthly_donors)

registry.register(
    PrivacyEntry(
        key="monthly_gifts",
        label=_("Monthly gifts"),
        data=_(
            "Your monthly gift: amount, since when, pauses, when it stopped, the campaign, "
            "the reference of its direct debit mandate or of its card subscription at Stripe, "
            "the payments that failed in a row."
        ),
        purpose=_("Debiting your monthly gift as you asked, and letting you change or stop it."),
        legal_basis=_(
            "The monthly gift you signed up for (with its SEPA mandate or card subscription)."
        ),
        retention=_(
            "While the monthly gift runs, then three years after it stopped; the gifts it "
            "brought stay with the accounts. Erasing your data stops it at once."
        ),
        models=("fundraising.RecurringGift",),
        export_person=_monthly_export,
        erase_person=_monthly_erase,
        apply_retention=_monthly_retention,
        order=445,
    )
)


def _campaigns_export_user(user) -> list[dict]:
    with scopes_disabled():
        return [
            {
                "association": campaign.association.name,
                "campaign": campaign.title,
                "created_at": campaign.created_at.isoformat(),
            }
            for campaign in Campaign.objects.filter(created_by=user).select_related("association")
        ]


registry.register(
    PrivacyEntry(
        key="fundraising_campaigns",
        label=_("Fundraising campaigns"),
        data=_("Which team member created each fundraising campaign."),
        purpose=_("Knowing who in the team answers for a campaign."),
        legal_basis=_("Legitimate interest of the association (running its organisation)."),
        retention=_(
            "As long as the campaign; the link to the account goes when the account is deleted."
        ),
        models=("fundraising.Campaign",),
        export_user=_campaigns_export_user,
        order=435,
    )
)
