"""Stripe: Checkout Sessions against a fake Stripe, signed webhooks through the real view."""

import datetime as dt
import json
import logging
import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog
from essaim.payments import online, selectors
from essaim.payments.models import Payment, WebhookDelivery
from essaim.payments.providers import WebhookRefused
from essaim.payments.providers import stripe as adapter

from .provider_fakes import (
    STRIPE_SECRET_KEY,
    STRIPE_SIGNING_SECRET,
    FakeProviders,
    deliver,
    stripe_account,
    stripe_charge,
    stripe_event,
    stripe_headers,
    stripe_invoice,
    stripe_payment_intent,
    stripe_session,
    stripe_subscription,
)

pytestmark = pytest.mark.django_db

NOW = int(time.time())


@pytest.fixture
def fake():
    with FakeProviders() as server:
        yield server


@pytest.fixture
def account(association, tresorier):
    return stripe_account(association, tresorier)


def payments(association) -> list[Payment]:
    with scope(association=association):
        return list(Payment.objects.filter(association=association).order_by("id"))


def deliveries(association) -> list[WebhookDelivery]:
    with scope(association=association):
        return list(WebhookDelivery.objects.filter(association=association).order_by("id"))


def send(account, body: bytes, **kwargs):
    return deliver(account, body, stripe_headers(body, **kwargs))


def completed(pi="pi_3Abc001", *, created=NOW - 60, amount=2500, **session):
    return stripe_event(
        "checkout.session.completed",
        stripe_session(pi, amount=amount, **session),
        created=created,
    )


def refunded(pi="pi_3Abc001", *, created=NOW - 30, amount=2500, charge_created=None):
    return stripe_event(
        "charge.refunded",
        stripe_charge(pi, amount=amount, created=charge_created or created - 86400 * 3),
        created=created,
    )


# --- Signature ----------------------------------------------------------------------------


def test_a_good_signature_is_accepted():
    body = b'{"id": "evt_1"}'
    header = f"t={NOW},v1={adapter.sign(body, 'whsec_x', NOW)}"
    assert adapter.verify_signature(body, header, "whsec_x") == NOW


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda b, h, s: (b + b" ", h, s), id="body-changed"),
        pytest.param(lambda b, h, s: (b, h, "whsec_other"), id="other-secret"),
        pytest.param(lambda b, h, s: (b, h.replace("v1=", "v1=0"), s), id="signature-changed"),
        pytest.param(lambda b, h, s: (b, h.replace(f"t={NOW}", f"t={NOW + 1}"), s), id="t-changed"),
        pytest.param(lambda b, h, s: (b, h.replace("v1=", "v0="), s), id="old-scheme-only"),
    ],
)
def test_a_bad_signature_is_refused(change):
    body = b'{"id": "evt_1"}'
    header = f"t={NOW},v1={adapter.sign(body, 'whsec_x', NOW)}"
    body, header, secret = change(body, header, "whsec_x")
    with pytest.raises(WebhookRefused):
        adapter.verify_signature(body, header, secret)


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_a_timestamp_more_than_five_minutes_away_is_refused(offset):
    body = b"{}"
    at = NOW + offset
    header = f"t={at},v1={adapter.sign(body, 'whsec_x', at)}"
    with pytest.raises(WebhookRefused, match="tolerance"):
        adapter.verify_signature(body, header, "whsec_x", now=NOW)
    # Within the tolerance the same delivery passes.
    assert adapter.verify_signature(body, header, "whsec_x", now=at + 299)


@pytest.mark.parametrize(
    "header",
    ["", "garbage", "t=,v1=", "v1=abc", f"t={NOW}", "t=12a,v1=abc", "t=1e9,v1=ab"],
    ids=["empty", "garbage", "empty-parts", "no-time", "no-signature", "bad-time", "float-time"],
)
def test_a_missing_or_malformed_header_is_refused(header):
    with pytest.raises(WebhookRefused, match="header"):
        adapter.verify_signature(b"{}", header, "whsec_x")


def test_several_signatures_pass_when_one_matches():
    """While a signing secret is rolled, Stripe signs with the old and the new one."""
    body = b'{"id": "evt_1"}'
    good = adapter.sign(body, "whsec_new", NOW)
    header = f"t={NOW},v1={'0' * 64},v1={good},v0=ignored"
    assert adapter.verify_signature(body, header, "whsec_new") == NOW


# --- Checkout -----------------------------------------------------------------------------


