"""Privacy of volunteering: export of the profile and applications, retention of closed ones."""

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.privacy import registry
from essaim.volunteering import services
from essaim.volunteering.models import Application, ApplicationMessage

pytestmark = pytest.mark.django_db


def _entry(key):
    return next(e for e in registry.entries() if e.key == key)


def test_profile_and_applications_are_exported(
    volunteer, make_mission, apply_to, association, presidente
):
    application = apply_to(make_mission(questions=["Pourquoi ?"]), volunteer, answers=["Envie"])
    with scope(association=association):
        services.message_post(
            application=application, author=presidente, body="Bienvenue", from_team=True
        )
    profile = _entry("volunteer_profile").export_user(volunteer)
    assert profile[0]["postcode"] == "75011" and profile[0]["skills"] == ["aide-devoirs", "ecoute"]
    rows = _entry("volunteer_applications").export_user(volunteer)
    assert rows[0]["answers"][0]["answer"] == "Envie"
    assert rows[0]["messages"][0]["body"] == "Bienvenue"
    missions = _entry("volunteer_missions").export_user(presidente)
    assert missions[0]["mission"] == "Aide aux devoirs"


def test_closed_applications_are_anonymised_after_two_years(
    volunteer, make_mission, apply_to, association
):
    open_one = apply_to(make_mission(title="Ouverte"), volunteer)
    closed = apply_to(make_mission(title="Retirée"), volunteer)
    with scope(association=association):
        services.message_post(
            application=closed, author=volunteer, body="Je me retire", from_team=False
        )
        services.application_withdraw(user=volunteer, application=closed)
    old = timezone.now() - dt.timedelta(days=800)
    with scopes_disabled():
        Application.objects.update(updated_at=old)
    touched = _entry("volunteer_applications").apply_retention(timezone.now())
    assert touched == 1
    with scopes_disabled():
        closed.refresh_from_db()
        open_one.refresh_from_db()
        assert closed.user is None and closed.email == "" and closed.shared_profile == {}
        assert closed.status == "withdrawn"
        assert not ApplicationMessage.objects.filter(application=closed).exists()
        assert open_one.user == volunteer
    assert _entry("volunteer_applications").apply_retention(timezone.now()) == 0


def test_deleting_the_account_deletes_the_profile(volunteer, make_mission, apply_to):
    application = apply_to(make_mission(), volunteer)
    volunteer.delete()
    with scopes_disabled():
        application.refresh_from_db()
    assert application.user is None
