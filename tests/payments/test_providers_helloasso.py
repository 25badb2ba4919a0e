"""HelloAsso: checkout intents and notifications, against a fake HelloAsso on 127.0.0.1.

HelloAsso signs nothing: a notification is trusted for its address (the account's token) and
only for what the API confirms when the payment is fetched back.
"""

import datetime as dt
import json
import logging

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django_scopes import scope

from essaim.payments import online
from essaim.payments.models import Payment, WebhookDelivery
from essaim.payments.providers import get
from essaim.payments.providers import helloasso as adapter

from .provider_fakes import (
    HELLOASSO_CLIENT_SECRET,
    HELLOASSO_SLUG,
    FakeProviders,
    deliver,
    helloasso_account,
    helloasso_notification,
    helloasso_order_notification,
    helloasso_payment,
)

pytestmark = pytest.mark.django_db

PARIS = dt.timezone(dt.timedelta(hours=1))
PAID_AT = (dt.datetime.now(PARIS) - dt.timedelta(days=3)).replace(microsecond=0)


def iso(hours: float) -> str:
    moment = PAID_AT + dt.timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ".3255145+01:00"


@pytest.fixture
def fake():
    with FakeProviders() as server:
        yield server


@pytest.fixture
def account(fake, association, tresorier):
    return helloasso_account(association, tresorier, base_url=fake.base_url)


def payments(association) -> list[Payment]:
    with scope(association=association):
        return list(Payment.objects.filter(association=association).order_by("id"))


def deliveries(association) -> list[WebhookDelivery]:
    with scope(association=association):
        return list(WebhookDelivery.objects.filter(association=association).order_by("id"))


def known(fake, payment_id=13790, **fields):
    fields.setdefault("date", iso(0))
    fields.setdefault("updated_at", iso(0))
    return fake.add_helloasso_payment(payment_id, **fields)


# --- Checkout -----------------------------------------------------------------------------


def start(association, user, **fields):
    fields.setdefault("provider", "helloasso")
    fields.setdefault("amount_cents", 3000)
    fields.setdefault("description", "Don — campagne Jardins partagés")
    fields.setdefault("return_url", "https://asso.example.org/merci")
    fields.setdefault("cancel_url", "https://asso.example.org/don")
    fields.setdefault("idempotency_key", "gift:5a1e")
    # In English: the tests below match the messages.
    with scope(association=association), translation.override("en"):
        return online.checkout_start(association=association, acting_user=user, **fields)


def test_a_checkout_creates_a_checkout_intent(fake, account, association, tresorier):
    checkout = start(association, tresorier, payer_email="hugo.dubois@example.org", donation=True)
    assert checkout.url.startswith(
        f"https://www.helloasso-sandbox.com/associations/{HELLOASSO_SLUG}/checkout/"
    )
    [(intent_id, body)] = fake.intents.items()
    assert checkout.provider_reference == str(intent_id)
    assert body["totalAmount"] == body["initialAmount"] == 3000
    assert body["itemName"] == "Don — campagne Jardins partagés"
    assert body["returnUrl"] == "https://asso.example.org/merci"
    assert body["backUrl"] == body["errorUrl"] == "https://asso.example.org/don"
    assert body["containsDonation"] is True
    assert body["payer"] == {"email": "hugo.dubois@example.org"}
    assert body["metadata"]["essaim_key"] == "gift:5a1e"
    assert len(body["metadata"]["essaim_signature"]) == 40


def test_the_access_token_is_fetched_once_and_kept(fake, account, association, tresorier):
    start(association, tresorier, idempotency_key="gift:1")
    start(association, tresorier, idempotency_key="gift:2")
    assert fake.token_calls == 1
    assert len(fake.intents) == 2


def test_a_revoked_token_is_replaced_once(fake, account, association, tresorier):
    start(association, tresorier, idempotency_key="gift:1")
    fake.revoke_tokens()
    start(association, tresorier, idempotency_key="gift:2")
    assert fake.token_calls == 2
    assert len(fake.intents) == 2


def test_a_wrong_client_secret_is_a_clear_error(fake, association, tresorier, caplog):
    helloasso_account(association, tresorier, base_url=fake.base_url, secret_key="wrong-secret-0")
    with pytest.raises(ValidationError, match="refused"):
        start(association, tresorier)
    assert fake.intents == {}
    assert "wrong-secret-0" not in caplog.text


def test_an_unreachable_helloasso_is_a_clear_error(fake, account, association, tresorier):
    fake.down = True
    with pytest.raises(ValidationError, match="cannot be reached"):
        start(association, tresorier)


def test_the_token_is_kept_encrypted_in_the_cache(fake, account, association, tresorier):
    from django.core.cache import cache

    start(association, tresorier)
    key = get("helloasso")._token_cache_key(account)
    stored = cache.get(key)
    assert stored.startswith("fernet:")
    assert not any(token in stored for token in fake.tokens)


