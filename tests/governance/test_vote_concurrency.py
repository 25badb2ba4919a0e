"""One ballot per represented person, enforced by the database: the same member (two
phones) or a member and the holder of their proxy... casting at the same moment get one
ballot in the box, the other a clear refusal. Closing while ballots are being cast never
leaves a ballot outside the sealed box.

PostgreSQL: the same tests run there with
`DATABASE_URL=postgres://postgres@127.0.0.1:5432/essaim .venv/bin/pytest -q --nomigrations
tests/governance/test_vote_concurrency.py`
(the unique (vote, represented) of RollEntry and the lock on the vote's row are what hold;
SQLite serialises writers anyway)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django_scopes import scope, scopes_disabled

from essaim.governance import services, votes
from essaim.governance.models import Ballot, RollEntry
from tests.core.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_vote(association, presidente, make_members, make_assembly, rules):
    members = make_members(6)
    assembly = make_assembly(days=0)
    with scope(association=association):
        services.assembly_convene(
            association=association, acting_user=presidente, assembly=assembly
        )
        for person in members[:5]:
            services.attendance_check_in(
                association=association, acting_user=presidente, assembly=assembly, person=person
            )
        services.proxy_give(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            giver=members[5],
            holder=members[0],
        )
        services.assembly_open(association=association, acting_user=presidente, assembly=assembly)
        vote = votes.vote_create(
            association=association, acting_user=presidente, title="Accounts", assembly=assembly
        )
        vote = votes.vote_open(association=association, acting_user=presidente, vote=vote)
    return vote, members


def _cast(association, vote, voter, choice, represented=None):
    def run():
        # Threads do not inherit the test's language: the refusals are read in English.
        with translation.override("en"), scope(association=association):
            return votes.vote_cast(
                association=association,
                acting_user=None,
                vote=vote,
                voter=voter,
                represented=represented,
                choice=choice,
            )

    return run


def test_same_member_twice_at_once(association, open_vote):
    vote, m = open_vote
    results = race([_cast(association, vote, m[1], "yes"), _cast(association, vote, m[1], "no")])
    cast = [r for r in results if isinstance(r, votes.CastReceipt)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(cast) == 1 and len(refused) == 1, results
    with scopes_disabled():
        assert Ballot.objects.filter(vote=vote).count() == 1
        assert RollEntry.objects.filter(vote=vote).count() == 1


def test_a_proxy_ballot_twice_at_once(association, open_vote):
    vote, m = open_vote
    results = race(
        [
            _cast(association, vote, m[0], "yes", represented=m[5]),
            _cast(association, vote, m[0], "no", represented=m[5]),
            _cast(association, vote, m[0], "no", represented=m[5]),
        ]
    )
    assert sum(isinstance(r, votes.CastReceipt) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 2, results
    with scopes_disabled():
        assert Ballot.objects.filter(vote=vote).count() == 1


def test_many_voters_at_once_every_ballot_counted_once(association, presidente, open_vote):
    vote, m = open_vote
    calls = [_cast(association, vote, p, "yes") for p in m[:5]]
    calls += [_cast(association, vote, m[0], "no", represented=m[5])]
    calls += [_cast(association, vote, p, "no") for p in m[:5]]  # second tries
    results = race(calls)
    assert sum(isinstance(r, votes.CastReceipt) for r in results) == 6, results
    with scope(association=association):
        vote = votes.vote_close(association=association, acting_user=presidente, vote=vote)
        result = votes.vote_result(vote)
    assert result["ballots"] == 6 == result["voters"] and result["verified"]


def test_closing_while_casting_leaves_no_ballot_outside_the_seal(
    association, presidente, open_vote
):
    vote, m = open_vote

    def close():
        with translation.override("en"), scope(association=association):
            return votes.vote_close(association=association, acting_user=presidente, vote=vote)

    results = race([*(_cast(association, vote, p, "yes") for p in m[:5]), close])
    with scope(association=association):
        vote.refresh_from_db()
        check = votes.vote_verify_box(vote)
        accepted = sum(isinstance(r, votes.CastReceipt) for r in results)
    assert check.ok, check.problems
    assert vote.ballot_count == accepted
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert all("closed" in " ".join(e.messages) for e in refused)
