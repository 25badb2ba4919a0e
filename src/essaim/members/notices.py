"""Reminders the team sends by hand (bulk action "send a reminder")."""

from django.db import transaction
from django.utils import timezone

from essaim.core.audit import audit_log
from essaim.core.emails import email_enqueue

from . import online
from .reminders import next_amount, renewal_url
from .services import format_euros, settings_for


@transaction.atomic
def send_reminders(*, association, acting_user, memberships) -> tuple[int, list]:
    """E-mail each member what they should do: pay pending dues, or renew an ending or
    ended membership. Returns the number sent and the persons without an e-mail address
    (to be reminded by letter or phone)."""
    member_settings = settings_for(association)
    today = timezone.localdate()
    sent, without = 0, []
    for membership in memberships:
        if membership.resigned_at or membership.excluded_at:
            continue
        person = membership.person
        if not person.email:
            without.append(person)
            continue
        if not membership.is_paid:
            email_enqueue(
                to=person.email,
                template="membership_dues",
                association=association,
                context={
                    "person": person,
                    "membership": membership,
                    "period": membership.period.label(),
                    "amount": format_euros(membership.amount_due_cents),
                    "payment_instructions": member_settings.payment_instructions,
                    "pay_url": online.pay_link(membership),
                },
            )
        else:
            email_enqueue(
                to=person.email,
                template="membership_reminder",
                association=association,
                context={
                    "person": person,
                    "membership": membership,
                    "period": membership.period.label(),
                    "end": membership.period_end,
                    "ended": membership.period_end is not None and membership.period_end < today,
                    "amount": format_euros(next_amount(membership)),
                    "url": renewal_url(membership),
                    "payment_instructions": member_settings.payment_instructions,
                },
            )
        sent += 1
    if sent:
        audit_log(
            association=association,
            actor=acting_user,
            action="membership.remind",
            object_type="membership",
            object_repr=str(sent),
            data={"count": sent},
        )
    return sent, without
