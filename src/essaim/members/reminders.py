"""Renewal reminders: e-mails at the offsets each association chose (e.g. 30 and 7 days
before the end, 7 days after), each sent once, caught up if the worker was down."""

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from essaim.core.emails import email_enqueue

from . import periods
from .models import Membership, MembershipSettings, ReminderLog
from .services import dues_for, format_euros
from .tokens import renewal_token

logger = logging.getLogger(__name__)

# A reminder whose day passed while no worker ran is still sent within this window; older
# ones are dropped rather than sent late and out of order.
CATCH_UP_DAYS = 6


def renewal_url(membership: Membership) -> str:
    return settings.ESSAIM_BASE_URL + reverse(
        "members_public:renew", kwargs={"token": renewal_token(membership)}
    )


def next_amount(membership: Membership) -> int:
    """What renewing would cost (the next period, at the member's rate)."""
    mtype = membership.membership_type
    following = periods.next_period(
        mtype.period_kind, membership.period, timezone.localdate(), mtype.season_start_month
    )
    if following is None:
        return 0
    try:
        return dues_for(mtype, period=following, joined=following.start, rate=membership.rate)
    except ValidationError:  # the reduced rate was withdrawn from the type
        return dues_for(mtype, period=following, joined=following.start)


def due_reminders(association, offsets: list[int], today: dt.date):
    """(membership, offset) pairs to send today for one association."""
    for offset in sorted(offsets):
        # period_end + offset within [today - CATCH_UP_DAYS, today]
        latest_end = today - dt.timedelta(days=offset)
        earliest_end = latest_end - dt.timedelta(days=CATCH_UP_DAYS)
        qs = (
            Membership.objects.filter(
                association=association,
                period_end__range=(earliest_end, latest_end),
                resigned_at__isnull=True,
                excluded_at__isnull=True,
                renewed_by__isnull=True,
                # Renewing is for members who paid; unpaid dues get the team's reminder
                # ("send a reminder"), which asks for the payment instead.
                paid_on__isnull=False,
                membership_type__is_active=True,
                person__erased_at__isnull=True,
            )
            .exclude(person__email="")
            .exclude(reminders__offset_days=offset)
            # In a household, the one who pays is reminded.
            .filter(Q(household__isnull=True) | Q(amount_due_cents__gt=0))
            .select_related("person", "membership_type")
        )
        for membership in qs.iterator():
            yield membership, offset


def send_membership_reminders(today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    sent = 0
    with scopes_disabled():
        for member_settings in MembershipSettings.objects.select_related("association"):
            association = member_settings.association
            for membership, offset in list(
                due_reminders(association, member_settings.reminder_offsets, today)
            ):
                try:
                    with transaction.atomic():
                        ReminderLog.objects.create(
                            association=association, membership=membership, offset_days=offset
                        )
                        email_enqueue(
                            to=membership.person.email,
                            template="membership_reminder",
                            association=association,
                            context={
                                "person": membership.person,
                                "membership": membership,
                                "period": membership.period.label(),
                                "end": membership.period_end,
                                "ended": offset > 0,
                                "amount": format_euros(next_amount(membership)),
                                "url": renewal_url(membership),
                                "payment_instructions": member_settings.payment_instructions,
                            },
                        )
                except IntegrityError:  # another worker sent it meanwhile
                    continue
                sent += 1
    if sent:
        logger.info("membership reminders sent: %d", sent)
    return sent
