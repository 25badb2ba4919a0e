"""Fixtures of the API tests: tokens made through the service, a client that sends them."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django_scopes import scopes_disabled

from essaim.api import services as api_services
from essaim.core.models import RoleAssignment


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache, which outlives a test: start each from zero."""
    cache.clear()
    yield
    cache.clear()


def token_for(user, association, capabilities=None, *, days=None, name="Intégration test"):
    """A clear token created by `user` with the service; by default every capability of
    their role in `association`."""
    with scopes_disabled():
        seat = RoleAssignment.objects.select_related("role").get(association=association, user=user)
    seat_capabilities = seat.role.capabilities
    wanted = seat_capabilities if capabilities is None else capabilities
    _api_token, clear = api_services.apitoken_create(
        association=association,
        acting_user=user,
        seat_capabilities=seat_capabilities,
        name=name,
        capabilities=sorted(wanted),
        days=days,
    )
    return clear


class ApiClient:
    """Django's test client speaking JSON with `Authorization: Bearer …`."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _send(self, method: str, path: str, data=None, **extra):
        kwargs = {"headers": {**self.headers, **extra.pop("headers", {})}, **extra}
        if data is not None:
            kwargs["data"] = data if isinstance(data, str | bytes) else json.dumps(data)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path: str, params=None, **extra):
        return self.client.get(path, params or {}, headers=self.headers, **extra)

    def post(self, path: str, data=None, **extra):
        return self._send("post", path, data, **extra)

    def patch(self, path: str, data=None, **extra):
        return self._send("patch", path, data, **extra)

    def delete(self, path: str, **extra):
        return self._send("delete", path, **extra)


@pytest.fixture
def api_for():
    """`api_for(token)` → an ApiClient sending that token."""
    return ApiClient


@pytest.fixture
def presidente_token(presidente, association):
    return token_for(presidente, association)


@pytest.fixture
def api(presidente_token):
    """Client of `association` with a token holding every capability."""
    return ApiClient(presidente_token)


def assert_error_shape(response, status: int) -> dict:
    """The one error format of the API: {"detail": str, "errors": [{"loc", "msg", "type"}]}."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    for item in body["errors"]:
        assert set(item) == {"loc", "msg", "type"}
        assert isinstance(item["loc"], list)
        assert isinstance(item["msg"], str)
        assert isinstance(item["type"], str)
    return body


def error_fields(response) -> set[str]:
    """The field names the 422 blames: the last string of each `loc`."""
    body = assert_error_shape(response, 422)
    return {next(p for p in reversed(e["loc"]) if not str(p).isdigit()) for e in body["errors"]}
