import pytest
from django_scopes import scope

from essaim.payments import services


@pytest.fixture
def scoped(association):
    with scope(association=association):
        yield association


@pytest.fixture
def record(association, tresorier):
    """payment_record for `association` by its treasurer, with a cheque of 20 € by default."""

    def make(**fields):
        fields.setdefault("amount_cents", 2000)
        fields.setdefault("method", "cheque")
        fields.setdefault("acting_user", tresorier)
        fields.setdefault("association", association)
        with scope(association=fields["association"]):
            return services.payment_record(**fields)

    return make


@pytest.fixture
def signals_sent():
    """The payment_status_changed signals sent during the test, as (payment, previous)."""
    from essaim.payments.signals import payment_status_changed

    sent = []

    def receiver(sender, payment, previous, **kwargs):
        sent.append((payment.pk, previous, payment.status, kwargs["association"].pk))

    payment_status_changed.connect(receiver, dispatch_uid="tests.payments.signals_sent")
    yield sent
    payment_status_changed.disconnect(dispatch_uid="tests.payments.signals_sent")
