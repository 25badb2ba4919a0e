"""Two volunteers taking the last place at the same time: exactly one gets it."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from essaim.volunteering import services
from essaim.volunteering.models import Application, Mission
from tests.core.test_concurrency import race
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _apply(mission, user):
    def run():
        with scope(association=mission.association):
            return services.application_submit(mission=mission, user=user, consent=True)

    return run


def test_last_place_goes_to_exactly_one(make_mission):
    mission = make_mission(places=1)
    users = [UserFactory() for _ in range(4)]
    results = race([_apply(mission, user) for user in users])
    assert all(isinstance(r, Application) for r in results), results
    statuses = sorted(r.status for r in results)
    assert statuses.count("submitted") == 1 and statuses.count("waiting") == 3, statuses
    with scopes_disabled():
        mission = Mission.objects.get(pk=mission.pk)
    assert mission.places_taken == 1 and mission.status == Mission.Status.FULL


def test_database_refuses_more_places_taken_than_places(make_mission):
    from django.db import IntegrityError, transaction
    from django.db.models import F

    mission = make_mission(places=1)
    with scopes_disabled():
        Mission.objects.filter(pk=mission.pk).update(places_taken=1)
        with pytest.raises(IntegrityError), transaction.atomic():
            Mission.objects.filter(pk=mission.pk).update(places_taken=F("places_taken") + 1)


def test_the_same_volunteer_twice_at_once_gets_one_application(make_mission):
    mission = make_mission(places=3)
    user = UserFactory()
    results = race([_apply(mission, user), _apply(mission, user)])
    applications = [r for r in results if isinstance(r, Application)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(applications) == 1 and len(refused) == 1, results
    with scopes_disabled():
        assert Mission.objects.get(pk=mission.pk).places_taken == 1
