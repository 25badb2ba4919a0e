"""Notifications delivered at the same moment: one payment, whatever the database.

Each thread has its own connection (transaction=True: the rows are really committed), as
web workers would. On PostgreSQL the second insert of the same event or payment waits for
the first transaction and fails once it commits; on SQLite the IMMEDIATE transactions queue.
"""

import time

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog
from essaim.payments.models import Payment, WebhookDelivery
from tests.factories import UserFactory, make_association

from .provider_fakes import (
    deliver,
    stripe_account,
    stripe_charge,
    stripe_event,
    stripe_headers,
    stripe_session,
)
from .test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)

NOW = int(time.time())


@pytest.fixture
def setup():
    user = UserFactory()
    association = make_association(user, name="Course solidaire")
    return association, stripe_account(association, user)


def post(account, body: bytes):
    def send():
        return deliver(account, body, stripe_headers(body), client=Client()).status_code

    return send


def test_the_same_event_delivered_at_once_records_one_payment(setup):
    association, account = setup
    body = stripe_event("checkout.session.completed", stripe_session("pi_3Race01"), created=NOW)
    results = race([post(account, body)] * 8)
    assert results == [200] * 8, results
    with scope(association=association):
        assert Payment.objects.filter(association=association).count() == 1
        [delivery] = WebhookDelivery.objects.filter(association=association)
    assert delivery.attempts == 8
    with scopes_disabled():
        assert (
            AuditLog.objects.filter(association=association, action="payment.record").count() == 1
        )


def test_a_success_and_its_refund_racing_end_refunded(setup):
    association, account = setup
    success = stripe_event(
        "checkout.session.completed", stripe_session("pi_3Race02"), created=NOW - 60
    )
    refund = stripe_event(
        "charge.refunded", stripe_charge("pi_3Race02", created=NOW - 120), created=NOW - 10
    )
    results = race([post(account, success), post(account, refund)] * 4)
    assert results == [200] * 8, results
    with scope(association=association):
        [payment] = Payment.objects.filter(association=association)
        assert payment.status == "refunded"
        assert WebhookDelivery.objects.filter(association=association).count() == 2
