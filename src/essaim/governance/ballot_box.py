"""The ballot box: receipt codes, the hash chain of the ballots, and its verification.

Pure Python, standard library only (no Django, no database): `recount.py` uses it to check
an exported box on anyone's computer, exactly as the server does before publishing.

Receipt codes
    Each online ballot gets a random receipt code (16 Crockford base-32 characters, 80 bits,
    shown as ``XXXX-XXXX-XXXX-XXXX``), shown once to the voter. The box keeps only
    ``receipt_hash(vote_uuid, code)`` (SHA-256): whoever holds the code finds their ballot in
    the published box; nobody else can tell whose ballot it is.

The chain
    At closing the ballots are put in a random order (``shuffled``), numbered 1…n, and
    chained: ``genesis = H("essaim-box-v1", vote, method, options)``, then for each ballot
    ``chain_hash = H(previous chain_hash, canonical(ballot))`` where ``canonical`` covers its
    position, channel, weight, choice and receipt hash. The last hash (``final_hash``) is
    published with the result. Editing, deleting, adding or reordering any ballot changes
    every hash from there on: ``verify`` finds where.

Canonical JSON: keys sorted, no spaces, UTF-8, ``ensure_ascii=False``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

VERSION = "essaim-box-v1"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32 (no I, L, O, U)
_READ_AS = {"O": "0", "I": "1", "L": "1"}
CODE_LENGTH = 16


def new_receipt_code() -> str:
    """A random receipt code, e.g. ``7KQ2-M9XD-4T1B-ZR8C``."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_receipt(code: str) -> str | None:
    """The 16 characters of a code as typed (any case, spaces or dashes, O for 0…), or None."""
    cleaned = "".join(_READ_AS.get(c, c) for c in (code or "").upper() if c not in " -_.\t\n")
    if len(cleaned) != CODE_LENGTH or any(c not in _ALPHABET for c in cleaned):
        return None
    return cleaned


def receipt_hash(vote_uuid: str, code: str) -> str:
    """SHA-256 of the normalised code, bound to the vote. Raises ValueError on a bad code."""
    normal = normalise_receipt(code)
    if normal is None:
        raise ValueError("not a receipt code")
    return _sha(f"{VERSION}\x1freceipt\x1f{vote_uuid}\x1f{normal}")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def genesis_hash(vote_uuid: str, method: str, options: Sequence[str]) -> str:
    """The hash the chain starts from: it binds the box to one vote and its options."""
    return _sha(canonical([VERSION, str(vote_uuid), method, list(options)]))


def ballot_content(ballot: dict) -> dict:
    """The part of a ballot the chain covers (position, channel, weight, choice, receipt)."""
    return {
        "position": int(ballot["position"]),
        "channel": ballot["channel"],
        "weight": int(ballot["weight"]),
        "choice": ballot["choice"],
        "receipt_hash": ballot.get("receipt_hash") or "",
    }


def link_hash(previous: str, ballot: dict) -> str:
    return _sha(previous + "\n" + canonical(ballot_content(ballot)))


def shuffled(items: Iterable) -> list:
    """The items in an order drawn from the operating system's random source."""
    items = list(items)
    secrets.SystemRandom().shuffle(items)
    return items


def chain(vote_uuid: str, method: str, options: Sequence[str], ballots: Sequence[dict]):
    """Number the ballots in the given order and chain them.

    Returns (ballots with `position` and `chain_hash`, final hash). Call it with
    ``shuffled(ballots)``: the order then reveals nothing of the order of casting."""
    previous = genesis_hash(vote_uuid, method, options)
    out = []
    for position, ballot in enumerate(ballots, start=1):
        entry = {**ballot, "position": position}
        previous = link_hash(previous, entry)
        out.append({**entry, "chain_hash": previous})
    return out, previous


@dataclass
class Problem:
    code: str  # "modified", "missing", "added", "count", "final_hash", "order"
    position: int | None
    message: str


@dataclass
class Verification:
    ok: bool
    ballots: int
    final_hash: str
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "ballots": self.ballots,
            "final_hash": self.final_hash,
            "problems": [p.__dict__ for p in self.problems],
        }


def verify(
    vote_uuid: str,
    method: str,
    options: Sequence[str],
    ballots: Sequence[dict],
    *,
    expected_final_hash: str,
    expected_count: int,
) -> Verification:
    """Recompute the chain of a sealed box and compare it with what was published.

    `ballots`: dicts with position, channel, weight, choice, receipt_hash, chain_hash, in any
    order. Finds a modified ballot (its stored hash no longer matches its content), a
    missing or added one (positions not 1…n, count), and a chain rebuilt by someone who
    changed the box (the final hash differs from the one sealed and published)."""
    problems: list[Problem] = []
    rows = sorted(ballots, key=lambda b: (b.get("position") is None, b.get("position") or 0))
    total = len(rows)
    positions = [b.get("position") for b in rows]
    if any(p is None for p in positions):
        problems.append(Problem("added", None, "A ballot without a position was added."))
        rows = [b for b in rows if b.get("position") is not None]
        positions = [b["position"] for b in rows]
    seen = set()
    for p in positions:
        if p in seen:
            problems.append(Problem("added", p, f"Two ballots carry position {p}."))
        seen.add(p)
    expected = set(range(1, expected_count + 1))
    for p in sorted(expected - seen):
        problems.append(Problem("missing", p, f"Ballot {p} is missing from the box."))
    for p in sorted(seen - expected):
        problems.append(Problem("added", p, f"Ballot {p} was not in the sealed box."))
    if total != expected_count:
        problems.append(
            Problem(
                "count",
                None,
                f"The box holds {total} ballots; {expected_count} were sealed.",
            )
        )
    previous = genesis_hash(vote_uuid, method, options)
    for ballot in rows:
        computed = link_hash(previous, ballot)
        if computed != ballot.get("chain_hash"):
            problems.append(
                Problem(
                    "modified",
                    ballot["position"],
                    f"Ballot {ballot['position']} does not match its hash: it was changed, "
                    "or a ballot before it was.",
                )
            )
            break
        previous = computed
    final = previous if rows else genesis_hash(vote_uuid, method, options)
    if not problems and final != expected_final_hash:
        problems.append(
            Problem(
                "final_hash",
                None,
                "The chain is consistent but does not end with the published final hash: "
                "the box was rebuilt.",
            )
        )
    return Verification(ok=not problems, ballots=total, final_hash=final, problems=problems)