def start(association, user, **fields):
    fields.setdefault("provider", "stripe")
    fields.setdefault("amount_cents", 2500)
    fields.setdefault("description", "Adhésion 2026 — Les Amis du Quartier")
    fields.setdefault("return_url", "https://asso.example.org/merci")
    fields.setdefault("cancel_url", "https://asso.example.org/adhesion")
    fields.setdefault("idempotency_key", "dues:0f4c2a7e")
    # In English: the tests below match the messages.
    with scope(association=association), translation.override("en"):
        return online.checkout_start(association=association, acting_user=user, **fields)


def test_a_checkout_creates_a_stripe_checkout_session(fake, association, tresorier):
    stripe_account(association, tresorier, base_url=fake.base_url)
    checkout = start(
        association,
        tresorier,
        payer_email="camille.roux@example.org",
        metadata={"purpose": "dues"},
    )
    assert checkout.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert checkout.provider_reference.startswith("cs_test_")
    params = dict(fake.session_params["dues:0f4c2a7e"])
    assert params["mode"] == "payment"
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert params["line_items[0][price_data][unit_amount]"] == "2500"
    assert params["line_items[0][quantity]"] == "1"
    assert params["line_items[0][price_data][product_data][name]"].startswith("Adhésion 2026")
    assert params["customer_email"] == "camille.roux@example.org"
    assert params["success_url"] == "https://asso.example.org/merci"
    # The caller's key travels with the payment, on the session and on the PaymentIntent.
    assert params["metadata[essaim_key]"] == "dues:0f4c2a7e"
    assert params["payment_intent_data[metadata][essaim_key]"] == "dues:0f4c2a7e"
    assert params["metadata[purpose]"] == "dues"
    assert payments(association) == []  # nothing recorded before Stripe says so


def test_starting_the_same_checkout_twice_gives_the_same_session(fake, association, tresorier):
    stripe_account(association, tresorier, base_url=fake.base_url)
    first = start(association, tresorier)
    second = start(association, tresorier)
    assert first == second
    assert len(fake.sessions) == 1
    assert fake.calls("POST", "/v1/checkout/sessions") == 2


def test_a_wrong_secret_key_is_a_clear_error(fake, association, tresorier, caplog):
    stripe_account(association, tresorier, base_url=fake.base_url, secret_key="sk_test_wrong1234")
    with pytest.raises(ValidationError, match="refused"):
        start(association, tresorier)
    assert "sk_test_wrong1234" not in caplog.text
    assert any(r.levelno == logging.WARNING for r in caplog.records)


def test_an_unreachable_stripe_is_a_clear_error(fake, association, tresorier):
    stripe_account(association, tresorier, base_url=fake.base_url)
    fake.down = True
    with pytest.raises(ValidationError, match="cannot be reached"):
        start(association, tresorier)
    # A closed port too.
    stripe_account(association, tresorier, base_url="http://127.0.0.1:9")
    with pytest.raises(ValidationError, match="cannot be reached"):
        start(association, tresorier)


def test_a_redirect_is_not_followed_with_the_secret_key(fake, association, tresorier):
    with FakeProviders() as elsewhere:
        fake.redirect_to = f"{elsewhere.base_url}/v1/checkout/sessions"
        stripe_account(association, tresorier, base_url=fake.base_url)
        with pytest.raises(ValidationError):
            start(association, tresorier)
        assert elsewhere.requests == []


@pytest.mark.parametrize(
    "fields",
    [
        {"amount_cents": 0},
        {"amount_cents": -500},
        {"amount_cents": "25"},
        {"amount_cents": 25.0},
        {"amount_cents": 10**12},
        {"description": ""},
        {"return_url": "javascript:alert(1)"},
        {"cancel_url": "/relative"},
        {"idempotency_key": ""},
        {"idempotency_key": "with space"},
        {"payer_email": "not-an-email"},
        {"metadata": {"essaim_key": "forged"}},
        {"metadata": {"Bad Key": "x"}},
        {"metadata": {"note": "x" * 501}},
        {"provider": "paypal"},
    ],
)
def test_a_bad_checkout_request_is_refused_before_calling_stripe(
    fake, association, tresorier, fields
):
    stripe_account(association, tresorier, base_url=fake.base_url)
    with pytest.raises(ValidationError):
        start(association, tresorier, **fields)
    assert fake.requests == []


def test_no_checkout_without_a_configured_and_enabled_account(fake, association, tresorier):
    with pytest.raises(ValidationError, match="not set up"):
        start(association, tresorier)
    stripe_account(association, tresorier, base_url=fake.base_url, enabled=False)
    with pytest.raises(ValidationError, match="not set up"):
        start(association, tresorier)
    assert fake.requests == []


# --- Webhooks: recording ------------------------------------------------------------------


