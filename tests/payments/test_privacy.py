"""Payments in the privacy registry: export, erasure that keeps the accounts, retention."""

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.privacy import registry
from essaim.core.retention import apply_all
from essaim.payments import privacy_entries
from essaim.payments.models import Payment
from essaim.people import services as people_services
from essaim.people.models import Person


@pytest.fixture
def entry():
    return next(e for e in registry.entries() if e.key == "payments")


def test_payments_are_in_the_register(entry):
    assert "payments.Payment" in registry.covered_models()
    assert entry.export_person and entry.erase_person and entry.apply_retention


def test_a_person_gets_their_payments_and_nobody_elses(entry, record, person, scoped):
    record(amount_cents=2000, person=person, reference="chèque 0042", note="adhésion 2025")
    record(amount_cents=9900, payer_name="Quelqu'un d'autre")
    rows = entry.export_person(person)
    assert len(rows) == 1
    assert rows[0]["amount_cents"] == 2000
    assert rows[0]["payer_name"] == "Émilie Le Goff"
    assert rows[0]["reference"] == "chèque 0042"
    assert rows[0]["method"] == "cheque" and rows[0]["status"] == "succeeded"


def test_erasure_keeps_the_accounting_record_without_the_payer(
    record, association, presidente, person, scoped
):
    paid_on = timezone.localdate() - dt.timedelta(days=40)
    payment = record(
        amount_cents=4500,
        person=person,
        paid_on=paid_on,
        method="transfer",
        reference="VIR ADHESION 2025",
        note="a payé pour sa fille",
    )
    someone_else = record(amount_cents=100, payer_name="Jean Dupont", note="reste")
    people_services.person_erase(
        association=association, acting_user=presidente, person=person, reason="demande"
    )
    kept = Payment.objects.get(pk=payment.pk)
    assert (kept.amount_cents, kept.paid_on, kept.method, kept.reference, kept.status) == (
        4500,
        paid_on,
        "transfer",
        "VIR ADHESION 2025",
        "succeeded",
    )
    assert kept.person is None and kept.payer_name == "" and kept.note == ""
    other = Payment.objects.get(pk=someone_else.pk)
    assert other.payer_name == "Jean Dupont" and other.note == "reste"


def test_payments_are_anonymised_after_their_legal_keeping(record, person, scoped):
    now = timezone.now()
    cutoff = privacy_entries.retention_cutoff(now)
    assert cutoff == dt.date(timezone.localdate(now).year - 10, 1, 1)
    expired = record(person=person, paid_on=cutoff - dt.timedelta(days=1), note="x")
    kept = record(person=person, paid_on=cutoff)
    never_paid = record(status="failed", payer_name="Jean Dupont")
    Payment.objects.filter(pk=never_paid.pk).update(created_at=now - dt.timedelta(days=4100))
    counts = apply_all(now)
    assert counts["payments"] == 2
    expired.refresh_from_db()
    kept.refresh_from_db()
    never_paid.refresh_from_db()
    assert expired.person is None and expired.payer_name == "" and expired.note == ""
    assert expired.amount_cents == 2000  # the figures stay: they are no one's data any more
    assert never_paid.payer_name == ""
    assert kept.person_id == person.pk and kept.payer_name == "Émilie Le Goff"
    assert apply_all(now)["payments"] == 0  # nothing left to do the next day


def test_a_contact_with_an_awaited_payment_is_not_erased_for_inactivity(
    record, association, person, make_inactive
):
    record(person=person, status="pending", method="sepa_debit", provider="sepa")
    make_inactive(person)  # after: recording the payment was activity
    apply_all(timezone.now())
    with scopes_disabled():
        assert not Person.objects.get(pk=person.pk).is_erased


def test_the_hold_ends_with_the_payment(record, association, person, tresorier, make_inactive):
    from essaim.payments import services

    payment = record(person=person, status="pending", method="sepa_debit", provider="sepa")
    with scope(association=association):
        services.payment_update_status(
            association=association, acting_user=tresorier, payment=payment, status="failed"
        )
    make_inactive(person)
    apply_all(timezone.now())
    with scopes_disabled():
        assert Person.objects.get(pk=person.pk).is_erased
        assert Payment.objects.get(pk=payment.pk).person is None


@pytest.fixture
def make_inactive(association):
    def make(person):
        long_ago = timezone.now() - dt.timedelta(
            days=30 * (association.person_retention_months + 1)
        )
        with scopes_disabled():
            Person.objects.filter(pk=person.pk).update(last_activity_at=long_ago)

    return make
