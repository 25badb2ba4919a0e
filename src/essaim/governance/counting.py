"""Vote counting (dépouillement): pure Python, standard library only.

No Django, no database: the governance models and screens call these functions with plain data
and print what they return in the minutes (procès-verbal). See `docs/governance-counting.md`.

Inputs, the same for every method:

- `options`: a list of option ids (`str` or `int`, unique), in the order the caller shows them.
  That order is only used for display (tallies, the order inside a tier of equal options);
  it never decides anything.
- `ballots`: a list of `(weight, choice)` pairs. `weight` is a positive `int` (a member holding
  three votes, proxies…) and acts exactly as that many identical ballots. The shape of `choice`
  depends on the method (see each function). `None` is a blank ballot (bulletin blanc)
  everywhere: counted apart, never a suffrage exprimé.

A ballot that does not fit raises `InvalidBallot` (message, index of the ballot in `ballots`,
machine `code`); a bad configuration (options, rule, tie-break order) raises `ValueError`.

Outputs are frozen dataclasses: the winner (or None), the ranking as tiers of equal options
(best first), the per-option figures for the minutes, and how a tie was handled:

- `tie` is True when the method's own rules leave several options in first place (`tied`).
- Ties are never broken by the order of `options`. Unless the caller passes `tie_break`, the
  winner is None and `tie_resolution` is `"unresolved"`. `tie_break` is either an explicit
  order of all the options (e.g. a lot drawn in the assembly: earlier wins) or an `int` seed,
  from which an order is derived by SHA-256 (reproducible by anyone, on any machine, and
  independent of the order of `options`); `tie_break_order` records the order used.
- A tie_break never elects anybody when no ballot expressed anything.

Performance: identical ballots are grouped first (`collections.Counter`), then each distinct
ballot is counted once with its total weight, in integer arithmetic (`Fraction` only for the
shares printed). 10,000 ballots × 10 options take well under a second by every method
(`python -m bench votes_count`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import cmp_to_key
from typing import Any

Option = str | int

YES = "yes"
NO = "no"
ABSTAIN = "abstain"
BLANK = None

#: The French scale of the jugement majoritaire, best first (data: pass your own `grades`).
DEFAULT_GRADES: tuple[str, ...] = (
    "Excellent",
    "Très bien",
    "Bien",
    "Assez bien",
    "Passable",
    "Insuffisant",
    "À rejeter",
)


class InvalidBallot(ValueError):
    """One ballot does not fit the method: `message`, `index` (in `ballots`), `code`.

    `code` is stable (for the screens to translate): "shape", "weight", "unknown_option",
    "duplicate_option", "not_a_set", "not_a_ranking", "not_a_mapping", "score_out_of_range",
    "missing_score", "grade_out_of_range", "missing_grade", "not_a_yes_no".
    """

    def __init__(self, message: str, index: int, code: str = "invalid"):
        super().__init__(f"ballot {index}: {message}")
        self.message = message
        self.index = index
        self.code = code


class TieResolution(StrEnum):
    NONE = "none"  # no tie for first place
    UNRESOLVED = "unresolved"  # a tie and no tie_break: no winner
    TIE_BREAK = "tie_break"  # a tie decided by the caller's tie_break order
    CASTING_VOTE = "casting_vote"  # yes/no only: the chair's casting vote (voix prépondérante)


class Base(StrEnum):
    """What a majority is a share of."""

    EXPRESSED = "expressed"  # suffrages exprimés: abstentions and blank ballots left out
    VOTERS = "voters"  # votants: every ballot, abstentions and blank ballots included
    PRESENT = "present"  # membres présents ou représentés: a number the caller gives


@dataclass(frozen=True, slots=True)
class MajorityRule:
    """yes must reach `fraction` of the base: strictly more (`strict`) or at least."""

    name: str
    fraction: Fraction
    strict: bool

    def __post_init__(self):
        if not isinstance(self.fraction, Fraction):
            raise ValueError("a majority fraction is a fractions.Fraction")
        if not 0 < self.fraction <= 1 or (self.strict and self.fraction == 1):
            raise ValueError(f"impossible majority {self.fraction} (strict={self.strict})")

    @classmethod
    def qualified(cls, fraction: Fraction, *, strict: bool = False) -> MajorityRule:
        """A custom majority, e.g. `MajorityRule.qualified(Fraction(3, 4))`: at least 3/4."""
        return cls("qualified", fraction, strict)


#: Majorité simple: more yes than no (abstentions and blank ballots ignored).
SIMPLE = MajorityRule("simple", Fraction(1, 2), True)
#: Majorité absolue: more than half of the base (suffrages exprimés by default).
ABSOLUTE = MajorityRule("absolute", Fraction(1, 2), True)
#: Majorité qualifiée des deux tiers: at least two thirds of the base.
TWO_THIRDS = MajorityRule("two_thirds", Fraction(2, 3), False)


# --- Results ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class YesNoResult:
    rule: MajorityRule
    base_kind: Base
    yes: int
    no: int
    abstain: int
    blank: int
    ballots: int  # votants: every ballot, weighted
    expressed: int  # suffrages exprimés: yes + no
    base: int  # what the rule is a share of (yes + no for the simple majority)
    required: int  # the fewest yes votes that adopt the motion (at least 1)
    adopted: bool
    margin: int  # yes - required: >= 0 by how much it passed, < 0 how many yes were missing
    yes_share: Fraction  # yes / base (0 when the base is 0)
    tie: bool  # as many yes as no (and at least one)
    tie_resolution: TieResolution
    casting_vote: str | None


@dataclass(frozen=True, slots=True)
class _Decision:
    options: tuple[Option, ...]
    winner: Option | None
    ranking: tuple[tuple[Option, ...], ...]  # tiers of equal options, best first
    tie: bool
    tied: tuple[Option, ...]
    tie_resolution: TieResolution
    tie_break_order: tuple[Option, ...] | None
    ballots: int  # every ballot, weighted, blank ones included
    blank: int

    def tally(self, option: Option):
        """The per-option figures of `option`."""
        for tally in self.tallies:  # every result class has `tallies`
            if tally.option == option:
                return tally
        raise KeyError(option)


@dataclass(frozen=True, slots=True)
class PluralityTally:
    option: Option
    votes: int
    share: Fraction  # of the suffrages exprimés


@dataclass(frozen=True, slots=True)
class PluralityResult(_Decision):
    tallies: tuple[PluralityTally, ...]
    expressed: int
    absolute_majority: bool  # was an absolute majority required?
    majority_base: int  # what the absolute majority is half of
    majority_threshold: int  # votes needed for the absolute majority (base // 2 + 1)
    second_round_needed: bool
    runoff: tuple[Option, ...]  # the two best (more when tied) when a second round is needed


@dataclass(frozen=True, slots=True)
class ApprovalTally:
    option: Option
    approvals: int
    share: Fraction  # of the non-blank ballots


@dataclass(frozen=True, slots=True)
class ApprovalResult(_Decision):
    tallies: tuple[ApprovalTally, ...]


@dataclass(frozen=True, slots=True)
class ScoreTally:
    option: Option
    total: int
    mean: Fraction  # total / scored ballots
    distribution: tuple[int, ...]  # weighted ballots giving 0, 1, …, max_score


@dataclass(frozen=True, slots=True)
class ScoreResult(_Decision):
    tallies: tuple[ScoreTally, ...]
    max_score: int
    scored: int  # non-blank ballots, weighted


@dataclass(frozen=True, slots=True)
class SchulzeTally:
    option: Option
    pairwise_wins: int  # options it beats head to head (d[x][y] > d[y][x])
    schulze_wins: int  # options it beats by strongest paths (p[x][y] > p[y][x])


@dataclass(frozen=True, slots=True)
class SchulzeResult(_Decision):
    tallies: tuple[SchulzeTally, ...]
    pairwise: tuple[tuple[int, ...], ...]  # d[i][j]: weight preferring options[i] to [j]
    strongest_paths: tuple[tuple[int, ...], ...]  # p[i][j], winning-votes link strengths
    condorcet_winner: Option | None

    def preferring(self, x: Option, y: Option) -> int:
        """Weighted ballots ranking x above y."""
        return self.pairwise[self.options.index(x)][self.options.index(y)]

    def path_strength(self, x: Option, y: Option) -> int:
        return self.strongest_paths[self.options.index(x)][self.options.index(y)]


@dataclass(frozen=True, slots=True)
class JudgmentTally:
    option: Option
    distribution: tuple[int, ...]  # weighted ballots per grade, in the order of `grades`
    majority_grade: str  # the (lower) median grade
    proponents: int  # graded strictly above the majority grade
    opponents: int  # graded strictly below it
    gauge: str  # "+" when proponents > opponents, else "-" (for display: "Bien+")


@dataclass(frozen=True, slots=True)
class MajorityJudgmentResult(_Decision):
    tallies: tuple[JudgmentTally, ...]
    grades: tuple[str, ...]
    graded: int  # non-blank ballots, weighted


# --- Shared helpers -----------------------------------------------------------------------


def _check_options(options: Sequence[Option]) -> tuple[Option, ...]:
    if isinstance(options, str | bytes) or not isinstance(options, Sequence):
        raise ValueError("options is a list of option ids")
    result = tuple(options)
    if not result:
        raise ValueError("there must be at least one option")
    for option in result:
        if isinstance(option, bool) or not isinstance(option, str | int):
            raise ValueError(f"an option id is a str or an int, not {option!r}")
    if len(set(result)) != len(result):
        raise ValueError("the options must be unique")
    return result


def _is_weight(weight: Any) -> bool:
    return isinstance(weight, int) and not isinstance(weight, bool) and weight > 0


def _entries(ballots: Sequence) -> Iterator[tuple[int, int, Any]]:
    """(index, weight, choice) of each ballot, the pair and the weight checked."""
    if isinstance(ballots, str | bytes | Mapping):
        raise ValueError("ballots is a list of (weight, choice) pairs")
    for index, ballot in enumerate(ballots):
        try:
            weight, choice = ballot
        except (TypeError, ValueError):
            raise InvalidBallot("a ballot is a (weight, choice) pair", index, "shape") from None
        if not _is_weight(weight):
            raise InvalidBallot(
                f"the weight must be a positive whole number, not {weight!r}", index, "weight"
            )
        yield index, weight, choice


def _seed_key(seed: int, option: Option) -> str:
    text = f"{seed}\x1f{type(option).__name__}\x1f{option}"
    return hashlib.sha256(text.encode()).hexdigest()


def _tie_break_order(
    options: tuple[Option, ...], tie_break: Sequence[Option] | int | None
) -> tuple[Option, ...] | None:
    if tie_break is None:
        return None
    if isinstance(tie_break, bool):
        raise ValueError("tie_break is an order of the options or an int seed")
    if isinstance(tie_break, int):
        return tuple(sorted(options, key=lambda option: _seed_key(tie_break, option)))
    if isinstance(tie_break, str | bytes) or not isinstance(tie_break, Sequence):
        raise ValueError("tie_break is an order of the options or an int seed")
    order = tuple(tie_break)
    if len(order) != len(options) or set(order) != set(options):
        raise ValueError("tie_break must list every option exactly once")
    return order


def _tiers(options: tuple[Option, ...], score: Mapping[Option, Any]) -> tuple[tuple, ...]:
    """Options grouped by equal `score` (higher is better), best first, display order inside."""
    groups: dict[Any, list[Option]] = {}
    for option in options:
        groups.setdefault(score[option], []).append(option)
    return tuple(tuple(groups[value]) for value in sorted(groups, reverse=True))


def _decide(
    ranking: tuple[tuple[Option, ...], ...],
    order: tuple[Option, ...] | None,
    *,
    anything_expressed: bool,
) -> tuple[Option | None, bool, tuple[Option, ...], TieResolution]:
    """(winner, tie, tied, resolution) from the tiers and the caller's tie-break order."""
    first = ranking[0]
    if len(first) == 1:
        return (first[0] if anything_expressed else None), False, (), TieResolution.NONE
    if order is None or not anything_expressed:
        return None, True, first, TieResolution.UNRESOLVED
    position = {option: i for i, option in enumerate(order)}
    return min(first, key=position.__getitem__), True, first, TieResolution.TIE_BREAK