def test_a_completed_checkout_records_one_received_payment(account, association, signals_sent):
    body = completed(metadata={"essaim_key": "gift:42"})
    response = send(account, body)
    assert response.status_code == 200
    assert response.json() == {"outcome": "processed"}
    [payment] = payments(association)
    assert payment.amount_cents == 2500
    assert payment.status == "succeeded"
    assert payment.method == "card_online"
    assert payment.provider == "stripe"
    assert payment.provider_reference == "pi_3Abc001"
    assert payment.idempotency_key == "gift:42"
    assert payment.payer_name == "Camille Roux"
    assert payment.status_changed_at == dt.datetime.fromtimestamp(NOW - 60, tz=dt.UTC)
    assert payment.paid_on == timezone.localdate(payment.status_changed_at)
    assert payment.recorded_by is None
    [delivery] = deliveries(association)
    assert delivery.event_id == json.loads(body)["id"]
    assert delivery.event_type == "checkout.session.completed"
    assert delivery.outcome == "processed" and delivery.payment == payment
    assert signals_sent == [(payment.pk, None, "succeeded", association.pk)]


def test_replaying_a_delivery_ten_times_records_one_payment(account, association, signals_sent):
    body = completed()
    answers = [send(account, body).json()["outcome"] for _ in range(10)]
    assert answers == ["processed"] + ["duplicate"] * 9
    assert len(payments(association)) == 1
    [delivery] = deliveries(association)
    assert delivery.attempts == 10
    assert len(signals_sent) == 1
    with scopes_disabled():
        assert AuditLog.objects.filter(action="payment.record").count() == 1


def test_the_same_payment_told_by_several_events_is_one_payment(account, association):
    assert send(account, completed()).json()["outcome"] == "processed"
    # Another event (another id) about the same PaymentIntent, in the same state.
    again = stripe_event(
        "checkout.session.async_payment_succeeded",
        stripe_session("pi_3Abc001"),
        created=NOW - 40,
    )
    assert send(account, again).json() == {"outcome": "ignored", "detail": "already known"}
    assert len(payments(association)) == 1
    assert len(deliveries(association)) == 2


def test_a_refund_delivered_before_the_success_leaves_the_payment_refunded(account, association):
    charge_created = NOW - 86400 * 2
    assert send(account, refunded(charge_created=charge_created)).status_code == 200
    [payment] = payments(association)
    assert payment.status == "refunded"
    # The money came in when the charge was made, not on the day of the refund.
    assert payment.paid_on == timezone.localdate(
        dt.datetime.fromtimestamp(charge_created, tz=dt.UTC)
    )
    response = send(account, completed(created=NOW - 60))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    [payment] = payments(association)
    assert payment.status == "refunded"


def test_a_refund_after_the_success_refunds_the_payment(account, association, signals_sent):
    send(account, completed(created=NOW - 60))
    assert send(account, refunded(created=NOW - 30)).json()["outcome"] == "processed"
    [payment] = payments(association)
    assert payment.status == "refunded"
    assert payment.status_reason == "Stripe: refunded"
    assert [s[1:3] for s in signals_sent] == [(None, "succeeded"), ("succeeded", "refunded")]


def test_a_failure_of_the_same_second_delivered_late_does_not_undo_a_success(account, association):
    """Stripe's times are whole seconds: at equal times the later state of a payment wins."""
    send(account, completed(created=NOW - 60))
    failed = stripe_event(
        "payment_intent.payment_failed", stripe_payment_intent("pi_3Abc001"), created=NOW - 60
    )
    assert send(account, failed).json()["outcome"] == "ignored"
    assert payments(association)[0].status == "succeeded"


def test_a_declined_card_then_a_success_ends_received(account, association):
    failed = stripe_event(
        "payment_intent.payment_failed", stripe_payment_intent("pi_3Abc001"), created=NOW - 90
    )
    send(account, failed)
    [payment] = payments(association)
    assert payment.status == "failed"
    assert payment.status_reason == "Stripe: insufficient_funds"
    send(account, completed(created=NOW - 60))
    assert payments(association)[0].status == "succeeded"


