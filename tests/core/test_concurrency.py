"""Two people at the same moment: the database decides, nobody gets a 500 or a double."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_scopes import scopes_disabled

from essaim.core import services
from essaim.core.models import Association, Role, RoleAssignment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def race(functions):
    """Run the functions in threads started together; return their results or errors."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_an_invitation_seats_one_person_only():
    owner = UserFactory()
    association = services.association_create(acting_user=owner, name="Course")
    with scopes_disabled():
        role = Role.objects.get(association=association, preset="tresorerie")
        _inv, token = services.invitation_create(
            association=association, acting_user=owner, email="t@example.org", role=role
        )
    first, second = UserFactory(), UserFactory()
    results = race(
        [
            lambda: services.invitation_accept(token=token, acting_user=first),
            lambda: services.invitation_accept(token=token, acting_user=second),
        ]
    )
    seats = [r for r in results if isinstance(r, RoleAssignment)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(seats) == 1 and len(refused) == 1, results
    with scopes_disabled():
        assert RoleAssignment.objects.filter(association=association).count() == 2


def test_two_associations_cannot_take_the_same_address():
    users = [UserFactory(), UserFactory()]
    results = race(
        [
            lambda u=user: services.association_create(acting_user=u, name="X", slug="meme-adresse")
            for user in users
        ]
    )
    created = [r for r in results if isinstance(r, Association)]
    assert len(created) == 1, results
    assert all(isinstance(r, Association | ValidationError) for r in results), results
    assert Association.objects.filter(slug="meme-adresse").count() == 1
