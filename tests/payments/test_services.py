"""Recording payments and changing their status: rules, idempotency, ordering, the log."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django_scopes import scope

from essaim.core.models import AuditLog
from essaim.payments import services
from essaim.payments.models import Payment
from essaim.people.models import Person

Status = Payment.Status


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


# --- payment_record -----------------------------------------------------------------------


def test_a_cheque_is_recorded_received_today(record, association, person, tresorier, scoped):
    payment = record(amount_cents=2500, person=person, reference="chèque n° 1234567")
    assert payment.status == Status.SUCCEEDED
    assert payment.paid_on == timezone.localdate()
    assert payment.payer_name == "Émilie Le Goff"  # the contact's name, kept with the payment
    assert payment.currency == "EUR" and payment.provider == ""
    assert payment.recorded_by == tresorier
    log = AuditLog.objects.get(action="payment.record")
    assert log.object_id == str(payment.uuid)
    assert log.data == {
        "amount_cents": 2500,
        "method": "cheque",
        "status": "succeeded",
        "provider": "",
    }
    assert "Le Goff" not in log.object_repr  # the log names the amount, not the payer


def test_recording_a_payment_is_activity_of_the_payer(record, person, scoped):
    old = timezone.now() - dt.timedelta(days=400)
    Person.objects.filter(pk=person.pk).update(last_activity_at=old)
    record(person=person)
    assert Person.objects.get(pk=person.pk).last_activity_at > old


def test_an_awaited_payment_has_no_date(record, scoped):
    payment = record(status=Status.PENDING, method="card_online", provider="stripe")
    assert payment.paid_on is None
    with pytest.raises(ValidationError) as excinfo:
        record(status=Status.PENDING, paid_on=timezone.localdate())
    assert set(_errors(excinfo)) == {"paid_on"}


def test_the_date_comes_from_the_event(record, scoped):
    # 23:30 UTC on 31 December is already 1 January in Paris.
    occurred = dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC)
    payment = record(occurred_at=occurred, method="card_online")
    assert payment.paid_on == dt.date(2025, 1, 1)
    assert payment.status_changed_at == occurred


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": -500}, "amount_cents"),
        ({"amount_cents": 12.5}, "amount_cents"),
        ({"amount_cents": "1250"}, "amount_cents"),
        ({"amount_cents": True}, "amount_cents"),
        ({"amount_cents": services.MAX_AMOUNT_CENTS + 1}, "amount_cents"),
        ({"currency": "USD"}, "currency"),
        ({"method": "bitcoin"}, "method"),
        ({"status": "paid"}, "status"),
        ({"provider": "paypal"}, "provider"),
        ({"paid_on": timezone.localdate() + dt.timedelta(days=2)}, "paid_on"),
        ({"reference": "x" * 141}, "reference"),
        ({"payer_name": "Nul\x00"}, "payer_name"),
        ({"note": "\ud800"}, "note"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(record, scoped, fields, field):
    with pytest.raises(ValidationError) as excinfo:
        record(**fields)
    assert field in _errors(excinfo)
    assert not Payment.objects.exists()
    assert not AuditLog.objects.filter(action="payment.record").exists()


def test_the_largest_amount_is_accepted(record, scoped):
    assert record(amount_cents=services.MAX_AMOUNT_CENTS).amount_cents == 1_000_000_000


def test_messages_are_in_french(record, scoped):
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        record(amount_cents=-1, currency="USD")
    errors = _errors(excinfo)
    assert errors["amount_cents"] == ["Le montant doit être positif."]
    assert errors["currency"] == ["Les paiements se font en euros uniquement."]


def test_a_contact_of_another_association_is_refused(record, other_person, scoped):
    with pytest.raises(ValidationError) as excinfo:
        record(person=other_person)
    assert set(_errors(excinfo)) == {"person"}


def test_the_same_idempotency_key_returns_the_first_payment(record, scoped, signals_sent):
    first = record(idempotency_key="form-7f3a")
    again = record(idempotency_key="form-7f3a")
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    assert AuditLog.objects.filter(action="payment.record").count() == 1
    assert len(signals_sent) == 1  # the replay tells nobody a second time


def test_the_same_provider_reference_returns_the_first_payment(record, scoped):
    first = record(
        provider="stripe", provider_reference="pi_3Nx", method="card_online", status="pending"
    )
    # The webhook comes again with its own idempotency key: the provider's id still wins.
    again = record(
        provider="stripe",
        provider_reference="pi_3Nx",
        method="card_online",
        status="pending",
        idempotency_key="evt_2",
    )
    assert again.pk == first.pk and Payment.objects.count() == 1


def test_a_provider_reference_is_unique_per_provider_only(record, scoped):
    stripe = record(provider="stripe", provider_reference="123", method="card_online")
    helloasso = record(provider="helloasso", provider_reference="123", method="card_online")
    assert stripe.pk != helloasso.pk


def test_manual_payments_without_keys_are_all_kept(record, scoped):
    # Two cheques of the same amount the same day are two payments.
    record(amount_cents=2000)
    record(amount_cents=2000)
    assert Payment.objects.count() == 2


def test_a_key_reused_for_another_amount_is_refused(record, scoped):
    record(idempotency_key="k1", amount_cents=2000)
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        record(idempotency_key="k1", amount_cents=3000)
    assert _errors(excinfo)["amount_cents"] == [
        "Ce paiement est déjà enregistré, avec un autre montant (20,00\u00a0€)."
    ]
    assert Payment.objects.count() == 1


def test_a_lost_race_returns_the_winners_payment(record, scoped, monkeypatch):
    """The other request inserted between our look-up and our insert: the unique index
    refuses ours, the savepoint keeps the caller's transaction alive, theirs is returned."""
    winner = record(idempotency_key="race")
    real_find = services._find_existing
    calls = []

    def find_too_early(*args):
        calls.append(args)
        return None if len(calls) == 1 else real_find(*args)

    monkeypatch.setattr(services, "_find_existing", find_too_early)
    with transaction.atomic():  # the caller's own transaction (a webhook view, a task)
        again = record(idempotency_key="race")
        assert Payment.objects.count() == 1  # the transaction is still usable
    assert again.pk == winner.pk
    assert len(calls) == 2