@pytest.mark.parametrize(
    "before",
    [
        pytest.param(
            stripe_event(
                "payment_intent.payment_failed",
                stripe_payment_intent("pi_3Abc001"),
                created=NOW - 3 * 86400 - 120,
            ),
            id="declined-card-first",
        ),
        pytest.param(
            completed(payment_status="unpaid", created=NOW - 3 * 86400 - 300),
            id="awaited-debit-first",
        ),
    ],
)
def test_a_refund_arriving_before_the_success_it_refunds_still_ends_refunded(
    account, association, signals_sent, before
):
    charge_created = NOW - 3 * 86400
    send(account, before)
    assert send(account, refunded(charge_created=charge_created)).json()["outcome"] == "processed"
    [payment] = payments(association)
    assert payment.status == "refunded"
    assert payment.paid_on == timezone.localdate(
        dt.datetime.fromtimestamp(charge_created, tz=dt.UTC)
    )
    # The apps above hear of the success before the refund, as it happened.
    assert [s[2] for s in signals_sent][-2:] == ["succeeded", "refunded"]
    assert send(account, completed(created=charge_created)).json()["outcome"] == "ignored"
    assert payments(association)[0].status == "refunded"


def test_an_asynchronous_payment_is_awaited_then_received(account, association):
    send(account, completed(payment_status="unpaid", created=NOW - 120))
    [payment] = payments(association)
    assert (payment.status, payment.paid_on) == ("pending", None)
    succeeded = stripe_event(
        "checkout.session.async_payment_succeeded",
        stripe_session("pi_3Abc001", payment_status="paid"),
        created=NOW - 10,
    )
    send(account, succeeded)
    assert payments(association)[0].status == "succeeded"


def test_an_asynchronous_payment_that_fails(account, association):
    send(account, completed(payment_status="unpaid", created=NOW - 120))
    failed = stripe_event(
        "checkout.session.async_payment_failed",
        stripe_session("pi_3Abc001", payment_status="unpaid"),
        created=NOW - 10,
    )
    send(account, failed)
    assert payments(association)[0].status == "failed"
    # The "awaited" event delivered again afterwards changes nothing.
    send(account, completed(payment_status="unpaid", created=NOW - 5))
    assert payments(association)[0].status == "failed"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            stripe_event(
                "charge.refunded", stripe_charge("pi_3Abc001", refunded=False), created=NOW
            ),
            "partial refund",
        ),
        (
            stripe_event("customer.created", {"id": "cus_1", "object": "customer"}, created=NOW),
            "event type not used",
        ),
        (completed(currency="usd"), "not in euros"),
        (completed(payment_status="no_payment_required"), "no payment in this session"),
    ],
)
def test_events_with_nothing_to_record_are_acknowledged(account, association, body, detail):
    response = send(account, body)
    assert response.status_code == 200
    assert response.json() == {"outcome": "ignored", "detail": detail}
    assert payments(association) == []
    [delivery] = deliveries(association)
    assert (delivery.outcome, delivery.detail) == ("ignored", detail)


def test_a_test_mode_event_never_enters_a_live_account(association, tresorier):
    account = stripe_account(association, tresorier, secret_key="sk_live_51RealKey000000000000")
    response = send(account, completed())
    assert response.json() == {"outcome": "ignored", "detail": "test-mode event"}
    assert payments(association) == []


def test_a_payment_prepared_by_the_caller_is_completed_not_doubled(account, association, record):
    """An app that records the awaited payment before the checkout finds it received."""
    prepared = record(
        amount_cents=2500,
        method="card_online",
        status="pending",
        provider="stripe",
        idempotency_key="gift:77",
    )
    send(account, completed(metadata={"essaim_key": "gift:77"}))
    [payment] = payments(association)
    assert payment.pk == prepared.pk
    assert payment.status == "succeeded"
    assert payment.provider_reference == "pi_3Abc001"


def test_an_event_with_another_amount_changes_nothing(account, association):
    send(account, completed(amount=2500, created=NOW - 60))
    response = send(account, refunded(amount=9900, created=NOW - 30))
    assert response.json()["outcome"] == "ignored"
    assert payments(association)[0].status == "succeeded"


def test_an_account_no_longer_offered_still_records(association, tresorier):
    account = stripe_account(association, tresorier, enabled=False)
    assert send(account, completed()).json()["outcome"] == "processed"


# --- Webhooks: refusals -------------------------------------------------------------------


def test_a_bad_signature_is_refused_and_logged(account, association, caplog):
    body = completed()
    response = send(account, body, secret="whsec_forged")
    assert response.status_code == 400
    assert response.json() == {"outcome": "refused", "detail": "signature mismatch"}
    assert payments(association) == []
    [delivery] = deliveries(association)
    assert (delivery.outcome, delivery.event_id, delivery.detail) == (
        "refused",
        "",
        "signature mismatch",
    )
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("signature mismatch" in r.getMessage() for r in warnings)
    assert STRIPE_SIGNING_SECRET not in caplog.text
    assert STRIPE_SECRET_KEY not in caplog.text
    # The genuine delivery of the same event is then recorded.
    assert send(account, body).json()["outcome"] == "processed"


