"""Reminder letters for members without e-mail: nobody is left out of renewals.

The team prints one letter per member (the browser's print, one page each, the address
placed for a window envelope); members without a postal address either are listed apart,
with their phone number, to be called.
"""

import datetime as dt

from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

from essaim.core.tenancy import require

from . import selectors, services
from .models import Membership
from .reminders import next_amount

S = Membership.Status
LEAD_DAYS_DEFAULT = 30


def letters_due(association, today: dt.date | None = None) -> list[Membership]:
    """Memberships of members without e-mail that a reminder would concern today: dues
    still unpaid, or a period ending within the first reminder's lead time, or ended and
    still in the grace period (and not renewed)."""
    today = today or timezone.localdate()
    member_settings = services.settings_for(association)
    before = [-offset for offset in member_settings.reminder_offsets if offset < 0]
    lead = max(before, default=LEAD_DAYS_DEFAULT)
    approval = member_settings.approval_required
    unpaid = selectors.status_filter(S.PENDING_PAYMENT, today, approval) & Q(
        period_end__gte=today - dt.timedelta(days=member_settings.grace_days)
    )
    ending = Q(
        paid_on__isnull=False,
        period_end__range=(
            today - dt.timedelta(days=member_settings.grace_days),
            today + dt.timedelta(days=lead),
        ),
        renewed_by__isnull=True,
        membership_type__is_active=True,
    )
    qs = (
        Membership.objects.filter(
            association=association,
            resigned_at__isnull=True,
            excluded_at__isnull=True,
            person__erased_at__isnull=True,
            person__email="",
        )
        .filter(unpaid | ending)
        # In a household, the one who pays is written to.
        .filter(Q(household__isnull=True) | Q(amount_due_cents__gt=0))
        .select_related("person", "membership_type")
        .order_by("person__sort_name", "period_end")
    )
    return list(selectors.with_status(qs, association, today))


@require("can_manage_members")
def letters(request, association_slug: str):
    association = request.seat.association
    member_settings = services.settings_for(association)
    today = timezone.localdate()
    with_address, without_address = [], []
    for membership in letters_due(association, today):
        person = membership.person
        entry = {
            "membership": membership,
            "unpaid": membership.paid_on is None,
            "amount": services.format_euros(
                membership.amount_due_cents
                if membership.paid_on is None
                else next_amount(membership)
            ),
            "ended": membership.period_end is not None and membership.period_end < today,
        }
        if person.address_line1 and person.city:
            with_address.append(entry)
        else:
            without_address.append(entry)
    return render(
        request,
        "members/letters.html",
        {
            "association": association,
            "letters": with_address,
            "to_call": without_address,
            "payment_instructions": member_settings.payment_instructions,
            "today": today,
        },
    )
