"""Linking accounts to the contact records of donors, so their receipts show in their space.

The receipt e-mail invites the donor to sign in (or create an account) with the address it
was sent to: a confirmed address that is a donor's contact address is proof enough to show
them their own receipts. Only donors who were written to are linked: a receipt, a monthly
gift, a gift on a campaign page thanked or by direct debit (members are linked by
essaim.members.linking); a contact whose gift the team typed in, and who was never sent
anything, is not.
"""

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Q
from django_scopes import scopes_disabled

from essaim.lib.text import fold
from essaim.people import services as people_services
from essaim.people.models import Person

from .models import GiftIntent, RecurringGift, TaxReceipt


@transaction.atomic
def donor_accounts_link_verified(user) -> list[Person]:
    """Link `user` to the unlinked donors (see the module's docstring) whose address is one
    of the user's verified addresses. Returns the contacts linked, one audit entry each."""
    if not getattr(user, "is_authenticated", False):
        return []
    emails = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    folded = {fold(e) for e in emails} - {""}
    if not folded:
        return []
    with scopes_disabled():
        candidates = (
            Person.objects.filter(
                email_folded__in=folded,
                user__isnull=True,
                erased_at__isnull=True,
            )
            .filter(
                Q(
                    pk__in=TaxReceipt.objects.filter(status=TaxReceipt.Status.VALID).values(
                        "person_id"
                    )
                )
                # A monthly donor manages their gift from their space (thank-you e-mail).
                | Q(pk__in=RecurringGift.objects.values("person_id"))
                # A donor on a campaign page was written to at this address (the mandate's
                # reference, or the thank-you e-mail).
                | Q(
                    pk__in=GiftIntent.objects.filter(
                        Q(thanked_at__isnull=False) | Q(method=GiftIntent.Method.SEPA_DEBIT)
                    ).values("person_id")
                )
            )
            .select_related("association")
            .order_by("id")
        )
        return people_services.persons_link_account(
            user=user, candidates=list(candidates), via="tax_receipt"
        )