def test_an_expired_delivery_is_refused(account, association):
    response = send(account, completed(), at=time.time() - 600)
    assert response.status_code == 400
    assert response.json()["detail"] == "timestamp outside the tolerance"
    assert payments(association) == []


def test_a_delivery_without_signature_is_refused(account, association):
    response = deliver(account, completed())
    assert response.status_code == 400
    assert response.json()["detail"] == "missing Stripe-Signature header"


def test_an_account_without_signing_secret_refuses_everything(association, tresorier):
    account = stripe_account(association, tresorier, webhook_secret="")
    with scope(association=association):
        account.webhook_secret = ""
        account.save()
    assert send(account, completed()).status_code == 400
    assert payments(association) == []


HOSTILE_BODIES = [
    b"not json",
    b"\xff\xfe\x00",
    b"[]",
    b"null",
    b"[" * 100_000 + b"]" * 100_000,
    json.dumps({"object": "event", "id": "evt_1", "type": "checkout.session.completed"}).encode(),
    json.dumps({"id": "evt_1", "type": "checkout.session.completed", "created": NOW}).encode(),
    stripe_event("checkout.session.completed", [], created=NOW),
    stripe_event("checkout.session.completed", {"object": "charge"}, created=NOW),
    stripe_event("checkout.session.completed", stripe_session("pi_1"), created="yesterday"),
    stripe_event("checkout.session.completed", stripe_session("pi_1"), created=10**20),
    stripe_event("checkout.session.completed", stripe_session("pi_1"), created=True),
    stripe_event(
        "checkout.session.completed",
        {**stripe_session("pi_1"), "amount_total": "25.00"},
        created=NOW,
    ),
    stripe_event(
        "checkout.session.completed",
        {**stripe_session("pi_1"), "amount_total": -2500},
        created=NOW,
    ),
    stripe_event(
        "checkout.session.completed",
        {**stripe_session("pi_1"), "payment_intent": 42},
        created=NOW,
    ),
    stripe_event(
        "checkout.session.completed",
        {**stripe_session("pi_1"), "customer_details": "x"},
        created=NOW,
    ),
    stripe_event("charge.refunded", {**stripe_charge("pi_1"), "created": None}, created=NOW),
    stripe_event("checkout.session.completed", stripe_session("pi_1"), created=NOW, id=["evt"]),
    stripe_event("checkout.session.completed", stripe_session("pi_1"), created=NOW, id="e\x00"),
]


# Ids by position: some bodies hold the current time, and both test workers must collect
# the same ids (pytest-xdist).
@pytest.mark.parametrize(
    "body", HOSTILE_BODIES, ids=[f"hostile-{i}" for i in range(len(HOSTILE_BODIES))]
)
def test_a_hostile_signed_body_is_refused_not_an_error(account, association, body):
    response = send(account, body)
    assert response.status_code == 400
    assert response.json()["outcome"] == "refused"
    assert payments(association) == []


def test_a_huge_body_is_refused_before_it_is_read(account, association):
    body = completed()[:-1] + b', "padding": "' + b"x" * 300_000 + b'"}'
    response = send(account, body)
    assert response.status_code == 413
    assert payments(association) == []


def test_only_post_is_accepted(account, client):
    assert client.get(account.webhook_path()).status_code == 405
    assert client.put(account.webhook_path(), data=b"{}").status_code == 405


def test_an_unknown_address_is_a_json_404(account, client):
    for url in (
        "/webhooks/stripe/" + "A" * 43 + "/",
        "/webhooks/paypal/" + account.webhook_token.reveal() + "/",
        "/webhooks/helloasso/" + account.webhook_token.reveal() + "/",
        "/webhooks/stripe/short/",
    ):
        response = client.post(url, data=completed(), content_type="application/json")
        assert response.status_code == 404
        assert response.json() == {"outcome": "unknown"}


def test_a_new_address_retires_the_old_one(account, association, tresorier):
    old_path = account.webhook_path()
    with scope(association=association):
        account = online.provider_account_rotate_webhook_token(
            association=association, acting_user=tresorier, account=account
        )
    assert account.webhook_path() != old_path
    assert account.webhook_url().endswith(account.webhook_path())
    assert account.webhook_url().startswith(("http://", "https://"))
    body = completed()
    assert deliver(account, body, stripe_headers(body)).status_code == 200
    from django.test import Client

    response = Client().post(
        old_path, data=body, content_type="application/json", **stripe_headers(body)
    )
    assert response.status_code == 404


