"""votes_count: 10,000 ballots × 10 options counted by every method of governance.counting.

Quality bar (governance issue): 10,000 ballots over 10 options counted in under 1 s by every
method, on one core. No database: the counting module is pure Python; the harness still sets
Django up (as for every benchmark), nothing here touches it.

The ballots are realistic rather than uniform: about a third of the voters follow one of a
few "slates" (the bureau's recommendation, a list circulated before the assembly), so many
ballots are identical; the others vary around a shared opinion of each option; one voter in
ten holds 2 or 3 votes (proxies, members with several votes). Blank ballots and, for the
yes/no question, abstentions are mixed in. Everything is seeded: every run counts the same
ballots.
"""

import random
from collections.abc import Callable

from essaim.governance import counting

from .harness import Context, Result, Table, measure, ms, out
from .registry import register

TARGET_MS = 1000.0
BALLOTS = 10_000
OPTIONS = tuple(f"Projet {i + 1}" for i in range(10))
SEED = 2026
MAX_SCORE = 10


def _weight(rng: random.Random) -> int:
    return rng.choice((2, 3)) if rng.random() < 0.10 else 1


def _ranking(rng: random.Random, appeal: dict[str, float]) -> list[str]:
    """A full or partial ranking: the options sorted by appeal + personal noise."""
    noisy = sorted(OPTIONS, key=lambda option: appeal[option] + rng.gauss(0, 1.2), reverse=True)
    return noisy if rng.random() < 0.8 else noisy[: rng.randint(1, 9)]


def make_ballots(seed: int = SEED) -> dict[str, list]:
    """The ballots of each method, (weight, choice) pairs, BALLOTS each."""
    rng = random.Random(seed)
    appeal = {option: rng.uniform(-1, 1) for option in OPTIONS}
    slates = [_ranking(rng, appeal) for _ in range(4)]
    ballots: dict[str, list] = {
        "yes_no": [],
        "plurality": [],
        "approval": [],
        "score": [],
        "schulze": [],
        "majority_judgment": [],
    }
    grades = len(counting.DEFAULT_GRADES)
    for _ in range(BALLOTS):
        weight = _weight(rng)
        blank = rng.random() < 0.02
        ranking = rng.choice(slates) if rng.random() < 0.35 else _ranking(rng, appeal)
        full = ranking + [option for option in OPTIONS if option not in ranking]
        ballots["yes_no"].append(
            (weight, rng.choices(("yes", "no", "abstain", None), (58, 30, 10, 2))[0])
        )
        ballots["plurality"].append((weight, None if blank else ranking[0]))
        ballots["approval"].append((weight, None if blank else set(ranking[: rng.randint(1, 4)])))
        # Scores and grades follow the ranking: the first ones get the best.
        ballots["score"].append(
            (
                weight,
                None
                if blank
                else {
                    option: max(0, MAX_SCORE - position - rng.randint(0, 2))
                    for position, option in enumerate(full)
                },
            )
        )
        ballots["schulze"].append((weight, None if blank else ranking))
        ballots["majority_judgment"].append(
            (
                weight,
                None
                if blank
                else {
                    option: min(grades - 1, position * grades // len(OPTIONS) + rng.randint(0, 1))
                    for position, option in enumerate(full)
                    if position < 8  # the last two left ungraded: "À rejeter"
                },
            )
        )
    return ballots


def counters(ballots: dict[str, list]) -> dict[str, Callable[[int], object]]:
    options = list(OPTIONS)
    return {
        "yes_no (two thirds)": lambda _i: counting.yes_no(
            ballots["yes_no"], rule=counting.TWO_THIRDS
        ),
        "plurality (absolute)": lambda _i: counting.plurality(
            options, ballots["plurality"], absolute_majority=True
        ),
        "approval": lambda _i: counting.approval(options, ballots["approval"]),
        "score (0-10)": lambda _i: counting.score(options, ballots["score"], max_score=MAX_SCORE),
        "schulze": lambda _i: counting.schulze(options, ballots["schulze"]),
        "majority_judgment": lambda _i: counting.majority_judgment(
            options, ballots["majority_judgment"]
        ),
    }


def _verdict(result) -> str:
    if isinstance(result, counting.YesNoResult):
        return f"{'adopted' if result.adopted else 'rejected'} ({result.yes:,} yes)"
    if getattr(result, "second_round_needed", False):
        return "second round: " + ", ".join(map(str, result.runoff))
    if result.winner is None:
        return "tie: " + ", ".join(map(str, result.tied))
    return f"winner {result.winner}"


@register(
    "votes_count",
    target=TARGET_MS,
    unit="ms",
    description="10,000 ballots × 10 options counted by every method (no database)",
)
def votes_count(context: Context) -> Result:
    ballots = make_ballots()
    weights = sum(weight for weight, _choice in ballots["schulze"])
    distinct = len({tuple(choice) for _weight, choice in ballots["schulze"] if choice})
    out(
        f"{BALLOTS:,} ballots ({weights:,} votes with weights), {len(OPTIONS)} options; "
        f"{distinct:,} distinct rankings. Target: each method < {TARGET_MS:.0f} ms."
    )
    table = Table(
        [
            ("Method", 22),
            ("p50 ms", -8),
            ("p95 ms", -8),
            ("max ms", -8),
            ("target", -8),
            ("ok", 3),
            ("Result", 40),
        ]
    )
    table.header()
    worst = 0.0
    all_ok = True
    for name, count in counters(ballots).items():
        verdict = _verdict(count(0))
        timing = measure(count, repeat=context.repeat, warmup=context.warmup)
        ok = timing.max < TARGET_MS
        all_ok = all_ok and ok
        worst = max(worst, timing.max)
        table.row(
            name,
            ms(timing.p50),
            ms(timing.p95),
            ms(timing.max),
            f"< {TARGET_MS:.0f}",
            "yes" if ok else "NO",
            verdict,
        )
    out(
        f"Slowest method: {worst:.1f} ms (worst run), target < {TARGET_MS:.0f} ms "
        f"for every method: {'met' if all_ok else 'MISSED'}."
    )
    return Result(name="votes_count", value=worst, unit="ms", target=TARGET_MS, ok=all_ok)
