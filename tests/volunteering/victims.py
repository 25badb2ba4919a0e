"""Objects of the victim association for the tenancy test (runs inside its scope)."""

from essaim.volunteering import services
from tests.factories import UserFactory


def victims(*, association, presidente, person) -> dict:
    mission = services.mission_create(
        association=association,
        acting_user=presidente,
        title="Mission de la victime",
        description="Secret",
        cause="quartier",
        postcode="75011",
        places=3,
    )
    services.mission_set_status(
        association=association, acting_user=presidente, mission=mission, action="publish"
    )
    applicant = UserFactory()
    application = services.application_submit(mission=mission, user=applicant, consent=True)
    return {
        "mission_uuid": mission.uuid,
        "application_uuid": application.uuid,
    }
