"""Recount a vote from its exported ballot box, without Django nor a database.

    python -m essaim.governance.recount export.json        # verify the chain, then count
    python -m essaim.governance.recount export.json --json # the result as JSON

`export.json` is the recount export of a closed vote (screen "Results" → "Recount export",
or the API). It holds the vote (`uuid`, `method`, `options` with their keys and labels, the
`majority`, `max_score`, `grades`, `weighted`), every ballot (`position`, `channel`, `weight`,
`choice`, `receipt_hash`, `chain_hash`) and the sealed `final_hash`. This script checks the
hash chain (ballot_box.verify) and counts with essaim.governance.counting, the very module the
server uses: anyone can compare its output with the published result.

Choices per method: yes_no "yes" / "no" / "abstain"; single one option key; approval a list
of keys; ranked a list of keys, best first (partial rankings allowed); judgment
{key: grade index, 0 = best}; score {key: 0…max_score}. `null` is a blank ballot.

Only two files are needed beside this one: `counting.py` and `ballot_box.py` (standard library
only); copy the three into a folder and run ``python recount.py export.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from typing import Any

try:  # inside the essaim package
    from . import ballot_box, counting
except ImportError:  # copied beside counting.py and ballot_box.py
    import ballot_box  # type: ignore[no-redef]
    import counting  # type: ignore[no-redef]

METHODS = ("yes_no", "single", "approval", "ranked", "judgment", "score")


def majority_rule(majority: dict | None) -> counting.MajorityRule:
    """{"name": "simple" | "absolute" | "two_thirds" | "qualified", "fraction": "3/4",
    "strict": false} → the counting module's rule."""
    majority = majority or {}
    name = majority.get("name", "simple")
    if name == "absolute":
        return counting.ABSOLUTE
    if name == "two_thirds":
        return counting.TWO_THIRDS
    if name == "qualified":
        return counting.MajorityRule.qualified(
            Fraction(majority["fraction"]), strict=bool(majority.get("strict"))
        )
    return counting.SIMPLE


