"""Monthly gifts by card (Stripe subscriptions): the donation form's monthly + card path,
each month's invoice becoming one gift (however often and in whatever order Stripe tells),
failed months, Stripe's own changes, and pause/resume/amount/cancel by the team and by the
donor calling the fake Stripe."""

import datetime as dt
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog, OutboxEmail
from essaim.fundraising import recurring
from essaim.fundraising.models import Gift, GiftIntent, RecurringGift
from essaim.payments.models import Payment, WebhookDelivery
from tests.factories import UserFactory
from tests.payments.provider_fakes import (
    FakeProviders,
    deliver,
    helloasso_account,
    stripe_account,
    stripe_event,
    stripe_headers,
    stripe_invoice,
    stripe_subscription,
)

from .test_donate import creditor, form_data, make_campaign, page  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

NOW = int(time.time())
DAY = 86400


def month(at: int) -> str:
    local = timezone.localtime(dt.datetime.fromtimestamp(at, tz=dt.UTC))
    return f"{local.year:04d}-{local.month:02d}"


@pytest.fixture
def campaign(association, tresorier):
    return make_campaign(association, tresorier)


@pytest.fixture
def fake():
    with FakeProviders() as server:
        yield server


@pytest.fixture
def stripe(association, tresorier, fake):
    return stripe_account(association, tresorier, base_url=fake.base_url)


def send(account, body: bytes):
    return deliver(account, body, stripe_headers(body))


def refresh(association, gift) -> RecurringGift:
    with scope(association=association):
        return RecurringGift.objects.get(pk=gift.pk)


def gifts_of(association, gift) -> list[Gift]:
    with scope(association=association):
        return list(Gift.objects.filter(association=association, recurring=gift).order_by("id"))


def payments(association) -> list[Payment]:
    with scope(association=association):
        return list(Payment.objects.filter(association=association).order_by("id"))


def thanks_emails() -> int:
    with scopes_disabled():
        return OutboxEmail.objects.filter(kind="gift_thanks").count()


