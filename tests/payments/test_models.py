"""The database's own rules on payments: they hold even for code that skips the services."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from essaim.payments.models import Payment


def _create(association, **fields) -> Payment:
    fields.setdefault("amount_cents", 1000)
    fields.setdefault("method", Payment.Method.CASH)
    fields.setdefault("status", Payment.Status.SUCCEEDED)
    fields.setdefault("paid_on", timezone.localdate())
    return Payment.objects.create(association=association, **fields)


def _refused(association, **fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _create(association, **fields)


@pytest.mark.parametrize("amount", [0, -1])
def test_an_amount_is_positive(association, scoped, amount):
    _refused(association, amount_cents=amount)


def test_money_is_euros(association, scoped):
    _refused(association, currency="USD")


def test_received_money_has_a_date_and_awaited_money_none(association, scoped):
    _refused(association, status=Payment.Status.SUCCEEDED, paid_on=None)
    _refused(association, status=Payment.Status.REFUNDED, paid_on=None)
    _refused(association, status=Payment.Status.PENDING, paid_on=timezone.localdate())
    assert _create(association, status=Payment.Status.PENDING, paid_on=None).pk
    assert _create(association, status=Payment.Status.FAILED, paid_on=None).pk


def test_a_provider_reference_is_unique_in_an_association(association, other_association):
    with scopes_disabled():
        _create(association, provider="stripe", provider_reference="pi_1")
        _refused(association, provider="stripe", provider_reference="pi_1")
        assert _create(association, provider="helloasso", provider_reference="pi_1").pk
        assert _create(other_association, provider="stripe", provider_reference="pi_1").pk
        # Empty references are not references: any number of manual payments.
        _create(association, provider_reference="")
        _create(association, provider_reference="")


def test_an_idempotency_key_is_unique_in_an_association(association, other_association):
    with scopes_disabled():
        _create(association, idempotency_key="k")
        _refused(association, idempotency_key="k")
        assert _create(other_association, idempotency_key="k").pk
        _create(association, idempotency_key="")
        _create(association, idempotency_key="")


def test_the_text_of_a_payment_names_no_one(association, person, scoped):
    payment = _create(association, amount_cents=123456, person=person, payer_name="Émilie")
    with translation.override("en"):
        assert str(payment) == "1\u202f234,56\u00a0€ (cash)"
