"""People reacts to core's events: every team member has a contact record."""

from django.dispatch import receiver
from django_scopes import scope

from essaim.core.signals import seat_created
from essaim.lib.text import fold

from .models import Person


@receiver(seat_created)
def link_team_member(sender, association, assignment, acting_user, **kwargs):
    """Link the new team member to their contact record, or create it.

    An unlinked contact with the same e-mail address is the same person (the association
    knew them before they had an account); otherwise a record is created from the account.
    """
    from .services import person_create

    user = assignment.user
    with scope(association=association):
        if Person.objects.filter(association=association, user=user).exists():
            return
        match = (
            Person.objects.filter(
                association=association,
                email_folded=fold(user.email),
                user__isnull=True,
                erased_at__isnull=True,
            )
            .order_by("created_at")
            .first()
        )
        if match is not None:
            match.user = user
            match.save(update_fields=["user", "updated_at"])
            return
        person_create(
            association=association,
            acting_user=acting_user,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            source=Person.Source.ACCOUNT,
            user=user,
        )
