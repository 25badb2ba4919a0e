"""Linking accounts to the contact records of members, so the member portal shows them.

When a person confirms an e-mail address, the members known under that address (unlinked,
not anonymised, with at least one membership) become theirs. Only members: a confirmed
address is proof enough to show someone their own memberships, but a mere contact (a
petition signer, a donor) never asked for an account to see what an association holds.
"""

from allauth.account.signals import email_confirmed
from django.db import transaction
from django.dispatch import receiver
from django_scopes import scopes_disabled

from essaim.lib.text import fold
from essaim.people import services as people_services
from essaim.people.models import Person

from .models import Membership


@transaction.atomic
def member_accounts_link(*, user, email: str) -> list[Person]:
    """Link `user` to the unlinked members whose e-mail address is `email` (which the
    caller knows the user has verified). Returns the contacts linked, one audit entry each."""
    folded = fold(email)
    if not folded or user is None or not user.pk:
        return []
    with scopes_disabled():
        candidates = (
            Person.objects.filter(
                email_folded=folded,
                user__isnull=True,
                erased_at__isnull=True,
                pk__in=Membership.objects.values("person_id"),
            )
            .select_related("association")
            .order_by("id")
        )
        return people_services.persons_link_account(
            user=user, candidates=list(candidates), via="email_confirmed"
        )


def member_accounts_link_verified(user) -> list[Person]:
    """The same for every verified address of `user` (the portal calls it on each visit:
    a member added by the team after the person confirmed their address is found too)."""
    from allauth.account.models import EmailAddress

    if not getattr(user, "is_authenticated", False):
        return []
    emails = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    folded = {fold(e) for e in emails}
    if not folded:
        return []
    with scopes_disabled():
        waiting = Person.objects.filter(
            email_folded__in=folded,
            user__isnull=True,
            erased_at__isnull=True,
            pk__in=Membership.objects.values("person_id"),
        ).exists()
    if not waiting:  # the usual case: one cheap query per portal visit
        return []
    linked = []
    for email in folded:
        linked += member_accounts_link(user=user, email=email)
    return linked


@receiver(email_confirmed, dispatch_uid="essaim.members.link_on_email_confirmed")
def link_on_email_confirmed(sender, request, email_address, **kwargs):
    member_accounts_link(user=email_address.user, email=email_address.email)
