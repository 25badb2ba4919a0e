"""API tokens: the services that create and revoke them, and the page that manages them."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from essaim.api import services
from essaim.api.models import TOKEN_PREFIX, ApiToken, hash_token
from essaim.core import services as core_services
from essaim.core.capabilities import CAPABILITY_NAMES, PRESETS
from essaim.core.models import AuditLog
from tests.api.conftest import ApiClient
from tests.factories import UserFactory, seat

TRESORERIE = PRESETS["tresorerie"][1]


def create(user, association, seat_capabilities, **overrides):
    kwargs = {
        "name": "Formulaire d'adhésion du site",
        "capabilities": ["can_view_members"],
        "days": 90,
        **overrides,
    }
    return services.apitoken_create(
        association=association,
        acting_user=user,
        seat_capabilities=seat_capabilities,
        **kwargs,
    )


def tokens_of(association):
    with scopes_disabled():
        return list(ApiToken.objects.filter(association=association))


def audit_actions(association):
    with scopes_disabled():
        return list(
            AuditLog.objects.filter(association=association).values_list("action", flat=True)
        )


# --- Service: apitoken_create -------------------------------------------------------------


def test_create_stores_only_the_hash_of_the_token(presidente, association):
    api_token, clear = create(
        presidente, association, CAPABILITY_NAMES, capabilities=["can_view_members"]
    )

    assert clear.startswith(TOKEN_PREFIX)
    assert len(clear) > len(TOKEN_PREFIX) + 40
    api_token.refresh_from_db()
    assert api_token.token_hash == hash_token(clear)
    assert clear not in (api_token.token_hash, api_token.prefix, api_token.name)
    assert clear.startswith(api_token.prefix)
    assert api_token.capabilities == ["can_view_members"]
    assert api_token.created_by == presidente
    assert api_token.association == association
    assert api_token.is_active
    assert "apitoken.create" in audit_actions(association)


def test_each_token_is_different(presidente, association):
    _a, first = create(presidente, association, CAPABILITY_NAMES)
    _b, second = create(presidente, association, CAPABILITY_NAMES)
    assert first != second


def test_create_cannot_exceed_the_creators_role(tresorier, association):
    with pytest.raises(ValidationError) as error:
        create(
            tresorier,
            association,
            TRESORERIE,
            capabilities=["can_view_members", "can_change_settings"],
        )

    assert "capabilities" in error.value.message_dict
    assert tokens_of(association) == []


def test_create_within_the_role_keeps_the_subset_sorted(tresorier, association):
    api_token, _clear = create(
        tresorier,
        association,
        TRESORERIE,
        capabilities=["can_manage_members", "can_view_members"],
    )
    assert api_token.capabilities == ["can_manage_members", "can_view_members"]


@pytest.mark.parametrize("capabilities", [[], ["can_fly"], ["can_view_members", "is_superuser"]])
def test_create_refuses_empty_or_unknown_capabilities(presidente, association, capabilities):
    with pytest.raises(ValidationError) as error:
        create(presidente, association, CAPABILITY_NAMES, capabilities=capabilities)
    assert "capabilities" in error.value.message_dict


@pytest.mark.parametrize("name", ["", "   ", "\t\n", None])
def test_create_requires_a_name(presidente, association, name):
    with pytest.raises(ValidationError) as error:
        create(presidente, association, CAPABILITY_NAMES, name=name)
    assert "name" in error.value.message_dict
    assert tokens_of(association) == []


def test_create_normalises_the_name(presidente, association):
    api_token, _clear = create(presidente, association, CAPABILITY_NAMES, name="  Site   web ")
    assert api_token.name == "Site web"


@pytest.mark.parametrize("days", [30, 90, 366])
def test_create_sets_the_expiry(presidente, association, days):
    before = timezone.now()
    api_token, _clear = create(presidente, association, CAPABILITY_NAMES, days=days)
    assert before + timedelta(days=days) <= api_token.expires_at
    assert api_token.expires_at <= timezone.now() + timedelta(days=days)


def test_create_without_days_never_expires(presidente, association):
    api_token, _clear = create(presidente, association, CAPABILITY_NAMES, days=None)
    assert api_token.expires_at is None
    assert api_token.is_active


@pytest.mark.parametrize("days", [0, -1, 367, 10**9])
def test_create_refuses_an_expiry_out_of_bounds(presidente, association, days):
    with pytest.raises(ValidationError) as error:
        create(presidente, association, CAPABILITY_NAMES, days=days)
    assert "days" in error.value.message_dict


def test_an_expired_token_is_inactive(presidente, association):
    api_token, _clear = create(presidente, association, CAPABILITY_NAMES, days=1)
    api_token.expires_at = timezone.now() - timedelta(seconds=1)
    assert not api_token.is_active


# --- Service: apitoken_revoke -------------------------------------------------------------


def test_revoke_deactivates_the_token_once(presidente, association):
    api_token, _clear = create(presidente, association, CAPABILITY_NAMES)

    services.apitoken_revoke(association=association, acting_user=presidente, token=api_token)
    api_token.refresh_from_db()
    revoked_at = api_token.revoked_at
    services.apitoken_revoke(association=association, acting_user=presidente, token=api_token)
    api_token.refresh_from_db()

    assert revoked_at is not None
    assert api_token.revoked_at == revoked_at
    assert not api_token.is_active
    assert audit_actions(association).count("apitoken.revoke") == 1


def test_a_revoked_token_no_longer_authenticates(presidente, association):
    api_token, clear = create(presidente, association, CAPABILITY_NAMES)
    client = ApiClient(clear)
    assert client.get("/api/v1/association").status_code == 200

    services.apitoken_revoke(association=association, acting_user=presidente, token=api_token)

    assert client.get("/api/v1/association").status_code == 401


# --- The page /a/<slug>/api-tokens/ -------------------------------------------------------


def list_url(association):
    return reverse("api_tokens:list", kwargs={"association_slug": association.slug})


def revoke_url(association, api_token):
    return reverse(
        "api_tokens:revoke",
        kwargs={"association_slug": association.slug, "token_uuid": api_token.uuid},
    )


def test_page_lists_the_tokens_without_their_secret(client_for, presidente, association):
    api_token, clear = create(presidente, association, CAPABILITY_NAMES, name="Tableur compta")

    response = client_for(presidente).get(list_url(association))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Tableur compta" in content
    assert api_token.prefix in content
    assert clear not in content
    assert 'id="new-token"' not in content


def test_page_creates_a_token_and_shows_it_once(client_for, presidente, association):
    client = client_for(presidente)

    response = client.post(
        list_url(association),
        {"name": "Site web", "capabilities": ["can_view_members"], "days": "30"},
    )

    assert response.status_code == 200
    content = response.content.decode()
    shown = re.search(r'id="new-token">([^<]+)<', content)
    assert shown, content
    clear = shown.group(1)
    (api_token,) = tokens_of(association)
    assert api_token.token_hash == hash_token(clear)
    assert api_token.name == "Site web"
    assert api_token.capabilities == ["can_view_members"]
    assert api_token.expires_at is not None
    # The token works, then is never shown again.
    assert ApiClient(clear).get("/api/v1/association").status_code == 200
    again = client.get(list_url(association)).content.decode()
    assert clear not in again
    assert "Site web" in again


def test_page_create_until_revoked(client_for, presidente, association):
    client_for(presidente).post(
        list_url(association),
        {"name": "Script", "capabilities": ["can_view_members"], "days": ""},
    )
    (api_token,) = tokens_of(association)
    assert api_token.expires_at is None


def test_page_create_shows_errors_and_creates_nothing(client_for, presidente, association):
    response = client_for(presidente).post(
        list_url(association), {"name": "", "capabilities": [], "days": "30"}
    )

    assert response.status_code == 200
    assert 'id="new-token"' not in response.content.decode()
    assert response.context["form"].errors.keys() >= {"name", "capabilities"}
    assert tokens_of(association) == []


def test_page_offers_only_the_capabilities_of_the_role(client_for, presidente, association):
    """An administrator without finance rights can neither see nor forge that capability."""
    with scopes_disabled():
        role = core_services.role_create(
            association=association,
            acting_user=presidente,
            name="Webmestre",
            capabilities={"can_change_settings", "can_view_members"},
        )
    webmaster = UserFactory()
    with scopes_disabled():
        assignment = seat(association, webmaster, "benevole")
        assignment.role = role
        assignment.save()
    client = client_for(webmaster)

    page = client.get(list_url(association))
    offered = {value for value, _label in page.context["form"].fields["capabilities"].choices}
    forged = client.post(
        list_url(association),
        {"name": "Pirate", "capabilities": ["can_manage_finances"], "days": "30"},
    )

    assert offered == {"can_change_settings", "can_view_members"}
    assert "capabilities" in forged.context["form"].errors
    assert tokens_of(association) == []


def test_page_revokes_a_token(client_for, presidente, association):
    api_token, clear = create(presidente, association, CAPABILITY_NAMES)

    response = client_for(presidente).post(revoke_url(association, api_token))

    assert response.status_code == 302
    assert response["Location"] == list_url(association)
    api_token.refresh_from_db()
    assert api_token.revoked_at is not None
    assert ApiClient(clear).get("/api/v1/association").status_code == 401
    assert "apitoken.revoke" in audit_actions(association)


def test_page_revoke_needs_post(client_for, presidente, association):
    api_token, _clear = create(presidente, association, CAPABILITY_NAMES)
    assert client_for(presidente).get(revoke_url(association, api_token)).status_code == 405
    api_token.refresh_from_db()
    assert api_token.revoked_at is None


@pytest.mark.parametrize("persona", ["tresorier", "benevole"])
def test_page_is_forbidden_without_can_change_settings(
    request, client_for, presidente, association, persona
):
    api_token, _clear = create(presidente, association, CAPABILITY_NAMES)
    client = client_for(request.getfixturevalue(persona))

    assert client.get(list_url(association)).status_code == 403
    created = client.post(
        list_url(association),
        {"name": "Moi", "capabilities": ["can_view_members"], "days": "30"},
    )
    assert created.status_code == 403
    assert client.post(revoke_url(association, api_token)).status_code == 403
    api_token.refresh_from_db()
    assert api_token.revoked_at is None
    assert len(tokens_of(association)) == 1


def test_page_is_not_found_for_an_outsider(client_for, presidente, association, outsider):
    api_token, _clear = create(presidente, association, CAPABILITY_NAMES)
    client = client_for(outsider)

    assert client.get(list_url(association)).status_code == 404
    assert client.post(revoke_url(association, api_token)).status_code == 404
    api_token.refresh_from_db()
    assert api_token.revoked_at is None


def test_page_is_not_found_for_a_citizen(client_for, citizen, association):
    assert client_for(citizen).get(list_url(association)).status_code == 404


def test_outsider_cannot_revoke_through_their_own_association(
    client_for, presidente, association, outsider, other_association
):
    """The token's uuid under the outsider's own address: still another association's."""
    api_token, _clear = create(presidente, association, CAPABILITY_NAMES)

    response = client_for(outsider).post(revoke_url(other_association, api_token))

    assert response.status_code == 404
    api_token.refresh_from_db()
    assert api_token.revoked_at is None


def test_page_lists_only_the_tokens_of_the_association(
    client_for, presidente, association, outsider, other_association
):
    create(outsider, other_association, CAPABILITY_NAMES, name="Jeton du collectif vélo")
    create(presidente, association, CAPABILITY_NAMES, name="Jeton du quartier")

    content = client_for(presidente).get(list_url(association)).content.decode()

    assert "Jeton du quartier" in content
    assert "Jeton du collectif vélo" not in content


def test_page_redirects_anonymous_visitors_to_login(client, association):
    response = client.get(list_url(association))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
