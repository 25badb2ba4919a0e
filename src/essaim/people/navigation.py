"""The people app's entries in the shell's navigation and the dashboard."""

from django.utils.translation import gettext_lazy as _

from essaim.core import dashboard, navigation

from .models import Person

navigation.register(
    navigation.NavItem(
        key="people",
        label=_("Contacts"),
        url_name="people:list",
        capability="can_view_members",
        order=10,
        active_prefix="people:",
    )
)


def _live_contacts(association) -> int:
    return Person.objects.filter(association=association, erased_at__isnull=True).count()


dashboard.register_figure(
    dashboard.Figure(
        key="contacts",
        label=_("contacts"),
        value=_live_contacts,
        url_name="people:list",
        capability="can_view_members",
        order=10,
    )
)
dashboard.register_step(
    dashboard.Step(
        key="contacts",
        label=_("Add your contacts"),
        help=_("Members, volunteers, donors, partners: everyone the association knows."),
        done=lambda association: Person.objects.filter(association=association).count() > 1,
        url_name="people:list",
        capability="can_manage_members",
        order=20,
    )
)
