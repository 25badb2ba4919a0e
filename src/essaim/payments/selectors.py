"""Reads of payments."""

import datetime as dt

from django.db.models import F, QuerySet

from essaim.core.models import Association
from essaim.people.models import Person

from .models import Payment


def payments_for(
    *,
    association: Association,
    status: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[Payment]:
    """An association's payments, the awaited ones first, then by date of payment (newest
    first): the order of a treasurer's list. Dates filter on the date of payment."""
    payments = Payment.objects.filter(association=association)
    if status:
        payments = payments.filter(status=status)
    if since:
        payments = payments.filter(paid_on__gte=since)
    if until:
        payments = payments.filter(paid_on__lte=until)
    return payments.order_by(F("paid_on").desc(nulls_first=True), "-created_at", "-id")


def payments_of(person: Person) -> QuerySet[Payment]:
    """One contact's payments, newest first."""
    return Payment.objects.filter(association_id=person.association_id, person=person).order_by(
        F("paid_on").desc(nulls_first=True), "-created_at", "-id"
    )
