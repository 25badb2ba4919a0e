"""Supports given at the same moment: one row per member (the unique constraint), and the
proposal's counter equal to the rows, retained exactly once."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog
from essaim.governance import consultations as services
from essaim.governance.models import ConsultationProposal, ProposalSupport
from tests.core.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def proposal(association, presidente, make_members):
    members = make_members(5)
    with scope(association=association):
        consultation = services.consultation_create(
            association=association, acting_user=presidente, title="Q", support_threshold=2
        )
        proposal = services.proposal_create(
            association=association,
            acting_user=None,
            consultation=consultation,
            author=members[0],
            title="Ruche",
            text="Des abeilles",
        )
    return proposal, members


def _support(association, proposal, person):
    def run():
        with scope(association=association):
            return services.proposal_support(
                association=association, acting_user=None, proposal=proposal, person=person
            )

    return run


def test_the_same_member_twice_at_once(association, proposal):
    proposal, members = proposal
    results = race([_support(association, proposal, members[1])] * 2)
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1, results
    with scopes_disabled():
        assert ProposalSupport.objects.filter(proposal=proposal).count() == 1
        assert ConsultationProposal.objects.get(pk=proposal.pk).support_count == 1


def test_several_members_at_once_counted_and_retained_once(association, proposal):
    proposal, members = proposal
    results = race([_support(association, proposal, person) for person in members[1:4]])
    assert not [r for r in results if isinstance(r, Exception)], results
    with scopes_disabled():
        fresh = ConsultationProposal.objects.get(pk=proposal.pk)
        assert fresh.support_count == 3 == ProposalSupport.objects.filter(proposal=proposal).count()
        assert fresh.status == "retained"
        assert AuditLog.objects.filter(action="proposal.retain").count() == 1
