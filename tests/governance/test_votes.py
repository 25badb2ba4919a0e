"""Votes: creation, who may vote (presence, proxies, voting rights), casting, paper ballots,
closing and sealing, results by method, recount export and the standalone recount."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from essaim.governance import ballot_box, recount, services, votes
from essaim.governance.models import Ballot, Proxy, RollEntry, Vote

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def session(association, presidente, make_members, make_assembly, rules):
    """An open AG: members 0-3 present, 4 gave their proxy to 0, 5 absent; 6 no rights."""
    members = make_members(6)
    outsider_member = make_members(1, rights=False)[0]
    assembly = make_assembly(days=0)
    with scope(association=association):
        services.assembly_convene(
            association=association, acting_user=presidente, assembly=assembly
        )
        for person in members[:4]:
            services.attendance_check_in(
                association=association, acting_user=presidente, assembly=assembly, person=person
            )
        services.proxy_give(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            giver=members[4],
            holder=members[0],
        )
        services.assembly_open(association=association, acting_user=presidente, assembly=assembly)
    return {"assembly": assembly, "members": members, "no_rights": outsider_member}


def make_vote(association, presidente, assembly, open_=True, **fields):
    with scope(association=association):
        item = assembly.items.first()
        vote = votes.vote_create(
            association=association,
            acting_user=presidente,
            title=fields.pop("title", "Approve the accounts"),
            agenda_item=item,
            **fields,
        )
        if open_:
            vote = votes.vote_open(association=association, acting_user=presidente, vote=vote)
        return vote


def cast(association, vote, voter, choice, represented=None):
    with scope(association=association):
        return votes.vote_cast(
            association=association,
            acting_user=None,
            vote=vote,
            voter=voter,
            represented=represented,
            choice=choice,
        )


def close(association, presidente, vote):
    with scope(association=association):
        return votes.vote_close(association=association, acting_user=presidente, vote=vote)


def test_yes_no_with_proxy_then_sealed_result(association, presidente, session):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    receipts = [
        cast(association, vote, m[0], "yes"),
        cast(association, vote, m[0], "yes", represented=m[4]),
        cast(association, vote, m[1], "no"),
        cast(association, vote, m[2], "abstain"),
    ]
    assert all(ballot_box.normalise_receipt(r.code) for r in receipts)
    assert len({r.code for r in receipts}) == 4
    with scope(association=association):
        live = votes.vote_result(vote)
        assert live["counts"] is None and live["voters"] == 4 and live["by_proxy"] == 1
        vote = close(association, presidente, vote)
        result = votes.vote_result(vote)
    assert result["counts"]["yes"] == 2 and result["counts"]["no"] == 1
    assert result["counts"]["abstain"] == 1
    assert result["adopted"] is True and result["verified"] is True
    assert len(result["final_hash"]) == 64 and result["ballot_count"] == 4
    assert result["channels"]["online"] == {"voters": 4, "ballots": 4, "weight": 4}


def test_default_majority_comes_from_the_statutes_per_kind(
    association, presidente, make_assembly, rules
):
    extraordinary = make_assembly(kind="extraordinary")
    vote = make_vote(association, presidente, extraordinary, open_=False)
    assert vote.majority == "two_thirds"
    override = make_vote(association, presidente, extraordinary, open_=False, majority="absolute")
    assert override.majority == "absolute"


def test_weighted_votes_use_the_membership_weights(
    association, presidente, make_members, make_assembly
):
    with scope(association=association):
        services.statutes_rules_update(
            association=association, acting_user=presidente, weighted_votes=True
        )
    heavy = make_members(1, weight=3)[0]
    light = make_members(1)[0]
    assembly = make_assembly(days=0)
    with scope(association=association):
        services.assembly_convene(
            association=association, acting_user=presidente, assembly=assembly
        )
        for p in (heavy, light):
            services.attendance_check_in(
                association=association, acting_user=presidente, assembly=assembly, person=p
            )
        services.assembly_open(association=association, acting_user=presidente, assembly=assembly)
    vote = make_vote(association, presidente, assembly)
    assert vote.weighted
    assert cast(association, vote, heavy, "no").weight == 3
    cast(association, vote, light, "yes")
    vote = close(association, presidente, vote)
    with scope(association=association):
        result = votes.vote_result(vote)
    assert result["counts"]["no"] == 3 and result["counts"]["yes"] == 1
    assert result["adopted"] is False


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("absent", "checked in"),
        ("no_rights", "no voting rights"),
        ("proxy_not_held", "do not hold"),
    ],
)
def test_who_may_not_vote(association, presidente, session, who, message):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    voter, represented = {
        "absent": (m[5], m[5]),
        "no_rights": (session["no_rights"], session["no_rights"]),
        "proxy_not_held": (m[1], m[4]),
    }[who]
    with pytest.raises(ValidationError) as error:
        cast(association, vote, voter, "yes", represented=represented)
    assert message in " ".join(error.value.messages)
    with scope(association=association):
        assert not RollEntry.objects.filter(vote=vote).exists()
        assert not Ballot.objects.filter(vote=vote).exists()


def test_non_member_of_another_association_refused(
    association, presidente, session, other_association
):
    from tests.factories import PersonFactory

    vote = make_vote(association, presidente, session["assembly"])
    with scope(association=other_association):
        stranger = PersonFactory(association=other_association)
    with pytest.raises(ValidationError):
        cast(association, vote, stranger, "yes")


def test_second_ballot_refused_for_self_and_for_proxy(association, presidente, session):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    cast(association, vote, m[0], "yes")
    cast(association, vote, m[0], "no", represented=m[4])
    with pytest.raises(ValidationError, match="already voted"):
        cast(association, vote, m[0], "no")
    with pytest.raises(ValidationError, match="already been cast"):
        cast(association, vote, m[0], "yes", represented=m[4])
    with scope(association=association):
        assert Ballot.objects.filter(vote=vote).count() == 2


def test_before_opening_and_after_closing(association, presidente, session):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"], open_=False)
    with pytest.raises(ValidationError, match="not open yet"):
        cast(association, vote, m[0], "yes")
    with scope(association=association):
        vote = votes.vote_open(association=association, acting_user=presidente, vote=vote)
    cast(association, vote, m[1], "yes")
    close(association, presidente, vote)
    with pytest.raises(ValidationError, match="closed"):
        cast(association, vote, m[0], "yes")
    with pytest.raises(ValidationError):
        close(association, presidente, vote)


def test_a_vote_opens_only_during_the_session(association, presidente, make_assembly, rules):
    assembly = make_assembly()
    vote = make_vote(association, presidente, assembly, open_=False)
    with scope(association=association), pytest.raises(ValidationError, match="Open the meeting"):
        votes.vote_open(association=association, acting_user=presidente, vote=vote)


@pytest.mark.parametrize(
    ("method", "fields", "choice", "message"),
    [
        ("yes_no", {}, "maybe", "yes, no or abstain"),
        ("single", {"options": ["A", "B"]}, "9", "not on the ballot"),
        ("approval", {"options": ["A", "B"]}, ["1", "1"], "twice"),
        ("ranked", {"options": ["A", "B", "C"]}, ["1", "2", "1"], "twice"),
        ("ranked", {"options": ["A", "B"]}, "1", "not filled in"),
        ("judgment", {"options": ["A", "B"]}, {"1": 0, "2": 9}, "grades offered"),
        ("judgment", {"options": ["A", "B"]}, {"1": 0}, "every option"),
        ("score", {"options": ["A", "B"], "max_score": 5}, {"1": 6, "2": 1}, "between 0 and 5"),
        ("score", {"options": ["A", "B"]}, {"1": "x", "2": 1}, "between 0 and"),
    ],
)
def test_malformed_ballots_refused(
    association, presidente, session, method, fields, choice, message
):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"], method=method, **fields)
    with pytest.raises(ValidationError) as error:
        cast(association, vote, m[0], choice)
    assert message in " ".join(error.value.messages)
    with scope(association=association):
        assert not RollEntry.objects.filter(vote=vote).exists()


def test_create_refuses_bad_configuration(association, presidente, session):
    with pytest.raises(ValidationError) as error:
        make_vote(association, presidente, session["assembly"], method="single", options=["Only"])
    assert "options" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_vote(
            association,
            presidente,
            session["assembly"],
            title=" ",
            method="ranked",
            options=["A", "a"],
            majority="custom",
            majority_custom="7/3",
        )
    assert {"options", "majority_custom"} <= set(error.value.message_dict)


def test_standalone_vote_needs_remote_voting(association, presidente, rules):
    with scope(association=association), pytest.raises(ValidationError, match="remote voting"):
        votes.vote_create(association=association, acting_user=presidente, title="Online vote")


def test_standalone_online_vote_of_the_members(association, presidente, make_members, rules):
    members = make_members(3)
    with scope(association=association):
        services.statutes_rules_update(
            association=association, acting_user=presidente, remote_voting_allowed=True
        )
        vote = votes.vote_create(
            association=association,
            acting_user=presidente,
            title="New logo",
            method="approval",
            options=["Bee", "Hive", "Flower"],
        )
        votes.vote_open(association=association, acting_user=presidente, vote=vote)
    cast(association, vote, members[0], ["1", "3"])
    cast(association, vote, members[1], ["3"])
    with pytest.raises(ValidationError, match="general meetings only"):
        cast(association, vote, members[0], ["1"], represented=members[2])
    vote = close(association, presidente, vote)
    with scope(association=association):
        result = votes.vote_result(vote)
    assert result["winners"] == ["3"] and result["winner_labels"] == ["Flower"]


def test_majority_judgment_and_schulze_results(association, presidente, session):
    m = session["members"]
    mj = make_vote(
        association, presidente, session["assembly"], method="judgment", options=["X", "Y"]
    )
    for voter, grades in (
        (m[0], {"1": 2, "2": 0}),
        (m[1], {"1": 2, "2": 4}),
        (m[2], {"1": 4, "2": 4}),
    ):
        cast(association, mj, voter, grades)
    mj = close(association, presidente, mj)
    ranked = make_vote(
        association, presidente, session["assembly"], method="ranked", options=["A", "B", "C"]
    )
    for voter, order in ((m[0], ["1", "2", "3"]), (m[1], ["2", "1", "3"]), (m[2], ["1", "3", "2"])):
        cast(association, ranked, voter, order)
    ranked = close(association, presidente, ranked)
    with scope(association=association):
        mj_result = votes.vote_result(mj)
        ranked_result = votes.vote_result(ranked)
    tallies = {t["key"]: t for t in mj_result["counts"]["tallies"]}
    assert tallies["1"]["majority_grade"] == "Bien"
    assert tallies["2"]["majority_grade"] == "Passable"
    assert mj_result["winner_labels"] == ["X"]
    assert ranked_result["winners"] == ["1"]
    assert ranked_result["counts"]["pairwise"][0][1] == 2


def test_tie_is_explained_and_no_winner(association, presidente, session):
    m = session["members"]
    vote = make_vote(
        association, presidente, session["assembly"], method="single", options=["A", "B"]
    )
    cast(association, vote, m[0], "1")
    cast(association, vote, m[1], "2")
    vote = close(association, presidente, vote)
    with scope(association=association):
        result = votes.vote_result(vote)
    assert result["tie"] and result["winners"] == [] and result["tied"] == ["1", "2"]
    assert "same number of votes" in result["tie_explanation"]


def test_blank_ballot_counted_apart(association, presidente, session):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    cast(association, vote, m[0], None)
    cast(association, vote, m[1], "yes")
    vote = close(association, presidente, vote)
    with scope(association=association):
        result = votes.vote_result(vote)
    assert result["blank"] == 1 and result["counts"]["yes"] == 1 and result["adopted"]


def test_paper_ballots_merged_with_online(association, presidente, session):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    cast(association, vote, m[0], "yes")
    with scope(association=association):
        for person in (m[1], m[2]):
            votes.vote_paper_record(
                association=association, acting_user=presidente, vote=vote, voter=person
            )
        with pytest.raises(ValidationError, match="paper box would hold"):
            votes.vote_paper_ballots_add(
                association=association, acting_user=presidente, vote=vote, entries=[("no", 3)]
            )
        votes.vote_paper_ballots_add(
            association=association,
            acting_user=presidente,
            vote=vote,
            entries=[("no", 1), ("yes", 1)],
        )
    # A paper voter cannot vote online as well.
    with pytest.raises(ValidationError, match="already voted"):
        cast(association, vote, m[1], "yes")
    vote = close(association, presidente, vote)
    with scope(association=association):
        result = votes.vote_result(vote)
    assert result["channels"]["paper"] == {"voters": 2, "ballots": 2, "weight": 2}
    assert result["counts"]["yes"] == 2 and result["counts"]["no"] == 1
    assert result["verified"]


def test_public_vote_roll_shows_the_choice(association, presidente, session):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"], secret=False)
    cast(association, vote, m[0], "yes")
    with scope(association=association):
        votes.vote_paper_record(
            association=association, acting_user=presidente, vote=vote, voter=m[1], choice="no"
        )
        roll = dict(RollEntry.objects.filter(vote=vote).values_list("voter_id", "public_choice"))
    assert roll == {m[0].pk: "yes", m[1].pk: "no"}


def test_secret_roll_never_holds_the_choice(association, presidente, session):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    cast(association, vote, m[0], "no")
    with scope(association=association):
        assert RollEntry.objects.get(vote=vote).public_choice is None


def test_receipt_check(association, presidente, session):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    receipt = cast(association, vote, m[0], "yes")
    cast(association, vote, m[1], "no")
    with scope(association=association):
        before = votes.receipt_check(vote, receipt.code.lower().replace("-", " "))
        assert before["found"] and before["position"] is None
        vote = close(association, presidente, vote)
        after = votes.receipt_check(vote, receipt.code)
        assert after["found"] and after["position"] in (1, 2) and len(after["chain_hash"]) == 64
        assert votes.receipt_check(vote, "0000-0000-0000-0000")["found"] is False
        assert votes.receipt_check(vote, "not a code") is None


def test_publish_then_recount_export_without_django(association, presidente, session, tmp_path):
    m = session["members"]
    vote = make_vote(
        association, presidente, session["assembly"], method="ranked", options=["A", "B", "C"]
    )
    cast(association, vote, m[0], ["3", "1"])
    cast(association, vote, m[1], ["3", "2", "1"])
    cast(association, vote, m[0], ["1"], represented=m[4])
    vote = close(association, presidente, vote)
    with scope(association=association):
        vote = votes.vote_publish(association=association, acting_user=presidente, vote=vote)
        export = votes.recount_export(vote)
        expected = votes.vote_result(vote)["counts"]
    assert vote.status == Vote.Status.PUBLISHED
    report = recount.recount(json.loads(json.dumps(export)))
    assert report["verification"]["ok"] and report["result"]["winner"] == expected["winner"] == "3"
    # The script runs alone, with the three files copied into an empty folder.
    source = Path(recount.__file__).parent
    for name in ("recount.py", "counting.py", "ballot_box.py"):
        (tmp_path / name).write_text((source / name).read_text())
    (tmp_path / "export.json").write_text(json.dumps(export))
    run = subprocess.run(
        [sys.executable, "recount.py", "export.json", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["result"]["winner"] == "3"


def test_proxy_revoked_before_opening_gives_no_ballot(association, presidente, session):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    with scope(association=association):
        rows = votes.ballots_for(vote, m[0])
    assert [(r["person"], r["eligible"]) for r in rows] == [(m[0], True), (m[4], True)]
    with scope(association=association):
        Proxy.objects.filter(giver=m[4]).update(revoked_at="2020-01-01T00:00:00Z")
    with pytest.raises(ValidationError, match="do not hold"):
        cast(association, vote, m[0], "yes", represented=m[4])


@pytest.mark.parametrize("tampering", ["edit", "delete", "add"])
def test_a_tampered_box_is_detected_and_not_published(association, presidente, session, tampering):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    for voter, choice in ((m[0], "yes"), (m[1], "no"), (m[2], "yes")):
        cast(association, vote, voter, choice)
    vote = close(association, presidente, vote)
    with scope(association=association):
        assert votes.vote_verify_box(vote).ok
        box = Ballot.objects.filter(vote=vote)
        if tampering == "edit":
            target = box.exclude(choice="no").first()
            Ballot.objects.filter(pk=target.pk).update(choice="no")
        elif tampering == "delete":
            box.filter(choice="no").delete()
        else:
            Ballot.objects.create(
                vote=vote, association=association, channel="online", weight=1, choice="yes"
            )
        check = votes.vote_verify(association=association, acting_user=presidente, vote=vote)
        assert not check.ok
        with pytest.raises(ValidationError, match="does not match its seal"):
            votes.vote_publish(association=association, acting_user=presidente, vote=vote)
        vote.refresh_from_db()
        assert vote.status == Vote.Status.CLOSED
        assert votes.vote_result(vote)["verified"] is False


def test_votes_past_their_closing_time_are_closed_by_the_scheduler(
    association, presidente, session
):
    import datetime as dt

    from django.utils import timezone

    from essaim.core import scheduler

    assert "governance_votes_close_due" in {job.name for job in scheduler.jobs()}
    m = session["members"]
    soon = timezone.now() + dt.timedelta(minutes=10)
    vote = make_vote(association, presidente, session["assembly"], closes_at=soon)
    later = make_vote(association, presidente, session["assembly"], title="Later")
    cast(association, vote, m[0], "yes")
    assert votes.votes_close_due(now=timezone.now()) == 0
    assert votes.votes_close_due(now=soon + dt.timedelta(seconds=1)) == 1
    with scope(association=association):
        vote.refresh_from_db()
        later.refresh_from_db()
    assert vote.status == Vote.Status.CLOSED and vote.ballot_count == 1
    assert later.status == Vote.Status.OPEN


def test_participation_counts_the_electorate(association, presidente, session):
    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    cast(association, vote, m[0], "yes", represented=m[4])
    with scope(association=association):
        figures = votes.participation(vote)
    # 4 present (0-3) + 1 represented (4); 5 absent; the member without rights is not counted.
    assert figures["electorate"] == {"heads": 5, "weight": 5}
    assert figures["voted"] == 1 and figures["by_proxy"] == 1 and figures["online"] == 1


def test_the_participation_box_reads_a_fixed_number_of_rows(
    association, presidente, session, client_for, django_assert_max_num_queries
):
    from django.urls import reverse

    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    for person in m[:4]:
        cast(association, vote, person, "yes")
    client = client_for(presidente)
    url = reverse(
        "governance:vote_participation",
        kwargs={"association_slug": association.slug, "vote_uuid": vote.uuid},
    )
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200


def test_the_voting_hours_are_enforced(association, presidente, session):
    import datetime as dt

    from django.utils import timezone

    m = session["members"]
    now = timezone.now()
    later = make_vote(
        association,
        presidente,
        session["assembly"],
        opens_at=now + dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(hours=2),
    )
    with pytest.raises(ValidationError, match="not open yet"):
        cast(association, later, m[0], "yes")
    past = make_vote(
        association,
        presidente,
        session["assembly"],
        opens_at=now - dt.timedelta(hours=2),
        closes_at=now - dt.timedelta(hours=1),
    )
    with pytest.raises(ValidationError, match="closed"):
        cast(association, past, m[0], "yes")
    with pytest.raises(ValidationError) as error:
        make_vote(
            association,
            presidente,
            session["assembly"],
            opens_at=now,
            closes_at=now - dt.timedelta(minutes=1),
        )
    assert "closes_at" in error.value.message_dict


def test_an_erased_member_cannot_vote_and_the_roll_keeps_their_entry(
    association, presidente, session
):
    from essaim.people import services as people_services

    m = session["members"]
    vote = make_vote(association, presidente, session["assembly"])
    cast(association, vote, m[1], "no")
    with scope(association=association):
        people_services.person_erase(association=association, acting_user=presidente, person=m[1])
        people_services.person_erase(association=association, acting_user=presidente, person=m[2])
        m[2].refresh_from_db()
        assert RollEntry.objects.filter(vote=vote).count() == 1
        assert Ballot.objects.filter(vote=vote).count() == 1
    with pytest.raises(ValidationError):
        cast(association, vote, m[2], "yes")
