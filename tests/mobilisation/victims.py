from essaim.mobilisation import services


def victims(*, association, presidente, person) -> dict:
    petition = services.petition_create(
        association=association,
        acting_user=presidente,
        title="Pétition victime",
        addressee="Quelqu'un",
        text="Texte.",
        goal=10,
    )
    from datetime import timedelta

    from django.utils import timezone

    from essaim.mobilisation import actions, events

    start = timezone.now() + timedelta(days=10)
    event = events.event_create(
        association=association,
        acting_user=presidente,
        title="Événement victime",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="1 rue Victime, Paris",
    )
    event = events.event_set_status(
        association=association, acting_user=presidente, event=event, status="published"
    )
    _outcome, registration = events.registration_create(
        association=association,
        event=event,
        user=presidente,
        first_name="Présidente",
        last_name="Victime",
    )
    action = actions.action_create(
        association=association, acting_user=presidente, kind="share", title="Action victime"
    )
    return {
        "petition_uuid": petition.uuid,
        "action": "open",
        "event_uuid": event.uuid,
        "registration_uuid": registration.uuid,
        "checkin_token": events.checkin_token(registration),
        "action_uuid": action.uuid,
    }
