import pytest
from django_scopes import scope

from essaim.mobilisation import services
from essaim.mobilisation.models import Signature
from tests.api.conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db

BODY = {
    "first_name": "Jeanne",
    "last_name": "Durand",
    "email": "jeanne@example.org",
    "postcode": "33000",
    "updates": True,
    "source": "site",
    "ip": "198.51.100.4",
}


def test_sign_and_count(association, presidente, petition):
    api = ApiClient(token_for(presidente, association))
    base = f"/api/v1/petitions/{petition.uuid}"
    assert api.post(f"{base}/signatures", BODY).status_code == 202
    # The same answer for a second time: nothing reveals that the address signed.
    assert api.post(f"{base}/signatures", BODY).status_code == 202
    assert api.get(f"{base}/count").json()["count"] == 0
    with scope(association=association):
        signature = Signature.objects.get()
        assert signature.source == "site" and signature.updates
        services.signature_confirm(signature=signature)
    assert api.get(f"{base}/count").json()["count"] in (0, 1)  # cached a few seconds
    from django.core.cache import cache

    cache.clear()
    assert api.get(f"{base}/count").json()["count"] == 1
    listed = api.get("/api/v1/petitions").json()
    assert listed[0]["uuid"] == str(petition.uuid) and listed[0]["count"] == 1


def test_bad_input_is_422(association, presidente, petition):
    api = ApiClient(token_for(presidente, association))
    url = f"/api/v1/petitions/{petition.uuid}/signatures"
    response = api.post(url, {**BODY, "email": "x@yopmail.com"})
    assert response.status_code == 422
    assert api.post(url, {**BODY, "first_name": "a\x00"}).status_code == 422
    assert api.post(url, {"email": "x"}).status_code == 422


def test_rate_limit_429(association, presidente, petition, settings):
    settings.ESSAIM_PETITION_RATE_LIMIT_IP = (1, 3600)
    api = ApiClient(token_for(presidente, association))
    url = f"/api/v1/petitions/{petition.uuid}/signatures"
    assert api.post(url, BODY).status_code == 202
    assert api.post(url, {**BODY, "email": "b@example.org"}).status_code == 429


def test_capability_and_tenant(association, presidente, petition, outsider, other_association):
    no_cap = ApiClient(token_for(presidente, association, ["can_view_members"]))
    assert no_cap.get(f"/api/v1/petitions/{petition.uuid}/count").status_code == 403
    other = ApiClient(token_for(outsider, other_association))
    assert other.get(f"/api/v1/petitions/{petition.uuid}/count").status_code == 404
    assert other.post(f"/api/v1/petitions/{petition.uuid}/signatures", BODY).status_code == 404
