"""Services of accounts: profile changes and account deletion."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from essaim.core.audit import audit_log
from essaim.core.models import RoleAssignment


@transaction.atomic
def user_update_profile(*, acting_user, first_name: str, last_name: str, language: str):
    if language not in {"fr", "en"}:
        raise ValidationError({"language": _("Unknown language.")})
    acting_user.first_name = " ".join(first_name.split())[:150]
    acting_user.last_name = " ".join(last_name.split())[:150]
    acting_user.language = language
    acting_user.save(update_fields=["first_name", "last_name", "language"])
    return acting_user


@transaction.atomic
def user_delete(*, acting_user) -> None:
    """Delete the account. Association records about the person stay with each association
    (its own processing, under its own retention rules); they are unlinked from the account.

    Refused while the user is the last administrator of an association: it would be left
    with nobody able to manage it.
    """
    with scopes_disabled():
        seats = RoleAssignment.objects.filter(user=acting_user, role__can_change_settings=True)
        for seat in seats.select_related("association"):
            others = RoleAssignment.objects.filter(
                association=seat.association, role__can_change_settings=True
            ).exclude(user=acting_user)
            if not others.exists():
                raise ValidationError(
                    _(
                        "You are the last administrator of %(name)s: hand this role to "
                        "someone else (Team and roles) before deleting your account."
                    )
                    % {"name": seat.association.name}
                )
        for seat in RoleAssignment.objects.filter(user=acting_user).select_related(
            "association", "role"
        ):
            audit_log(
                association=seat.association,
                actor=None,
                action="team.remove",
                obj=seat,
                object_repr=str(_("Deleted account")),
                changes={"role": [seat.role.name, None]},
            )
    acting_user.delete()
