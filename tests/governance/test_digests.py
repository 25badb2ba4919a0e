"""Summary e-mails (digests): one per member and period, never twice (a run repeated the same
day sends nothing), the weekly choice, the refusal of news and the stop link respected."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import OutboxEmail
from essaim.governance import consultations, decisions, digests
from essaim.governance.models import DigestPreference, DigestSent
from essaim.people import services as people_services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@pytest.fixture
def activity(association, presidente, make_members):
    members = make_members(4)
    with scope(association=association):
        consultation = consultations.consultation_create(
            association=association, acting_user=presidente, title="Le jardin"
        )
        consultations.proposal_create(
            association=association,
            acting_user=None,
            consultation=consultation,
            author=members[0],
            title="Un composteur",
            text="Près du portail",
        )
        decision = decisions.decision_create(
            association=association,
            acting_user=presidente,
            title="Acheter un barnum",
            text="450 €",
            deadline=timezone.now() + dt.timedelta(hours=30),
        )
    return members, consultation, decision


def _digests():
    with scopes_disabled():
        return list(OutboxEmail.objects.filter(kind="governance_digest").order_by("to"))


def test_one_digest_per_member_and_day(association, activity):
    members, _consultation, _decision = activity
    now = timezone.now() + dt.timedelta(minutes=1)
    sent = digests.digests_send(now=now)
    # The author of the proposal hears about the decision only; everyone gets one e-mail.
    assert sent == 4
    emails = _digests()
    assert sorted(e.to for e in emails) == sorted(m.email for m in members)
    body = next(e for e in emails if e.to == members[1].email).body_text
    assert "Un composteur" in body and "Acheter un barnum" in body
    assert "/digests/stop/" in body
    # The same day again: nothing more, whatever happened since.
    assert digests.digests_send(now=now + dt.timedelta(hours=2)) == 0
    assert len(_digests()) == 4
    with scopes_disabled():
        assert DigestSent.objects.count() == 4


def test_weekly_members_get_one_a_week(association, presidente, activity):
    members, consultation, _decision = activity
    with scope(association=association):
        digests.preference_set(
            association=association, acting_user=None, person=members[1], frequency="weekly"
        )
    now = timezone.now() + dt.timedelta(minutes=1)
    digests.digests_send(now=now)
    week = digests.period_of("weekly", timezone.localdate(now))
    assert week.count("-W") == 1
    with scopes_disabled():
        assert DigestSent.objects.get(person=members[1]).period == week
    with scope(association=association):
        consultations.proposal_create(
            association=association,
            acting_user=None,
            consultation=consultation,
            author=members[2],
            title="Une ruche",
            text="Des abeilles",
        )
    # News since, but the same week (and the same day for the others): nothing is sent.
    assert digests.digests_send(now=now + dt.timedelta(minutes=2)) == 0
    assert digests.period_of("weekly", dt.date(2026, 11, 23)) == "2026-W48"
    assert digests.period_of("weekly", dt.date(2026, 11, 29)) == "2026-W48"
    assert digests.period_of("daily", dt.date(2026, 11, 29)) == "2026-11-29"


def test_refusals_and_stop_link_are_respected(client, association, presidente, activity):
    members, _consultation, _decision = activity
    with scope(association=association):
        people_services.consent_record(
            association=association,
            acting_user=presidente,
            person=members[2],
            topic="association_news",
            granted=False,
            source="paper",
        )
    token = digests.stop_token(members[3])
    url = reverse("governance_public:digest_stop", args=[token])
    assert client.get(url).status_code == 200  # a GET (link preview) changes nothing
    with scopes_disabled():
        assert not DigestPreference.objects.filter(person=members[3]).exists()
    assert "no longer receive" in client.post(url).content.decode()
    with scopes_disabled():
        assert DigestPreference.objects.get(person=members[3]).frequency == "never"
    assert client.get(reverse("governance_public:digest_stop", args=["forged"])).status_code == 404
    digests.digests_send(now=timezone.now() + dt.timedelta(minutes=1))
    recipients = {e.to for e in _digests()}
    assert members[2].email not in recipients and members[3].email not in recipients
    assert members[1].email in recipients


def test_nothing_new_means_no_email(association, make_members):
    make_members(3)
    assert digests.digests_send() == 0
    assert _digests() == []


def test_member_chooses_the_frequency(client_for, association, make_members):
    from tests.factories import UserFactory

    user = UserFactory()
    (person,) = make_members(1, user=user, email=user.email)
    client = client_for(user)
    url = reverse("governance_public:participation")
    assert association.name in client.get(url).content.decode()
    client.post(url, {"person": str(person.uuid), "frequency": "weekly"})
    with scopes_disabled():
        assert DigestPreference.objects.get(person=person).frequency == "weekly"


def test_a_board_member_hears_of_the_boards_decisions_only(association, presidente, activity):
    from essaim.governance import services
    from essaim.governance.models import Body
    from tests.factories import PersonFactory

    with scope(association=association):
        seated = PersonFactory(association=association, email="ca@example.org")
        board = services.body_create(
            association=association, acting_user=presidente, kind=Body.Kind.BOARD, name="CA"
        )
        services.body_seat_add(
            association=association, acting_user=presidente, body=board, person=seated
        )
        decisions.decision_create(
            association=association,
            acting_user=presidente,
            title="Budget du conseil",
            text="Texte",
            body=board,
            deadline=timezone.now() + dt.timedelta(days=4),
        )
    digests.digests_send(now=timezone.now() + dt.timedelta(minutes=1))
    (email,) = [e for e in _digests() if e.to == "ca@example.org"]
    assert "Budget du conseil" in email.body_text
    assert "Acheter un barnum" not in email.body_text and "Un composteur" not in email.body_text


def test_queries_per_member_are_bounded(
    association, activity, make_members, django_assert_max_num_queries
):
    make_members(6)  # 10 members in all, each with news
    with django_assert_max_num_queries(10 * 12 + 10):
        assert digests.digests_send(now=timezone.now() + dt.timedelta(minutes=1)) == 10
