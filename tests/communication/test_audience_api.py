"""API of audiences: criteria, list, create (validation as 422), count, persons (paginated,
`can_view_members`), the outsider's token."""

import pytest
from django_scopes import scope

from essaim.communication import audiences
from essaim.people.models import Tag
from tests.api.conftest import ApiClient, token_for
from tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

BASE = "/api/v1/audiences"


@pytest.fixture
def api(presidente, association):
    return ApiClient(token_for(presidente, association))


@pytest.fixture
def tag(association):
    with scope(association=association):
        tag = Tag.objects.create(association=association, name="voisins")
        for i in range(60):
            PersonFactory(association=association, last_name=f"Voisin{i:02}").tags.add(tag)
        PersonFactory(association=association, last_name="Autre")
    return tag


def definition(tag):
    return {
        "version": 1,
        "include": [{"criterion": "people.tags", "params": {"tags": [str(tag.pk)]}}],
    }


def test_criteria(api):
    response = api.get(f"{BASE}/criteria")
    assert response.status_code == 200
    keys = {c["key"] for c in response.json()}
    assert {"people.tags", "members.status", "fundraising.total", "mobilisation.signed"} <= keys


def test_create_count_persons(api, tag):
    response = api.post(BASE, {"name": "Voisins", "definition": definition(tag)})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["count"] == 60 and created["problems"] == []
    uuid = created["uuid"]
    assert api.get(f"{BASE}/{uuid}/count").json()["count"] == 60
    assert [a["name"] for a in api.get(BASE).json()] == ["Voisins"]
    page1 = api.get(f"{BASE}/{uuid}/persons").json()
    assert page1["count"] == 60 and len(page1["items"]) == 50
    page2 = api.get(f"{BASE}/{uuid}/persons", {"page": 2}).json()
    names = {p["last_name"] for p in page1["items"] + page2["items"]}
    assert len(names) == 60 and "Autre" not in names
    assert set(page1["items"][0]) == {"uuid", "first_name", "last_name", "email"}


def test_bad_definitions_are_422(api, tag):
    for bad in (
        {"include": [{"criterion": "nope", "params": {}}]},
        {"include": [{"criterion": "fundraising.total", "params": {"amount": "a lot"}}]},
        {"include": [{"criterion": "people.tags", "params": {"tags": ["999999"]}}]},
        {"include": "people.tags"},
        {"version": 2},
    ):
        response = api.post(BASE, {"name": "X", "definition": bad})
        assert response.status_code == 422, (bad, response.content)
        assert response.json()["errors"]
    assert api.post(BASE, {"name": "", "definition": {}}).status_code == 422
    assert api.post(BASE, {"name": "A", "definition": []}).status_code == 422
    api.post(BASE, {"name": "Twice", "definition": {}})
    response = api.post(BASE, {"name": "twice", "definition": {}})
    assert response.status_code == 422 and "already" in response.content.decode()


def test_persons_need_can_view_members(presidente, association, tag):
    with scope(association=association):
        audience = audiences.audience_create(
            association=association, acting_user=presidente, name="V", definition=definition(tag)
        )
    api = ApiClient(token_for(presidente, association, ["can_send_mailings"]))
    assert api.get(f"{BASE}/{audience.uuid}/count").status_code == 200
    assert api.get(f"{BASE}/{audience.uuid}/persons").status_code == 403
    members_only = ApiClient(token_for(presidente, association, ["can_view_members"], name="m"))
    assert members_only.get(f"{BASE}/{audience.uuid}/count").status_code == 403


def test_outsider_token(outsider, other_association, presidente, association, tag):
    with scope(association=association):
        audience = audiences.audience_create(
            association=association, acting_user=presidente, name="V", definition=definition(tag)
        )
    api = ApiClient(token_for(outsider, other_association))
    for path in ("", "/count", "/persons"):
        assert api.get(f"{BASE}/{audience.uuid}{path}").status_code == 404
    assert api.get(BASE).json() == []
    # A tag of another association in a definition: refused.
    response = api.post(BASE, {"name": "Theirs", "definition": definition(tag)})
    assert response.status_code == 422
