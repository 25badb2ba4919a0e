"""E-mails to donors about their receipts: a link to their space, never the PDF itself (an
attachment would travel through every mail server; the donor space needs their account)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from essaim.core.emails import email_enqueue
from essaim.lib.money import format_euros

from .models import TaxReceipt


def portal_url() -> str:
    return settings.ESSAIM_BASE_URL + reverse("fundraising_public:receipts")


def receipts_email(association, receipts: list[TaxReceipt]) -> int:
    """Queue one e-mail per receipt whose donor has an address; returns how many."""
    sent = []
    url = portal_url()
    for receipt in receipts:
        email = (receipt.donor or {}).get("email", "")
        if not email:
            continue
        email_enqueue(
            to=email,
            template="receipt_issued",
            association=association,
            context={
                "first_names": receipt.donor.get("first_names", ""),
                "company_name": receipt.donor.get("company_name", ""),
                "number": receipt.number,
                "amount": format_euros(receipt.amount_cents),
                "annual": receipt.kind == TaxReceipt.Kind.ANNUAL,
                "year": receipt.first_gift_on.year,
                "portal_url": url,
            },
        )
        sent.append(receipt.pk)
    if sent:
        TaxReceipt.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    return len(sent)
