import pytest
from django_scopes import scope

from essaim.volunteering import services
from tests.factories import UserFactory


@pytest.fixture
def make_mission(association, presidente):
    def make(*, publish=True, assoc=None, user=None, **fields):
        assoc = assoc or association
        values = {
            "title": "Aide aux devoirs",
            "description": "Accompagner des collégiens.",
            "cause": "education",
            "skills": ["aide-devoirs"],
            "postcode": "75011",
            "places": 2,
        }
        values.update(fields)
        with scope(association=assoc):
            mission = services.mission_create(
                association=assoc, acting_user=user or presidente, **values
            )
            if publish:
                mission = services.mission_set_status(
                    association=assoc,
                    acting_user=user or presidente,
                    mission=mission,
                    action="publish",
                )
        return mission

    return make


@pytest.fixture
def volunteer(db):
    user = UserFactory(email="lea@example.org", first_name="Léa", last_name="Bénévole")
    services.profile_update(
        user=user,
        skills=["aide-devoirs", "ecoute"],
        causes=["education"],
        availability=0b111,
        postcode="75011",
        radius_km=10,
        remote_ok=True,
        languages=["fr"],
    )
    return user


@pytest.fixture
def apply_to(association):
    def apply(mission, user, **kwargs):
        kwargs.setdefault("consent", True)
        kwargs.setdefault("answers", ["Oui"] * len(mission.questions))
        with scope(association=mission.association):
            return services.application_submit(mission=mission, user=user, **kwargs)

    return apply
