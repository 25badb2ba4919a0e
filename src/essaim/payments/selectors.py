"""Reads of payments."""

import datetime as dt

from django.db.models import F, QuerySet

from essaim.core.models import Association
from essaim.people.models import Person

from .models import Payment, ProviderAccount, WebhookDelivery


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


def provider_accounts_for(association: Association) -> list[ProviderAccount]:
    """The association's accounts at online payment services."""
    return list(ProviderAccount.objects.filter(association=association).order_by("provider"))


def providers_offered(association: Association) -> list[str]:
    """The online payment services a payer of the association can use now: enabled, with
    every key set."""
    return [account.provider for account in provider_accounts_for(association) if account.is_active]


def webhook_deliveries_for(association: Association) -> QuerySet[WebhookDelivery]:
    """The notifications received from payment services, newest first."""
    return (
        WebhookDelivery.objects.filter(association=association)
        .select_related("payment")
        .order_by("-received_at", "-id")
    )
