"""The demo: Les Amis du Quartier prepare their next AG, with an agenda and their rules."""

import io

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from essaim.core.models import Association
from essaim.governance.models import Assembly, Body, StatutesRules

pytestmark = pytest.mark.django_db


def test_demo_has_an_upcoming_general_meeting():
    call_command("load_demo", stdout=io.StringIO())
    with scopes_disabled():
        quartier = Association.objects.get(slug="amis-du-quartier")
        assembly = Assembly.objects.get(association=quartier)
        assert assembly.status == Assembly.Status.DRAFT
        assert assembly.items.filter(is_resolution=True).count() == 3
        assert StatutesRules.objects.get(association=quartier).proxy_cap == 2
        bureau = Body.objects.get(association=quartier, kind=Body.Kind.BUREAU)
        assert bureau.seats.filter(role="president").count() == 1
