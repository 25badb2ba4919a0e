"""Appeals for gifts: who is asked, the e-mail and its stop link, two unanswered appeals."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from essaim.core.models import OutboxEmail
from essaim.fundraising import appeals, campaigns
from essaim.people import services as people_services
from essaim.people import solicitations
from essaim.people.models import Consent, Solicitation

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def campaign(make_campaign, association, tresorier):
    campaign = make_campaign()
    with scope(association=association):
        campaigns.campaign_publish(
            association=association, acting_user=tresorier, campaign=campaign
        )
        campaign.refresh_from_db()
    return campaign


def _contact(association, presidente, name, email, news=True):
    with scope(association=association):
        person = people_services.person_create(
            association=association,
            acting_user=presidente,
            first_name=name,
            last_name="Donatrice",
            email=email,
        )
        if news is not None:
            people_services.consent_record(
                association=association,
                acting_user=presidente,
                person=person,
                topic=Consent.Topic.ASSOCIATION_NEWS,
                granted=news,
                source=Consent.Source.ONLINE,
            )
    return person


@pytest.fixture
def donors(association, presidente, give):
    """Who may be asked (Alice), and those who may not: no consent, said no, no e-mail,
    gave too long ago, never gave."""
    alice = _contact(association, presidente, "Alice", "alice@example.org")
    nobody = _contact(association, presidente, "Nadia", "nadia@example.org", news=None)
    refused = _contact(association, presidente, "Rose", "rose@example.org", news=False)
    no_email = _contact(association, presidente, "Paul", "")
    old = _contact(association, presidente, "Odile", "odile@example.org")
    never = _contact(association, presidente, "Nina", "nina@example.org")
    for person in (alice, nobody, refused, no_email):
        give(person=person)
    give(person=old, received_on=timezone.localdate() - dt.timedelta(days=4 * 366))
    return {"alice": alice, "never": never}


def _audience(association):
    with scope(association=association):
        return [p.first_name for p in appeals.appeal_audience(association)]


def _send(association, tresorier, campaign, subject="Il manque 2 000 €"):
    with scope(association=association):
        return appeals.appeal_send(
            association=association,
            acting_user=tresorier,
            campaign=campaign,
            subject=subject,
            message="Le toit fuit.\n\nAidez-nous avant l'hiver.",
        )


def test_only_recent_donors_who_agreed_are_asked(association, donors):
    assert _audience(association) == ["Alice"]


def test_the_appeal_is_mailed_with_its_links_and_counted(association, tresorier, campaign, donors):
    assert _send(association, tresorier, campaign) == 1
    email = OutboxEmail.objects.get()
    assert email.to == "alice@example.org" and email.subject == "Il manque 2 000 €"
    assert "Le toit fuit." in email.body_text
    assert f"/d/{association.slug}/{campaign.slug}/?src=appel-courriel" in email.body_text
    assert "/d/stop/" in email.body_text and "/d/stop/" in email.body_html
    with scope(association=association):
        assert Solicitation.objects.filter(person=donors["alice"], answered_at=None).count() == 1


def test_two_unanswered_appeals_and_alice_is_left_alone_until_she_gives(
    association, tresorier, campaign, donors, give
):
    _send(association, tresorier, campaign)
    _send(association, tresorier, campaign, "Relance")
    assert _audience(association) == []
    with scope(association=association):
        assert appeals.left_out_count(association) == 1
    assert _send(association, tresorier, campaign, "Troisième") == 0
    give(person=donors["alice"])  # she gives after all: she may be asked again
    assert _audience(association) == ["Alice"]
    with scope(association=association):
        assert solicitations.solicitation_state(donors["alice"])["open"] == 0


def test_a_draft_campaign_or_an_empty_message_is_refused(
    association,
    tresorier,
    make_campaign,
    donors,
):
    draft = make_campaign(slug="brouillon")
    with pytest.raises(ValidationError) as error:
        _send(association, tresorier, draft)
    assert "campaign" in error.value.message_dict
    with scope(association=association), pytest.raises(ValidationError) as error:
        appeals.appeal_send(
            association=association, acting_user=tresorier, campaign=draft, subject="", message=""
        )
    assert {"subject", "message", "campaign"} <= set(error.value.message_dict)
    assert not OutboxEmail.objects.exists()


def _stop_url(person):
    return reverse("donate:stop", kwargs={"token": appeals.stop_token(person)})


def test_the_stop_link_asks_then_stops(client, association, tresorier, campaign, donors):
    alice = donors["alice"]
    page = client.get(_stop_url(alice))
    assert page.status_code == 200 and "Yes, stop" in page.content.decode()
    assert _audience(association) == ["Alice"]  # a mail scanner's GET changes nothing
    assert client.post(_stop_url(alice)).status_code == 200
    client.post(_stop_url(alice))  # twice: one answer recorded
    assert _audience(association) == []
    with scope(association=association):
        assert Consent.objects.filter(person=alice, granted=False).count() == 1


def test_a_forged_stop_link_is_a_404(client, donors):
    url = _stop_url(donors["alice"])
    assert client.get(url[:-3] + "xyz/").status_code == 404
    assert client.post(reverse("donate:stop", kwargs={"token": "nope"})).status_code == 404


def _appeal_page(association, campaign):
    return reverse(
        "fundraising:campaign_appeal",
        kwargs={"association_slug": association.slug, "campaign_uuid": campaign.uuid},
    )


def test_the_treasurer_sends_an_appeal_from_the_campaign(
    client_for, association, tresorier, campaign, donors
):
    client = client_for(tresorier)
    page = client.get(_appeal_page(association, campaign)).content.decode()
    assert "1 donor will receive this appeal" in page
    refused = client.post(_appeal_page(association, campaign), {"subject": "", "message": ""})
    assert refused.status_code == 200 and not OutboxEmail.objects.exists()
    sent = client.post(
        _appeal_page(association, campaign), {"subject": "Le toit", "message": "Aidez-nous."}
    )
    assert sent.status_code == 302 and OutboxEmail.objects.count() == 1


def test_the_appeal_page_is_the_treasurers(client_for, benevole, outsider, association, campaign):
    assert client_for(benevole).get(_appeal_page(association, campaign)).status_code == 403
    assert client_for(outsider).get(_appeal_page(association, campaign)).status_code == 404
    assert client_for(outsider).post(_appeal_page(association, campaign), {}).status_code == 404
