"""The fundraising app in the shell: navigation, activity log, dashboard, contact panel."""

import datetime as dt

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core import dashboard, navigation
from essaim.core.selectors import FIELD_LABELS, register_action_labels
from essaim.people import panels

from .models import FiscalSettings, Gift

register_action_labels(
    {
        "gift.record": _("Gift recorded"),
        "gift.export": _("Gifts exported"),
        "receipt.issue": _("Tax receipt issued"),
        "receipt.cancel": _("Tax receipt cancelled"),
        "receipt.annual_start": _("Annual tax receipts started"),
        "receipt.annual_done": _("Annual tax receipts issued"),
        "receipt.export": _("Tax receipts exported"),
        "fiscal_settings.update": _("Tax receipt settings changed"),
    }
)
# The activity log shows what changed in the tax receipt settings by these names.
for _name in (
    "eligible",
    "category",
    "category_other",
    "public_utility_decree_on",
    "public_utility_gazette_on",
    "article_200",
    "article_238_bis",
    "article_978",
    "signatory_name",
    "signatory_title",
    "place",
):
    FIELD_LABELS.setdefault(_name, FiscalSettings._meta.get_field(_name).verbose_name)

navigation.register(
    navigation.NavItem(
        key="fundraising",
        label=_("Gifts and receipts"),
        url_name="fundraising:gifts",
        capability="can_manage_finances",
        order=30,
        active_prefix="fundraising:",
    )
)


def _gifts_this_year(association) -> int:
    year = timezone.localdate().year
    return Gift.objects.filter(
        association=association, received_on__range=(dt.date(year, 1, 1), dt.date(year, 12, 31))
    ).count()


dashboard.register_figure(
    dashboard.Figure(
        key="gifts",
        label=_("gifts this year"),
        value=_gifts_this_year,
        url_name="fundraising:gifts",
        capability="can_manage_finances",
        order=30,
    )
)


def _gift_panel(request, person):
    gifts = Gift.objects.filter(association=request.seat.association, person=person)
    figures = gifts.aggregate(total=Sum("amount_cents"))
    return {
        "gifts": list(gifts.order_by("-received_on", "-id")[:10]),
        "count": gifts.count(),
        "total_cents": figures["total"] or 0,
    }


panels.register(
    panels.PersonPanel(
        key="gifts",
        template="fundraising/_person_panel.html",
        context=_gift_panel,
        capability="can_manage_finances",
        order=20,
    )
)