# --- Notifications ------------------------------------------------------------------------


def test_an_authorized_payment_is_fetched_back_then_recorded(fake, account, association):
    payment = known(fake)
    response = deliver(account, helloasso_notification(payment))
    assert response.status_code == 200
    assert response.json() == {"outcome": "processed"}
    [recorded] = payments(association)
    assert recorded.status == "succeeded"
    assert recorded.amount_cents == 2000
    assert recorded.provider == "helloasso"
    assert recorded.provider_reference == "13790"
    assert recorded.method == "card_online"
    assert recorded.payer_name == "Hugo Dubois"
    assert recorded.paid_on == PAID_AT.date()
    assert fake.calls("GET", "/v5/payments/13790") == 1
    [delivery] = deliveries(association)
    assert delivery.event_type == "Payment" and delivery.event_id.startswith("Payment:13790:")
    assert delivery.outcome == "processed"


def test_what_the_api_says_wins_over_the_notification(fake, account, association):
    """The body says Authorized; HelloAsso's API says it was refunded since."""
    body = helloasso_notification(helloasso_payment(13790, date=iso(0), updated_at=iso(0)))
    known(fake, state="Refunded", updated_at=iso(5))
    deliver(account, body)
    [recorded] = payments(association)
    assert recorded.status == "refunded"
    assert recorded.status_reason == "HelloAsso: Refunded"


def test_a_forged_notification_cannot_create_a_payment(fake, account, association, caplog):
    body = helloasso_notification(helloasso_payment(99999, amount=500000))
    response = deliver(account, body)
    assert response.status_code == 400
    assert response.json() == {
        "outcome": "refused",
        "detail": "HelloAsso does not know this payment",
    }
    assert payments(association) == []
    [delivery] = deliveries(association)
    assert delivery.outcome == "refused" and delivery.event_id == ""
    assert any(r.levelno == logging.WARNING for r in caplog.records)


def test_a_payment_of_another_organization_is_refused(fake, account, association):
    known(fake, 555, organization_slug="une-autre-asso")
    response = deliver(account, helloasso_notification(helloasso_payment(555)))
    assert response.status_code == 400
    assert response.json()["detail"] == "the payment belongs to another organization"
    assert payments(association) == []


def test_replaying_a_notification_ten_times_records_one_payment(fake, account, association):
    body = helloasso_notification(known(fake))
    outcomes = [deliver(account, body).json()["outcome"] for _ in range(10)]
    assert outcomes == ["processed"] + ["duplicate"] * 9
    assert len(payments(association)) == 1
    [delivery] = deliveries(association)
    assert delivery.attempts == 10
    # Recognised before asking HelloAsso again.
    assert fake.calls("GET", "/v5/payments/") == 1


def test_the_order_and_payment_notifications_of_one_payment_make_one_payment(
    fake, account, association
):
    payment = known(fake)
    deliver(account, helloasso_order_notification([payment]))
    response = deliver(account, helloasso_notification(payment))
    assert response.json() == {"outcome": "ignored", "detail": "already known"}
    assert len(payments(association)) == 1
    assert len(deliveries(association)) == 2


def test_an_order_with_two_payments_records_both(fake, account, association):
    first = known(fake, 501, amount=1000)
    second = known(fake, 502, amount=1500, means="Sepa", state="WaitingBankValidation")
    deliver(account, helloasso_order_notification([first, second]))
    recorded = {p.provider_reference: p for p in payments(association)}
    assert recorded["501"].status == "succeeded" and recorded["501"].amount_cents == 1000
    assert recorded["502"].status == "pending" and recorded["502"].method == "sepa_debit"


def test_a_later_refund_refunds_the_payment(fake, account, association):
    payment = known(fake)
    deliver(account, helloasso_notification(payment))
    refunded = known(fake, state="Refunded", updated_at=iso(24))
    assert deliver(account, helloasso_notification(refunded)).json()["outcome"] == "processed"
    assert payments(association)[0].status == "refunded"


def test_a_late_authorized_notification_does_not_revive_a_refund(fake, account, association):
    authorized = helloasso_notification(known(fake))
    refunded = known(fake, state="Refunded", updated_at=iso(24))
    deliver(account, helloasso_notification(refunded))
    # The "Authorized" notification arrives last; HelloAsso still says Refunded.
    deliver(account, authorized)
    assert payments(association)[0].status == "refunded"
    assert len(payments(association)) == 1


def test_a_state_with_nothing_to_do_is_acknowledged(fake, account, association):
    body = helloasso_notification(known(fake, state="Refunding"))
    response = deliver(account, body)
    assert response.json() == {"outcome": "ignored", "detail": "the service's state asks nothing"}
    assert payments(association) == []


