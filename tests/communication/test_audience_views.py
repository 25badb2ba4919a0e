"""Audience screens: list with live counts, the builder without JavaScript, the htmx count,
preview, export, duplicate, delete; capabilities and the outsider."""

import csv
import io
import json

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from essaim.communication import audiences
from essaim.communication.models import Audience
from essaim.core.models import AuditLog
from essaim.people.models import Tag
from tests.factories import PersonFactory, UserFactory, seat

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def url(association, name, audience=None):
    kwargs = {"association_slug": association.slug}
    if audience is not None:
        kwargs["audience_uuid"] = audience.uuid
    return reverse(f"communication:{name}", kwargs=kwargs)


@pytest.fixture
def tagged(association):
    with scope(association=association):
        tag = Tag.objects.create(association=association, name="voisins")
        people = [PersonFactory(association=association, last_name=f"Voisin{i}") for i in range(3)]
        for p in people:
            p.tags.add(tag)
        PersonFactory(association=association, last_name="Autre")
    return tag, people


@pytest.fixture
def audience(association, presidente, tagged):
    tag, _people = tagged
    with scope(association=association):
        return audiences.audience_create(
            association=association,
            acting_user=presidente,
            name="Voisins",
            definition={
                "version": 1,
                "include": [{"criterion": "people.tags", "params": {"tags": [str(tag.pk)]}}],
            },
        )


