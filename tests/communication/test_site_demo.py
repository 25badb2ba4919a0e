"""The demo: Les Amis du Quartier have two audiences and a published page with three news."""

import io

import pytest
from django.core.management import call_command
from django_scopes import scope, scopes_disabled

from essaim.communication import audiences, site
from essaim.communication.models import Audience

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def test_demo_audiences_and_public_page(client):
    call_command("load_demo", stdout=io.StringIO())
    with scopes_disabled():
        quartier = Audience.objects.first().association
    with scope(association=quartier):
        found = list(audiences.audiences_of(quartier))
        assert len(found) == 2
        for audience in found:
            assert audiences.definition_problems(audience) == []
        assert audiences.audience_count(found[0]) > 0
        assert site.public_page_of(quartier).published
        assert site.published_news(quartier).count() == 3
    page = client.get(f"/o/{quartier.slug}/")
    assert page.status_code == 200
    assert "Retour sur la fête des voisins" in page.content.decode()