# --- Rate limits --------------------------------------------------------------------------


def test_guessing_addresses_is_rate_limited(account, client, monkeypatch):
    from essaim.payments import webhooks

    monkeypatch.setattr(webhooks, "UNKNOWN_LIMIT", 3)
    for _ in range(3):
        assert (
            client.post(
                "/webhooks/stripe/" + "B" * 43 + "/", data=b"{}", content_type="application/json"
            ).status_code
            == 404
        )
    # Now even the right address is refused from that client address for a while.
    body = completed()
    assert send(account, body).status_code == 429


def test_refusals_are_limited_per_account_not_per_address(
    account, association, other_association, outsider, monkeypatch
):
    from essaim.payments import webhooks

    monkeypatch.setattr(webhooks, "REFUSAL_LIMIT", 2)
    for _ in range(2):
        assert send(account, completed(), secret="whsec_wrong").status_code == 400
    assert send(account, completed()).status_code == 429
    # Another association, delivered from the same service addresses, is not affected.
    theirs = stripe_account(other_association, outsider)
    assert send(theirs, completed()).status_code == 200


def test_every_client_address_has_a_generous_limit(account, settings):
    settings.ESSAIM_WEBHOOK_RATE_LIMIT = 3
    statuses = [send(account, completed(f"pi_3Lim{i:03d}")).status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


# --- Tenancy ------------------------------------------------------------------------------


def test_an_associations_address_never_records_into_another(
    account, association, other_association, outsider
):
    theirs = stripe_account(
        other_association, outsider, webhook_secret="whsec_TheirOwnSigningSecret0000"
    )
    body = completed("pi_3Shared01")
    # Signed with A's secret, sent to B's address: refused (and A's address is not B's).
    assert deliver(theirs, body, stripe_headers(body)).status_code == 400
    assert send(account, body).status_code == 200
    assert len(payments(association)) == 1
    assert payments(other_association) == []
    # The same PaymentIntent id in B (another Stripe account) is B's own payment.
    other_body = completed("pi_3Shared01")
    signed = stripe_headers(other_body, secret="whsec_TheirOwnSigningSecret0000")
    assert deliver(theirs, other_body, signed).status_code == 200
    [mine], [their_payment] = payments(association), payments(other_association)
    assert mine.pk != their_payment.pk
    with scope(association=other_association):
        theirs_seen = list(selectors.webhook_deliveries_for(other_association))
    assert [d.outcome for d in theirs_seen] == ["processed", "refused"]  # newest first
    assert all(d.association_id == other_association.pk for d in theirs_seen)


def test_accounts_of_different_associations_have_different_addresses(
    account, other_association, outsider
):
    theirs = stripe_account(other_association, outsider)
    assert theirs.webhook_path() != account.webhook_path()
    assert online.webhook_account("stripe", theirs.webhook_token.reveal()).pk == theirs.pk
    assert online.webhook_account("stripe", account.webhook_token.reveal()).pk == account.pk


def test_the_webhook_needs_no_session_nor_csrf(account):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    body = completed()
    response = client.post(
        account.webhook_path(), data=body, content_type="application/json", **stripe_headers(body)
    )
    assert response.status_code == 200


# --- Subscriptions (monthly gifts by card) ------------------------------------------------

KEY = "recurring:6f1c1e0a-2b3c-4d5e-8f70-0123456789ab"


def subscribe(association, **fields):
    fields.setdefault("provider", "stripe")
    fields.setdefault("amount_cents", 1500)
    fields.setdefault("description", "Don mensuel — Les Amis du Quartier")
    fields.setdefault("return_url", "https://asso.example.org/merci")
    fields.setdefault("cancel_url", "https://asso.example.org/don")
    fields.setdefault("key", KEY)
    with scope(association=association), translation.override("en"):
        return online.subscription_start(association=association, **fields)


def test_a_subscription_checkout_asks_for_a_monthly_price(fake, association, tresorier):
    stripe_account(association, tresorier, base_url=fake.base_url)
    checkout = subscribe(association, payer_email="camille.roux@example.org")
    assert checkout.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    params = dict(fake.session_params[KEY])
    assert params["mode"] == "subscription"
    assert params["line_items[0][price_data][recurring][interval]"] == "month"
    assert params["line_items[0][price_data][unit_amount]"] == "1500"
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert params["subscription_data[metadata][essaim_key]"] == KEY
    assert params["metadata[essaim_key]"] == KEY
    assert params["customer_email"] == "camille.roux@example.org"
    # The same gift started twice is one session (Idempotency-Key).
    assert subscribe(association, payer_email="camille.roux@example.org") == checkout
    assert len(fake.sessions) == 1


def test_helloasso_takes_no_subscription(fake, association, tresorier):
    from .provider_fakes import helloasso_account

    helloasso_account(association, tresorier, base_url=fake.base_url)
    with pytest.raises(ValidationError, match="no monthly payments by card"):
        subscribe(association, provider="helloasso")
    assert fake.requests == []
    with scope(association=association):
        assert online.subscriptions_offered(association) is None
    stripe_account(association, tresorier, base_url=fake.base_url)
    with scope(association=association):
        assert online.subscriptions_offered(association).provider == "stripe"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"key": "recurring:<x>"}, "idempotency_key"),
        ({"description": ""}, "description"),
        ({"provider": "paypal"}, "provider"),
    ],
)
def test_a_bad_subscription_start_is_refused_before_calling_stripe(
    fake, association, tresorier, fields, field
):
    stripe_account(association, tresorier, base_url=fake.base_url)
    with pytest.raises(ValidationError) as info:
        subscribe(association, **fields)
    assert field in info.value.message_dict
    assert fake.requests == []


