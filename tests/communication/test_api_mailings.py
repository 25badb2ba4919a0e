"""API of mailings: list, create (422 on bad input), schedule, stats; lists; outsiders."""

import pytest
from django.core import mail
from django_scopes import scope

from essaim.communication import lists
from tests.api.conftest import ApiClient, token_for
from tests.communication.mailing_helpers import consenting, draft, newsletter

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

BASE = "/api/v1/mailings"


@pytest.fixture
def api(presidente, association):
    return ApiClient(token_for(presidente, association))


def test_create_schedule_stats(api, association, presidente, django_capture_on_commit_callbacks):
    with scope(association=association):
        consenting(association, 2)
    response = api.post(
        BASE,
        {
            "subject": "Bonjour {{ first_name }}",
            "body": "Texte [lien](https://example.org/)",
            "topic": "newsletter",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["recipients"] == 2
    uuid = body["uuid"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{BASE}/{uuid}/schedule", {})
    assert response.status_code == 200 and response.json()["status"] == "scheduled"
    assert api.get(f"{BASE}/{uuid}").json()["status"] == "sent"  # the task ran after commit
    assert len(mail.outbox) == 2
    stats = api.get(f"{BASE}/{uuid}/stats").json()
    assert stats["sent"] == 2 and stats["recipients"] == 2 and stats["opened"] is None
    assert stats["links"] == [{"url": "https://example.org/", "clicks": 0, "people": 0}]
    listing = api.get(BASE).json()
    assert listing["count"] == 1 and listing["items"][0]["uuid"] == uuid


def test_bad_input_is_422(api, association, presidente):
    response = api.post(BASE, {"subject": "", "body": "Hi {{ nope }}", "topic": "newsletter"})
    assert response.status_code == 422
    fields = {e["loc"][-1] for e in response.json()["errors"]}
    assert {"subject", "body"} <= fields
    assert api.post(BASE, {"subject": "x", "body": "y", "topic": "spam"}).status_code == 422
    assert api.post(BASE, {"subject": "x", "body": "y"}).status_code == 422  # no list, no consent
    with scope(association=association):
        mailing = draft(association, presidente)
    response = api.post(f"{BASE}/{mailing.uuid}/schedule", {})
    assert response.status_code == 422 and "Nobody" in response.json()["errors"][0]["msg"]


def test_lists_and_foreign_objects(api, association, presidente, other_association, outsider):
    with scope(association=association):
        the_list = newsletter(association, presidente)
        person = consenting(association, 1)[0]
        lists.subscription_set(
            association=association,
            acting_user=None,
            person=person,
            newsletter=the_list,
            subscribed=True,
        )
        mailing = draft(association, presidente)
    rows = api.get("/api/v1/newsletter-lists").json()
    assert rows == [
        {
            "uuid": str(the_list.uuid),
            "name": "La lettre",
            "description": "Chaque mois.",
            "is_public": True,
            "subscribers": 1,
        }
    ]
    other = ApiClient(token_for(outsider, other_association))
    assert other.get(f"{BASE}/{mailing.uuid}").status_code == 404
    assert other.get(f"{BASE}/{mailing.uuid}/stats").status_code == 404
    assert other.post(f"{BASE}/{mailing.uuid}/schedule", {}).status_code == 404
    response = other.post(BASE, {"subject": "x", "body": "y", "newsletter": str(the_list.uuid)})
    assert response.status_code == 404
    assert other.get(BASE).json()["count"] == 0


def test_token_without_capability_is_403(association, presidente):
    api = ApiClient(token_for(presidente, association, capabilities=["can_view_members"]))
    assert api.get(BASE).status_code == 403
