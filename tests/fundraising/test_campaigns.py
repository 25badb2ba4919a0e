"""Campaign services: create, update, publish, close, progress."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from essaim.fundraising import campaigns
from essaim.fundraising.models import Campaign, GiftIntent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def errors_of(call):
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.message_dict


def test_create_is_a_draft_with_its_fields(make_campaign, tresorier):
    campaign = make_campaign(suggested_amounts=[2000, 5000], summary="  Le toit   fuit. ")
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.summary == "Le toit fuit."
    assert campaign.suggested_amounts == [2000, 5000]
    assert campaign.created_by == tresorier


def test_slug_unique_per_association(make_campaign, association, other_association, outsider):
    make_campaign()
    errors = errors_of(lambda: make_campaign(title="Autre"))
    assert "slug" in errors
    with scope(association=other_association):
        other = campaigns.campaign_create(
            association=other_association, acting_user=outsider, slug="toiture", title="T"
        )
    assert other.slug == "toiture"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "pas un slug"}, "slug"),
        ({"slug": ""}, "slug"),
        ({"title": "   "}, "title"),
        ({"goal_cents": 0}, "goal_cents"),
        ({"goal_cents": -5}, "goal_cents"),
        ({"goal_cents": "abc"}, "goal_cents"),
        ({"suggested_amounts": [0]}, "suggested_amounts"),
        ({"suggested_amounts": [-100]}, "suggested_amounts"),
        ({"suggested_amounts": ["abc"]}, "suggested_amounts"),
        ({"suggested_amounts": [500, 500]}, "suggested_amounts"),
        ({"suggested_amounts": [100_000_000]}, "suggested_amounts"),
        ({"suggested_amounts": list(range(1, 20))}, "suggested_amounts"),
        (
            {"starts_on": dt.date(2026, 5, 1), "ends_on": dt.date(2026, 4, 1)},
            "ends_on",
        ),
        (
            {"starts_on": dt.date(2026, 5, 1), "ends_on": dt.date(2026, 5, 1)},
            "ends_on",
        ),
        ({"title": "a\x00b"}, "title"),
    ],
)
def test_create_refuses_bad_fields(make_campaign, association, fields, field):
    errors = errors_of(lambda: make_campaign(**fields))
    assert field in errors
    with scope(association=association):
        assert not Campaign.objects.exists()


def test_update_and_status(make_campaign, association, tresorier):
    campaign = make_campaign()
    with scope(association=association):
        campaign = campaigns.campaign_update(
            association=association, acting_user=tresorier, campaign=campaign, goal_cents=500_000
        )
        assert campaign.goal_cents == 500_000
        published = campaigns.campaign_publish(
            association=association, acting_user=tresorier, campaign=campaign
        )
        assert published.status == Campaign.Status.PUBLISHED
        assert campaigns.campaign_is_open(published)
        closed = campaigns.campaign_close(
            association=association, acting_user=tresorier, campaign=campaign
        )
        assert closed.status == Campaign.Status.CLOSED
        assert not campaigns.campaign_is_open(closed)


def test_close_a_draft_is_refused(make_campaign, association, tresorier):
    campaign = make_campaign()
    with scope(association=association), pytest.raises(ValidationError):
        campaigns.campaign_close(association=association, acting_user=tresorier, campaign=campaign)


def test_publish_after_deadline_refused(make_campaign, association, tresorier):
    today = timezone.localdate()
    campaign = make_campaign(
        starts_on=today - dt.timedelta(days=30), ends_on=today - dt.timedelta(days=1)
    )
    with scope(association=association):
        errors = errors_of(
            lambda: campaigns.campaign_publish(
                association=association, acting_user=tresorier, campaign=campaign
            )
        )
    assert "ends_on" in errors


def test_progress_sums_gifts_and_counts_donors(make_campaign, association, give, donor):
    today = timezone.localdate()
    campaign = make_campaign(goal_cents=10_000, ends_on=today + dt.timedelta(days=9))
    with scope(association=association):
        for amount, person in ((3000, donor), (2000, donor), (1500, None)):
            gift = give(amount_cents=amount, person=person)
            gift.campaign = campaign
            gift.save()
        give(amount_cents=9999, person=donor)  # not in the campaign
        progress = campaigns.campaign_progress(campaign, today=today)
    assert progress == {
        "raised_cents": 6500,
        "donors": 2,
        "goal_cents": 10_000,
        "percent": 65,
        "days_left": 10,
    }


def test_progress_without_goal_or_deadline(make_campaign, association):
    campaign = make_campaign(goal_cents=None)
    with scope(association=association):
        progress = campaigns.campaign_progress(campaign)
    assert progress["percent"] == 0
    assert progress["days_left"] is None
    assert progress["raised_cents"] == 0


# --- Back office --------------------------------------------------------------------------


def bo(association, name, **kwargs):
    return reverse(f"fundraising:{name}", kwargs={"association_slug": association.slug, **kwargs})


def campaign_post(**fields):
    data = {
        "title": "Colonie de vacances 2027",
        "slug": "colo-2027",
        "summary": "Envoyer 20 enfants du quartier en colonie cet été.",
        "story": "Chaque été…",
        "goal_cents": "12 500,50",
        "starts_on": "",
        "ends_on": "",
        "suggested_amounts": "20 ; 50 ; 100,50",
        "allow_monthly": "on",
        "thank_you_message": "Merci !",
    }
    data.update(fields)
    return data


@pytest.fixture
def campaign(make_campaign):
    return make_campaign(suggested_amounts=[2000, 5000])


@pytest.fixture
def intent(association, campaign):
    with scope(association=association):
        return GiftIntent.objects.create(
            association=association, campaign=campaign, amount_cents=3000, method="online"
        )


def campaign_urls(association, campaign, intent):
    return [
        ("get", bo(association, "campaigns")),
        ("get", bo(association, "campaign_create")),
        ("post", bo(association, "campaign_create")),
        ("get", bo(association, "campaign_detail", campaign_uuid=campaign.uuid)),
        ("get", bo(association, "campaign_edit", campaign_uuid=campaign.uuid)),
        ("post", bo(association, "campaign_edit", campaign_uuid=campaign.uuid)),
        ("get", bo(association, "campaign_qr", campaign_uuid=campaign.uuid)),
        ("post", bo(association, "campaign_status", campaign_uuid=campaign.uuid, action="publish")),
        ("post", bo(association, "campaign_status", campaign_uuid=campaign.uuid, action="close")),
        ("post", bo(association, "intent_cancel", intent_uuid=intent.uuid)),
    ]


def test_the_treasurer_creates_a_campaign_with_amounts_in_euros(association, client_for, tresorier):
    client = client_for(tresorier)
    assert client.get(bo(association, "campaigns")).status_code == 200
    assert "No campaign yet" in client.get(bo(association, "campaigns")).content.decode()
    response = client.post(bo(association, "campaign_create"), campaign_post())
    assert response.status_code == 302
    with scope(association=association):
        campaign = Campaign.objects.get(association=association)
    assert campaign.goal_cents == 1_250_050
    assert campaign.suggested_amounts == [2000, 5000, 10050]
    assert campaign.status == "draft" and campaign.allow_monthly
    assert response["Location"] == bo(association, "campaign_detail", campaign_uuid=campaign.uuid)
    detail = client.get(response["Location"]).content.decode()
    assert "Draft: the page is not public yet." in detail
    # Publish: the public page opens.
    client.post(bo(association, "campaign_status", campaign_uuid=campaign.uuid, action="publish"))
    campaign.refresh_from_db()
    assert campaign.status == "published"
    detail = client.get(bo(association, "campaign_detail", campaign_uuid=campaign.uuid)).content
    assert b"?src=newsletter" in detail and b"src%3Dfacebook" in detail
    edit = client.get(bo(association, "campaign_edit", campaign_uuid=campaign.uuid)).content
    assert b'value="20 ; 50 ; 100,50"' in edit and b'value="12500,50"' in edit


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"goal_cents": "abc"}, "goal_cents"),
        ({"goal_cents": "-5"}, "goal_cents"),
        ({"goal_cents": "0"}, "goal_cents"),
        ({"goal_cents": "1 000 000 000 000"}, "goal_cents"),
        ({"suggested_amounts": "20 ; abc"}, "suggested_amounts"),
        ({"suggested_amounts": "20 ; -5"}, "suggested_amounts"),
        ({"suggested_amounts": "20 ; 20"}, "suggested_amounts"),
        ({"suggested_amounts": "1 000 000"}, "suggested_amounts"),
        ({"slug": "pas un slug"}, "slug"),
        ({"title": ""}, "title"),
        ({"starts_on": "2027-06-01", "ends_on": "2027-05-01"}, "ends_on"),
        ({"ends_on": "31/02/2027"}, "ends_on"),
    ],
)
def test_bad_campaign_input_is_refused_on_its_field(
    association, client_for, tresorier, fields, field
):
    response = client_for(tresorier).post(
        bo(association, "campaign_create"), campaign_post(**fields)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    with scope(association=association):
        assert not Campaign.objects.exists()


def test_a_slug_already_used_is_refused_in_the_form(association, client_for, tresorier, campaign):
    response = client_for(tresorier).post(
        bo(association, "campaign_create"), campaign_post(slug=campaign.slug)
    )
    assert "Another campaign" in " ".join(response.context["form"].errors["slug"])


def test_publishing_after_the_deadline_is_refused_with_a_message(
    association, client_for, tresorier, make_campaign
):
    today = timezone.localdate()
    late = make_campaign(
        slug="tard", starts_on=today - dt.timedelta(days=20), ends_on=today - dt.timedelta(days=2)
    )
    response = client_for(tresorier).post(
        bo(association, "campaign_status", campaign_uuid=late.uuid, action="publish"), follow=True
    )
    assert "The deadline has passed" in response.content.decode()
    late.refresh_from_db()
    assert late.status == "draft"


def test_the_campaign_page_shows_sources_and_gifts_waiting_for_payment(
    association, client_for, tresorier, campaign, intent, give
):
    with scope(association=association):
        for source, amount in (("facebook", 3000), ("facebook", 2000), ("", 1000)):
            gift = give(amount_cents=amount)
            gift.campaign, gift.source = campaign, source
            gift.save()
    client = client_for(tresorier)
    html = client.get(bo(association, "campaign_detail", campaign_uuid=campaign.uuid)).content
    html = html.decode()
    assert "facebook" in html and "50,00" in html
    assert "direct (no share link)" in html
    assert "30,00" in html  # the gift waiting for payment
    export = client.get(bo(association, "gift_export") + "?year=all&format=csv").content.decode()
    assert "Campaign" in export and f"{campaign.title},facebook" in export.replace(";", ",")
    detail = client.get(bo(association, "gift_detail", gift_uuid=gift.uuid)).content.decode()
    assert campaign.title in detail  # the gift says which campaign brought it
    client.post(bo(association, "intent_cancel", intent_uuid=intent.uuid))
    intent.refresh_from_db()
    assert intent.status == "cancelled"
    qr = client.get(bo(association, "campaign_qr", campaign_uuid=campaign.uuid))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content


def test_the_campaign_list_reads_in_a_fixed_number_of_queries(
    association, client_for, tresorier, make_campaign, give
):
    client = client_for(tresorier)
    make_campaign(slug="premiere")
    client.get(bo(association, "campaigns"))
    with CaptureQueriesContext(connection) as few:
        client.get(bo(association, "campaigns"))
    for index in range(5):
        campaign = make_campaign(slug=f"campagne-{index}")
        with scope(association=association):
            gift = give(amount_cents=1000 + index)
            gift.campaign = campaign
            gift.save()
    with CaptureQueriesContext(connection) as many:
        response = client.get(bo(association, "campaigns"))
    assert "10,04" in response.content.decode()
    assert len(many) == len(few)


def test_campaign_pages_are_refused_without_the_capability(
    association, client_for, benevole, campaign, intent
):
    client = client_for(benevole)
    for method, address in campaign_urls(association, campaign, intent):
        assert getattr(client, method)(address).status_code == 403, address
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_campaign_pages_are_not_found_for_another_association(
    association, client_for, outsider, other_association, campaign, intent, client
):
    team = client_for(outsider)
    for method, address in campaign_urls(association, campaign, intent):
        assert getattr(team, method)(address).status_code == 404, address
        response = getattr(client, method)(address)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for method, address in campaign_urls(other_association, campaign, intent):
        if str(campaign.uuid) in address or str(intent.uuid) in address:
            assert getattr(team, method)(address).status_code == 404, address
    campaign.refresh_from_db()
    intent.refresh_from_db()
    assert campaign.status == "draft" and intent.status == "pending"
