"""Payments of one association are invisible to another, keys included."""

import pytest
from django_scopes import scope, scopes_disabled
from django_scopes.exceptions import ScopeError

from essaim.payments import selectors, services
from essaim.payments.models import Payment


@pytest.fixture
def theirs(other_association, outsider):
    with scope(association=other_association):
        return services.payment_record(
            association=other_association,
            acting_user=outsider,
            amount_cents=5000,
            method="transfer",
            idempotency_key="shared-key",
            provider="helloasso",
            provider_reference="hao-42",
        )


def test_another_associations_payment_is_invisible(record, association, theirs):
    mine = record(amount_cents=2000)
    with scope(association=association):
        assert list(Payment.objects.all()) == [mine]
        assert list(selectors.payments_for(association=association)) == [mine]
        assert not Payment.objects.filter(uuid=theirs.uuid).exists()


def test_payments_cannot_be_read_outside_a_scope(theirs):
    with pytest.raises(ScopeError):
        list(Payment.objects.all())


def test_a_key_used_by_another_association_makes_a_payment_of_its_own(record, association, theirs):
    mine = record(
        amount_cents=5000,
        method="transfer",
        idempotency_key="shared-key",
        provider="helloasso",
        provider_reference="hao-42",
    )
    assert mine.pk != theirs.pk
    assert mine.association_id == association.pk
    with scopes_disabled():
        assert Payment.objects.filter(idempotency_key="shared-key").count() == 2
        # Recording again in each association finds each one's own payment.
    assert record(amount_cents=5000, method="transfer", idempotency_key="shared-key").pk == mine.pk


def test_another_associations_payment_cannot_change_status(association, tresorier, theirs):
    with scope(association=association), pytest.raises(Payment.DoesNotExist):
        services.payment_update_status(
            association=association, acting_user=tresorier, payment=theirs, status="refunded"
        )
    with scopes_disabled():
        assert Payment.objects.get(pk=theirs.pk).status == "succeeded"
