"""The ballot box alone (no database): receipt codes, the chain, and tampering found."""

import copy

import pytest

from essaim.governance import ballot_box

VOTE = "2f1c7a0e-0000-4000-8000-000000000001"
OPTIONS = ["1", "2"]


def sealed(n=5):
    ballots = [
        {
            "channel": "online",
            "weight": 1,
            "choice": {"1": i % 3, "2": 2},
            "receipt_hash": ballot_box.receipt_hash(VOTE, ballot_box.new_receipt_code()),
        }
        for i in range(n)
    ]
    rows, final = ballot_box.chain(VOTE, "score", OPTIONS, ballot_box.shuffled(ballots))
    return rows, final


def check(rows, final, count=5):
    return ballot_box.verify(
        VOTE, "score", OPTIONS, rows, expected_final_hash=final, expected_count=count
    )


def test_receipt_codes_are_random_and_forgiving():
    codes = {ballot_box.new_receipt_code() for _ in range(200)}
    assert len(codes) == 200
    code = codes.pop()
    assert len(code) == 19 and code.count("-") == 3
    typed = code.lower().replace("-", " ").replace("0", "o")
    assert ballot_box.receipt_hash(VOTE, typed) == ballot_box.receipt_hash(VOTE, code)
    assert ballot_box.receipt_hash("other-vote", code) != ballot_box.receipt_hash(VOTE, code)
    for bad in ("", "1234", "UUUU-UUUU-UUUU-UUUU", code + "X"):
        assert ballot_box.normalise_receipt(bad) is None
    with pytest.raises(ValueError):
        ballot_box.receipt_hash(VOTE, "nope")


def test_an_intact_box_verifies():
    rows, final = sealed()
    result = check(list(reversed(rows)), final)  # the order of the rows read does not matter
    assert result.ok and result.final_hash == final and result.ballots == 5
    assert [r["position"] for r in rows] == [1, 2, 3, 4, 5]


def test_the_empty_box_verifies():
    rows, final = ballot_box.chain(VOTE, "score", OPTIONS, [])
    assert rows == [] and check([], final, 0).ok


def test_an_edited_ballot_is_found():
    rows, final = sealed()
    rows = copy.deepcopy(rows)
    rows[2]["choice"] = (
        {"1": 2, "2": 2} if rows[2]["choice"] != {"1": 2, "2": 2} else {"1": 0, "2": 0}
    )
    result = check(rows, final)
    assert not result.ok
    assert [(p.code, p.position) for p in result.problems] == [("modified", 3)]
    assert "Ballot 3 does not match its hash" in result.problems[0].message


def test_a_changed_weight_is_found():
    rows, final = sealed()
    rows = copy.deepcopy(rows)
    rows[4]["weight"] = 40
    assert [p.code for p in check(rows, final).problems] == ["modified"]


def test_a_deleted_ballot_is_found():
    rows, final = sealed()
    del rows[1]
    codes = {p.code for p in check(rows, final).problems}
    assert {"missing", "count"} <= codes


def test_an_added_ballot_is_found():
    rows, final = sealed()
    extra = {"channel": "paper", "weight": 1, "choice": {"1": 2, "2": 2}, "receipt_hash": ""}
    codes = {p.code for p in check([*rows, extra], final).problems}
    assert "added" in codes and "count" in codes
    # Even added with a position and a well-formed hash after the last one.
    chained = {**extra, "position": 6}
    chained["chain_hash"] = ballot_box.link_hash(rows[-1]["chain_hash"], chained)
    assert not check([*rows, chained], final).ok


def test_a_rebuilt_chain_does_not_end_with_the_sealed_hash():
    rows, final = sealed()
    forged = [{k: v for k, v in r.items() if k not in ("position", "chain_hash")} for r in rows]
    forged[0]["choice"] = (
        {"1": 2, "2": 0} if forged[0]["choice"] != {"1": 2, "2": 0} else {"1": 1, "2": 0}
    )
    rebuilt, _final = ballot_box.chain(VOTE, "score", OPTIONS, forged)
    result = check(rebuilt, final)
    assert [p.code for p in result.problems] == ["final_hash"]


def test_shuffled_changes_the_order():
    items = list(range(50))
    assert sorted(ballot_box.shuffled(items)) == items
    assert any(ballot_box.shuffled(items) != items for _ in range(3))


def test_ballot_box_and_recount_import_without_django():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['django'] = None; "
        "from essaim.governance import ballot_box, recount, counting; print('ok')"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.stdout.strip() == "ok", run.stderr