def test_list_shows_live_counts(client_for, presidente, association, audience):
    response = client_for(presidente).get(url(association, "audiences"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Voisins" in page and "<strong>3</strong>" in page and "Tagged" in page


def test_empty_list(client_for, presidente, association):
    response = client_for(presidente).get(url(association, "audiences"))
    assert "No audience yet" in response.content.decode()


def test_builder_without_javascript(client_for, presidente, association, tagged):
    tag, _people = tagged
    client = client_for(presidente)
    page = client.get(url(association, "audience_create"))
    assert page.status_code == 200
    definition = json.dumps({"version": 1, "include": [], "exclude": []})
    # Choose a criterion: its parameters appear.
    response = client.post(
        url(association, "audience_create"),
        {"definition": definition, "criterion": "people.tags", "action": "choose", "name": ""},
    )
    assert response.status_code == 200
    assert 'name="p-tags"' in response.content.decode()
    # A wrong parameter: the error is shown, nothing added.
    response = client.post(
        url(association, "audience_create"),
        {
            "definition": definition,
            "criterion": "people.tags",
            "action": "add",
            "p-mode": "include",
            "p-tags": ["99999"],
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert response.context["count"] == 5  # 4 persons + the présidente's contact
    # Add it.
    response = client.post(
        url(association, "audience_create"),
        {
            "definition": definition,
            "criterion": "people.tags",
            "action": "add",
            "p-mode": "include",
            "p-tags": [str(tag.pk)],
        },
    )
    assert response.context["count"] == 3
    definition = response.context["definition_json"]
    # Exclude those without e-mail (none here), then remove that rule again.
    response = client.post(
        url(association, "audience_create"),
        {
            "definition": definition,
            "criterion": "people.postcode",
            "action": "add",
            "p-mode": "exclude",
            "p-prefixes": "75",
        },
    )
    assert response.context["count"] == 0
    response = client.post(
        url(association, "audience_create"),
        {"definition": response.context["definition_json"], "action": "remove:exclude:0"},
    )
    assert response.context["count"] == 3
    # Save without a name: the error, nothing saved.
    definition = response.context["definition_json"]
    response = client.post(
        url(association, "audience_create"),
        {"definition": definition, "action": "save", "name": ""},
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    with scopes_disabled():
        assert not Audience.objects.exists()
    response = client.post(
        url(association, "audience_create"),
        {"definition": definition, "action": "save", "name": "Voisins"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        audience = Audience.objects.get()
        assert audience.definition["include"][0]["criterion"] == "people.tags"
        assert AuditLog.objects.filter(action="audience.create").exists()
    detail = client.get(response["Location"])
    assert "Voisins" in detail.content.decode()


def test_builder_survives_garbage(client_for, presidente, association):
    response = client_for(presidente).post(
        url(association, "audience_create"),
        {"definition": "{not json", "criterion": "nope", "action": "remove:x:y"},
    )
    assert response.status_code == 200
    response = client_for(presidente).post(
        url(association, "audience_create"),
        {
            "definition": json.dumps({"include": [{"criterion": "nope", "params": {}}]}),
            "action": "save",
            "name": "X",
        },
    )
    assert response.status_code == 200
    assert "Unknown criterion" in response.content.decode()


def test_count_endpoint(client_for, presidente, association, tagged):
    tag, _people = tagged
    response = client_for(presidente).post(
        url(association, "audience_count"),
        {
            "definition": json.dumps({"version": 1, "include": [], "exclude": []}),
            "criterion": "people.tags",
            "p-mode": "include",
            "p-tags": [str(tag.pk)],
        },
    )
    assert response.status_code == 200
    assert response.context["count"] == 5 and response.context["pending"] == 3


def test_deleted_tag_gives_a_clear_message(client_for, presidente, association, audience, tagged):
    tag, _people = tagged
    with scope(association=association):
        tag.delete()
        assert audiences.audience_count(audience) == 0
    response = client_for(presidente).get(url(association, "audience_detail", audience))
    assert response.status_code == 200
    assert "no longer work" in response.content.decode()
    response = client_for(presidente).get(url(association, "audience_edit", audience))
    assert response.status_code == 200 and "(deleted)" in response.content.decode()


def test_preview_and_export(client_for, presidente, association, audience):
    client = client_for(presidente)
    response = client.get(url(association, "audience_preview", audience))
    assert response.status_code == 200
    assert "Voisin0" in response.content.decode() and "Autre" not in response.content.decode()
    response = client.get(url(association, "audience_export", audience) + "?format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 4  # header + 3
    with scopes_disabled():
        log = AuditLog.objects.get(action="audience.export")
        assert log.data["count"] == 3
    response = client.get(url(association, "audience_export", audience) + "?format=xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_duplicate_and_delete(client_for, presidente, association, audience):
    client = client_for(presidente)
    response = client.post(url(association, "audience_duplicate", audience))
    assert response.status_code == 302
    with scopes_disabled():
        copy = Audience.objects.exclude(pk=audience.pk).get()
    assert copy.name == "Voisins (copy)" and copy.definition == audience.definition
    assert client.get(url(association, "audience_delete", copy)).status_code == 200
    response = client.post(url(association, "audience_delete", copy))
    assert response.status_code == 302
    with scopes_disabled():
        assert list(Audience.objects.all()) == [audience]
        assert AuditLog.objects.filter(action="audience.delete").exists()


def test_capabilities(client_for, association, audience):
    from essaim.core.models import Role, RoleAssignment

    volunteer = UserFactory(email="benevole2@example.org")
    seat(association, volunteer, "benevole")
    assert client_for(volunteer).get(url(association, "audiences")).status_code == 403
    # Communication only: builds and counts audiences, sees no names.
    communicant = UserFactory(email="comm@example.org")
    with scopes_disabled():
        role = Role.objects.create(
            association=association, name="Communication", can_send_mailings=True
        )
        RoleAssignment.objects.create(association=association, user=communicant, role=role)
    client = client_for(communicant)
    assert client.get(url(association, "audiences")).status_code == 200
    detail = client.get(url(association, "audience_detail", audience))
    assert detail.status_code == 200 and "Download" not in detail.content.decode()
    assert client.get(url(association, "audience_preview", audience)).status_code == 403
    assert client.get(url(association, "audience_export", audience)).status_code == 403
    with scopes_disabled():
        assert not AuditLog.objects.filter(action="audience.export").exists()
    secretary = UserFactory(email="sec@example.org")
    seat(association, secretary, "secretariat")
    assert (
        client_for(secretary).get(url(association, "audience_preview", audience)).status_code == 200
    )


def test_outsider_gets_404(client_for, outsider, other_association, association, audience):
    client = client_for(outsider)
    for name in ("audience_detail", "audience_edit", "audience_preview", "audience_export"):
        assert client.get(url(association, name, audience)).status_code in (403, 404)
        # Under their own association's address, another association's audience is a 404.
        assert client.get(url(other_association, name, audience)).status_code == 404
    assert client.post(url(other_association, "audience_delete", audience)).status_code == 404
    assert client.post(url(other_association, "audience_duplicate", audience)).status_code == 404