def test_an_integrity_error_without_a_twin_is_not_swallowed(record, scoped, monkeypatch):
    monkeypatch.setattr(services, "_find_existing", lambda *args: None)

    def broken_save(self, *args, **kwargs):
        raise IntegrityError("something else")

    monkeypatch.setattr(Payment, "save", broken_save)
    with pytest.raises(IntegrityError):
        record(idempotency_key="k")


# --- payment_update_status ----------------------------------------------------------------


@pytest.fixture
def pending(record):
    return record(
        status=Status.PENDING,
        method="card_online",
        provider="stripe",
        provider_reference="pi_1",
        occurred_at=timezone.now() - dt.timedelta(hours=1),
    )


@pytest.fixture
def update(association, tresorier):
    def change(payment, status, **fields):
        fields.setdefault("acting_user", tresorier)
        with scope(association=association):
            return services.payment_update_status(
                association=association, payment=payment, status=status, **fields
            )

    return change


ALLOWED = {
    (Status.PENDING, Status.SUCCEEDED),
    (Status.PENDING, Status.FAILED),
    (Status.PENDING, Status.CANCELLED),
    (Status.SUCCEEDED, Status.REFUNDED),
    (Status.SUCCEEDED, Status.FAILED),
    (Status.FAILED, Status.SUCCEEDED),
    # A payment the team typed in (no payment service) may be cancelled as a mistake.
    (Status.SUCCEEDED, Status.CANCELLED),
}


def _payment_in(record, status: str) -> Payment:
    paid_on = timezone.localdate() if status in (Status.SUCCEEDED, Status.REFUNDED) else None
    return record(status=status, paid_on=paid_on, method="transfer")


@pytest.mark.parametrize("current", Status.values)
@pytest.mark.parametrize("new", Status.values)
def test_only_the_allowed_transitions_happen(record, update, scoped, current, new):
    payment = _payment_in(record, current)
    if current == new:
        assert update(payment, new).status == current
        assert not AuditLog.objects.filter(action="payment.status").exists()
    elif (current, new) in ALLOWED:
        assert update(payment, new).status == new
        assert Payment.objects.get(pk=payment.pk).status == new
        assert AuditLog.objects.get(action="payment.status").changes == {"status": [current, new]}
    else:
        with pytest.raises(ValidationError) as excinfo:
            update(payment, new)
        assert set(_errors(excinfo)) == {"status"}
        assert Payment.objects.get(pk=payment.pk).status == current


