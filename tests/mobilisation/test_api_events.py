import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.mobilisation import events
from essaim.mobilisation.models import Event, Registration
from tests.api.conftest import ApiClient, token_for

from .test_events import make_event, registration_of

pytestmark = pytest.mark.django_db

BODY = {
    "first_name": "Jeanne",
    "last_name": "Durand",
    "email": "jeanne@example.org",
    "source": "site",
    "ip": "198.51.100.4",
}


def test_create_list_detail(association, presidente):
    api = ApiClient(token_for(presidente, association))
    start = timezone.now() + dt.timedelta(days=4)
    body = {
        "title": "Soirée débat",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "place": "Bar associatif, Lille",
        "capacity": 40,
        "publish": True,
    }
    response = api.post("/api/v1/events", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "published" and created["open_for_registration"]
    listed = api.get("/api/v1/events").json()
    assert listed["items"][0]["uuid"] == created["uuid"]
    assert api.get(f"/api/v1/events/{created['uuid']}").json()["title"] == "Soirée débat"
    bad = api.post("/api/v1/events", {**body, "ends_at": start.isoformat()})
    assert bad.status_code == 422 and "ends_at" in str(bad.json())
    assert api.post("/api/v1/events", {**body, "capacity": 0}).status_code == 422
    with scope(association=association):
        assert Event.objects.count() == 1


def test_register_list_and_check_in(association, presidente):
    event = make_event(association, presidente, capacity=1)
    api = ApiClient(token_for(presidente, association))
    base = f"/api/v1/events/{event.uuid}"
    assert api.post(f"{base}/registrations", BODY).status_code == 202
    assert api.post(f"{base}/registrations", BODY).status_code == 202  # the same answer
    registration = registration_of(association, "jeanne@example.org")
    assert registration.source == "site"
    url = f"{base}/registrations/{registration.uuid}/check-in"
    assert api.post(url, {}).status_code == 422  # not confirmed yet: no place
    with scope(association=association):
        events.registration_confirm(registration=registration)
    response = api.post(url, {})
    assert response.status_code == 200 and response.json()["checked_in_at"]
    rows = api.get(f"{base}/registrations?status=confirmed").json()["items"]
    assert [r["email"] for r in rows] == ["jeanne@example.org"]
    assert api.post(url, {"undo": True}).json()["checked_in_at"] is None


def test_bad_input_rate_limit_and_closed(association, presidente, settings):
    event = make_event(association, presidente)
    api = ApiClient(token_for(presidente, association))
    url = f"/api/v1/events/{event.uuid}/registrations"
    settings.ESSAIM_EVENT_RATE_LIMIT_IP = (2, 3600)  # the refused address counts as a try
    assert api.post(url, {**BODY, "email": "x@yopmail.com"}).status_code == 422
    assert api.post(url, {**BODY, "first_name": "a\x00"}).status_code == 422
    assert api.post(url, BODY).status_code == 202
    assert api.post(url, {**BODY, "email": "b@example.org"}).status_code == 429
    with scope(association=association):
        events.event_set_status(
            association=association, acting_user=presidente, event=event, status="cancelled"
        )
    settings.ESSAIM_EVENT_RATE_LIMIT_IP = (100, 3600)
    assert api.post(url, {**BODY, "email": "c@example.org"}).status_code == 422
    with scopes_disabled():
        assert Registration.objects.count() == 1


def test_capability_and_tenant(association, presidente, outsider, other_association):
    event = make_event(association, presidente)
    no_cap = ApiClient(token_for(presidente, association, ["can_view_members"]))
    assert no_cap.get(f"/api/v1/events/{event.uuid}").status_code == 403
    foreign = ApiClient(token_for(outsider, other_association))
    assert foreign.get(f"/api/v1/events/{event.uuid}").status_code == 404
    assert foreign.post(f"/api/v1/events/{event.uuid}/registrations", BODY).status_code == 404
