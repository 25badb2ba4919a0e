"""Every page of the shell renders for the roles that may see it (no 500, no template error)."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "name",
    [
        "core:dashboard",
        "core:settings",
        "core:team",
        "core:roles",
        "core:role_create",
        "core:audit",
        "core:privacy_register",
        "people:list",
        "people:create",
        "people:duplicates",
        "api_tokens:list",
    ],
)
def test_association_pages_render_for_presidente(client_for, presidente, association, person, name):
    response = client_for(presidente).get(
        reverse(name, kwargs={"association_slug": association.slug})
    )
    assert response.status_code == 200


def test_person_pages_render(client_for, presidente, association, person):
    client = client_for(presidente)
    kwargs = {"association_slug": association.slug, "person_uuid": person.uuid}
    for name in ("people:detail", "people:edit", "people:consent_add", "people:erase"):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200


def test_global_pages_render(client, client_for, citizen):
    assert client.get("/").status_code == 200
    assert client.get(reverse("account_login")).status_code == 200
    assert client.get(reverse("account_signup")).status_code == 200
    assert client.get(reverse("account_reset_password")).status_code == 200
    logged = client_for(citizen)
    for name in (
        "home",
        "accounts:account",
        "accounts:delete",
        "core:association_create",
        "mfa_index",
    ):
        assert logged.get(reverse(name)).status_code == 200, name
