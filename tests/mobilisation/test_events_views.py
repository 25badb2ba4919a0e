"""Events through HTTP: the public page and its registration, the scanner-safe confirmation
and cancellation links, the registrant's page (QR, online link), the team's back office
(create, registrants, check-in by list and by QR, attendance export), the outsider."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import OutboxEmail
from essaim.mobilisation import events
from essaim.mobilisation.models import Event, Registration

from .conftest import path_of
from .test_events import link_in, make_event, registration_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

FORM = {"first_name": "Jeanne", "last_name": "Durand", "email": "jeanne@example.org"}


def public(event, name="event"):
    return reverse(
        f"mobilisation_public:{name}",
        kwargs={"slug": event.association.slug, "event_slug": event.slug},
    )


def back(association, name, event=None, **kwargs):
    if event is not None:
        kwargs["event_uuid"] = event.uuid
    return reverse(f"mobilisation:{name}", kwargs={"association_slug": association.slug, **kwargs})


@pytest.fixture
def event(association, presidente):
    return make_event(association, presidente, capacity=1)


def test_public_page_register_confirm_and_registration_page(client, association, event):
    page = client.get(public(event) + "?src=facebook")
    html = page.content.decode()
    assert page.status_code == 200 and event.title in html
    assert 'property="og:title"' in html and "Salle des fêtes" in html
    assert 'value="facebook"' in html
    response = client.post(public(event), {**FORM, "src": "facebook"})
    assert response.status_code == 302 and response["Location"].endswith("/thanks/")
    assert "check your inbox" in client.get(response["Location"]).content.decode().lower()
    link = path_of(link_in("jeanne@example.org", "event_confirm"))
    # A link scanner opening the link (GET) confirms nothing.
    response = client.get(link)
    assert response.status_code == 200 and "Confirm my registration" in response.content.decode()
    assert registration_of(association, "jeanne@example.org").status == "pending"
    response = client.post(link)
    assert response.status_code == 302 and "/e/r/" in response["Location"]
    registration = registration_of(association, "jeanne@example.org")
    assert registration.status == "confirmed" and registration.source == "facebook"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "registration is confirmed" in html and "qr.png" in html
    qr = client.get(path_of(events.qr_url(registration)))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/png"
    ics = client.get(public(event, "event_ics"))
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.content


def test_the_same_answer_for_a_second_registration(client, association, event):
    first = client.post(public(event), FORM)
    again = client.post(public(event), {**FORM, "email": "Jeanne@Example.org"})
    assert first["Location"] == again["Location"]
    with scope(association=association):
        assert Registration.objects.count() == 1


def test_form_errors_are_shown_not_500(client, association, event):
    for data, text in (
        ({**FORM, "email": "x@yopmail.com"}, "throw-away"),
        ({**FORM, "email": "pas-une-adresse"}, "valid e-mail"),
        ({**FORM, "first_name": ""}, "error"),
    ):
        response = client.post(public(event), data)
        assert response.status_code == 200 and text in response.content.decode(), data
    with scope(association=association):
        assert Registration.objects.count() == 0


def test_flood_from_one_connection_is_limited(client, association, event, settings):
    settings.ESSAIM_EVENT_RATE_LIMIT_IP = (3, 3600)
    statuses = [
        client.post(public(event), {**FORM, "email": f"p{i}@example.org"}).status_code
        for i in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]
    assert "Too many registrations" in client.post(public(event), FORM).content.decode()
    with scope(association=association):
        assert Registration.objects.count() == 3


def test_bot_filling_the_honeypot_records_nothing(client, association, event):
    response = client.post(public(event), {**FORM, "website": "http://spam"})
    assert response.status_code == 302
    with scope(association=association):
        assert Registration.objects.count() == 0


def test_full_event_shows_waiting_list(client, association, event):
    client.post(public(event), FORM)
    client.post(path_of(link_in("jeanne@example.org", "event_confirm")))
    html = client.get(public(event)).content.decode()
    assert "Join the waiting list" in html
    client.post(public(event), {**FORM, "email": "b@example.org"})
    response = client.post(path_of(link_in("b@example.org", "event_confirm")))
    assert "waiting list" in client.get(response["Location"]).content.decode()


def test_cancel_link_get_changes_nothing_post_cancels_and_promotes(client, association, event):
    for email in ("jeanne@example.org", "b@example.org"):
        client.post(public(event), {**FORM, "email": email})
        client.post(path_of(link_in(email, "event_confirm")))
    registration = registration_of(association, "jeanne@example.org")
    url = reverse("mobilisation_public:registration_cancel", args=[events.page_token(registration)])
    response = client.get(url)
    assert response.status_code == 200 and "Yes, cancel" in response.content.decode()
    assert registration_of(association, "jeanne@example.org").status == "confirmed"
    assert client.post(url).status_code == 302
    assert registration_of(association, "jeanne@example.org").status == "cancelled"
    assert registration_of(association, "b@example.org").status == "confirmed"
    assert OutboxEmail.objects.filter(kind="event_promoted", to="b@example.org").exists()


def test_forged_and_expired_links(client, association, event, settings):
    assert client.get("/e/confirm/forged:token/").status_code == 400
    assert client.post("/e/confirm/forged:token/").status_code == 400
    assert client.get("/e/r/forged/").status_code == 400
    assert client.post("/e/r/forged/cancel/").status_code == 400
    assert client.get("/e/r/forged/qr.png").status_code == 404
    client.post(public(event), FORM)
    link = path_of(link_in("jeanne@example.org", "event_confirm"))
    settings.ESSAIM_EVENT_CONFIRM_DAYS = -1
    response = client.post(link)
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert registration_of(association, "jeanne@example.org").status == "pending"


def test_online_link_never_on_the_public_page(client, association, presidente):
    event = make_event(
        association, presidente, place="", online=True, online_url="https://visio.example.org/s3"
    )
    assert "visio.example.org" not in client.get(public(event)).content.decode()
    assert b"visio.example.org" not in client.get(public(event, "event_ics")).content
    client.post(public(event), FORM)
    response = client.post(path_of(link_in("jeanne@example.org", "event_confirm")))
    assert "visio.example.org/s3" in client.get(response["Location"]).content.decode()


def test_draft_private_and_closed(client, association, presidente):
    draft = make_event(association, presidente, publish=False, title="Brouillon")
    assert client.get(public(draft)).status_code == 404
    private = make_event(association, presidente, title="Réunion privée", visibility="private")
    response = client.get(public(private))
    assert response.status_code == 200 and response["X-Robots-Tag"] == "noindex"
    closed = make_event(
        association,
        presidente,
        title="Fermé",
        registration_deadline=timezone.now() - dt.timedelta(minutes=1),
    )
    html = client.get(public(closed)).content.decode()
    assert "closed" in html and 'name="email"' not in html
    assert client.post(public(closed), FORM).status_code == 200
    with scope(association=association):
        assert Registration.objects.count() == 0


def test_signed_in_visitor_registers_without_email_confirmation(client_for, citizen, event):
    client = client_for(citizen)
    html = client.get(public(event)).content.decode()
    assert 'name="email"' not in html and "/register/" in html
    response = client.post(
        public(event, "event_register_account"), {"first_name": "Cé", "last_name": "Toyen"}
    )
    assert response.status_code == 302 and "/e/r/" in response["Location"]
    assert "You are registered" in client.get(public(event)).content.decode()


def test_team_creates_publishes_and_manages(client_for, presidente, association):
    client = client_for(presidente)
    assert "No upcoming event" in client.get(back(association, "events")).content.decode()
    start = timezone.localtime() + dt.timedelta(days=5)
    data = {
        "title": "Assemblée de quartier",
        "starts_at": start.strftime("%Y-%m-%dT18:00"),
        "ends_at": start.strftime("%Y-%m-%dT20:00"),
        "place": "Maison des associations, Lyon",
        "capacity": "30",
        "max_guests": "2",
        "reminder_hours": "24",
        "visibility": "public",
    }
    bad = client.post(back(association, "event_create"), {**data, "ends_at": data["starts_at"]})
    assert bad.status_code == 200 and "end after it starts" in bad.content.decode()
    bad = client.post(back(association, "event_create"), {**data, "capacity": "0"})
    assert bad.status_code == 200 and "has-error" in bad.content.decode()
    response = client.post(back(association, "event_create"), data)
    assert response.status_code == 302
    with scope(association=association):
        event = Event.objects.get()
    event.association = association
    assert client.get(back(association, "event_edit", event)).status_code == 200
    response = client.post(back(association, "event_status", event, action="publish"))
    assert response.status_code == 302
    listing = client.get(back(association, "events") + "?q=quartier").content.decode()
    assert "Assemblée de quartier" in listing
    with scope(association=association):
        event = Event.objects.get()
        assert event.status == "published"
        events.registration_create(
            association=association,
            event=event,
            email="jeanne@example.org",
            first_name="Jeanne",
            last_name="Durand",
            guests=1,
        )
    event.association = association
    registration = registration_of(association, "jeanne@example.org")
    with scope(association=association):
        events.registration_confirm(registration=registration)
    page = client.get(back(association, "event_registrations", event) + "?q=durand")
    assert "Jeanne Durand" in page.content.decode()
    page = client.get(back(association, "event_registrations", event) + "?q=personne")
    assert "No registrant matches" in page.content.decode()
    # Check-in by the QR code's address, twice: once.
    qr = path_of(events.checkin_url(registration))
    assert "Checked in" in client.get(qr).content.decode()
    assert "Already checked in" in client.get(qr).content.decode()
    export = client.get(back(association, "event_export", event))
    text = export.content.decode()
    assert export.status_code == 200 and "Durand" in text and "jeanne@example.org" in text
    xlsx = client.get(back(association, "event_export", event) + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # Cancelling the event e-mails the registrant.
    client.post(back(association, "event_status", event, action="cancel"))
    assert OutboxEmail.objects.filter(kind="event_cancelled").count() == 1


def test_check_in_list_tick_and_undo(client_for, presidente, association, event):
    with scope(association=association):
        _o, registration = events.registration_create(
            association=association, event=event, user=presidente, first_name="P", last_name="Q"
        )
    client = client_for(presidente)
    page = client.get(back(association, "event_checkin", event))
    assert page.status_code == 200 and "P Q" in page.content.decode()
    url = back(association, "event_checkin_one", event, registration_uuid=registration.uuid)
    assert client.post(url).status_code == 302
    with scopes_disabled():
        assert Registration.objects.get().checked_in_at is not None
    client.post(url, {"undo": "1"})
    with scopes_disabled():
        assert Registration.objects.get().checked_in_at is None


def test_forged_qr_is_refused(client_for, presidente, association, event):
    client = client_for(presidente)
    url = back(association, "event_checkin_qr", event, checkin_token="abc:forged")
    assert client.get(url).status_code == 404


def test_outsider_and_volunteer(client_for, outsider, benevole, association, event):
    with scope(association=association):
        events.registration_create(
            association=association,
            event=event,
            email="a@example.org",
            first_name="A",
            last_name="B",
        )
    registration = registration_of(association, "a@example.org")
    for user, expected in ((outsider, 404), (benevole, 403)):
        client = client_for(user)
        for name, extra in (
            ("event", {}),
            ("event_registrations", {}),
            ("event_checkin", {}),
            ("event_export", {}),
            ("event_checkin_qr", {"checkin_token": events.checkin_token(registration)}),
        ):
            assert client.get(back(association, name, event, **extra)).status_code == expected
    with scopes_disabled():
        assert Registration.objects.get().checked_in_at is None


def test_list_queries_do_not_grow_with_events(client_for, presidente, association):
    for i in range(6):
        make_event(association, presidente, title=f"Événement {i}")
    client = client_for(presidente)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(back(association, "events"))
    for i in range(6):
        make_event(association, presidente, title=f"Autre {i}")
    with CaptureQueriesContext(connection) as more:
        client.get(back(association, "events"))
    assert len(more) <= len(few)
