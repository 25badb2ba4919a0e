"""Campaign services: create, update, publish, close, progress."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope

from essaim.fundraising import campaigns
from essaim.fundraising.models import Campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_ui(settings, monkeypatch):
    """Pages and messages in English: the tests read the source strings."""
    from django.utils import translation

    from essaim.accounts.middleware import UserLanguageMiddleware

    settings.LANGUAGE_CODE = "en"
    monkeypatch.setattr(
        UserLanguageMiddleware, "__call__", lambda self, request: self.get_response(request)
    )
    with translation.override("en"):
        yield


@pytest.fixture
def make_campaign(association, tresorier):
    def make(**fields):
        fields.setdefault("slug", "toiture")
        fields.setdefault("title", "Un toit pour la maison de quartier")
        fields.setdefault("goal_cents", 1_000_000)
        with scope(association=association):
            return campaigns.campaign_create(
                association=association, acting_user=tresorier, **fields
            )

    return make


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