def test_the_metadata_signed_by_essaim_names_the_payment(fake, account, association, tresorier):
    start(association, tresorier, amount_cents=2000, idempotency_key="gift:5a1e")
    [intent] = fake.intents.values()
    body = helloasso_notification(known(fake), metadata=intent["metadata"])
    deliver(account, body)
    assert payments(association)[0].idempotency_key == "gift:5a1e"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda m: {**m, "essaim_key": "gift:someone-else"}, id="key-changed"),
        pytest.param(
            lambda m: {k: v for k, v in m.items() if k != "essaim_signature"}, id="unsigned"
        ),
        pytest.param(lambda m: {**m, "essaim_signature": "0" * 40}, id="signature-forged"),
    ],
)
def test_tampered_metadata_is_dropped(fake, account, association, tresorier, tamper):
    start(association, tresorier, amount_cents=2000, idempotency_key="gift:5a1e")
    [intent] = fake.intents.values()
    deliver(account, helloasso_notification(known(fake), metadata=tamper(intent["metadata"])))
    [recorded] = payments(association)
    assert recorded.idempotency_key == ""  # recorded, but linked to nothing


def test_metadata_of_another_amount_is_dropped(fake, account, association, tresorier):
    """Metadata copied from a 20 € checkout onto a 5 € payment names nothing."""
    start(association, tresorier, amount_cents=2000, idempotency_key="gift:5a1e")
    [intent] = fake.intents.values()
    small = known(fake, 777, amount=500)
    deliver(account, helloasso_notification(small, metadata=intent["metadata"]))
    assert payments(association)[0].idempotency_key == ""


def test_when_helloasso_cannot_confirm_the_service_is_asked_to_retry(fake, account, association):
    body = helloasso_notification(known(fake))
    fake.down = True
    response = deliver(account, body)
    assert response.status_code == 503
    assert response.json()["outcome"] == "unavailable"
    assert payments(association) == []
    assert deliveries(association) == []  # not recorded: the retry must not be a "duplicate"
    fake.down = False
    assert deliver(account, body).json()["outcome"] == "processed"
    assert len(payments(association)) == 1


def test_when_the_client_secret_is_refused_the_service_is_asked_to_retry(
    fake, association, tresorier
):
    account = helloasso_account(
        association, tresorier, base_url=fake.base_url, secret_key="changed-at-helloasso"
    )
    response = deliver(account, helloasso_notification(known(fake)))
    assert response.status_code == 503
    assert response.json()["detail"] == "the payment service refused Essaim's credentials"
    assert payments(association) == []


def test_an_unused_event_type_is_acknowledged(fake, account, association):
    body = json.dumps({"eventType": "Form", "data": {"formSlug": "adhesion-2026"}}).encode()
    response = deliver(account, body)
    assert response.json() == {"outcome": "ignored", "detail": "event type not used"}
    assert fake.requests == []


@pytest.mark.parametrize(
    "body",
    [
        b"<xml/>",
        b'"Payment"',
        json.dumps({"eventType": "Payment"}).encode(),
        json.dumps({"eventType": "Payment", "data": []}).encode(),
        json.dumps({"eventType": 7, "data": {}}).encode(),
        json.dumps({"eventType": "Payment", "data": {"id": "13790", "amount": 2000}}).encode(),
        json.dumps(
            {"eventType": "Payment", "data": {"id": -1, "amount": 2000, "state": "Authorized"}}
        ).encode(),
        json.dumps(
            {"eventType": "Payment", "data": {"id": 1, "amount": "20", "state": "Authorized"}}
        ).encode(),
        json.dumps(
            {"eventType": "Payment", "data": {"id": 1, "amount": 20, "state": ["x"]}}
        ).encode(),
        json.dumps({"eventType": "Order", "data": {"id": 1, "payments": "all"}}).encode(),
        json.dumps({"eventType": "Order", "data": {"id": 1, "payments": [1, 2]}}).encode(),
    ],
)
def test_a_hostile_body_is_refused_not_an_error(fake, account, association, body):
    response = deliver(account, body)
    assert response.status_code == 400
    assert payments(association) == []
    assert fake.calls("GET", "/v5/payments/") == 0


def test_an_api_answer_of_the_wrong_shape_is_refused(fake, account, association):
    payment = known(fake)
    payment["amount"] = "20,00"
    assert deliver(account, helloasso_notification(payment)).status_code == 400
    assert payments(association) == []


# --- Mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("Authorized", "succeeded"),
        ("Refused", "failed"),
        ("Refunded", "refunded"),
        ("Canceled", "cancelled"),
        ("WaitingBankValidation", "pending"),
        ("Contested", "failed"),
        ("Registered", "succeeded"),
    ],
)
def test_helloasso_states_map_to_payment_statuses(state, status):
    assert adapter.STATES[state] == status


def test_the_client_secret_is_never_stored_in_clear(account):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_key FROM payments_provideraccount WHERE id = %s", [account.pk]
        )
        [raw] = cursor.fetchone()
    assert HELLOASSO_CLIENT_SECRET not in raw
