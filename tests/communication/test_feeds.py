"""RSS 2.0 and Atom feeds of the news (valid XML, drafts left out) and the iCal of events."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.communication import site

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def posts(association, presidente):
    with scope(association=association):
        site.public_page_update(association=association, acting_user=presidente, published=True)
        published = site.news_create(
            association=association,
            acting_user=presidente,
            title="Fête & jardin <2026>",
            body="Un **grand** merci",
            publish=True,
        )
        draft = site.news_create(
            association=association, acting_user=presidente, title="Brouillon", body="x"
        )
    return published, draft


def url(association, name):
    return reverse(f"communication_public:{name}", kwargs={"slug": association.slug})


def test_rss(client, association, posts):
    response = client.get(url(association, "rss"))
    assert response.status_code == 200 and "rss" in response["Content-Type"]
    root = ET.fromstring(response.content)
    items = root.findall("./channel/item")
    assert [i.findtext("title") for i in items] == ["Fête & jardin <2026>"]
    assert items[0].findtext("link").endswith("/o/les-amis-du-quartier/news/fete-jardin-2026/")
    assert "grand merci" in items[0].findtext("description")
    assert items[0].findtext("pubDate")


def test_atom(client, association, posts):
    response = client.get(url(association, "atom"))
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    assert entries[0].findtext(f"{ATOM}title") == "Fête & jardin <2026>"
    assert entries[0].findtext(f"{ATOM}id").startswith("urn:uuid:")


def test_feeds_of_an_unpublished_page_are_404(client, association, other_association):
    assert client.get(url(association, "rss")).status_code == 404
    assert client.get(url(association, "atom")).status_code == 404
    assert client.get("/o/nobody/rss.xml").status_code == 404


def test_ical_of_upcoming_events(client, association, posts):
    from essaim.mobilisation.models import Event

    now = timezone.now()
    with scopes_disabled():
        Event.objects.create(
            association=association,
            slug="fete",
            title="Fête, des voisins; à 18 h",
            status="published",
            visibility="public",
            starts_at=now + dt.timedelta(days=2),
            ends_at=now + dt.timedelta(days=2, hours=3),
        )
        Event.objects.create(
            association=association,
            slug="prive",
            title="Réunion privée",
            status="published",
            visibility="private",
            starts_at=now + dt.timedelta(days=2),
            ends_at=now + dt.timedelta(days=2, hours=3),
        )
    response = client.get(url(association, "ical"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    unfolded = text.replace("\r\n ", "")
    assert unfolded.count("BEGIN:VEVENT") == 1
    assert "SUMMARY:Fête\\, des voisins\\; à 18 h" in unfolded
    assert "Réunion privée" not in unfolded
    assert all(len(line.encode()) <= 75 for line in lines)


def test_empty_ical(client, association, posts):
    text = client.get(url(association, "ical")).content.decode()
    assert "BEGIN:VCALENDAR" in text and "BEGIN:VEVENT" not in text