def test_money_from_a_payment_service_is_refunded_never_cancelled(record, update, scoped):
    payment = record(
        status=Status.SUCCEEDED,
        paid_on=timezone.localdate(),
        method="card_online",
        provider="stripe",
        provider_reference="pi_123",
    )
    with pytest.raises(ValidationError):
        update(payment, Status.CANCELLED)
    assert update(payment, Status.REFUNDED).status == Status.REFUNDED


def test_a_refused_transition_says_why_in_french(record, update, scoped):
    payment = _payment_in(record, Status.REFUNDED)
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        update(payment, Status.SUCCEEDED)
    assert _errors(excinfo)["status"] == [
        "Ce paiement est « remboursé » : il ne peut pas devenir « reçu »."
    ]


def test_received_sets_the_date_and_tells_the_apps(pending, update, scoped, signals_sent):
    occurred = timezone.now()
    payment = update(pending, Status.SUCCEEDED, occurred_at=occurred, acting_user=None)
    assert payment.paid_on == timezone.localdate(occurred)
    assert payment.status_changed_at == occurred
    assert signals_sent[-1] == (payment.pk, "pending", "succeeded", payment.association_id)
    log = AuditLog.objects.get(action="payment.status")
    assert log.actor is None and log.actor_label == "système"


def test_a_given_date_of_payment_is_kept(pending, update, scoped):
    day = timezone.localdate() - dt.timedelta(days=3)
    assert update(pending, Status.SUCCEEDED, paid_on=day).paid_on == day
    with pytest.raises(ValidationError) as excinfo:
        update(pending, Status.REFUNDED, paid_on=day)
    assert set(_errors(excinfo)) == {"paid_on"}


def test_a_late_success_does_not_revive_a_refunded_payment(pending, update, scoped, signals_sent):
    t0 = timezone.now() - dt.timedelta(minutes=30)
    update(pending, Status.SUCCEEDED, occurred_at=t0)
    update(pending, Status.REFUNDED, occurred_at=t0 + dt.timedelta(minutes=10), reason="demande")
    count = len(signals_sent)
    # The "succeeded" webhook delivered again, after the refund.
    late = update(pending, Status.SUCCEEDED, occurred_at=t0)
    assert late.status == Status.REFUNDED
    assert Payment.objects.get(pk=pending.pk).status == Status.REFUNDED
    assert len(signals_sent) == count
    assert AuditLog.objects.filter(action="payment.status").count() == 2


def test_events_delivered_in_reverse_order_end_in_the_latest_state(pending, record, update, scoped):
    """A card refused at t1 then accepted at t2, delivered t2 first: the payment is received."""
    t1 = timezone.now() - dt.timedelta(minutes=5)
    t2 = t1 + dt.timedelta(minutes=1)
    update(pending, Status.SUCCEEDED, occurred_at=t2)
    assert update(pending, Status.FAILED, occurred_at=t1).status == Status.SUCCEEDED
    # Delivered in order, the same two events end the same way.
    other = record(
        status=Status.PENDING,
        method="card_online",
        provider="stripe",
        provider_reference="pi_2",
        occurred_at=timezone.now() - dt.timedelta(hours=1),
    )
    update(other, Status.FAILED, occurred_at=t1)
    assert update(other, Status.SUCCEEDED, occurred_at=t2).status == Status.SUCCEEDED


def test_a_bounced_cheque_keeps_its_reason(record, update, scoped):
    cheque = record(reference="0001234")
    failed = update(cheque, Status.FAILED, reason="chèque sans provision")
    assert failed.status_reason == "chèque sans provision"
    assert failed.paid_on == cheque.paid_on  # the day it was deposited stays


def test_a_naive_event_time_is_a_programming_error(pending, update, scoped):
    with pytest.raises(ValueError):
        update(pending, Status.SUCCEEDED, occurred_at=dt.datetime(2025, 1, 1))


def test_an_unknown_status_is_refused(pending, update, scoped):
    with pytest.raises(ValidationError):
        update(pending, "paid")
