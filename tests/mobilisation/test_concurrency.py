"""Many people signing and confirming the same petition at the same moment: every signature
recorded, each person once, the count exact, never an error."""

import pytest
from django_scopes import scope

from essaim.mobilisation import services
from essaim.mobilisation.models import Signature
from tests.core.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)

SIGNERS = 24


def _sign(association, petition, email):
    def run():
        with scope(association=association):
            return services.signature_sign(
                association=association,
                petition=petition,
                ip="203.0.113.9",
                email=email,
                first_name="Signataire",
                last_name=email.split("@")[0],
                postcode="13001",
            )

    return run


def _confirm(association, signature):
    def run():
        with scope(association=association):
            return services.signature_confirm(signature=signature)

    return run


def test_many_signers_at_once_exact_count(association, petition):
    emails = [f"signataire{i}@example.org" for i in range(SIGNERS)]
    # The same person twice at the same moment (two tabs): one signature.
    results = race([_sign(association, petition, e) for e in emails + emails[:4]])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results).count("sent") == SIGNERS
    with scope(association=association):
        signatures = list(Signature.objects.filter(petition=petition))
    assert len(signatures) == SIGNERS
    # Everyone confirms at once, some twice, while the team recounts.
    functions = [_confirm(association, s) for s in signatures + signatures[:6]]

    def recount():
        with scope(association=association):
            return services.petition_reconcile(petition=petition)

    results = race([*functions, recount])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[:-1].count("confirmed") == SIGNERS
    with scope(association=association):
        assert services.petition_count(petition, fresh=True) == SIGNERS
        assert services.petition_reconcile(petition=petition) == (SIGNERS, SIGNERS)
