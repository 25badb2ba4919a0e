"""API of governance: assemblies, proxies, check-in."""

import pytest
from django_scopes import scope

from essaim.governance.models import Proxy
from tests.api.conftest import ApiClient, assert_error_shape, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def convened(make_members, make_assembly, convene, rules):
    members = make_members(4)
    assembly = make_assembly()
    convene(assembly)
    return assembly, members


@pytest.fixture
def api(presidente, association):
    return ApiClient(token_for(presidente, association))


def test_assemblies_list_and_detail(api, convened):
    assembly, _members = convened
    body = api.get("/api/v1/assemblies").json()
    assert body["count"] == 1 and body["items"][0]["uuid"] == str(assembly.uuid)
    detail = api.get(f"/api/v1/assemblies/{assembly.uuid}").json()
    assert detail["items"][0]["title"] == "Rapport moral"
    assert detail["quorum"] == {
        "rule": "1/4",
        "voters": 4,
        "present": 0,
        "represented": 0,
        "required": 1,
        "reached": False,
        "weighted": False,
    }
    assert detail["notice_met"] is True


def test_proxies_and_check_in(api, association, convened):
    assembly, m = convened
    base = f"/api/v1/assemblies/{assembly.uuid}"
    created = api.post(f"{base}/proxies", {"giver": str(m[1].uuid), "holder": str(m[0].uuid)})
    assert created.status_code == 201, created.content
    proxy = created.json()
    assert proxy["holder"] == str(m[0].uuid)
    api.post(f"{base}/proxies", {"giver": str(m[2].uuid), "holder": str(m[0].uuid)})
    refused = api.post(f"{base}/proxies", {"giver": str(m[3].uuid), "holder": str(m[0].uuid)})
    body = assert_error_shape(refused, 422)
    assert body["errors"][0]["loc"] == ["body", "holder"]
    assert len(api.get(f"{base}/proxies").json()) == 2
    revoked = api.post(f"{base}/proxies/{proxy['uuid']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    checked = api.post(f"{base}/check-ins", {"person": str(m[3].uuid)})
    assert checked.status_code == 201
    assert checked.json()["quorum"]["present"] == 1
    assert checked.json()["quorum"]["represented"] == 1
    with scope(association=association):
        assert Proxy.objects.filter(revoked_at__isnull=True).count() == 1


def test_bad_input(api, convened, person):
    assembly, m = convened
    base = f"/api/v1/assemblies/{assembly.uuid}"
    assert_error_shape(api.post(f"{base}/check-ins", {"person": "nope"}), 422)
    assert_error_shape(api.post(f"{base}/check-ins", {"person": str(person.uuid)}), 422)
    assert_error_shape(
        api.post(f"{base}/proxies", {"giver": str(m[0].uuid), "holder": str(m[0].uuid)}), 422
    )
    assert_error_shape(api.get("/api/v1/assemblies/00000000-0000-0000-0000-000000000000"), 404)


def test_token_without_the_capability(tresorier, association, convened):
    client = ApiClient(token_for(tresorier, association))
    assert_error_shape(client.get("/api/v1/assemblies"), 403)


def test_other_association_sees_nothing(outsider, other_association, convened):
    assembly, _m = convened
    client = ApiClient(token_for(outsider, other_association))
    assert client.get("/api/v1/assemblies").json()["count"] == 0
    assert_error_shape(client.get(f"/api/v1/assemblies/{assembly.uuid}"), 404)
