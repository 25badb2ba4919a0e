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

from .models import Payment
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
