"""Events: services (create, series, register, confirm, waiting list, cancel, check-in,
reminders, iCal) and the selectors other apps read."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog, OutboxEmail
from essaim.mobilisation import events
from essaim.mobilisation.models import Event, Registration
from essaim.people.models import Consent, Person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def make_event(association, presidente, publish=True, **fields):
    start = timezone.now() + dt.timedelta(days=7)
    data = {
        "title": "Réunion publique sur le square",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "place": "Salle des fêtes, 3 place de la Mairie, 69003 Lyon",
        "description": "Venez nombreux.",
    } | fields
    with scope(association=association):
        event = events.event_create(association=association, acting_user=presidente, **data)
        if publish:
            event = events.event_set_status(
                association=association, acting_user=presidente, event=event, status="published"
            )
    event.association = association
    return event


@pytest.fixture
def event(association, presidente):
    return make_event(association, presidente, capacity=2)


@pytest.fixture
def register(association):
    """register(email, event=…, **fields) → outcome (e-mail registration)."""

    def run(email="jeanne@example.org", event=None, **fields):
        data = {"first_name": "Jeanne", "last_name": "Durand"} | fields
        with scope(association=association):
            outcome, _registration = events.registration_create(
                association=association, event=event, email=email, **data
            )
        return outcome

    return run


def registration_of(association, email) -> Registration:
    with scope(association=association):
        registration = Registration.objects.select_related("event").get(email__iexact=email)
    registration.association = association
    registration.event.association = association
    return registration


def taken(event) -> int:
    with scopes_disabled():
        return Event.objects.get(pk=event.pk).places_taken


def confirm(association, email) -> str:
    registration = registration_of(association, email)
    with scope(association=association):
        return events.registration_confirm(registration=registration)


def link_in(email_to: str, kind: str) -> str:
    mail = OutboxEmail.objects.filter(to=email_to, kind=kind).order_by("-id").first()
    assert mail is not None, f"no {kind} e-mail to {email_to}"
    start = mail.body_text.index("http")
    return mail.body_text[start:].split()[0]


def test_register_confirm_takes_a_place_and_makes_a_person(association, event, register):
    assert register(event=event, news=True) == "sent"
    registration = registration_of(association, "jeanne@example.org")
    assert registration.status == Registration.Status.PENDING
    assert taken(event) == 0  # a pending registration holds no place
    assert "/e/confirm/" in link_in("jeanne@example.org", "event_confirm")
    assert confirm(association, "jeanne@example.org") == "confirmed"
    assert confirm(association, "jeanne@example.org") == "already"
    assert taken(event) == 1
    with scope(association=association):
        person = Person.objects.get(email="jeanne@example.org")
        assert Registration.objects.get().person == person
        assert Consent.objects.filter(person=person, topic="association_news", granted=True)
    assert OutboxEmail.objects.filter(kind="event_registered").count() == 1
    with scopes_disabled():
        assert AuditLog.objects.filter(action="event.register").count() == 1


def test_same_address_twice_is_one_registration(association, event, register):
    assert register(event=event) == "sent"
    assert register("JEANNE@example.org", event=event) == "resent"
    confirm(association, "jeanne@example.org")
    assert register(event=event) == "already"
    with scope(association=association):
        assert Registration.objects.count() == 1
    assert OutboxEmail.objects.filter(kind="event_already").count() == 1


def test_gmail_spellings_are_one_person(association, event, register):
    register("jeanne.durand@gmail.com", event=event)
    assert register("JeanneDurand+evt@googlemail.com", event=event) == "resent"
    with scope(association=association):
        assert Registration.objects.count() == 1


def test_bad_input_is_refused_with_clear_messages(association, presidente, event, register):
    with pytest.raises(ValidationError) as error:
        register("not-an-address", event=event)
    assert "valid e-mail" in str(error.value)
    with pytest.raises(ValidationError) as error:
        register("x@yopmail.com", event=event)
    assert "throw-away" in str(error.value)
    with pytest.raises(ValidationError):
        register(event=event, guests=3)  # the event takes no guests
    with pytest.raises(ValidationError):
        register(event=event, first_name="")
    with scope(association=association):
        assert Registration.objects.count() == 0


def test_event_bad_input(association, presidente):
    start = timezone.now() + dt.timedelta(days=3)
    base = {"title": "Fête", "starts_at": start, "ends_at": start + dt.timedelta(hours=1)}
    cases = [
        ({"ends_at": start - dt.timedelta(hours=1), "place": "Ici"}, "ends_at"),
        ({"capacity": 0, "place": "Ici"}, "capacity"),
        ({"capacity": -3, "place": "Ici"}, "capacity"),
        ({}, "place"),
        ({"online": True, "online_url": "pas un lien"}, "online_url"),
        ({"place": "Ici", "title": ""}, "title"),
        ({"place": "Ici", "max_guests": 99}, "max_guests"),
        ({"place": "Ici", "registration_deadline": start + dt.timedelta(days=3)}, None),
    ]
    with scope(association=association):
        for extra, field in cases:
            with pytest.raises(ValidationError) as error:
                events.event_create(
                    association=association, acting_user=presidente, **(base | extra)
                )
            if field:
                assert field in error.value.message_dict, extra
        assert Event.objects.count() == 0


def test_capacity_is_a_database_rule(association, event):
    with scope(association=association), pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(places_taken=3)


def test_full_event_waiting_list_and_promotion(association, event, register):
    for name in ("a", "b", "c", "d"):
        register(f"{name}@example.org", event=event)
    outcomes = [confirm(association, f"{n}@example.org") for n in ("a", "b", "c", "d")]
    assert outcomes == ["confirmed", "confirmed", "waiting", "waiting"]
    assert taken(event) == 2
    assert OutboxEmail.objects.filter(kind="event_waiting").count() == 2
    # "a" cancels: "c", first on the list, gets the place and an e-mail.
    with scope(association=association):
        assert (
            events.registration_cancel(registration=registration_of(association, "a@example.org"))
            == "cancelled"
        )
        assert events.registration_cancel(
            registration=registration_of(association, "a@example.org")
        ) == ("already")
    assert registration_of(association, "c@example.org").status == Registration.Status.CONFIRMED
    assert registration_of(association, "d@example.org").status == Registration.Status.WAITING
    assert OutboxEmail.objects.filter(kind="event_promoted", to="c@example.org").count() == 1
    assert taken(event) == 2


def test_guests_take_places_and_a_small_group_passes_a_big_one(association, presidente):
    event = make_event(association, presidente, capacity=4, max_guests=3)
    with scope(association=association):
        for email, guests in (("a@example.org", 1), ("b@example.org", 3), ("c@example.org", 0)):
            events.registration_create(
                association=association,
                event=event,
                email=email,
                first_name="X",
                last_name="Y",
                guests=guests,
            )
    assert confirm(association, "a@example.org") == "confirmed"  # 2 places
    assert confirm(association, "b@example.org") == "waiting"  # 4 do not fit in 2
    assert confirm(association, "c@example.org") == "confirmed"  # 1 fits
    assert taken(event) == 3


def test_raising_the_capacity_promotes(association, presidente, event, register):
    for name in ("a", "b", "c"):
        register(f"{name}@example.org", event=event)
        confirm(association, f"{name}@example.org")
    with scope(association=association):
        fields = {name: getattr(event, name) for name in events.EDITABLE}
        events.event_update(
            association=association,
            acting_user=presidente,
            event=event,
            **(fields | {"capacity": 3}),
            starts_at=event.starts_at,
            ends_at=event.ends_at,
        )
    assert registration_of(association, "c@example.org").status == Registration.Status.CONFIRMED
    with scope(association=association), pytest.raises(ValidationError) as error:
        events.event_update(
            association=association,
            acting_user=presidente,
            event=event,
            **(fields | {"capacity": 1}),
            starts_at=event.starts_at,
            ends_at=event.ends_at,
        )
    assert "already taken" in str(error.value)


def test_closed_events_refuse_registrations(association, presidente, register):
    past_deadline = make_event(
        association, presidente, registration_deadline=timezone.now() - dt.timedelta(hours=1)
    )
    with pytest.raises(ValidationError, match="closed"):
        register(event=past_deadline)
    draft = make_event(association, presidente, publish=False, title="Brouillon")
    with pytest.raises(ValidationError):
        register(event=draft)
    cancelled = make_event(association, presidente, title="Annulé")
    with scope(association=association):
        cancelled = events.event_set_status(
            association=association, acting_user=presidente, event=cancelled, status="cancelled"
        )
    with pytest.raises(ValidationError, match="cancelled"):
        register(event=cancelled)


def test_cancelling_an_event_tells_registrants(association, presidente, event, register):
    register(event=event)
    confirm(association, "jeanne@example.org")
    register("pending@example.org", event=event)
    with scope(association=association):
        events.event_set_status(
            association=association, acting_user=presidente, event=event, status="cancelled"
        )
    assert OutboxEmail.objects.filter(kind="event_cancelled").count() == 1
    # A confirmation arriving after the cancellation takes nothing.
    assert confirm(association, "pending@example.org") == "cancelled"


def test_tokens_forged_and_expired(association, event, register, settings):
    register(event=event)
    registration = registration_of(association, "jeanne@example.org")
    token = events.confirm_token(registration)
    assert events.registration_from_confirm_token(token)[0] == registration
    assert events.registration_from_confirm_token(token[:-2] + "xx") == (None, "invalid")
    assert events.registration_from_confirm_token("garbage") == (None, "invalid")
    # A page token is not a confirmation token, and the other way round.
    assert events.registration_from_confirm_token(events.page_token(registration))[0] is None
    assert events.registration_from_checkin_token(events.page_token(registration))[0] is None
    settings.ESSAIM_EVENT_CONFIRM_DAYS = -1
    assert events.registration_from_confirm_token(token) == (None, "expired")


def test_check_in_once_and_only_with_a_place(association, presidente, event, register):
    register(event=event)
    registration = registration_of(association, "jeanne@example.org")
    with scope(association=association):
        with pytest.raises(ValidationError):  # still pending
            events.registration_check_in(
                association=association, acting_user=presidente, registration=registration
            )
        events.registration_confirm(registration=registration)
        first = events.registration_check_in(
            association=association, acting_user=presidente, registration=registration
        )
        again = events.registration_check_in(
            association=association, acting_user=presidente, registration=registration
        )
        assert first.checked_in_at == again.checked_in_at is not None
        undone = events.registration_check_in(
            association=association, acting_user=presidente, registration=registration, undo=True
        )
        assert undone.checked_in_at is None
    with scopes_disabled():
        assert AuditLog.objects.filter(action="event.check_in").count() == 1


def test_account_registration_needs_no_email_confirmation(association, event, citizen):
    citizen.email = "citoyen@example.org"
    with scope(association=association):
        outcome, registration = events.registration_create(
            association=association, event=event, user=citizen, first_name="Cé", last_name="Toyen"
        )
        assert outcome == "confirmed" and registration.status == Registration.Status.CONFIRMED
        again, same = events.registration_create(
            association=association, event=event, user=citizen, first_name="Cé", last_name="Toyen"
        )
        assert again == "already" and same.pk == registration.pk
    assert not OutboxEmail.objects.filter(kind="event_confirm").exists()


def test_weekly_series_keeps_the_local_time_across_summer_time(association, presidente):
    # 18:30 in Paris on Thursday 22 October 2026 (summer time) and the following weeks.
    start = timezone.make_aware(dt.datetime(2026, 10, 22, 18, 30))
    starts = events.occurrences(start, "weekly", dt.date(2026, 11, 12))
    assert [timezone.localtime(s).strftime("%d/%m %H:%M") for s in starts] == [
        "22/10 18:30",
        "29/10 18:30",
        "05/11 18:30",
        "12/11 18:30",
    ]
    monthly = events.occurrences(
        timezone.make_aware(dt.datetime(2027, 1, 31, 10)), "monthly", dt.date(2027, 4, 30)
    )
    assert [timezone.localtime(s).day for s in monthly] == [31, 28, 31, 30]


def test_series_occurrences_have_their_own_registrations_and_edit_following(
    association, presidente, register
):
    start = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )
    first = make_event(
        association,
        presidente,
        publish=False,
        title="Atelier vélo",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        repeat="weekly",
        repeat_until=(start + dt.timedelta(weeks=3)).date(),
        capacity=5,
    )
    with scope(association=association):
        series = list(Event.objects.filter(series=first.series).order_by("starts_at"))
        assert len(series) == 4
        assert len({e.slug for e in series}) == 4
        second = series[1]
        fields = {name: getattr(second, name) for name in events.EDITABLE}
        new_start = timezone.localtime(second.starts_at).replace(hour=19)
        events.event_update(
            association=association,
            acting_user=presidente,
            event=second,
            scope="following",
            **(fields | {"place": "Nouvel atelier, 69007 Lyon"}),
            starts_at=new_start,
            ends_at=new_start + dt.timedelta(hours=1),
        )
        series = list(Event.objects.filter(series=first.series).order_by("starts_at"))
    assert series[0].place != "Nouvel atelier, 69007 Lyon"
    assert timezone.localtime(series[0].starts_at).hour == 18
    assert all(e.place == "Nouvel atelier, 69007 Lyon" for e in series[1:])
    assert all(timezone.localtime(e.starts_at).hour == 19 for e in series[1:])
    assert all(e.ends_at - e.starts_at == dt.timedelta(hours=1) for e in series[1:])
    assert series[1].sequence == 1


def test_reminders_once_per_event(association, presidente, register):
    soon = timezone.now() + dt.timedelta(hours=20)
    event = make_event(
        association, presidente, starts_at=soon, ends_at=soon + dt.timedelta(hours=1)
    )
    later = make_event(association, presidente, title="Plus tard")  # in a week: not yet
    register(event=event)
    confirm(association, "jeanne@example.org")
    register("b@example.org", event=later)
    confirm(association, "b@example.org")
    assert events.reminders_send() == 1
    assert events.reminders_send() == 0
    mail = OutboxEmail.objects.get(kind="event_reminder")
    assert mail.to == "jeanne@example.org" and "/e/r/" in mail.body_text


def test_online_link_only_for_registrants(association, presidente, register):
    event = make_event(
        association, presidente, place="", online=True, online_url="https://visio.example.org/abc"
    )
    register(event=event)
    assert "visio.example.org" not in OutboxEmail.objects.get(kind="event_confirm").body_text
    confirm(association, "jeanne@example.org")
    assert "visio.example.org/abc" in OutboxEmail.objects.get(kind="event_registered").body_text
    public = events.event_ical([event]).decode()
    assert "visio.example.org" not in public
    registration = registration_of(association, "jeanne@example.org")
    assert "visio.example.org/abc" in events.registration_ical(registration).decode()


def test_ical_uid_is_stable_and_times_in_utc(association, presidente, event):
    first = events.event_ical([event]).decode()
    assert f"UID:event-{event.uuid}@" in first
    assert "DTSTART:" + event.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") in first
    with scope(association=association):
        fields = {name: getattr(event, name) for name in events.EDITABLE}
        events.event_update(
            association=association,
            acting_user=presidente,
            event=event,
            **(fields | {"title": "Autre titre"}),
            starts_at=event.starts_at,
            ends_at=event.ends_at,
        )
        event.refresh_from_db()
    again = events.event_ical([event]).decode()
    assert f"UID:event-{event.uuid}@" in again and "SEQUENCE:1" in again


def test_selectors_for_other_apps(association, presidente, event, register):
    private = make_event(association, presidente, title="Privé", visibility="private")
    make_event(association, presidente, publish=False, title="Brouillon")
    register(event=event)
    register("b@example.org", event=event)
    confirm(association, "jeanne@example.org")
    with scope(association=association):
        assert list(events.public_events(association)) == [event]
        persons = events.registrant_persons(association)
        assert [p.email for p in persons] == ["jeanne@example.org"]
        assert list(events.registrant_persons(association, event=private)) == []
    assert private.slug.startswith("prive-") and len(private.slug) > len("prive-") + 6
