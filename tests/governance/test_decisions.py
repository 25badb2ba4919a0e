"""Async decisions: consent with blocks, polls counted by counting.py, deadlines, the
scheduled close and reminders, participation, secrecy of answers; and their screens."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog, OutboxEmail
from essaim.governance import decisions as services
from essaim.governance.models import Decision, DecisionAnswer
from tests.factories import PersonFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@pytest.fixture
def scoped(association):
    with scope(association=association):
        yield


def _decision(association, user, **fields):
    return services.decision_create(
        association=association,
        acting_user=user,
        title=fields.pop("title", "Acheter un barnum"),
        text=fields.pop("text", "Pour les fêtes de quartier, 450 €."),
        deadline=fields.pop("deadline", timezone.now() + dt.timedelta(days=3)),
        **fields,
    )


def _answer(association, decision, person, **fields):
    return services.decision_answer(
        association=association, acting_user=None, decision=decision, person=person, **fields
    )


def test_consent_answers_and_counts(association, presidente, make_members, scoped):
    members = make_members(4)
    decision = _decision(association, presidente, proposer=members[0])
    _answer(association, decision, members[0], position="agree")
    _answer(association, decision, members[1], position="abstain")
    _answer(association, decision, members[2], position="block", reason="Trop cher")
    changed = _answer(association, decision, members[1], position="disagree")
    assert DecisionAnswer.objects.filter(decision=decision).count() == 3
    assert changed.position == "disagree"
    counts = services.outcome_counts(decision)
    assert counts == {"agree": 1, "abstain": 0, "disagree": 1, "block": 1, "total": 3}
    participation = services.participation(decision)
    assert (participation["asked"], participation["answered"]) == (4, 3)
    assert participation["waiting"] == [members[3]]


def test_a_block_without_reason_is_refused(association, presidente, make_members, scoped):
    (member,) = make_members(1)
    decision = _decision(association, presidente)
    with pytest.raises(ValidationError) as error:
        _answer(association, decision, member, position="block", reason="  ")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError):
        _answer(association, decision, member, position="maybe")
    assert not DecisionAnswer.objects.exists()


def test_answering_after_the_deadline_is_refused(association, presidente, make_members, scoped):
    (member,) = make_members(1)
    decision = _decision(association, presidente)
    with pytest.raises(ValidationError, match="deadline"):
        _answer(
            association,
            decision,
            member,
            position="agree",
            now=decision.deadline + dt.timedelta(seconds=1),
        )
    services.decision_close(association=association, acting_user=presidente, decision=decision)
    with pytest.raises(ValidationError, match="deadline"):
        _answer(association, decision, member, position="agree")


def test_poll_single_and_approval(association, presidente, make_members, scoped):
    members = make_members(3)
    single = _decision(
        association, presidente, process="single", options=["Samedi", "Dimanche", ""]
    )
    assert single.options == ["Samedi", "Dimanche"]
    _answer(association, single, members[0], choices=[1])
    _answer(association, single, members[1], choices=[1])
    _answer(association, single, members[2], choices=[0])
    with pytest.raises(ValidationError):
        _answer(association, single, members[2], choices=[0, 1])
    with pytest.raises(ValidationError):
        _answer(association, single, members[2], choices=[7])
    counts = services.outcome_counts(single)
    assert counts["winner"] == "Dimanche" and counts["total"] == 3
    approval = _decision(
        association, presidente, process="approval", options=["Crêpes", "Gaufres", "Churros"]
    )
    _answer(association, approval, members[0], choices=[0, 1])
    _answer(association, approval, members[1], choices=[1])
    counts = services.outcome_counts(approval)
    assert counts["winner"] == "Gaufres"
    assert {t["label"]: t["count"] for t in counts["tallies"]} == {
        "Crêpes": 1,
        "Gaufres": 2,
        "Churros": 0,
    }


def test_bad_decisions_are_refused(association, presidente, scoped):
    with pytest.raises(ValidationError) as error:
        _decision(
            association,
            presidente,
            title="",
            process="single",
            options=["Seule"],
            deadline=timezone.now() - dt.timedelta(hours=1),
        )
    assert {"title", "options", "deadline"} <= set(error.value.message_dict)
    with pytest.raises(ValidationError):
        _decision(association, presidente, process="approval", options=["A", "a"])
    assert not Decision.objects.exists()


def test_scheduled_close_and_reminders(association, presidente, make_members):
    members = make_members(3)
    with scope(association=association):
        soon = _decision(association, presidente, deadline=timezone.now() + dt.timedelta(hours=5))
        _answer(association, soon, members[0], position="agree")
    assert services.decisions_remind() == 2
    assert services.decisions_remind() == 0  # once per decision
    reminders = OutboxEmail.objects.filter(kind="governance_decision_reminder")
    assert sorted(reminders.values_list("to", flat=True)) == sorted(
        [members[1].email, members[2].email]
    )
    later = timezone.now() + dt.timedelta(hours=6)
    assert services.decisions_close_due(now=later) == 1
    assert services.decisions_close_due(now=later) == 0
    with scope(association=association):
        soon.refresh_from_db()
        assert soon.status == "closed"
        # The proposer (or the team) then writes the outcome.
        services.decision_outcome(
            association=association, acting_user=presidente, decision=soon, outcome="Adopté."
        )
    with scopes_disabled():
        assert AuditLog.objects.filter(action="decision.close").count() == 1


def test_secret_decisions_show_counts_only(association, presidente, make_members, scoped):
    members = make_members(2)
    decision = _decision(association, presidente, secret=True)
    _answer(association, decision, members[0], position="disagree", reason="Non")
    assert services.answers_shown(decision) == []
    assert services.participation(decision)["waiting"] == []
    log = AuditLog.objects.get(action="decision.answer")
    assert log.data == {}


# --- Screens ------------------------------------------------------------------------------


def test_member_answers_from_their_space(client_for, association, presidente, make_members):
    user = UserFactory()
    (person,) = make_members(1, user=user, email=user.email)
    with scope(association=association):
        decision = _decision(association, presidente, proposer=person)
    client = client_for(user)
    url = reverse("governance_public:decision", args=[decision.uuid])
    assert "Send my answer" in client.get(url).content.decode()
    refused = client.post(url, {"answer": "1", "position": "block", "reason": ""})
    assert refused.status_code == 422
    assert "say why" in refused.content.decode()
    client.post(url, {"answer": "1", "position": "agree"})
    with scopes_disabled():
        assert DecisionAnswer.objects.get(decision=decision).position == "agree"
    participation = client.get(reverse("governance_public:participation")).content.decode()
    assert decision.title in participation and "answered" in participation
    with scope(association=association):
        services.decision_close(association=association, acting_user=None, decision=decision)
    client.post(url, {"outcome": "1", "outcome-": "", "outcome_text": ""})
    page = client.get(url).content.decode()
    assert "write the outcome" in page


def test_non_members_get_404(client_for, association, presidente, make_members, outsider):
    with scope(association=association):
        decision = _decision(association, presidente)
    contact = UserFactory()
    PersonFactory(association=association, user=contact)
    for user in (outsider, contact):
        url = reverse("governance_public:decision", args=[decision.uuid])
        assert client_for(user).get(url).status_code == 404
        assert client_for(user).post(url, {"answer": "1", "position": "agree"}).status_code == 404
    team = reverse(
        "governance:decision",
        kwargs={"association_slug": association.slug, "decision_uuid": decision.uuid},
    )
    assert client_for(outsider).get(team).status_code == 404


def test_team_creates_closes_and_writes_the_outcome(client_for, presidente, association):
    client = client_for(presidente)
    slug = association.slug
    create = reverse("governance:decision_create", kwargs={"association_slug": slug})
    assert client.get(create).status_code == 200
    bad = client.post(create, {"title": "X", "text": "Y", "process": "single", "options": "A"})
    assert bad.status_code == 422
    deadline = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        create, {"title": "Barnum", "text": "450 €", "process": "consent", "deadline": deadline}
    )
    with scopes_disabled():
        decision = Decision.objects.get(title="Barnum")
    assert response.status_code == 302
    kwargs = {"association_slug": slug, "decision_uuid": decision.uuid}
    client.post(reverse("governance:decision_close", kwargs=kwargs))
    client.post(reverse("governance:decision", kwargs=kwargs), {"outcome": "Adopté à l'unanimité."})
    with scopes_disabled():
        decision.refresh_from_db()
    assert (decision.status, decision.outcome) == ("closed", "Adopté à l'unanimité.")
    listing = client.get(reverse("governance:decisions", kwargs={"association_slug": slug}))
    assert "Barnum" in listing.content.decode()


def test_a_board_member_without_voting_rights_sees_only_the_boards(
    client_for, association, presidente, make_members
):
    from essaim.governance import services as governance_services
    from essaim.governance.models import Body

    user = UserFactory()
    with scope(association=association):
        seated = PersonFactory(association=association, user=user, email=user.email)
        board = governance_services.body_create(
            association=association, acting_user=presidente, kind=Body.Kind.BOARD, name="CA"
        )
        governance_services.body_seat_add(
            association=association, acting_user=presidente, body=board, person=seated
        )
        _decision(association, presidente, title="Pour tous les membres")
        _decision(association, presidente, title="Pour le conseil", body=board)
    page = client_for(user).get(reverse("governance_public:participation")).content.decode()
    assert "Pour le conseil" in page and "Pour tous les membres" not in page


def test_a_body_with_consultations_or_decisions_cannot_be_deleted(association, presidente):
    from essaim.governance import consultations
    from essaim.governance import services as governance_services
    from essaim.governance.models import Body

    with scope(association=association):
        board = governance_services.body_create(
            association=association, acting_user=presidente, kind=Body.Kind.BOARD, name="CA"
        )
        consultations.consultation_create(
            association=association, acting_user=presidente, title="Q", body=board
        )
        _decision(association, presidente, body=board)
        with pytest.raises(Exception, match=r"restricted|protected"):
            board.delete()  # asked to "all members" instead would be wrong: it stays
