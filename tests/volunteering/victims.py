"""Objects of the victim association for the tenancy test (runs inside its scope)."""

from django.utils import timezone

from essaim.volunteering import services
from essaim.volunteering.models import HoursEntry
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
    # Recognition: a volunteer of the victim association with approved hours.
    HoursEntry.objects.create(
        association=association,
        mission=mission,
        person=person,
        worked_on=timezone.localdate(),
        minutes=120,
        source="declared",
        status="approved",
    )
    # Shifts and hours: a shift with a contact signed up, hours waiting for approval.
    import datetime as dt

    from django.utils import timezone as tz

    from essaim.volunteering import shifts

    starts = tz.now() + dt.timedelta(days=2)
    shift = shifts.shift_create(
        association=association,
        acting_user=presidente,
        mission=mission,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        capacity=2,
    )
    signup = shifts.signup_add(
        association=association, acting_user=presidente, shift=shift, person=person
    )
    from essaim.volunteering.models import HoursEntry as _Hours

    entry = _Hours.objects.create(
        association=association,
        mission=mission,
        person=person,
        name="Victime",
        worked_on=tz.localdate(),
        minutes=60,
        source="declared",
    )
    return {
        "mission_uuid": mission.uuid,
        "application_uuid": application.uuid,
        "shift_uuid": shift.uuid,
        "signup_uuid": signup.uuid,
        "entry_uuid": entry.uuid,
        "volunteer_key": f"p{person.uuid}",
        "year": timezone.localdate().year,
    }
