"""The members app in the shell: navigation, dashboard, the contact page panel."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core import dashboard, navigation
from essaim.core.selectors import register_action_labels
from essaim.people import panels

from . import segments  # noqa: F401 (criteria of audiences)
from .models import MembershipType
from .selectors import member_count, memberships_of

register_action_labels(
    {
        "membership.create": _("Membership added"),
        "membership.join": _("Joined online"),
        "membership.paid_twice": _("Online payment received for dues already paid"),
        "membership.paid": _("Dues paid"),
        "membership.payment_cancel": _("Payment cancelled"),
        "membership.approve": _("Membership approved"),
        "membership.resign": _("Resignation"),
        "membership.exclude": _("Exclusion"),
        "membership.remind": _("Reminders sent"),
        "membership.export": _("Members exported"),
        "membership.import": _("Members imported"),
        "membership.settings": _("Membership settings changed"),
        "membership_type.create": _("Membership type created"),
        "membership_type.update": _("Membership type changed"),
    }
)

navigation.register(
    navigation.NavItem(
        key="members",
        label=_("Members and dues"),
        url_name="members:list",
        capability="can_view_members",
        order=20,
        active_prefix="members:",
    )
)

dashboard.register_figure(
    dashboard.Figure(
        key="members",
        label=_("members today"),
        value=member_count,
        url_name="members:list",
        capability="can_view_members",
        order=20,
    )
)
dashboard.register_step(
    dashboard.Step(
        key="membership_types",
        label=_("Set this year's dues"),
        help=_("Your membership types: amount, reduced rate, period."),
        done=lambda association: MembershipType.objects.filter(association=association).exists(),
        url_name="members:types",
        capability="can_manage_members",
        order=25,
    )
)


def _membership_panel(request, person):
    return {
        "memberships": list(memberships_of(person)[:20]),
        "today": timezone.localdate(),
        "can_manage": request.seat.can("can_manage_members"),
    }


panels.register(
    panels.PersonPanel(
        key="memberships",
        template="members/_person_panel.html",
        context=_membership_panel,
        capability="can_view_members",
        order=10,
    )
)
