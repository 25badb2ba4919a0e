"""Privacy of consultations, decisions and digests: the member's export lists what they
wrote and answered; erasing them deletes their comments and reasons, keeps the counts."""

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope

from essaim.core.privacy import registry
from essaim.governance import consultations, decisions, digests
from essaim.governance.models import DecisionAnswer, DigestPreference, ProposalComment
from essaim.people import services as people_services

pytestmark = pytest.mark.django_db


def _entry(key):
    return next(e for e in registry.entries() if e.key == key)


def test_export_and_erasure(association, presidente, make_members):
    member, other = make_members(2)
    with scope(association=association):
        consultation = consultations.consultation_create(
            association=association, acting_user=presidente, title="Le jardin"
        )
        proposal = consultations.proposal_create(
            association=association,
            acting_user=None,
            consultation=consultation,
            author=other,
            title="Ruche",
            text="Des abeilles",
        )
        consultations.proposal_support(
            association=association, acting_user=None, proposal=proposal, person=member
        )
        consultations.comment_add(
            association=association,
            acting_user=None,
            proposal=proposal,
            author=member,
            text="J'ai peur des abeilles",
        )
        decision = decisions.decision_create(
            association=association,
            acting_user=presidente,
            title="Barnum",
            text="450 €",
            deadline=timezone.now() + dt.timedelta(days=2),
        )
        decisions.decision_answer(
            association=association,
            acting_user=None,
            decision=decision,
            person=member,
            position="block",
            reason="Mon voisin est contre",
        )
        digests.preference_set(
            association=association, acting_user=None, person=member, frequency="weekly"
        )
        exported = _entry("consultations_decisions").export_person(member)
        texts = repr(exported)
        assert "J'ai peur des abeilles" in texts and "Mon voisin est contre" in texts
        assert _entry("governance_digests").export_person(member) == [{"summary_email": "weekly"}]
        people_services.person_erase(association=association, acting_user=presidente, person=member)
        assert not ProposalComment.objects.filter(text__contains="abeilles").exists()
        answer = DecisionAnswer.objects.get(decision=decision)
        assert (answer.position, answer.reason) == ("block", "")
        assert decisions.outcome_counts(decision)["block"] == 1
        proposal.refresh_from_db()
        assert proposal.support_count == 1
        assert not DigestPreference.objects.filter(person=member).exists()