@pytest.fixture
def remote(fake, association, tresorier):
    """A Stripe subscription of 15 € a month, at the fake Stripe."""
    stripe_account(association, tresorier, base_url=fake.base_url)
    subscribe(association)
    return fake.add_subscription(fake.sessions[KEY])


def call(association, action, reference, **arguments):
    with scope(association=association), translation.override("en"):
        online.subscription_call(
            action, association=association, provider="stripe", reference=reference, **arguments
        )


def test_pause_until_a_day_then_resume(fake, association, remote):
    until = dt.date(2031, 3, 1)
    call(association, "pause", remote["id"], until=until)
    midnight = timezone.make_aware(dt.datetime(2031, 3, 1))
    assert remote["pause_collection"] == {
        "behavior": "void",
        "resumes_at": int(midnight.timestamp()),
    }
    call(association, "resume", remote["id"])
    assert remote["pause_collection"] is None
    call(association, "pause", remote["id"])
    assert remote["pause_collection"] == {"behavior": "void", "resumes_at": None}
    assert fake.calls("POST", f"/v1/subscriptions/{remote['id']}") == 3


def test_a_new_amount_updates_the_item_with_the_same_product_and_no_proration(
    fake, association, remote
):
    call(association, "change_amount", remote["id"], amount_cents=2250, description="Don")
    [(_, params)] = fake.subscription_updates
    form = dict(params)
    [item] = remote["items"]["data"]
    assert form["items[0][id]"] == item["id"]
    assert form["items[0][price_data][product]"] == "prod_FakeMonthlyGift"
    assert form["items[0][price_data][unit_amount]"] == "2250"
    assert form["items[0][price_data][recurring][interval]"] == "month"
    assert form["proration_behavior"] == "none"
    assert item["price"]["unit_amount"] == 2250
    assert fake.calls("GET", f"/v1/subscriptions/{remote['id']}") == 1


def test_cancel_and_cancel_again(fake, association, remote):
    call(association, "cancel", remote["id"])
    assert remote["status"] == "canceled"
    call(association, "cancel", remote["id"])  # already cancelled: not an error
    with pytest.raises(ValidationError, match="refused"):
        call(association, "pause", remote["id"])  # Stripe refuses to pause it


def test_an_unknown_or_malformed_subscription_is_refused(fake, association, remote):
    with pytest.raises(ValidationError, match="refused"):
        call(association, "cancel", "sub_1Unknown000")
    calls = len(fake.requests)
    for reference in ("", "sub_../../v1/charges", "cus_123", "sub_1?x=1"):
        with pytest.raises(ValidationError, match="refused"):
            call(association, "pause", reference)
    assert len(fake.requests) == calls  # never sent


def test_subscription_calls_without_keys_or_with_stripe_down(fake, association, remote):
    fake.down = True
    with pytest.raises(ValidationError, match="cannot be reached"):
        call(association, "resume", remote["id"])
    with scope(association=association):
        online.ProviderAccount.objects.filter(association=association).update(secret_key="")
    with pytest.raises(ValidationError, match="no longer set up"):
        call(association, "resume", remote["id"])


def invoice(kind="invoice.paid", *, pi="pi_3Inv001", metadata=None, **fields):
    body = stripe_invoice(
        pi,
        "sub_1FakeAbc001",
        metadata={"essaim_key": KEY} if metadata is None else metadata,
        period_start=fields.pop("period_start", NOW - 100),
        paid=kind == "invoice.paid",
    )
    body.update(fields)
    return stripe_event(kind, body, created=NOW - 50)


