"""Core's own entries in the navigation and dashboard registries."""

from django.utils.translation import gettext_lazy as _

from . import dashboard, navigation
from .models import Invitation, RoleAssignment

navigation.register(
    navigation.NavItem(
        key="dashboard",
        label=_("Home"),
        url_name="core:dashboard",
        capability=None,
        order=0,
    )
)
navigation.register(
    navigation.NavItem(
        key="team",
        label=_("Team and roles"),
        url_name="core:team",
        capability="can_change_settings",
        order=10,
        section="admin",
        active_prefix="core:team",
    )
)
navigation.register(
    navigation.NavItem(
        key="settings",
        label=_("Association details"),
        url_name="core:settings",
        capability="can_change_settings",
        order=20,
        section="admin",
    )
)
navigation.register(
    navigation.NavItem(
        key="audit",
        label=_("Activity log"),
        url_name="core:audit",
        capability="can_change_settings",
        order=30,
        section="admin",
    )
)
navigation.register(
    navigation.NavItem(
        key="privacy",
        label=_("Personal data register"),
        url_name="core:privacy_register",
        capability=None,
        order=40,
        section="admin",
    )
)


def _details_done(association) -> bool:
    return bool(association.objet and (association.rna or association.alsace_moselle))


def _team_done(association) -> bool:
    return (
        RoleAssignment.objects.filter(association=association).count() > 1
        or Invitation.objects.filter(association=association).exists()
    )


dashboard.register_step(
    dashboard.Step(
        key="details",
        label=_("Complete your association's details"),
        help=_("RNA number, purpose and address: they appear on receipts and your public page."),
        done=_details_done,
        url_name="core:settings",
        capability="can_change_settings",
        order=10,
    )
)
dashboard.register_step(
    dashboard.Step(
        key="team",
        label=_("Invite your treasurer and secretary"),
        help=_("Each gets exactly the rights of their role."),
        done=_team_done,
        url_name="core:team",
        capability="can_change_settings",
        order=30,
    )
)


def _team_size(association) -> int:
    return RoleAssignment.objects.filter(association=association).count()


dashboard.register_figure(
    dashboard.Figure(
        key="team",
        label=_("team members"),
        value=_team_size,
        url_name="core:team",
        capability="can_change_settings",
        order=90,
    )
)
