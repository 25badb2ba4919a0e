"""The fundraising app in the shell: navigation, activity log, dashboard, contact panel."""

import datetime as dt

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core import dashboard, navigation
from essaim.core.selectors import FIELD_LABELS, register_action_labels
from essaim.people import panels

from . import segments  # noqa: F401 (criteria of audiences)
from .models import Campaign, FiscalSettings, Gift, RecurringGift

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
        "campaign.create": _("Fundraising campaign created"),
        "campaign.update": _("Fundraising campaign changed"),
        "campaign.publish": _("Fundraising campaign published"),
        "campaign.close": _("Fundraising campaign closed"),
        "campaign.appeal": _("Appeal for gifts sent to past donors"),
        "gift_intent.create": _("Gift promised on a campaign page"),
        "gift_intent.paid": _("Gift promised on a campaign page paid"),
        "gift_intent.failed": _("Payment of a gift promised on a campaign page failed"),
        "gift_intent.cancel": _("Gift waiting for payment cancelled"),
        "recurring.create": _("Monthly gift started"),
        "recurring.pause": _("Monthly gift paused"),
        "recurring.resume": _("Monthly gift resumed"),
        "recurring.amount": _("Amount of a monthly gift changed"),
        "recurring.cancel": _("Monthly gift stopped"),
        "recurring.debit_failed": _("Debit of a monthly gift failed"),
        "recurring.auto_pause": _("Monthly gift paused after failed debits"),
        "recurring.stripe_cancel_failed": _(
            "Stripe subscription of an erased donor to cancel by hand in Stripe"
        ),
    }
)
# The activity log shows what changed in the tax receipt settings and campaigns by these names.
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
for _name in (
    "slug",
    "title",
    "summary",
    "story",
    "goal_cents",
    "starts_on",
    "ends_on",
    "suggested_amounts",
    "allow_monthly",
    "thank_you_message",
):
    FIELD_LABELS.setdefault(_name, Campaign._meta.get_field(_name).verbose_name)
FIELD_LABELS.setdefault("amount_cents", RecurringGift._meta.get_field("amount_cents").verbose_name)

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


def _monthly_gifts_to_check(association) -> int:
    """Monthly gifts paused after failed debits in a row: the team calls the donors."""
    from .recurring import FAILURES_BEFORE_PAUSE

    return RecurringGift.objects.filter(
        association=association,
        status=RecurringGift.Status.PAUSED,
        failed_debits__gte=FAILURES_BEFORE_PAUSE,
    ).count()


dashboard.register_figure(
    dashboard.Figure(
        key="monthly_gifts_failing",
        label=_("monthly gifts paused after failed debits"),
        value=_monthly_gifts_to_check,
        url_name="fundraising:recurring",
        capability="can_manage_finances",
        order=31,
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
