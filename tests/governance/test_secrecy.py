"""The secrecy property: after a secret vote, nothing in the database joins the roll (who
voted) to the box (what was voted): no foreign key, no timestamp, no integer key, an order of
the ballots (keys, positions, rows as stored) independent of the order of the voters, no
activity log row, no log line and no outbox e-mail with a choice or a receipt; erasing a
voter leaves the box as it was."""

import json
import logging

import pytest
from django.db import connection, models
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog, OutboxEmail
from essaim.governance import services, votes
from essaim.governance.models import Ballot, RollEntry
from essaim.people import services as people_services

VOTERS = 24


@pytest.fixture
def secret_vote(association, presidente, make_members, make_assembly, rules, caplog):
    members = make_members(VOTERS)
    assembly = make_assembly(days=0)
    with scope(association=association):
        services.assembly_convene(
            association=association, acting_user=presidente, assembly=assembly
        )
        for person in members:
            services.attendance_check_in(
                association=association, acting_user=presidente, assembly=assembly, person=person
            )
        services.assembly_open(association=association, acting_user=presidente, assembly=assembly)
        vote = votes.vote_create(
            association=association,
            acting_user=presidente,
            title="Score the projects",
            assembly=assembly,
            method="score",
            options=["Garden", "Library"],
            max_score=100,
        )
        vote = votes.vote_open(association=association, acting_user=presidente, vote=vote)
        caplog.set_level(logging.DEBUG)
        receipts = []
        # Voter i gives the score i: each ballot says who cast it, unless the box forgets.
        for index, person in enumerate(members):
            receipts.append(
                votes.vote_cast(
                    association=association,
                    acting_user=None,
                    vote=vote,
                    voter=person,
                    choice={"1": index, "2": 100 - index},
                ).code
            )
        logs = caplog.text
        vote = votes.vote_close(association=association, acting_user=presidente, vote=vote)
    return {"vote": vote, "members": members, "receipts": receipts, "logs": logs}


def test_no_foreign_key_nor_timestamp_nor_integer_key_on_a_ballot():
    fields = Ballot._meta.get_fields()
    targets = {f.related_model.__name__ for f in fields if f.is_relation and f.concrete}
    assert targets == {"Vote", "Association"}
    assert not [f for f in fields if isinstance(f, models.DateField | models.DateTimeField)]
    assert isinstance(Ballot._meta.pk, models.UUIDField)
    roll_targets = {
        f.related_model.__name__
        for f in RollEntry._meta.get_fields()
        if f.is_relation and f.concrete
    }
    assert "Ballot" not in roll_targets
    assert not [
        f
        for f in RollEntry._meta.get_fields()
        if isinstance(f, models.DateField | models.DateTimeField)
    ]


def _casting_order(rows: list[dict]) -> list[int]:
    return [row["choice"]["1"] for row in rows]


def test_the_order_of_ballots_reveals_nothing(secret_vote):
    vote = secret_vote["vote"]
    cast_order = list(range(VOTERS))
    with scopes_disabled():
        by_key = [b.choice["1"] for b in Ballot.objects.filter(vote=vote).order_by("id")]
        by_position = [b.choice["1"] for b in Ballot.objects.filter(vote=vote).order_by("position")]
        table = Ballot._meta.db_table
        with connection.cursor() as cursor:
            # The rows as stored (SQLite's rowid; PostgreSQL's heap order without ORDER BY).
            order = "ORDER BY rowid" if connection.vendor == "sqlite" else ""
            cursor.execute(f"SELECT choice FROM {table} WHERE vote_id = %s {order}", [vote.pk])
            stored = [
                (json.loads(c) if isinstance(c, str) else c)["1"] for (c,) in cursor.fetchall()
            ]
        roll_order = list(
            RollEntry.objects.filter(vote=vote).order_by("id").values_list("voter_id", flat=True)
        )
    assert roll_order == [m.pk for m in secret_vote["members"]]  # the roll keeps its order
    for order_seen in (by_key, by_position, stored):
        assert sorted(order_seen) == cast_order
        assert order_seen != cast_order and order_seen != cast_order[::-1]


def test_no_audit_row_log_line_or_email_holds_a_choice_or_receipt(secret_vote):
    vote = secret_vote["vote"]
    with scopes_disabled():
        audit = json.dumps(
            list(AuditLog.objects.values("action", "data", "changes", "object_repr")),
            default=str,
        )
        hashes = list(Ballot.objects.filter(vote=vote).values_list("receipt_hash", flat=True))
        emails = " ".join(OutboxEmail.objects.values_list("body_text", flat=True))
        roll = list(RollEntry.objects.filter(vote=vote).values())
    for code in secret_vote["receipts"]:
        assert code not in audit and code not in secret_vote["logs"] and code not in emails
    for digest in hashes:
        assert digest not in audit and digest not in secret_vote["logs"]
    assert '"1":' not in audit and "choice" not in audit
    assert all(row["public_choice"] is None for row in roll)
    assert set(roll[0]) == {
        "id",
        "vote_id",
        "association_id",
        "represented_id",
        "voter_id",
        "channel",
        "weight",
        "public_choice",
    }


def test_a_voters_erasure_never_reveals_nor_alters_the_box(association, presidente, secret_vote):
    vote = secret_vote["vote"]
    with scopes_disabled():
        before = list(Ballot.objects.filter(vote=vote).order_by("position").values())
    with scope(association=association):
        people_services.person_erase(
            association=association, acting_user=presidente, person=secret_vote["members"][3]
        )
        after = list(Ballot.objects.filter(vote=vote).order_by("position").values())
        assert after == before
        assert votes.vote_verify_box(vote).ok
        # The roll keeps the (now anonymous) entry: the count of voters never changes.
        assert RollEntry.objects.filter(vote=vote).count() == VOTERS
        assert votes.vote_result(vote)["voters"] == VOTERS


def test_the_privacy_export_gives_the_roll_never_a_secret_ballot(association, secret_vote):
    from essaim.core.privacy import registry

    person = secret_vote["members"][5]
    entry = next(e for e in registry.entries() if e.key == "votes_roll")
    with scope(association=association):
        rows = entry.export_person(person)
    assert rows == [
        {
            "vote": "Score the projects",
            "date": rows[0]["date"],
            "how": "online",
            "voted_by_proxy_holder": "",
            "voted_for": "",
            "choice": "",
        }
    ]


def test_retention_deletes_old_rolls_and_keeps_the_box(association, secret_vote):
    import datetime as dt

    from django.utils import timezone

    from essaim.governance.privacy_entries import _vote_roll_retention

    vote = secret_vote["vote"]
    with scopes_disabled():
        assert _vote_roll_retention(timezone.now()) == 0
        touched = _vote_roll_retention(timezone.now() + dt.timedelta(days=6 * 366))
        assert touched == VOTERS
        assert Ballot.objects.filter(vote=vote).count() == VOTERS