def _share(part: int, whole: int) -> Fraction:
    return Fraction(part, whole) if whole else Fraction(0)


def _base_value(base: Base, *, expressed: int, voters: int, present: int | None) -> int:
    base = Base(base)
    if base is Base.PRESENT:
        if not isinstance(present, int) or isinstance(present, bool) or present < voters:
            raise ValueError(
                "with base=present, give present= (members present or represented), "
                "at least the number of ballots"
            )
        return present
    if present is not None:
        raise ValueError("present= only goes with base=present")
    return expressed if base is Base.EXPRESSED else voters


# --- Yes / no / abstain -------------------------------------------------------------------


def yes_no(
    ballots: Sequence[tuple[int, str | None]],
    *,
    rule: MajorityRule = SIMPLE,
    base: Base = Base.EXPRESSED,
    present: int | None = None,
    casting_vote: str | None = None,
) -> YesNoResult:
    """A motion put to the vote (résolution): is it adopted under `rule`?

    choice: `"yes"`, `"no"`, `"abstain"` (YES, NO, ABSTAIN) or None (blank ballot).

    Rules (`yes` is the weighted number of yes votes; B the base):
    - SIMPLE (majorité simple): yes > no. Abstentions and blank ballots play no part; `base`
      must stay EXPRESSED.
    - ABSOLUTE (majorité absolue): yes > B / 2.
    - TWO_THIRDS (majorité des deux tiers): yes ≥ 2/3 × B ("au moins les deux tiers").
    - `MajorityRule.qualified(Fraction(p, q), strict=False)`: yes ≥ p/q × B (> when strict).

    Base (chosen convention): by default B = yes + no, the suffrages exprimés: abstentions
    and blank ballots are not counted, as French association law assumes unless the statutes
    say otherwise. `base=Base.VOTERS` counts them (B = every ballot: they then weigh as no),
    `base=Base.PRESENT, present=N` takes the members present or represented. With B = yes + no,
    SIMPLE and ABSOLUTE give the same verdict.

    A motion with no yes vote is never adopted (`required` is at least 1), so "everyone
    abstained" rejects it. Ties (yes == no): the motion is rejected, the usual rule, unless
    `casting_vote` ("yes" or "no": the chair's voix prépondérante, if the statutes give one)
    is passed, which decides a tie under SIMPLE only.
    """
    if not isinstance(rule, MajorityRule):
        raise ValueError("rule is a MajorityRule (SIMPLE, ABSOLUTE, TWO_THIRDS, qualified())")
    base = Base(base)
    if rule is SIMPLE and base is not Base.EXPRESSED:
        raise ValueError(
            "the simple majority compares yes with no; use ABSOLUTE or a qualified rule "
            "to count abstentions and blank ballots"
        )
    if casting_vote not in (None, YES, NO):
        raise ValueError('casting_vote is "yes", "no" or None')
    if casting_vote is not None and rule is not SIMPLE:
        raise ValueError("a casting vote decides a tie under the simple majority only")
    counts = {YES: 0, NO: 0, ABSTAIN: 0, None: 0}
    for index, weight, choice in _entries(ballots):
        if (choice is not None and not isinstance(choice, str)) or choice not in counts:
            raise InvalidBallot(
                f'the choice is "yes", "no", "abstain" or None (blank), not {choice!r}',
                index,
                "not_a_yes_no",
            )
        counts[choice] += weight
    yes, no, abstain, blank = counts[YES], counts[NO], counts[ABSTAIN], counts[None]
    expressed = yes + no
    voters = expressed + abstain + blank
    if rule is SIMPLE:
        base_value = expressed
        required = no + 1
    else:
        base_value = _base_value(base, expressed=expressed, voters=voters, present=present)
        numerator, denominator = rule.fraction.numerator, rule.fraction.denominator
        if rule.strict:
            required = numerator * base_value // denominator + 1
        else:
            required = -(-numerator * base_value // denominator)
        required = max(required, 1)
    adopted = yes >= required
    tie = yes == no and yes > 0
    resolution = TieResolution.UNRESOLVED if tie else TieResolution.NONE
    if tie and casting_vote is not None:
        adopted = casting_vote == YES
        resolution = TieResolution.CASTING_VOTE
    return YesNoResult(
        rule=rule,
        base_kind=base,
        yes=yes,
        no=no,
        abstain=abstain,
        blank=blank,
        ballots=voters,
        expressed=expressed,
        base=base_value,
        required=required,
        adopted=adopted,
        margin=yes - required,
        yes_share=_share(yes, base_value),
        tie=tie,
        tie_resolution=resolution,
        casting_vote=casting_vote if resolution is TieResolution.CASTING_VOTE else None,
    )


# --- Single choice (scrutin uninominal) ---------------------------------------------------


def plurality(
    options: Sequence[Option],
    ballots: Sequence[tuple[int, Option | None]],
    *,
    absolute_majority: bool = False,
    base: Base = Base.EXPRESSED,
    present: int | None = None,
    tie_break: Sequence[Option] | int | None = None,
) -> PluralityResult:
    """Single choice: the option with the most votes wins.

    choice: one option id, or None (blank ballot).

    With `absolute_majority=True` the winner also needs more than half of the base (suffrages
    exprimés by default; `base=Base.VOTERS` counts blank ballots, `base=Base.PRESENT` with
    `present=`): otherwise there is no winner, `second_round_needed` is True and `runoff`
    names the two best options (every option tied for a qualifying place is included; an
    option nobody voted for never qualifies).

    Tie for first place: reported (`tie`, `tied`); without `tie_break` there is no winner.
    """
    options = _check_options(options)
    order = _tie_break_order(options, tie_break)
    known = set(options)
    counts: Counter = Counter()
    blank = 0
    for index, weight, choice in _entries(ballots):
        if choice is None:
            blank += weight
        elif isinstance(choice, bool) or not isinstance(choice, str | int) or choice not in known:
            raise InvalidBallot(f"unknown option {choice!r}", index, "unknown_option")
        else:
            counts[choice] += weight
    expressed = sum(counts.values())
    votes = {option: counts[option] for option in options}
    ranking = _tiers(options, votes)
    winner, tie, tied, resolution = _decide(ranking, order, anything_expressed=expressed > 0)
    majority_base = _base_value(
        base, expressed=expressed, voters=expressed + blank, present=present
    )
    threshold = majority_base // 2 + 1
    second_round = False
    runoff: tuple[Option, ...] = ()
    if absolute_majority and expressed > 0 and votes[ranking[0][0]] < threshold:
        winner, second_round = None, True
        if resolution is TieResolution.TIE_BREAK:
            resolution = TieResolution.UNRESOLVED
        qualified = (
            ranking[0] if len(ranking[0]) >= 2 or len(ranking) == 1 else (ranking[0] + ranking[1])
        )
        runoff = tuple(option for option in qualified if votes[option])
    return PluralityResult(
        options=options,
        winner=winner,
        ranking=ranking,
        tie=tie,
        tied=tied,
        tie_resolution=resolution,
        tie_break_order=order,
        ballots=expressed + blank,
        blank=blank,
        tallies=tuple(
            PluralityTally(option, votes[option], _share(votes[option], expressed))
            for option in options
        ),
        expressed=expressed,
        absolute_majority=absolute_majority,
        majority_base=majority_base,
        majority_threshold=threshold,
        second_round_needed=second_round,
        runoff=runoff,
    )


# --- Approval -----------------------------------------------------------------------------


def _option_set(choice: Any, known: set, index: int) -> frozenset:
    if isinstance(choice, str | bytes | Mapping) or not isinstance(
        choice, set | frozenset | list | tuple
    ):
        raise InvalidBallot(
            "an approval ballot is a set (or list) of option ids", index, "not_a_set"
        )
    try:
        chosen = frozenset(choice)
    except TypeError:
        raise InvalidBallot("an option id is a str or an int", index, "unknown_option") from None
    if len(chosen) != len(choice):
        raise InvalidBallot("an option appears twice", index, "duplicate_option")
    unknown = chosen - known
    if unknown:
        raise InvalidBallot(
            f"unknown option {sorted(map(repr, unknown))[0]}", index, "unknown_option"
        )
    return chosen


def approval(
    options: Sequence[Option],
    ballots: Sequence[tuple[int, Any]],
    *,
    tie_break: Sequence[Option] | int | None = None,
) -> ApprovalResult:
    """Approval voting: each ballot approves any number of options; most approvals wins.

    choice: a set (or list/tuple, without repeats) of option ids. None or an empty set is a
    blank ballot (counted in `blank`, left out of the shares).

    Tie for first place: reported (`tie`, `tied`); without `tie_break` there is no winner.
    """
    options = _check_options(options)
    order = _tie_break_order(options, tie_break)
    known = set(options)
    grouped: Counter = Counter()
    blank = total = 0
    for index, weight, choice in _entries(ballots):
        total += weight
        if choice is None:
            blank += weight
            continue
        chosen = _option_set(choice, known, index)
        if chosen:
            grouped[chosen] += weight
        else:
            blank += weight
    approvals = dict.fromkeys(options, 0)
    for chosen, weight in grouped.items():
        for option in chosen:
            approvals[option] += weight
    ranking = _tiers(options, approvals)
    counted = total - blank
    winner, tie, tied, resolution = _decide(ranking, order, anything_expressed=counted > 0)
    return ApprovalResult(
        options=options,
        winner=winner,
        ranking=ranking,
        tie=tie,
        tied=tied,
        tie_resolution=resolution,
        tie_break_order=order,
        ballots=total,
        blank=blank,
        tallies=tuple(
            ApprovalTally(option, approvals[option], _share(approvals[option], counted))
            for option in options
        ),
    )


# --- Score (range voting) -----------------------------------------------------------------


def score(
    options: Sequence[Option],
    ballots: Sequence[tuple[int, Mapping[Option, int] | None]],
    *,
    max_score: int,
    missing_score: int | None = 0,
    tie_break: Sequence[Option] | int | None = None,
) -> ScoreResult:
    """Score voting: each ballot gives each option a whole score from 0 to `max_score`.

    choice: a mapping {option: score}; None is a blank ballot. An option a ballot leaves out
    gets `missing_score` (0 by default; None makes every option compulsory).

    The highest total wins; as every non-blank ballot scores every option, the mean
    (total / scored ballots) ranks the same. Tie for first place: reported; without
    `tie_break` there is no winner.
    """
    options = _check_options(options)
    if isinstance(max_score, bool) or not isinstance(max_score, int) or max_score < 1:
        raise ValueError("max_score is a whole number of at least 1")
    if missing_score is not None and (
        isinstance(missing_score, bool)
        or not isinstance(missing_score, int)
        or not 0 <= missing_score <= max_score
    ):
        raise ValueError("missing_score is None or a score from 0 to max_score")
    order = _tie_break_order(options, tie_break)
    known = set(options)
    grouped: Counter = Counter()
    blank = 0
    allowed = range(max_score + 1)
    for index, weight, choice in _entries(ballots):
        if choice is None:
            blank += weight
            continue
        if not isinstance(choice, Mapping):
            raise InvalidBallot("a score ballot maps options to scores", index, "not_a_mapping")
        for option, value in choice.items():
            if option not in known or isinstance(option, bool):
                raise InvalidBallot(f"unknown option {option!r}", index, "unknown_option")
            if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
                raise InvalidBallot(
                    f"the score of {option!r} must be a whole number from 0 to {max_score}, "
                    f"not {value!r}",
                    index,
                    "score_out_of_range",
                )
        if missing_score is None and len(choice) != len(options):
            missing = next(option for option in options if option not in choice)
            raise InvalidBallot(f"no score for {missing!r}", index, "missing_score")
        grouped[tuple([choice.get(option, missing_score) for option in options])] += weight
    scored = sum(grouped.values())
    distributions = [[0] * (max_score + 1) for _ in options]
    for values, weight in grouped.items():
        for distribution, value in zip(distributions, values, strict=True):
            distribution[value] += weight
    totals = {
        option: sum(value * count for value, count in enumerate(distribution))
        for option, distribution in zip(options, distributions, strict=True)
    }
    ranking = _tiers(options, totals)
    winner, tie, tied, resolution = _decide(ranking, order, anything_expressed=scored > 0)
    return ScoreResult(
        options=options,
        winner=winner,
        ranking=ranking,
        tie=tie,
        tied=tied,
        tie_resolution=resolution,
        tie_break_order=order,
        ballots=scored + blank,
        blank=blank,
        tallies=tuple(
            ScoreTally(option, totals[option], _share(totals[option], scored), tuple(dist))
            for option, dist in zip(options, distributions, strict=True)
        ),
        max_score=max_score,
        scored=scored,
    )


# --- Ranked: Condorcet with Schulze -------------------------------------------------------


_PLAIN = (str, int)  # exact types of a plain option id (fast path; bool is an int subclass)


def _ranks(choice: Any, position: dict, size: int, index: int) -> tuple[int, ...]:
    """The rank level of each option (0 best; unranked options share the last level)."""
    if isinstance(choice, str | bytes | Mapping) or not isinstance(choice, list | tuple):
        raise InvalidBallot(
            "a ranked ballot is a list of options (or of groups of equal options), best first",
            index,
            "not_a_ranking",
        )
    unranked = len(choice)
    ranks = [unranked] * size
    for level, entry in enumerate(choice):
        if entry.__class__ in _PLAIN:
            group: Any = (entry,)
        elif isinstance(entry, bool):
            raise InvalidBallot(f"unknown option {entry!r}", index, "unknown_option")
        elif isinstance(entry, str | int):
            group = (entry,)
        elif isinstance(entry, tuple | list | set | frozenset):
            group = entry
            if not group:
                raise InvalidBallot("an empty group of equal options", index, "not_a_ranking")
            for option in group:
                if isinstance(option, bool) or not isinstance(option, str | int):
                    raise InvalidBallot(f"unknown option {option!r}", index, "unknown_option")
        else:
            raise InvalidBallot(f"unknown option {entry!r}", index, "unknown_option")
        for option in group:
            i = position.get(option)
            if i is None:
                raise InvalidBallot(f"unknown option {option!r}", index, "unknown_option")
            if ranks[i] != unranked:
                raise InvalidBallot(f"{option!r} is ranked twice", index, "duplicate_option")
            ranks[i] = level
    return tuple(ranks) if unranked else ()


def schulze(
    options: Sequence[Option],
    ballots: Sequence[tuple[int, Sequence | None]],
    *,
    tie_break: Sequence[Option] | int | None = None,
) -> SchulzeResult:
    """Ranked ballots counted by the Condorcet–Schulze method (winning votes).

    choice: a list of options, best first; an entry may be a set/tuple/list of options ranked
    equal (`["A", {"B", "C"}, "D"]`). Partial rankings are allowed: the options a ballot
    leaves out tie last on it. None or an empty list is a blank ballot.

    Counting: d[x][y] = weighted ballots ranking x above y (the pairwise matrix, one pass over
    the distinct ballots). A link x→y has strength d[x][y] when d[x][y] > d[y][x], else 0;
    p[x][y] is the strongest path (widest path, Floyd–Warshall). x beats y when
    p[x][y] > p[y][x]; this relation is transitive (Schulze 2011). The ranking's tiers are
    peeled off it: first the options nobody beats, then those beaten only by the first tier…
    The Condorcet winner, when there is one, beats every other option head to head and is
    always the Schulze winner.

    Ties (several options nobody beats): reported; without `tie_break` there is no winner
    (Schulze's own random-ballot tie-breaking is replaced by the caller's explicit order).
    """
    options = _check_options(options)
    order = _tie_break_order(options, tie_break)
    size = len(options)
    position = {option: i for i, option in enumerate(options)}
    grouped: Counter = Counter()
    blank = 0
    for index, weight, choice in _entries(ballots):
        ranks = () if choice is None else _ranks(choice, position, size, index)
        if ranks:
            grouped[ranks] += weight
        else:
            blank += weight
    d = [[0] * size for _ in range(size)]
    indexes = range(size)
    for ranks, weight in grouped.items():
        # Options best first; each one gains `weight` over every option of a later level.
        best_first = sorted(indexes, key=ranks.__getitem__)
        start = 0
        while start < size:
            level = ranks[best_first[start]]
            end = start + 1
            while end < size and ranks[best_first[end]] == level:
                end += 1
            below = best_first[end:]
            for i in best_first[start:end] if below else ():
                row = d[i]
                for j in below:
                    row[j] += weight
            start = end
    p = [[d[i][j] if d[i][j] > d[j][i] else 0 for j in range(size)] for i in range(size)]
    for i in range(size):
        p_i = p[i]
        for j in range(size):
            if j == i:
                continue
            p_ji = p[j][i]
            if not p_ji:
                continue
            p_j = p[j]
            for k in range(size):
                if k != i and k != j:
                    through = p_ji if p_ji < p_i[k] else p_i[k]
                    if through > p_j[k]:
                        p_j[k] = through
    beats = [[p[i][j] > p[j][i] for j in range(size)] for i in range(size)]
    remaining = list(range(size))
    ranking: list[tuple[Option, ...]] = []
    while remaining:
        top = [i for i in remaining if not any(beats[j][i] for j in remaining)]
        ranking.append(tuple(options[i] for i in top))
        remaining = [i for i in remaining if i not in top]
    counted = sum(grouped.values())
    winner, tie, tied, resolution = _decide(tuple(ranking), order, anything_expressed=counted > 0)
    pairwise_wins = [sum(d[i][j] > d[j][i] for j in range(size)) for i in range(size)]
    condorcet = next((options[i] for i in range(size) if pairwise_wins[i] == size - 1), None)
    if counted == 0:
        condorcet = None
    return SchulzeResult(
        options=options,
        winner=winner,
        ranking=tuple(ranking),
        tie=tie,
        tied=tied,
        tie_resolution=resolution,
        tie_break_order=order,
        ballots=counted + blank,
        blank=blank,
        tallies=tuple(
            SchulzeTally(options[i], pairwise_wins[i], sum(beats[i])) for i in range(size)
        ),
        pairwise=tuple(tuple(row) for row in d),
        strongest_paths=tuple(tuple(row) for row in p),
        condorcet_winner=condorcet,
    )


# --- Majority judgment (jugement majoritaire) ---------------------------------------------


class _Lowest:
    def __repr__(self) -> str:
        return "LOWEST_GRADE"


#: Default `missing_grade`: an option a ballot does not grade gets the lowest grade.
LOWEST_GRADE: Any = _Lowest()


def _majority_value(counts: list[int]) -> tuple[int | None, list[tuple[tuple[int, int], int]]]:
    """The majority value of Balinski & Laraki, compressed, from weighted counts per grade.

    `counts[g]` is the weight of grade value g (higher is better). Sorting the n grades best
    first (positions 1..n), removing the (lower) median again and again reads positions in
    this order: for n odd the centre c, then (c+1, c-1), (c+2, c-2)…; for n even
    (n/2+1, n/2), (n/2+2, n/2-1)…: a head and pairs (lower grade, upper grade). Each side
    only changes value at a grade boundary, so the pairs come in at most 2 × grades runs:
    returned as (head or None, [((lower, upper), repeat), …]). Two options compare as these
    sequences compare lexicographically.
    """
    n = sum(counts)
    grades = len(counts)
    at_least = [0] * (grades + 1)  # at_least[g]: weight with a grade >= g
    for g in range(grades - 1, -1, -1):
        at_least[g] = at_least[g + 1] + counts[g]

    def value(position: int) -> int:
        g = grades - 1
        while at_least[g] < position:
            g -= 1
        return g

    if n % 2:
        centre = (n + 1) // 2
        head: int | None = value(centre)
        low, high = centre + 1, centre - 1
    else:
        head = None
        low, high = n // 2 + 1, n // 2
    left = n // 2  # pairs to read
    runs: list[tuple[tuple[int, int], int]] = []
    while left:
        a, b = value(low), value(high)
        low_steps = at_least[a] - low + 1  # positions of grade a run down to at_least[a]
        high_steps = high - at_least[b + 1]  # those of grade b start at at_least[b+1] + 1
        step = min(low_steps, high_steps, left)
        if runs and runs[-1][0] == (a, b):
            runs[-1] = ((a, b), runs[-1][1] + step)
        else:
            runs.append(((a, b), step))
        low += step
        high -= step
        left -= step
    return head, runs


def _compare_majority_values(x, y) -> int:
    head_x, runs_x = x
    head_y, runs_y = y
    if head_x != head_y:
        return -1 if head_x < head_y else 1
    i = j = 0
    used_x = used_y = 0
    while i < len(runs_x) and j < len(runs_y):
        pair_x, count_x = runs_x[i]
        pair_y, count_y = runs_y[j]
        if pair_x != pair_y:
            return -1 if pair_x < pair_y else 1
        step = min(count_x - used_x, count_y - used_y)
        used_x += step
        used_y += step
        if used_x == count_x:
            i, used_x = i + 1, 0
        if used_y == count_y:
            j, used_y = j + 1, 0
    return 0


def _grade_value(grade: Any, labels: dict[str, int], size: int, option: Any, index: int) -> int:
    """Grade as given (label, or index in `grades`, 0 = best) → value (higher is better)."""
    if isinstance(grade, str):
        position = labels.get(grade)
        if position is None:
            raise InvalidBallot(
                f"unknown grade {grade!r} for {option!r}", index, "grade_out_of_range"
            )
        return size - 1 - position
    if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade < size:
        raise InvalidBallot(
            f"the grade of {option!r} must be a grade label or an index from 0 to {size - 1}, "
            f"not {grade!r}",
            index,
            "grade_out_of_range",
        )
    return size - 1 - grade


def majority_judgment(
    options: Sequence[Option],
    ballots: Sequence[tuple[int, Mapping[Option, str | int] | None]],
    *,
    grades: Sequence[str] = DEFAULT_GRADES,
    missing_grade: str | int | None = LOWEST_GRADE,
    tie_break: Sequence[Option] | int | None = None,
) -> MajorityJudgmentResult:
    """Majority judgment (jugement majoritaire, Balinski & Laraki): the highest median wins.

    `grades`: the scale, best first (DEFAULT_GRADES: Excellent, Très bien, Bien, Assez bien,
    Passable, Insuffisant, À rejeter; any number of grades from 2).
    choice: a mapping {option: grade}, the grade given as its label ("Bien") or as its index
    in `grades` (0 = the best). None is a blank ballot. An option a ballot does not grade
    gets `missing_grade` (the lowest grade by default, "À rejeter"; None makes every option
    compulsory).

    The majority grade is the median grade, the lower one when the number of ballots is even
    (the best grade a majority supports). Ties between options with the same majority grade
    are broken by the standard rule of Balinski & Laraki, not by the "majority gauge": a
    median grade is removed from each tied option again and again until their medians
    differ (computed exactly on the weighted counts). Two options only stay tied when their
    grades are identical: that tie is reported; without `tie_break` there is no winner.
    The gauge (proponents above the majority grade vs opponents below, "+"/"-") is given
    per option for the minutes, for information only.
    """
    options = _check_options(options)
    if isinstance(grades, str) or not isinstance(grades, Sequence):
        raise ValueError("grades is a list of grade labels, best first")
    grades = tuple(grades)
    if len(grades) < 2 or len(set(grades)) != len(grades):
        raise ValueError("grades lists at least two different labels, best first")
    if not all(isinstance(label, str) and label for label in grades):
        raise ValueError("each grade label is a non-empty str")
    size = len(grades)
    labels = {label: i for i, label in enumerate(grades)}
    if missing_grade is LOWEST_GRADE:
        missing_value: int | None = 0
    elif missing_grade is None:
        missing_value = None
    else:
        try:
            missing_value = _grade_value(missing_grade, labels, size, "missing_grade", -1)
        except InvalidBallot as exc:
            raise ValueError(f"missing_grade: {exc.message}") from None
    order = _tie_break_order(options, tie_break)
    known = set(options)
    grouped: Counter = Counter()
    blank = 0
    for index, weight, choice in _entries(ballots):
        if choice is None:
            blank += weight
            continue
        if not isinstance(choice, Mapping):
            raise InvalidBallot("a judgment ballot maps options to grades", index, "not_a_mapping")
        values = {}
        for option, grade in choice.items():
            if option not in known or isinstance(option, bool):
                raise InvalidBallot(f"unknown option {option!r}", index, "unknown_option")
            values[option] = _grade_value(grade, labels, size, option, index)
        if missing_value is None and len(values) != len(options):
            missing = next(option for option in options if option not in values)
            raise InvalidBallot(f"no grade for {missing!r}", index, "missing_grade")
        grouped[tuple([values.get(option, missing_value) for option in options])] += weight
    graded = sum(grouped.values())
    counts = [[0] * size for _ in options]  # by value, higher is better
    for values, weight in grouped.items():
        for option_counts, value in zip(counts, values, strict=True):
            option_counts[value] += weight
    tallies = []
    majority_values = {}
    for option, option_counts in zip(options, counts, strict=True):
        head, runs = _majority_value(option_counts)
        majority_values[option] = (head, runs)
        median = (head if head is not None else runs[0][0][0]) if graded else 0
        above = sum(option_counts[median + 1 :])
        below = sum(option_counts[:median])
        tallies.append(
            JudgmentTally(
                option=option,
                distribution=tuple(reversed(option_counts)),
                majority_grade=grades[size - 1 - median],
                proponents=above,
                opponents=below,
                gauge="+" if above > below else "-",
            )
        )
    sort_key = cmp_to_key(_compare_majority_values)
    ordered = sorted(options, key=lambda option: sort_key(majority_values[option]), reverse=True)
    ranking: list[tuple[Option, ...]] = []
    for option in ordered:
        if (
            ranking
            and _compare_majority_values(majority_values[ranking[-1][0]], majority_values[option])
            == 0
        ):
            ranking[-1] = (*ranking[-1], option)
        else:
            ranking.append((option,))
    display = {option: i for i, option in enumerate(options)}
    ranking = [tuple(sorted(tier, key=display.__getitem__)) for tier in ranking]
    winner, tie, tied, resolution = _decide(tuple(ranking), order, anything_expressed=graded > 0)
    return MajorityJudgmentResult(
        options=options,
        winner=winner,
        ranking=tuple(ranking),
        tie=tie,
        tied=tied,
        tie_resolution=resolution,
        tie_break_order=order,
        ballots=graded + blank,
        blank=blank,
        tallies=tuple(tallies),
        grades=grades,
        graded=graded,
    )
