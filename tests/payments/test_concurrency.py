"""Webhooks delivered several times at once: one payment, whatever the database."""

import pytest
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog
from essaim.payments import services
from essaim.payments.models import Payment
from tests.core.test_concurrency import race
from tests.factories import UserFactory, make_association

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("key", ["idempotency_key", "provider_reference"])
def test_the_same_payment_recorded_at_once_is_recorded_once(key):
    association = make_association(UserFactory(), name="Course")

    def deliver():
        with scope(association=association):
            return services.payment_record(
                association=association,
                acting_user=None,
                amount_cents=1500,
                method="card_online",
                status="pending",
                provider="stripe",
                **{key: "pi_same"},
            )

    results = race([deliver] * 6)
    assert all(isinstance(r, Payment) for r in results), results
    assert len({r.pk for r in results}) == 1
    with scopes_disabled():
        assert Payment.objects.filter(association=association).count() == 1
        assert (
            AuditLog.objects.filter(association=association, action="payment.record").count() == 1
        )


def test_the_same_event_applied_at_once_changes_the_payment_once():
    association = make_association(UserFactory(), name="Course")
    with scope(association=association):
        payment = services.payment_record(
            association=association,
            acting_user=None,
            amount_cents=1500,
            method="sepa_debit",
            status="pending",
            provider="sepa",
            provider_reference="E2E-1",
        )

    def collected():
        with scope(association=association):
            return services.payment_update_status(
                association=association, acting_user=None, payment=payment, status="succeeded"
            )

    results = race([collected] * 5)
    assert all(isinstance(r, Payment) and r.status == "succeeded" for r in results), results
    with scopes_disabled():
        assert (
            AuditLog.objects.filter(association=association, action="payment.status").count() == 1
        )
