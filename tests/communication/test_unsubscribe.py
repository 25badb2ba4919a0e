"""Unsubscribe links (RFC 8058, scanner-safe), preferences, click redirects, the open pixel."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.communication import lists, mailings, sending, tracking
from essaim.communication.models import Click, Delivery, Mailing, Subscription
from essaim.people import services as people_services
from tests.communication.mailing_helpers import consenting, draft, newsletter
from tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def _sent(association, user, **fields):
    with scope(association=association):
        mailing = draft(association, user, **fields)
        Mailing.objects.filter(pk=mailing.pk).update(
            status=Mailing.Status.SCHEDULED, scheduled_at=timezone.now()
        )
        mailings.mailing_start(mailing.pk)
        sending.send_mailing(mailing.pk)
        return Mailing.objects.get(pk=mailing.pk)


@pytest.fixture
def topic_delivery(association, presidente):
    with scope(association=association):
        consenting(association, 1)
    mailing = _sent(association, presidente)
    with scopes_disabled():
        return Delivery.objects.select_related("person").get(mailing=mailing)


def _topic_granted(delivery) -> bool:
    with scopes_disabled():
        return people_services.current_consents(delivery.person)["newsletter"].granted


def test_get_shows_a_button_and_changes_nothing(topic_delivery):
    url = tracking.unsubscribe_url(tracking.unsubscribe_token(topic_delivery.uuid))
    for _scanner in range(3):
        response = Client().get(url)
        assert response.status_code == 200
        assert b'name="List-Unsubscribe" value="One-Click"' in response.content
    assert _topic_granted(topic_delivery)
    with scopes_disabled():
        assert Delivery.objects.get(pk=topic_delivery.pk).unsubscribed_at is None


def test_one_click_post_unsubscribes_without_csrf(topic_delivery):
    url = tracking.unsubscribe_url(tracking.unsubscribe_token(topic_delivery.uuid))
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    assert not _topic_granted(topic_delivery)
    with scopes_disabled():
        assert Delivery.objects.get(pk=topic_delivery.pk).unsubscribed_at is not None
    # Twice: still fine, nothing more recorded.
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200


def test_post_with_wrong_body_changes_nothing(topic_delivery):
    url = tracking.unsubscribe_url(tracking.unsubscribe_token(topic_delivery.uuid))
    response = Client().post(url, {"List-Unsubscribe": "yes"})
    assert response.status_code == 400
    assert _topic_granted(topic_delivery)


def test_forged_and_expired_tokens(topic_delivery, monkeypatch):
    token = tracking.unsubscribe_token(topic_delivery.uuid)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = Client().post(tracking.unsubscribe_url(forged), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 400 and b"not valid" in response.content
    assert _topic_granted(topic_delivery)
    later = timezone.now() + dt.timedelta(days=tracking.UNSUBSCRIBE_DAYS + 1)
    monkeypatch.setattr("time.time", lambda: later.timestamp())
    response = Client().get(tracking.unsubscribe_url(token))
    assert response.status_code == 400 and b"too old" in response.content


def test_list_mailing_unsubscribes_from_the_list_only(association, presidente):
    with scope(association=association):
        the_list = newsletter(association, presidente)
        person = PersonFactory(association=association, email="lectrice@example.net")
        lists.subscription_set(
            association=association,
            acting_user=None,
            person=person,
            newsletter=the_list,
            subscribed=True,
        )
    mailing = _sent(association, presidente, topic="", newsletter=the_list)
    with scopes_disabled():
        delivery = Delivery.objects.get(mailing=mailing)
    Client().post(
        tracking.unsubscribe_url(tracking.unsubscribe_token(delivery.uuid)),
        {"List-Unsubscribe": "One-Click"},
    )
    with scopes_disabled():
        assert Subscription.objects.get(person=person).status == Subscription.Status.UNSUBSCRIBED


def test_preferences_page_toggles_and_everything(association, presidente, topic_delivery):
    with scope(association=association):
        the_list = newsletter(association, presidente, name="Vie du quartier")
    token = tracking.unsubscribe_token(topic_delivery.uuid)
    url = tracking.preferences_url(token)
    response = Client().get(url)
    assert response.status_code == 200 and b"Vie du quartier" in response.content
    Client().post(url, {"lists": [str(the_list.uuid)], "topics": ["association_news"]})
    with scopes_disabled():
        person = topic_delivery.person
        assert Subscription.objects.get(person=person).status == Subscription.Status.SUBSCRIBED
        current = people_services.current_consents(person)
        assert current["association_news"].granted and not current["newsletter"].granted
        assert current["association_news"].source == "online"
    Client().post(url, {"everything": "1"})
    with scopes_disabled():
        assert Subscription.objects.get(person=person).status == Subscription.Status.UNSUBSCRIBED
        assert not people_services.current_consents(person)["association_news"].granted


def test_click_redirects_to_the_signed_link_only(association, presidente):
    with scope(association=association):
        consenting(association, 1)
    mailing = _sent(association, presidente)
    with scopes_disabled():
        delivery = Delivery.objects.get(mailing=mailing)
    url = tracking.click_url(delivery.uuid.hex, 0)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == "https://example.org/marche?x=1&y=2"
    Client().get(url)
    with scopes_disabled():
        assert Click.objects.filter(delivery=delivery).count() == 2
        stats = mailings.mailing_stats(mailing)
    assert stats["clicked"] == 1 and stats["links"][0].clicks == 2 and stats["links"][0].unique == 1
    # Another position, an edited token, a foreign URL: 404, never a redirect elsewhere.
    assert Client().get(tracking.click_url(delivery.uuid.hex, 7)).status_code == 404
    assert Client().get("/r/https:evil.example:abc/").status_code == 404


def test_open_pixel_counts_only_when_enabled(association, presidente):
    with scope(association=association):
        consenting(association, 1)
    mailing = _sent(association, presidente)
    with scopes_disabled():
        delivery = Delivery.objects.get(mailing=mailing)
    response = Client().get(tracking.open_url(delivery.uuid.hex))
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    with scopes_disabled():
        assert Delivery.objects.get(pk=delivery.pk).opened_at is None
        Mailing.objects.filter(pk=mailing.pk).update(track_opens=True)
    Client().get(tracking.open_url(delivery.uuid.hex))
    with scopes_disabled():
        assert Delivery.objects.get(pk=delivery.pk).opened_at is not None
