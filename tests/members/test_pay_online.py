"""Dues paid online: the join form's thank-you page, the pay page, the checkout at the
payment service (a fake Stripe on 127.0.0.1) and its notification, which marks the dues
paid once, linked to the ledger's Payment."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse
from django_scopes import scope

from essaim.core.models import AuditLog, OutboxEmail
from essaim.members import notices, online, services
from essaim.members.models import DuesPayment, Membership
from essaim.members.tokens import pay_token
from essaim.payments.models import Payment
from tests.members.test_join import form_data, join_url
from tests.payments.provider_fakes import (
    FakeProviders,
    deliver,
    stripe_account,
    stripe_event,
    stripe_headers,
    stripe_session,
)

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fake():
    with FakeProviders() as server:
        yield server


@pytest.fixture
def stripe(association, tresorier, fake):
    return stripe_account(association, tresorier, base_url=fake.base_url)


def only_membership(association) -> Membership:
    with scope(association=association):
        return Membership.objects.select_related("association", "person", "membership_type").get()


def notify_paid(account, membership, amount, *, intent="pi_3FakeDues0001"):
    body = stripe_event(
        "checkout.session.completed",
        stripe_session(intent, amount=amount, metadata={"essaim_key": online.dues_key(membership)}),
        created=int(time.time()),
    )
    return deliver(account, body, stripe_headers(body))


def pay_url(membership):
    return reverse("members_public:pay", kwargs={"token": pay_token(membership)})


def test_a_new_member_pays_by_card_and_the_dues_are_paid_once(
    client, open_join, annual, stripe, fake
):
    response = client.post(join_url(open_join), form_data(annual))
    membership = only_membership(open_join)
    thanks = client.get(response["Location"]).content.decode()
    assert "/m/pay/" in thanks
    email = OutboxEmail.objects.get(to="emilie.legoff@example.net")
    assert "/m/pay/" in email.body_text

    page = client.get(pay_url(membership))
    assert page.status_code == 200 and "20 €" in page.content.decode()
    started = client.post(pay_url(membership))
    assert started.status_code == 302
    assert started["Location"].startswith("https://checkout.stripe.com/")
    params = dict(fake.session_params[online.dues_key(membership)])
    assert params["line_items[0][price_data][unit_amount]"] == "2000"
    assert params["customer_email"] == "emilie.legoff@example.net"
    assert params["success_url"].endswith("/done/")
    with scope(association=open_join):
        assert not Payment.objects.exists()  # nothing before the service says so

    for _ in range(3):  # the service delivers at least once
        assert notify_paid(stripe, membership, 2000).status_code == 200
    membership = only_membership(open_join)
    assert membership.paid_on is not None
    with scope(association=open_join):
        dues = DuesPayment.objects.get()
        assert dues.method == DuesPayment.Method.CARD and dues.amount_cents == 2000
        assert dues.payment.method == Payment.Method.CARD_ONLINE
        assert Payment.objects.count() == 1
        assert membership.status == Membership.Status.ACTIVE
    done = client.get(reverse("members_public:pay_done", kwargs={"token": pay_token(membership)}))
    assert "received" in done.content.decode()
    # Paid: the page says so and opens no checkout.
    assert client.post(pay_url(membership)).status_code == 200
    assert "nothing left to pay" in client.get(pay_url(membership)).content.decode()


def test_without_a_payment_service_there_is_no_card_payment(client, open_join, annual):
    response = client.post(join_url(open_join), form_data(annual))
    membership = only_membership(open_join)
    assert "/m/pay/" not in client.get(response["Location"]).content.decode()
    assert "/m/pay/" not in OutboxEmail.objects.get().body_text
    page = client.get(pay_url(membership)).content.decode()
    assert "by card" not in page and "Chèque" in page
    posted = client.post(pay_url(membership))
    assert posted.status_code == 200 and "does not take payments online" in posted.content.decode()


@pytest.mark.parametrize("token", ["nope", "a" * 300, "eyJhIjoxfQ:1tAmpered:forged"])
def test_a_bad_link_is_a_404(client, token):
    assert client.get(reverse("members_public:pay", kwargs={"token": token})).status_code == 404
    assert client.post(reverse("members_public:pay", kwargs={"token": token})).status_code == 404


def test_a_payment_after_a_cheque_stays_unlinked_and_is_reported(
    client, open_join, annual, presidente, stripe, fake
):
    client.post(join_url(open_join), form_data(annual))
    membership = only_membership(open_join)
    with scope(association=open_join):
        services.dues_payment_record(
            association=open_join, acting_user=presidente, memberships=[membership], method="cheque"
        )
    assert notify_paid(stripe, membership, 2000).status_code == 200
    with scope(association=open_join):
        assert DuesPayment.objects.count() == 1  # the cheque's
        online_payment = Payment.objects.get(method=Payment.Method.CARD_ONLINE)
        assert not DuesPayment.objects.filter(payment=online_payment).exists()
        assert AuditLog.objects.filter(action="membership.paid_twice").count() == 1


def test_a_household_pays_once_for_all(client, open_join, family, presidente, stripe, fake):
    data = form_data(
        family,
        household_0_first_name="Paul",
        household_0_last_name="Le Goff",
        household_1_first_name="Lou",
        household_1_last_name="Le Goff",
    )
    client.post(join_url(open_join), data)
    with scope(association=open_join):
        assert Membership.objects.count() == 3
        first = Membership.objects.select_related("association", "person").order_by("id").first()
        assert online.amount_to_pay(first) == 3500
    client.post(pay_url(first))
    assert notify_paid(stripe, first, 3500).status_code == 200
    with scope(association=open_join):
        assert not Membership.objects.filter(paid_on__isnull=True).exists()
        assert DuesPayment.objects.get().amount_cents == 3500


def test_the_dues_reminder_carries_the_pay_link(open_join, annual, presidente, stripe, client):
    client.post(join_url(open_join), form_data(annual))
    OutboxEmail.objects.all().delete()
    membership = only_membership(open_join)
    with scope(association=open_join):
        notices.send_reminders(
            association=open_join, acting_user=presidente, memberships=[membership]
        )
    assert (
        pay_url(membership).split("/m/pay/")[0] + "/m/pay/" in OutboxEmail.objects.get().body_text
    )