def give_monthly_by_card(client, association, campaign, amount="15"):
    """The donor chooses every month, by card: sent to Stripe's checkout."""
    response = client.post(
        page(association, campaign),
        form_data(
            frequency="monthly",
            method="online",
            choice="other",
            other_amount=amount,
            iban="",
            account_holder="",
            mandate_accepted="",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    with scope(association=association):
        return RecurringGift.objects.get(association=association)


@pytest.fixture
def subscribed(client, association, campaign, stripe, fake):
    """A card monthly gift of 15 € whose checkout was completed: (gift, subscription)."""
    gift = give_monthly_by_card(client, association, campaign)
    session = fake.sessions[recurring.subscription_key(gift)]
    subscription = fake.add_subscription(session)
    completed = stripe_event("checkout.session.completed", session, created=NOW - 120)
    assert send(stripe, completed).status_code == 200
    gift = refresh(association, gift)
    assert gift.provider_reference == subscription["id"]
    return gift, subscription


def invoice_event(gift, subscription, pi, *, kind="invoice.paid", created, period_start, **kw):
    invoice = stripe_invoice(
        pi,
        subscription["id"],
        amount=kw.pop("amount", gift.amount_cents),
        metadata=subscription["metadata"],
        period_start=period_start,
        paid=kind == "invoice.paid",
        **kw,
    )
    return stripe_event(kind, invoice, created=created)


# --- The donation form --------------------------------------------------------------------


def test_with_stripe_the_form_offers_monthly_by_card_and_starts_a_subscription(
    client, association, campaign, stripe, fake
):
    form = client.get(page(association, campaign)).context["form"]
    assert "frequency" in form.fields and "iban" not in form.fields
    assert "paid by card" in str(form["frequency"].help_text)
    gift = give_monthly_by_card(client, association, campaign, amount="12,50")
    assert gift.method == "card_online" and gift.mandate is None and gift.status == "active"
    assert gift.amount_cents == 1250 and gift.provider_reference == ""
    with scope(association=association):
        intent = GiftIntent.objects.get(recurring=gift)
    assert intent.method == "online" and intent.monthly and intent.status == "pending"
    thanks = client.get(
        reverse("donate:thanks", kwargs={"slug": association.slug, "campaign_slug": campaign.slug})
    ).content.decode()
    assert "by card is set up: its first payment is being confirmed" in thanks
    [params] = fake.session_params.values()
    form = dict(params)
    assert form["mode"] == "subscription"
    assert form["line_items[0][price_data][recurring][interval]"] == "month"
    assert form["line_items[0][price_data][unit_amount]"] == "1250"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["subscription_data[metadata][essaim_key]"] == f"recurring:{gift.uuid}"
    assert form["metadata[essaim_key]"] == f"recurring:{gift.uuid}"
    assert form["customer_email"] == "hugo.dubois@example.org"
    assert not any(name.startswith("payment_intent_data") for name in form)
    # Nothing is recorded as money before Stripe says so.
    assert payments(association) == [] and gifts_of(association, gift) == []


def test_with_helloasso_monthly_is_by_sepa_only_and_the_form_says_so(
    client,
    association,
    campaign,
    tresorier,
    creditor,  # noqa: F811
):
    helloasso_account(association, tresorier)
    form = client.get(page(association, campaign)).context["form"]
    html = client.get(page(association, campaign)).content.decode()
    assert "frequency" in form.fields and "the card is for one-off gifts" in html
    response = client.post(
        page(association, campaign),
        form_data(frequency="monthly", method="online", iban="", mandate_accepted=""),
    )
    assert response.status_code == 200
    assert "offered only with Stripe" in response.content.decode()
    with scope(association=association):
        assert not RecurringGift.objects.exists() and not GiftIntent.objects.exists()


def test_stripe_down_at_the_checkout_leaves_no_monthly_gift_running(
    client, association, campaign, stripe, fake
):
    fake.down = True
    response = client.post(
        page(association, campaign),
        form_data(frequency="monthly", method="online", iban="", mandate_accepted=""),
    )
    assert response.status_code == 200 and "cannot be reached" in response.content.decode()
    with scope(association=association):
        gift = RecurringGift.objects.get()
        assert gift.status == "cancelled"
        assert GiftIntent.objects.get().status == "cancelled"


# --- Each month's invoice -----------------------------------------------------------------


def test_each_months_invoice_is_one_payment_and_one_gift_even_replayed_ten_times(
    association, campaign, stripe, subscribed
):
    gift, subscription = subscribed
    first = invoice_event(
        gift, subscription, "pi_3Month001", created=NOW - 100, period_start=NOW - 110
    )
    for _ in range(10):
        assert send(stripe, first).status_code == 200
    [payment] = payments(association)
    assert payment.idempotency_key == f"recurring:{gift.uuid}:{month(NOW - 110)}"
    assert payment.status == "succeeded" and payment.amount_cents == 1500
    assert payment.provider == "stripe" and payment.provider_reference == "pi_3Month001"
    assert payment.method == "card_online"
    [month_gift] = gifts_of(association, gift)
    assert month_gift.payment == payment and month_gift.campaign == campaign
    assert month_gift.person == gift.person
    assert thanks_emails() == 1  # the first month thanks the donor, once
    with scope(association=association):
        intent = GiftIntent.objects.get(recurring=gift)
        assert intent.status == "paid" and intent.gift == month_gift
        delivery = WebhookDelivery.objects.get(event_type="invoice.paid")
        assert delivery.attempts == 10 and delivery.outcome == "processed"
    # The next month: another gift, no second thank-you.
    later = NOW - 50 + 31 * DAY
    second = invoice_event(gift, subscription, "pi_3Month002", created=NOW - 40, period_start=later)
    assert send(stripe, second).status_code == 200
    assert len(gifts_of(association, gift)) == 2 and thanks_emails() == 1
    keys = {p.idempotency_key for p in payments(association)}
    assert f"recurring:{gift.uuid}:{month(later)}" in keys


def test_an_invoice_paid_after_the_subscription_was_cancelled_is_still_recorded(
    association, stripe, subscribed
):
    gift, subscription = subscribed
    deleted = stripe_event(
        "customer.subscription.deleted",
        {**subscription, "status": "canceled", "canceled_at": NOW - 10},
        created=NOW - 10,
    )
    assert send(stripe, deleted).status_code == 200
    assert refresh(association, gift).status == "cancelled"
    # The last month's payment, notified late: the money came in, the gift is recorded.
    late = invoice_event(gift, subscription, "pi_3Late0001", created=NOW - 60, period_start=NOW)
    assert send(stripe, late).status_code == 200
    [month_gift] = gifts_of(association, gift)
    assert month_gift.amount_cents == 1500
    assert refresh(association, gift).status == "cancelled"


def test_a_failed_invoice_records_no_gift_and_two_failed_months_pause_at_stripe_too(
    association, stripe, subscribed, fake, django_capture_on_commit_callbacks
):
    gift, subscription = subscribed
    failed = invoice_event(
        gift,
        subscription,
        "pi_3Fail0001",
        kind="invoice.payment_failed",
        created=NOW - 100,
        period_start=NOW - 110,
    )
    for _ in range(3):
        assert send(stripe, failed).status_code == 200
    [payment] = payments(association)
    assert payment.status == "failed" and gifts_of(association, gift) == []
    assert refresh(association, gift).failed_debits == 1  # counted once
    assert refresh(association, gift).status == "active"
    # Stripe retries the same invoice: it fails again, still one failure.
    retry = invoice_event(
        gift,
        subscription,
        "pi_3Fail0001",
        kind="invoice.payment_failed",
        created=NOW - 90,
        period_start=NOW - 110,
    )
    assert send(stripe, retry).status_code == 200
    assert refresh(association, gift).failed_debits == 1
    second = invoice_event(
        gift,
        subscription,
        "pi_3Fail0002",
        kind="invoice.payment_failed",
        created=NOW - 80,
        period_start=NOW + 31 * DAY,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert send(stripe, second).status_code == 200
    gift = refresh(association, gift)
    assert gift.status == "paused" and gift.failed_debits == 2
    assert recurring.paused_after_failures(gift)
    assert fake.subscriptions[subscription["id"]]["pause_collection"] == {
        "behavior": "void",
        "resumes_at": None,
    }
    with scopes_disabled():
        assert AuditLog.objects.filter(action="recurring.auto_pause").count() == 1
    # Stripe's notification of the pause we asked for changes nothing more.
    updated = stripe_event(
        "customer.subscription.updated",
        fake.subscriptions[subscription["id"]],
        created=int(time.time()),
    )
    assert send(stripe, updated).status_code == 200
    assert refresh(association, gift).status == "paused"


def test_a_failed_month_then_paid_on_retry_is_one_gift(association, stripe, subscribed):
    gift, subscription = subscribed
    failed = invoice_event(
        gift,
        subscription,
        "pi_3Retry001",
        kind="invoice.payment_failed",
        created=NOW - 100,
        period_start=NOW - 110,
    )
    paid = invoice_event(
        gift, subscription, "pi_3Retry001", created=NOW - 50, period_start=NOW - 110
    )
    # Delivered in the wrong order: the success first, the older failure after it.
    assert send(stripe, paid).status_code == 200
    assert send(stripe, failed).status_code == 200
    [payment] = payments(association)
    assert payment.status == "succeeded"
    assert len(gifts_of(association, gift)) == 1
    assert refresh(association, gift).failed_debits == 0


# --- Stripe's own changes -----------------------------------------------------------------


def test_changes_made_at_stripe_are_followed_and_older_news_changes_nothing(
    association, stripe, subscribed
):
    gift, subscription = subscribed
    resumes = NOW + 40 * DAY
    paused = stripe_event(
        "customer.subscription.updated",
        {**subscription, "pause_collection": {"behavior": "void", "resumes_at": resumes}},
        created=NOW - 30,
    )
    assert send(stripe, paused).status_code == 200
    gift = refresh(association, gift)
    assert gift.status == "paused"
    assert gift.paused_until == timezone.localdate(dt.datetime.fromtimestamp(resumes, tz=dt.UTC))
    # An older notification (still active, another amount) arrives late: ignored.
    older = stripe_event(
        "customer.subscription.updated",
        stripe_subscription(subscription["id"], amount=9900, metadata=subscription["metadata"]),
        created=NOW - 60,
    )
    assert send(stripe, older).status_code == 200
    gift = refresh(association, gift)
    assert gift.status == "paused" and gift.amount_cents == 1500
    # Resumed at a new amount from Stripe's dashboard.
    resumed = stripe_event(
        "customer.subscription.updated",
        stripe_subscription(subscription["id"], amount=2000, metadata=subscription["metadata"]),
        created=NOW - 20,
    )
    assert send(stripe, resumed).status_code == 200
    gift = refresh(association, gift)
    assert gift.status == "active" and gift.amount_cents == 2000 and gift.paused_until is None
    deleted = stripe_event(
        "customer.subscription.deleted",
        {**subscription, "status": "canceled"},
        created=NOW - 10,
    )
    for _ in range(3):
        assert send(stripe, deleted).status_code == 200
    gift = refresh(association, gift)
    assert gift.status == "cancelled" and gift.cancelled_at is not None
    # Nothing brings a cancelled gift back.
    again = stripe_event(
        "customer.subscription.updated",
        stripe_subscription(subscription["id"], metadata=subscription["metadata"]),
        created=NOW,
    )
    assert send(stripe, again).status_code == 200
    assert refresh(association, gift).status == "cancelled"
    with scopes_disabled():
        actions = list(
            AuditLog.objects.filter(action__startswith="recurring.")
            .order_by("id")
            .values_list("action", flat=True)
        )
    assert actions[-4:] == [
        "recurring.pause",
        "recurring.resume",
        "recurring.amount",
        "recurring.cancel",
    ]


def test_an_abandoned_subscription_checkout_cancels_the_monthly_gift(
    client, association, campaign, stripe, fake
):
    gift = give_monthly_by_card(client, association, campaign)
    session = fake.sessions[recurring.subscription_key(gift)]
    expired = stripe_event(
        "checkout.session.expired", {**session, "status": "expired"}, created=NOW
    )
    assert send(stripe, expired).status_code == 200
    assert refresh(association, gift).status == "cancelled"
    with scope(association=association):
        assert GiftIntent.objects.get(recurring=gift).status == "cancelled"


def test_a_subscription_notification_for_a_sepa_gift_or_nobody_changes_nothing(association, stripe):
    with scope(association=association):
        before = AuditLog.objects.count()
    unknown = stripe_event(
        "customer.subscription.deleted",
        stripe_subscription(
            "sub_1Unknown0001",
            metadata={"essaim_key": "recurring:00000000-0000-4000-8000-000000000000"},
        ),
        created=NOW,
    )
    response = send(stripe, unknown)
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    with scope(association=association):
        assert AuditLog.objects.count() == before


def test_card_gifts_are_never_in_a_sepa_batch(association, subscribed):
    with scope(association=association):
        assert recurring.recurring_due(association, timezone.localdate()) == []


# --- The team and the donor change the gift: Stripe is called -----------------------------


def bo(association, name, **kwargs):
    return reverse(f"fundraising:{name}", kwargs={"association_slug": association.slug, **kwargs})


def test_the_team_pauses_resumes_changes_and_cancels_at_stripe(
    association, subscribed, client_for, tresorier, fake
):
    gift, subscription = subscribed
    remote = fake.subscriptions[subscription["id"]]
    client = client_for(tresorier)
    detail = client.get(bo(association, "recurring_detail", recurring_uuid=gift.uuid))
    assert detail.status_code == 200
    assert subscription["id"] in detail.content.decode()
    prefix = str(gift.uuid)[:8]

    def action(name):
        return bo(association, "recurring_action", recurring_uuid=gift.uuid, action=name)

    until = timezone.localdate() + dt.timedelta(days=45)
    response = client.post(action("pause"), {f"{prefix}-until": until.isoformat()}, follow=True)
    assert "the card is not charged during the pause" in response.content.decode()
    assert refresh(association, gift).status == "paused"
    midnight = timezone.make_aware(dt.datetime.combine(until, dt.time()))
    assert remote["pause_collection"] == {
        "behavior": "void",
        "resumes_at": int(midnight.timestamp()),
    }
    client.post(action("resume"))
    assert refresh(association, gift).status == "active" and remote["pause_collection"] is None
    client.post(action("amount"), {f"{prefix}-amount_cents": "22,50"})
    assert refresh(association, gift).amount_cents == 2250
    [item] = remote["items"]["data"]
    assert item["price"]["unit_amount"] == 2250 and item["price"]["product"]
    [(_, last)] = fake.subscription_updates[-1:]
    assert ("proration_behavior", "none") in last
    client.post(action("cancel"), {"confirm": "yes"})
    assert refresh(association, gift).status == "cancelled" and remote["status"] == "canceled"
    # Stripe's notification of our own cancellation: nothing more.
    deleted = stripe_event("customer.subscription.deleted", remote, created=int(time.time()))
    with scopes_disabled():
        account = gift_account(association)
    assert send(account, deleted).status_code == 200
    with scopes_disabled():
        assert AuditLog.objects.filter(action="recurring.cancel").count() == 1


def gift_account(association):
    from essaim.payments.models import ProviderAccount

    return ProviderAccount.objects.get(association=association, provider="stripe")


def test_stripe_refusing_or_down_changes_nothing_and_says_why(
    association, subscribed, client_for, tresorier, fake
):
    gift, _subscription = subscribed
    client = client_for(tresorier)
    prefix = str(gift.uuid)[:8]
    fake.down = True
    address = bo(association, "recurring_action", recurring_uuid=gift.uuid, action="pause")
    response = client.post(address, {f"{prefix}-until": ""}, follow=True)
    assert "cannot be reached" in response.content.decode()
    assert refresh(association, gift).status == "active"
    cancel = bo(association, "recurring_action", recurring_uuid=gift.uuid, action="cancel")
    response = client.post(cancel, {"confirm": "yes"}, follow=True)
    assert "cannot be reached" in response.content.decode()
    assert refresh(association, gift).status == "active"
    fake.down = False
    # Stripe refuses (the subscription is gone from this account): refused, said plainly.
    fake.subscriptions.clear()
    response = client.post(address, {f"{prefix}-until": ""}, follow=True)
    assert "refused the change" in response.content.decode()
    assert refresh(association, gift).status == "active"


def test_cancelling_a_subscription_already_cancelled_at_stripe_just_cancels_here(
    association, subscribed, tresorier, fake
):
    gift, subscription = subscribed
    fake.subscriptions[subscription["id"]]["status"] = "canceled"
    with scope(association=association):
        recurring.recurring_cancel(association=association, acting_user=tresorier, recurring=gift)
    assert refresh(association, gift).status == "cancelled"


def test_before_the_first_card_payment_only_cancelling_is_possible(
    client, association, campaign, stripe, fake, tresorier
):
    gift = give_monthly_by_card(client, association, campaign)
    with scope(association=association):
        error = recurring.perform(
            "pause", association=association, acting_user=tresorier, recurring=gift, data={}
        )
        assert "has not finished their first card payment" in error
        calls = len(fake.requests)
        assert (
            recurring.perform(
                "cancel",
                association=association,
                acting_user=tresorier,
                recurring=gift,
                data={"confirm": "yes"},
            )
            == ""
        )
    assert len(fake.requests) == calls  # no subscription at Stripe to cancel
    assert refresh(association, gift).status == "cancelled"


@pytest.fixture
def donor_user(db):
    return UserFactory(email="hugo.dubois@example.org", first_name="Hugo", last_name="Dubois")


def test_the_donor_manages_their_card_gift_from_their_space(
    association, subscribed, client_for, donor_user, fake
):
    gift, subscription = subscribed
    remote = fake.subscriptions[subscription["id"]]
    client = client_for(donor_user)
    html = client.get(reverse("fundraising_public:gifts")).content.decode()
    assert "15,00" in html and "by card" in html
    prefix = str(gift.uuid)[:8]

    def action(name):
        return reverse(
            "fundraising_public:gift_action",
            kwargs={"recurring_uuid": gift.uuid, "action": name},
        )

    client.post(action("amount"), {f"{prefix}-amount_cents": "20"})
    assert refresh(association, gift).amount_cents == 2000
    assert remote["items"]["data"][0]["price"]["unit_amount"] == 2000
    client.post(action("pause"), {f"{prefix}-until": ""})
    assert remote["pause_collection"]["behavior"] == "void"
    client.post(action("resume"))
    assert remote["pause_collection"] is None
    response = client.post(action("cancel"), {"confirm": "yes"}, follow=True)
    assert "The card will not be charged again" in response.content.decode()
    assert remote["status"] == "canceled" and refresh(association, gift).status == "cancelled"
    with scopes_disabled():
        assert AuditLog.objects.filter(action="recurring.cancel").get().actor == donor_user


def test_outsiders_and_members_without_the_capability_cannot_touch_a_card_gift(
    association, subscribed, client_for, benevole, outsider, citizen, fake
):
    gift, subscription = subscribed
    calls = len(fake.requests)
    for name in ("pause", "cancel"):
        address = bo(association, "recurring_action", recurring_uuid=gift.uuid, action=name)
        assert client_for(benevole).post(address, {"confirm": "yes"}).status_code == 403
        assert client_for(outsider).post(address, {"confirm": "yes"}).status_code == 404
        own = reverse(
            "fundraising_public:gift_action",
            kwargs={"recurring_uuid": gift.uuid, "action": name},
        )
        assert client_for(citizen).post(own, {"confirm": "yes"}).status_code == 404
    assert (
        client_for(outsider)
        .get(bo(association, "recurring_detail", recurring_uuid=gift.uuid))
        .status_code
        == 404
    )
    assert len(fake.requests) == calls  # Stripe never called
    assert refresh(association, gift).status == "active"
    assert fake.subscriptions[subscription["id"]]["status"] == "active"


def test_erasing_the_donor_cancels_their_stripe_subscription(
    association, subscribed, presidente, fake, django_capture_on_commit_callbacks
):
    from essaim.core.privacy import registry
    from essaim.people import services as people_services

    gift, subscription = subscribed
    monthly_entry = next(e for e in registry.entries() if e.key == "monthly_gifts")
    with scope(association=association):
        [row] = monthly_entry.export_person(gift.person)
        assert row["paid_by"] == "card_online" and row["card_subscription"] == subscription["id"]
        with django_capture_on_commit_callbacks(execute=True):
            people_services.person_erase(
                association=association, acting_user=presidente, person=gift.person
            )
    gift = refresh(association, gift)
    assert gift.status == "cancelled" and gift.person is None
    assert fake.subscriptions[subscription["id"]]["status"] == "canceled"


@pytest.mark.allow_error_logs
def test_an_erasure_is_not_stopped_by_stripe_being_down(
    association, subscribed, presidente, fake, django_capture_on_commit_callbacks, caplog
):
    from essaim.people import services as people_services

    gift, subscription = subscribed
    fake.down = True
    with scope(association=association), django_capture_on_commit_callbacks(execute=True):
        people_services.person_erase(
            association=association, acting_user=presidente, person=gift.person
        )
    assert refresh(association, gift).status == "cancelled"
    assert "cancel it in Stripe's dashboard" in caplog.text
    with scopes_disabled():
        log = AuditLog.objects.get(action="recurring.stripe_cancel_failed")
    assert log.object_id == subscription["id"]


def test_the_stripe_settings_list_the_subscription_events_to_choose(
    association, stripe, client_for, tresorier
):
    html = client_for(tresorier).get(
        reverse("payments_admin:online", kwargs={"association_slug": association.slug})
    )
    text = html.content.decode().replace("<wbr>", "")
    for event in (
        "invoice.paid",
        "invoice.payment_failed",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "checkout.session.expired",
    ):
        assert event in text
