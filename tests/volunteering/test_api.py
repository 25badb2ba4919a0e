"""API of volunteering: own profile, missions, catalogue, applications."""

import pytest
from django_scopes import scopes_disabled

from essaim.volunteering.models import Application
from tests.api.conftest import ApiClient, assert_error_shape, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(presidente, association):
    return ApiClient(token_for(presidente, association))


def test_own_profile_round_trip(api):
    assert api.get("/api/v1/volunteer-profile").json()["postcode"] == ""
    response = api.client.put(
        "/api/v1/volunteer-profile",
        data='{"skills": ["cuisine"], "postcode": "69003", "radius_km": 12}',
        content_type="application/json",
        headers=api.headers,
    )
    assert response.status_code == 200, response.content
    assert response.json()["commune"] == "Lyon 3e Arrondissement"
    bad = api.client.put(
        "/api/v1/volunteer-profile",
        data='{"postcode": "99999"}',
        content_type="application/json",
        headers=api.headers,
    )
    body = assert_error_shape(bad, 422)
    assert body["errors"][0]["loc"] == ["body", "postcode"]


def test_missions_create_publish_and_catalogue(api):
    response = api.post(
        "/api/v1/missions",
        {"title": "Maraude", "description": "Le soir", "cause": "solidarite", "postcode": "75011"},
    )
    assert response.status_code == 201, response.content
    uuid = response.json()["uuid"]
    assert api.post(f"/api/v1/missions/{uuid}/publish").json()["status"] == "published"
    assert api.get("/api/v1/missions").json()["count"] == 1
    found = api.get("/api/v1/mission-catalogue", {"q": "maraude", "postcode": "75011"}).json()
    assert found["count"] == 1 and found["items"][0]["mission"]["uuid"] == uuid
    assert 0 <= found["items"][0]["score"] <= 100
    assert_error_shape(api.get("/api/v1/mission-catalogue", {"postcode": "99999"}), 422)
    assert_error_shape(
        api.post("/api/v1/missions", {"title": "x", "description": "y", "cause": "z"}), 422
    )


def test_applications_list_and_accept(api, make_mission, apply_to, volunteer):
    application = apply_to(make_mission(), volunteer)
    rows = api.get("/api/v1/volunteer-applications", {"status": "submitted"}).json()
    assert rows["count"] == 1 and rows["items"][0]["email"] == volunteer.email
    response = api.post(f"/api/v1/volunteer-applications/{application.uuid}/accept")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert_error_shape(api.post(f"/api/v1/volunteer-applications/{application.uuid}/review"), 422)
    with scopes_disabled():
        assert Application.objects.get().status == "accepted"


def test_token_without_the_capability_is_refused(tresorier, association):
    api = ApiClient(token_for(tresorier, association))
    assert_error_shape(api.get("/api/v1/missions"), 403)
    assert api.get("/api/v1/mission-catalogue").status_code == 200


def test_other_association_cannot_see_applications(
    outsider, other_association, make_mission, apply_to, volunteer
):
    application = apply_to(make_mission(), volunteer)
    api = ApiClient(token_for(outsider, other_association))
    assert_error_shape(api.get(f"/api/v1/volunteer-applications/{application.uuid}"), 404)
