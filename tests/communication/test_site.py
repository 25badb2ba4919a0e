"""The public page /o/<association>/: published or 404, the team's preview, the blocks of the
other apps, join/donate buttons, OpenGraph and canonical tags, cache headers, query count;
the team's page settings screen."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.communication import site
from essaim.communication.models import PublicPage
from essaim.core.models import AuditLog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def page_url(association):
    return reverse("communication_public:site", kwargs={"slug": association.slug})


@pytest.fixture
def published(association, presidente):
    with scope(association=association):
        return site.public_page_update(
            association=association,
            acting_user=presidente,
            presentation="Nous **animons** le quartier.\n\n- fêtes\n- jardin",
            published=True,
            show_email=True,
            facebook_url="https://facebook.com/amis",
        )


@pytest.fixture
def news(association, presidente, published):
    with scope(association=association):
        return [
            site.news_create(
                association=association,
                acting_user=presidente,
                title=f"Nouvelle {i}",
                body=f"Texte {i}",
                summary=f"Résumé {i}",
                publish=True,
            )
            for i in range(4)
        ]


def test_unpublished_page_is_404_but_previewed_by_the_team(
    client, client_for, association, presidente, benevole
):
    assert client.get(page_url(association)).status_code == 404
    assert client_for(benevole).get(page_url(association)).status_code == 404
    response = client_for(presidente).get(page_url(association))
    assert response.status_code == 200
    assert "Preview" in response.content.decode()
    assert '<meta name="robots" content="noindex">' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_unknown_association_is_404(client):
    assert client.get("/o/nobody-here/").status_code == 404


def test_published_page(client, association, published, news, settings):
    association.email = "contact@amis.example"
    association.objet = "Animer le quartier"
    association.save()
    response = client.get(page_url(association))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>animons</strong>" in page and "<li>fêtes</li>" in page
    assert "Nouvelle 3" in page and "Nouvelle 0" not in page  # the 3 latest
    assert "contact@amis.example" in page
    assert 'href="https://facebook.com/amis"' in page
    canonical = settings.ESSAIM_BASE_URL + page_url(association)
    assert f'<link rel="canonical" href="{canonical}">' in page
    assert '<meta property="og:title" content="Les Amis du Quartier">' in page
    assert 'name="twitter:card"' in page
    assert 'type="application/rss+xml"' in page
    assert 'class="skip-link"' in page
    assert "public" in response["Cache-Control"] and response["ETag"]
    # Revalidation: 304 with the same ETag.
    again = client.get(page_url(association), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_hidden_email_and_empty_blocks(client, association, presidente):
    association.email = "contact@amis.example"
    association.save()
    with scope(association=association):
        site.public_page_update(association=association, acting_user=presidente, published=True)
    page = client.get(page_url(association)).content.decode()
    assert "contact@amis.example" not in page
    assert "No news yet" in page
    assert "Join us" not in page and "Make a donation" not in page


def test_blocks_of_the_other_apps(client, association, presidente, published):
    from essaim.fundraising.models import Campaign
    from essaim.members.models import MembershipSettings, MembershipType
    from essaim.mobilisation.models import Event, Petition
    from essaim.volunteering.models import Mission

    now = timezone.now()
    with scopes_disabled():
        MembershipSettings.objects.update_or_create(
            association=association, defaults={"join_enabled": True}
        )
        MembershipType.objects.create(association=association, name="Annuelle")
        Campaign.objects.create(
            association=association, slug="toit", title="Un toit pour le local", status="published"
        )
        Campaign.objects.create(association=association, slug="brouillon", title="Brouillon")
        Petition.objects.create(
            association=association,
            slug="square",
            title="Sauvons le square",
            text="t",
            addressee="Maire",
            status="open",
        )
        Event.objects.create(
            association=association,
            slug="fete",
            title="Fête des voisins",
            status="published",
            visibility="public",
            starts_at=now + dt.timedelta(days=3),
            ends_at=now + dt.timedelta(days=3, hours=2),
        )
        Event.objects.create(
            association=association,
            slug="passe",
            title="Fête passée",
            status="published",
            visibility="public",
            starts_at=now - dt.timedelta(days=3),
            ends_at=now - dt.timedelta(days=3, hours=-2),
        )
        Mission.objects.create(
            association=association,
            title="Aide aux devoirs",
            description="d",
            cause="education",
            status="published",
        )
    page = client.get(page_url(association)).content.decode()
    assert "Un toit pour le local" in page and "Brouillon" not in page
    assert "Sauvons le square" in page
    assert "Fête des voisins" in page and "Fête passée" not in page
    assert "Aide aux devoirs" in page
    assert "Join us" in page and "/m/" in page
    assert "Make a donation" in page and "/d/" in page


def test_public_page_query_count(
    client, association, published, news, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        assert client.get(page_url(association)).status_code == 200


def test_team_edits_the_page(client_for, presidente, association):
    client = client_for(presidente)
    edit = reverse("communication:site", kwargs={"association_slug": association.slug})
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"presentation": "Bonjour", "facebook_url": "not a url"})
    assert response.status_code == 200 and "Enter a valid URL" in response.content.decode()
    response = client.post(edit, {"presentation": "Bonjour", "published": "on"})
    assert response.status_code == 302
    with scopes_disabled():
        page = PublicPage.objects.get(association=association)
        assert page.published and page.presentation == "Bonjour"
        assert AuditLog.objects.filter(action="public_page.update").exists()


def test_page_settings_capability_and_outsider(
    client_for, benevole, outsider, association, other_association
):
    edit = reverse("communication:site", kwargs={"association_slug": association.slug})
    assert client_for(benevole).get(edit).status_code == 403
    assert client_for(outsider).get(edit).status_code in (403, 404)
    # The outsider does not get a preview of another association's unpublished page.
    assert client_for(outsider).get(page_url(association)).status_code == 404
