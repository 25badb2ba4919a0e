"""A month's invoice notified many times at the same moment (as several web workers would
receive Stripe's retries): one payment, one gift, the failure counted at most once.

Each thread has its own connection (transaction=True: the rows are really committed)."""

import time

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled

from essaim.core.models import OutboxEmail
from essaim.fundraising import campaigns, donations, recurring
from essaim.fundraising.models import Gift, RecurringGift
from essaim.payments.models import Payment
from tests.factories import UserFactory, make_association
from tests.payments.provider_fakes import (
    deliver,
    stripe_account,
    stripe_event,
    stripe_headers,
    stripe_invoice,
)
from tests.payments.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)

NOW = int(time.time())


@pytest.fixture
def setup():
    user = UserFactory()
    association = make_association(user, name="Course solidaire")
    account = stripe_account(association, user)
    with scope(association=association):
        campaign = campaigns.campaign_create(
            association=association, acting_user=user, slug="toit", title="Un toit"
        )
        campaign = campaigns.campaign_publish(
            association=association, acting_user=user, campaign=campaign
        )
        intent = donations.donation_start(
            association=association,
            campaign=campaign,
            amount_cents=1500,
            method="online",
            monthly=True,
            contact={
                "first_name": "Hugo",
                "last_name": "Dubois",
                "email": "hugo.dubois@example.org",
                "address_line1": "8 rue de la Roquette",
                "postcode": "75011",
                "city": "Paris",
            },
        )
        gift = intent.recurring
        RecurringGift.objects.filter(pk=gift.pk).update(provider_reference="sub_1RaceAbc001")
    return association, account, gift


def post(account, body: bytes):
    def send():
        return deliver(account, body, stripe_headers(body), client=Client()).status_code

    return send


def test_a_months_invoice_racing_with_its_older_failure_is_one_payment_and_one_gift(setup):
    association, account, gift = setup
    metadata = {"essaim_key": recurring.subscription_key(gift)}
    paid = stripe_event(
        "invoice.paid",
        stripe_invoice("pi_3RaceInv1", "sub_1RaceAbc001", metadata=metadata, period_start=NOW),
        created=NOW - 10,
    )
    failed = stripe_event(
        "invoice.payment_failed",
        stripe_invoice(
            "pi_3RaceInv1", "sub_1RaceAbc001", metadata=metadata, period_start=NOW, paid=False
        ),
        created=NOW - 60,
    )
    results = race([post(account, paid)] * 6 + [post(account, failed)] * 2)
    assert results == [200] * 8, results
    with scope(association=association):
        [payment] = Payment.objects.filter(association=association)
        assert payment.status == "succeeded"
        assert payment.idempotency_key.startswith(recurring.subscription_key(gift) + ":")
        assert Gift.objects.filter(association=association, recurring=gift).count() == 1
        assert RecurringGift.objects.get(pk=gift.pk).failed_debits == 0
    with scopes_disabled():
        assert OutboxEmail.objects.filter(kind="gift_thanks").count() == 1
