"""Criteria of audiences about donors (people.segments): gave between two dates, total given,
monthly donors. Imported by registrations.py."""

from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from essaim.people import segments

from .models import Campaign, Gift, RecurringGift

DONORS = _("Donors")


def _campaign_choices(association):
    return list(
        Campaign.objects.filter(association=association)
        .order_by("-created_at")
        .values_list("pk", "title")
    )


def _gifts(association, params):
    gifts = Gift.objects.filter(association=association, person_id__isnull=False)
    if params.get("since"):
        gifts = gifts.filter(received_on__gte=params["since"])
    if params.get("until"):
        gifts = gifts.filter(received_on__lte=params["until"])
    return gifts


def _gave(association, params) -> Q:
    gifts = _gifts(association, params)
    campaigns = [int(v) for v in params.get("campaigns") or [] if str(v).isdigit()]
    if campaigns:
        gifts = gifts.filter(campaign_id__in=campaigns)
    return Q(pk__in=gifts.values("person_id"))


def _total(association, params) -> Q:
    cents = int((params["amount"] or Decimal(0)) * 100)
    totals = (
        _gifts(association, params)
        .values("person_id")
        .annotate(total=Sum("amount_cents"))
        .filter(total__gte=cents)
    )
    return Q(pk__in=totals.values("person_id"))


def _monthly(association, params) -> Q:
    statuses = params.get("statuses") or [RecurringGift.Status.ACTIVE]
    return Q(
        pk__in=RecurringGift.objects.filter(
            association=association, person_id__isnull=False, status__in=statuses
        ).values("person_id")
    )


DATES = (
    segments.Param("since", _("from"), segments.DATE, required=False),
    segments.Param("until", _("to"), segments.DATE, required=False),
)

segments.register(
    segments.Criterion(
        key="fundraising.gave",
        label=_("Gave"),
        group=DONORS,
        help_text=_("At least one gift between the two dates (leave empty: ever)."),
        params=(
            *DATES,
            segments.Param(
                "campaigns",
                _("to the campaigns"),
                segments.MULTI,
                _campaign_choices,
                required=False,
            ),
        ),
        build=_gave,
        order=30,
    )
)
segments.register(
    segments.Criterion(
        key="fundraising.total",
        label=_("Gave in total at least"),
        group=DONORS,
        params=(segments.Param("amount", _("amount in euros"), segments.AMOUNT), *DATES),
        build=_total,
        order=31,
    )
)
segments.register(
    segments.Criterion(
        key="fundraising.monthly",
        label=_("Monthly donors"),
        group=DONORS,
        params=(
            segments.Param(
                "statuses",
                _("monthly gifts"),
                segments.MULTI,
                [
                    (RecurringGift.Status.ACTIVE, _("active")),
                    (RecurringGift.Status.PAUSED, _("paused")),
                    (RecurringGift.Status.CANCELLED, _("cancelled")),
                ],
                required=False,
            ),
        ),
        build=_monthly,
        order=32,
    )
)
