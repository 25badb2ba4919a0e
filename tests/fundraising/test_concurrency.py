"""Two treasurers issuing receipts at the same moment: consecutive numbers, one receipt per
gift, never a 500."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from essaim.fundraising import services
from essaim.fundraising.models import TaxReceipt
from tests.core.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def _issue(association, user, gift):
    def run():
        with scope(association=association):
            return services.receipt_issue(association=association, acting_user=user, gifts=[gift])

    return run


def test_simultaneous_receipts_get_consecutive_numbers(eligible, donor, give, tresorier):
    gifts = [give(person=donor, amount_cents=1000 + i) for i in range(4)]
    results = race([_issue(eligible, tresorier, gift) for gift in gifts])
    assert all(isinstance(r, TaxReceipt) for r in results), results
    assert sorted(r.sequence for r in results) == [1, 2, 3, 4]
    with scopes_disabled():
        assert len({r.number for r in TaxReceipt.objects.all()}) == 4


def test_the_same_gift_twice_at_once_gets_one_receipt(eligible, donor, give, tresorier):
    gift = give(person=donor)
    results = race([_issue(eligible, tresorier, gift), _issue(eligible, tresorier, gift)])
    receipts = [r for r in results if isinstance(r, TaxReceipt)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(receipts) == 1 and len(refused) == 1, results
    with scopes_disabled():
        assert TaxReceipt.objects.count() == 1
        assert TaxReceipt.objects.get().sequence == 1
