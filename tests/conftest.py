"""Personas and shared fixtures (DESIGN.md, Tests).

- presidente: president of `association` (every capability)
- tresorier: treasurer of `association`
- benevole: volunteer of `association` (no capability)
- citizen: an account in no association
- outsider: president of `other_association`; must get 404 on everything of `association`
"""

import logging

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled

from tests.factories import PersonFactory, UserFactory, make_association, seat


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: on SQLite a rolled-back test's ids come back in
    the next test, and a cached figure (members.cache, rate limits) must not follow them."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fail_on_error_logs(request, caplog):
    """An ERROR log (a 500, an exception in a task) fails the test that caused it."""
    caplog.set_level(logging.WARNING)
    yield
    if request.node.get_closest_marker("allow_error_logs"):
        return
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, "ERROR logged: " + "; ".join(r.getMessage() for r in errors)


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_error_logs: the test expects ERROR logs")


@pytest.fixture
def presidente(db):
    return UserFactory(email="presidente@example.org", first_name="Hélène", last_name="Martin")


@pytest.fixture
def association(presidente):
    return make_association(presidente, name="Les Amis du Quartier", rna="W751234567")


@pytest.fixture
def tresorier(association):
    user = UserFactory(email="tresorier@example.org", first_name="Karim", last_name="Benali")
    seat(association, user, "tresorerie")
    return user


@pytest.fixture
def secretaire(association):
    user = UserFactory(email="secretaire@example.org", first_name="Sophie", last_name="Lefèvre")
    seat(association, user, "secretariat")
    return user


@pytest.fixture
def benevole(association):
    user = UserFactory(email="benevole@example.org", first_name="Léo", last_name="Roux")
    seat(association, user, "benevole")
    return user


@pytest.fixture
def citizen(db):
    return UserFactory(email="citoyen@example.org", first_name="Marc", last_name="Petit")


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.org", first_name="Olga", last_name="Autre")


@pytest.fixture
def other_association(outsider):
    return make_association(outsider, name="Collectif Vélo Solidaire")


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    return login


@pytest.fixture
def person(association):
    with scope(association=association):
        return PersonFactory(association=association, first_name="Émilie", last_name="Le Goff")


@pytest.fixture
def other_person(other_association):
    with scope(association=other_association):
        return PersonFactory(association=other_association, first_name="Zoé", last_name="Ailleurs")


@pytest.fixture
def in_scope():
    """`with in_scope(association):` for tests that read tenant-owned models directly."""
    return lambda association: scope(association=association)


@pytest.fixture
def no_scope():
    return scopes_disabled


@pytest.fixture
def english_ui(settings, monkeypatch):
    """Pages in English: tests that read the interface's words check the source strings
    (tests/test_translations.py checks the French catalog). The accounts' own language
    (French by default) is not applied."""
    from django.utils import translation

    from essaim.accounts.middleware import UserLanguageMiddleware

    settings.LANGUAGE_CODE = "en"
    monkeypatch.setattr(
        UserLanguageMiddleware, "__call__", lambda self, request: self.get_response(request)
    )
    with translation.override("en"):
        yield