def test_an_invoice_paid_is_the_months_payment():
    message = _read(invoice())
    [event] = message.events
    local = timezone.localtime(dt.datetime.fromtimestamp(NOW - 100, tz=dt.UTC))
    assert event.metadata["essaim_key"] == f"{KEY}:{local:%Y-%m}"
    assert event.provider_reference == "pi_3Inv001" and event.status == "succeeded"
    assert event.amount_cents == 1500 and event.method == "card_online"
    assert event.paid_at == dt.datetime.fromtimestamp(NOW - 40, tz=dt.UTC)
    [link] = message.subscriptions
    assert (link.provider_reference, link.key, link.state) == ("sub_1FakeAbc001", KEY, "")


def test_a_failed_invoice_is_a_failed_payment():
    [event] = _read(invoice("invoice.payment_failed")).events
    assert event.status == "failed" and event.amount_cents == 1500 and event.paid_at is None


@pytest.mark.parametrize(
    ("body", "note"),
    [
        (invoice(pi=None), "an invoice without payment (nothing to pay)"),
        (invoice(currency="usd"), "not in euros"),
        (invoice(metadata={}), "a subscription Essaim did not start"),
        (
            invoice(subscription=None, lines={"object": "list", "data": []}),
            "not a subscription's invoice",
        ),
    ],
)
def test_invoices_with_nothing_to_record(body, note):
    message = _read(body)
    assert message.events == [] and message.note == note


def _read(body: bytes):
    class Account:
        webhook_secret = type("S", (), {"reveal": lambda self: STRIPE_SIGNING_SECRET})()
        secret_key = type("S", (), {"reveal": lambda self: STRIPE_SECRET_KEY})()

    headers = {"Stripe-Signature": stripe_headers(body)["HTTP_STRIPE_SIGNATURE"]}
    return adapter.Stripe().read_webhook(Account(), body, headers)


def test_subscription_updates_and_deletions_are_read():
    sub = stripe_subscription(
        "sub_1FakeAbc001",
        amount=2000,
        metadata={"essaim_key": KEY},
        pause_collection={"behavior": "void", "resumes_at": NOW + 86400 * 10},
    )
    [paused] = _read(stripe_event("customer.subscription.updated", sub, created=NOW)).subscriptions
    assert paused.state == "paused" and paused.amount_cents == 2000
    assert paused.paused_until == timezone.localdate(
        dt.datetime.fromtimestamp(NOW + 86400 * 10, tz=dt.UTC)
    )
    active = {**sub, "pause_collection": None, "status": "past_due"}
    [event] = _read(
        stripe_event("customer.subscription.updated", active, created=NOW)
    ).subscriptions
    assert event.state == "active" and event.paused_until is None
    [gone] = _read(stripe_event("customer.subscription.deleted", sub, created=NOW)).subscriptions
    assert gone.state == "cancelled" and gone.key == KEY
    incomplete = {**active, "status": "incomplete"}
    [event] = _read(
        stripe_event("customer.subscription.updated", incomplete, created=NOW)
    ).subscriptions
    assert event.state == ""


@pytest.mark.parametrize(
    "obj",
    [
        {"object": "invoice", "subscription": "sub_../x", "lines": {}},
        {"object": "subscription", "id": "cus_123"},
        {"object": "charge"},
    ],
)
def test_hostile_subscription_payloads_are_refused(obj):
    kind = "invoice.paid" if obj["object"] == "invoice" else "customer.subscription.updated"
    if obj["object"] == "charge":
        kind = "customer.subscription.deleted"
    with pytest.raises(WebhookRefused):
        _read(stripe_event(kind, obj, created=NOW))


def test_a_one_off_checkout_still_reads_as_before_and_a_subscription_one_links():
    session = {**stripe_session("pi_3Abc001"), "mode": "subscription", "payment_intent": None}
    session.update(subscription="sub_1FakeAbc001", metadata={"essaim_key": KEY})
    message = _read(stripe_event("checkout.session.completed", session, created=NOW))
    assert message.events == []
    [link] = message.subscriptions
    assert link.provider_reference == "sub_1FakeAbc001" and link.key == KEY
    expired = _read(
        stripe_event("checkout.session.expired", {**session, "subscription": None}, created=NOW)
    )
    [event] = expired.subscriptions
    assert event.state == "cancelled" and event.provider_reference == ""
    one_off = _read(stripe_event("checkout.session.expired", stripe_session("pi_1"), created=NOW))
    assert one_off.subscriptions == [] and one_off.events == []