def _frac(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _pct(value: Fraction) -> float:
    return round(float(value) * 100, 2)


def _decision(result) -> dict:
    return {
        "winner": result.winner,
        "ranking": [list(tier) for tier in result.ranking],
        "tie": result.tie,
        "tied": list(result.tied),
        "tie_resolution": str(result.tie_resolution),
        "ballots": result.ballots,
        "blank": result.blank,
    }


def count_box(spec: dict, ballots: list[tuple[int, Any]]) -> dict:
    """Count `ballots` ((weight, choice) pairs) for the vote `spec` (method, options keys,
    majority, max_score, grades). Returns plain JSON-able data; raises counting's
    InvalidBallot / ValueError like counting does."""
    method = spec["method"]
    keys = [str(o["key"]) if isinstance(o, dict) else str(o) for o in spec.get("options", [])]
    if method == "yes_no":
        r = counting.yes_no(ballots, rule=majority_rule(spec.get("majority")))
        return {
            "method": method,
            "yes": r.yes,
            "no": r.no,
            "abstain": r.abstain,
            "blank": r.blank,
            "ballots": r.ballots,
            "expressed": r.expressed,
            "base": r.base,
            "required": r.required,
            "adopted": r.adopted,
            "margin": r.margin,
            "yes_share": _frac(r.yes_share),
            "yes_percent": _pct(r.yes_share),
            "tie": r.tie,
            "tie_resolution": str(r.tie_resolution),
            "winner": None,
            "ranking": [],
        }
    if method == "single":
        r = counting.plurality(keys, ballots)
        return {
            "method": method,
            **_decision(r),
            "expressed": r.expressed,
            "tallies": [
                {"key": t.option, "votes": t.votes, "percent": _pct(t.share)} for t in r.tallies
            ],
        }
    if method == "approval":
        r = counting.approval(keys, ballots)
        return {
            "method": method,
            **_decision(r),
            "tallies": [
                {"key": t.option, "approvals": t.approvals, "percent": _pct(t.share)}
                for t in r.tallies
            ],
        }
    if method == "score":
        r = counting.score(keys, ballots, max_score=int(spec["max_score"]), missing_score=None)
        return {
            "method": method,
            **_decision(r),
            "max_score": r.max_score,
            "scored": r.scored,
            "tallies": [
                {
                    "key": t.option,
                    "total": t.total,
                    "mean": round(float(t.mean), 2),
                    "distribution": list(t.distribution),
                }
                for t in r.tallies
            ],
        }
    if method == "ranked":
        r = counting.schulze(keys, ballots)
        return {
            "method": method,
            **_decision(r),
            "condorcet_winner": r.condorcet_winner,
            "pairwise": [list(row) for row in r.pairwise],
            "strongest_paths": [list(row) for row in r.strongest_paths],
            "tallies": [
                {"key": t.option, "pairwise_wins": t.pairwise_wins, "schulze_wins": t.schulze_wins}
                for t in r.tallies
            ],
        }
    if method == "judgment":
        grades = tuple(spec.get("grades") or counting.DEFAULT_GRADES)
        r = counting.majority_judgment(keys, ballots, grades=grades, missing_grade=None)
        return {
            "method": method,
            **_decision(r),
            "grades": list(r.grades),
            "graded": r.graded,
            "tallies": [
                {
                    "key": t.option,
                    "distribution": list(t.distribution),
                    "majority_grade": t.majority_grade,
                    "gauge": t.gauge,
                    "proponents": t.proponents,
                    "opponents": t.opponents,
                }
                for t in r.tallies
            ],
        }
    raise ValueError(f"unknown method {method!r}")


def counting_choice(method: str, choice: Any) -> Any:
    """A stored choice as the counting module reads it (JSON has no tuples nor sets)."""
    if choice is None:
        return None
    if method == "approval":
        return frozenset(choice)
    return choice


def recount(export: dict) -> dict:
    """Verify the chain of an exported box and count it: {"verification", "result"}."""
    vote = export["vote"]
    keys = [str(o["key"]) for o in vote.get("options", [])]
    check = ballot_box.verify(
        vote["uuid"],
        vote["method"],
        keys,
        export["ballots"],
        expected_final_hash=export["final_hash"],
        expected_count=int(export.get("ballot_count", len(export["ballots"]))),
    )
    pairs = [
        (int(b["weight"]), counting_choice(vote["method"], b["choice"])) for b in export["ballots"]
    ]
    return {"verification": check.as_dict(), "result": count_box(vote, pairs)}


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _report(report: dict, export: dict) -> None:
    check, result = report["verification"], report["result"]
    labels = {str(o["key"]): o.get("label", o["key"]) for o in export["vote"].get("options", [])}
    _out(f"Vote: {export['vote'].get('title', export['vote']['uuid'])}")
    _out(f"Ballots: {check['ballots']}  final hash: {check['final_hash']}")
    if check["ok"]:
        _out("Chain: OK (every ballot matches its hash; the final hash is the sealed one)")
    else:
        _out("Chain: PROBLEMS")
        for problem in check["problems"]:
            _out(f"  - {problem['message']}")
    if result["method"] == "yes_no":
        _out(
            f"yes {result['yes']}  no {result['no']}  abstain {result['abstain']}  "
            f"blank {result['blank']}  required {result['required']}  "
            f"adopted: {'yes' if result['adopted'] else 'no'}"
        )
        return
    for tally in result.get("tallies", []):
        figures = {k: v for k, v in tally.items() if k != "key"}
        _out(f"  {labels.get(tally['key'], tally['key'])}: {figures}")
    winner = result.get("winner")
    _out(f"Winner: {labels.get(winner, winner) if winner else '-'}")
    if result.get("tie"):
        _out(f"Tie between: {', '.join(labels.get(k, k) for k in result['tied'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", help="the recount export (JSON) of a closed vote")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    with open(args.export, encoding="utf-8") as handle:
        export = json.load(handle)
    report = recount(export)
    if args.json:
        _out(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _report(report, export)
    return 0 if report["verification"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
