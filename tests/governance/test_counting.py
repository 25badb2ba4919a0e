"""Vote counting (governance.counting): worked examples from the literature, edge cases of the
majority rules, validation, and properties every method must hold (hypothesis)."""

import ast
import dataclasses
import subprocess
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from essaim.governance import counting
from essaim.governance.counting import (
    ABSOLUTE,
    ABSTAIN,
    NO,
    SIMPLE,
    TWO_THIRDS,
    YES,
    Base,
    InvalidBallot,
    MajorityRule,
    TieResolution,
    approval,
    majority_judgment,
    plurality,
    schulze,
    score,
    yes_no,
)

COUNTING_PY = Path(counting.__file__)

# --- Schulze ------------------------------------------------------------------------------

# Schulze's example with 45 voters and 5 options (Schulze 2011, example 1; Wikipedia,
# "Schulze method").
SCHULZE_45 = [
    (5, list("ACBED")),
    (5, list("ADECB")),
    (8, list("BEDAC")),
    (3, list("CABED")),
    (7, list("CAEBD")),
    (2, list("CBADE")),
    (7, list("DCEBA")),
    (8, list("EBADC")),
]


def test_schulze_45_voters_ranks_e_a_c_b_d():
    result = schulze(list("ABCDE"), SCHULZE_45)

    assert result.ranking == (("E",), ("A",), ("C",), ("B",), ("D",))
    assert result.winner == "E"
    assert not result.tie
    assert result.tie_resolution is TieResolution.NONE
    assert result.ballots == 45
    assert result.blank == 0
    assert result.pairwise == (
        (0, 20, 26, 30, 22),
        (25, 0, 16, 33, 18),
        (19, 29, 0, 17, 24),
        (15, 12, 28, 0, 14),
        (23, 27, 21, 31, 0),
    )
    assert result.strongest_paths == (
        (0, 28, 28, 30, 24),
        (25, 0, 28, 33, 24),
        (25, 29, 0, 29, 24),
        (25, 28, 28, 0, 24),
        (25, 28, 28, 31, 0),
    )
    # E loses to C head to head (21 against 24): no Condorcet winner, Schulze still decides.
    assert result.condorcet_winner is None
    assert result.preferring("C", "E") == 24
    assert result.path_strength("E", "A") == 25
    assert result.tally("E").schulze_wins == 4
    assert result.tally("D").schulze_wins == 0


def test_schulze_same_example_as_one_ballot_each():
    repeated = [(1, ranking) for weight, ranking in SCHULZE_45 for _ in range(weight)]
    assert schulze(list("ABCDE"), repeated) == schulze(list("ABCDE"), SCHULZE_45)


def test_schulze_partial_rankings_and_equal_groups():
    # Unranked options tie last; a group ranks its options equal.
    result = schulze(
        ["A", "B", "C", "D"],
        [(3, ["B"]), (2, ["A", {"C", "D"}]), (1, ["C", "A"]), (1, None), (1, [])],
    )
    assert result.preferring("B", "A") == 3
    assert result.preferring("A", "B") == 3  # 2 rank A first, 1 ranks A second over B
    assert result.preferring("C", "D") == 1
    assert result.preferring("D", "C") == 0
    assert result.preferring("A", "C") == 2
    assert result.blank == 2
    assert result.ballots == 8
    # A and B beat each other evenly: both unbeaten, a reported tie.
    assert result.tie
    assert set(result.tied) == {"A", "B"}
    assert result.winner is None
    assert result.tie_resolution is TieResolution.UNRESOLVED


def test_schulze_condorcet_winner_is_flagged():
    result = schulze(
        ["A", "B", "C"], [(4, ["B", "A", "C"]), (3, ["A", "C", "B"]), (2, ["C", "A", "B"])]
    )
    assert result.condorcet_winner == "A"
    assert result.winner == "A"
    assert result.tally("A").pairwise_wins == 2


def test_schulze_tie_is_reported_then_broken_only_by_the_callers_order():
    ballots = [(1, ["A", "B"]), (1, ["B", "A"])]
    tied = schulze(["A", "B"], ballots)
    assert (tied.winner, tied.tie, set(tied.tied)) == (None, True, {"A", "B"})
    assert tied.tie_break_order is None

    drawn = schulze(["A", "B"], ballots, tie_break=["B", "A"])
    assert drawn.winner == "B"
    assert drawn.tie
    assert drawn.tie_resolution is TieResolution.TIE_BREAK
    assert drawn.tie_break_order == ("B", "A")


def test_seeded_tie_break_is_reproducible_and_independent_of_option_order():
    ballots = [(1, {"A"}), (1, {"B"}), (1, {"C"})]
    first = approval(["A", "B", "C"], ballots, tie_break=1789)
    again = approval(["C", "A", "B"], ballots, tie_break=1789)
    assert first.tie_break_order == again.tie_break_order
    assert first.winner == again.winner == first.tie_break_order[0]
    assert first.tie_resolution is TieResolution.TIE_BREAK
    orders = {approval(["A", "B", "C"], ballots, tie_break=seed).winner for seed in range(30)}
    assert orders == {"A", "B", "C"}  # the seed really draws


# --- Majority judgment --------------------------------------------------------------------

# The six grades of Balinski & Laraki's Orsay 2007 experiment ("Le jugement majoritaire").
ORSAY_GRADES = ("Très bien", "Bien", "Assez bien", "Passable", "Insuffisant", "À rejeter")


def test_majority_grade_of_balinski_laraki_five_voters():
    # Their example: Good, Passable, Reject, Good, Mildly good → majority grade Mildly good.
    grades = ["Bien", "Passable", "À rejeter", "Bien", "Assez bien"]
    result = majority_judgment(["X"], [(1, {"X": grade}) for grade in grades], grades=ORSAY_GRADES)
    tally = result.tally("X")
    assert tally.majority_grade == "Assez bien"
    assert tally.distribution == (0, 2, 1, 1, 0, 1)
    assert (tally.proponents, tally.opponents, tally.gauge) == (2, 2, "-")
    assert result.winner == "X"


def test_majority_judgment_tie_broken_by_removing_median_grades():
    # X: Bien, Bien, Passable, Insuffisant; Y: Très bien, Passable ×3. Both medians are
    # Passable; removing one Passable from each leaves X with Bien, Y with Passable: X wins.
    result = majority_judgment(
        ["Y", "X"],
        [
            (1, {"X": "Bien", "Y": "Très bien"}),
            (1, {"X": "Bien", "Y": "Passable"}),
            (1, {"X": "Passable", "Y": "Passable"}),
            (1, {"X": "Insuffisant", "Y": "Passable"}),
        ],
        grades=ORSAY_GRADES,
    )
    assert result.tally("X").majority_grade == result.tally("Y").majority_grade == "Passable"
    assert result.ranking == (("X",), ("Y",))
    assert result.winner == "X"
    assert not result.tie


def test_majority_judgment_tennessee_capital():
    # The Tennessee capital example (Wikipedia, "Majority judgment"): 42 % of the voters
    # live near Memphis, 26 % Nashville, 15 % Chattanooga, 17 % Knoxville.
    grades = ("Excellent", "Very good", "Good", "Fair", "Poor")
    ballots = [
        (42, {"Memphis": "Excellent", "Nashville": "Very good", "Chattanooga": "Good",
              "Knoxville": "Fair"}),
        (26, {"Nashville": "Excellent", "Chattanooga": "Very good", "Knoxville": "Good",
              "Memphis": "Poor"}),
        (15, {"Chattanooga": "Excellent", "Knoxville": "Very good", "Nashville": "Good",
              "Memphis": "Poor"}),
        (17, {"Knoxville": "Excellent", "Chattanooga": "Very good", "Nashville": "Good",
              "Memphis": "Poor"}),
    ]  # fmt: skip
    result = majority_judgment(
        ["Memphis", "Nashville", "Chattanooga", "Knoxville"], ballots, grades=grades
    )
    assert result.winner == "Nashville"
    assert result.ranking == (("Nashville",), ("Chattanooga",), ("Knoxville",), ("Memphis",))
    assert result.tally("Nashville").distribution == (26, 42, 32, 0, 0)
    assert result.tally("Nashville").majority_grade == "Very good"
    assert result.tally("Chattanooga").majority_grade == "Very good"
    assert result.tally("Memphis").majority_grade == "Poor"
    assert result.graded == 100


def test_majority_judgment_even_number_takes_the_lower_median_and_grades_by_index():
    result = majority_judgment(["A", "B"], [(1, {"A": 0, "B": "Bien"}), (1, {"A": 6, "B": 2})])
    assert result.tally("A").majority_grade == "À rejeter"
    assert result.tally("B").majority_grade == "Bien"
    assert result.winner == "B"
    assert result.grades == counting.DEFAULT_GRADES


def test_majority_judgment_ungraded_options_get_the_lowest_grade_unless_required():
    result = majority_judgment(["A", "B"], [(3, {"A": "Bien"}), (1, None)])
    assert result.tally("B").distribution == (0, 0, 0, 0, 0, 0, 3)
    assert result.blank == 1
    assert result.graded == 3
    with pytest.raises(InvalidBallot) as error:
        majority_judgment(["A", "B"], [(1, {"A": 1, "B": 1}), (3, {"A": "Bien"})],
                          missing_grade=None)  # fmt: skip
    assert (error.value.index, error.value.code) == (1, "missing_grade")
    passable = majority_judgment(["A", "B"], [(3, {"A": "Bien"})], missing_grade="Passable")
    assert passable.tally("B").majority_grade == "Passable"


def test_majority_judgment_identical_grades_are_a_reported_tie():
    ballots = [(2, {"A": "Bien", "B": "Bien"}), (1, {"A": "Passable", "B": "Passable"})]
    result = majority_judgment(["A", "B"], ballots)
    assert result.tie
    assert result.winner is None
    assert result.ranking == (("A", "B"),)
    assert majority_judgment(["A", "B"], ballots, tie_break=["B", "A"]).winner == "B"


def test_majority_judgment_scale_is_configurable():
    result = majority_judgment(
        ["A", "B"],
        [(1, {"A": "Pour", "B": "Contre"}), (2, {"A": "Pour", "B": "Pour"})],
        grades=("Pour", "Contre"),
    )
    assert result.winner == "A"
    with pytest.raises(ValueError, match="at least two"):
        majority_judgment(["A"], [], grades=("Seul",))


# --- Single choice, approval, score -------------------------------------------------------


def test_plurality_without_absolute_majority_needs_a_second_round():
    ballots = [(40, "Alice"), (35, "Bruno"), (25, "Chloé"), (7, None)]
    relative = plurality(["Alice", "Bruno", "Chloé"], ballots)
    assert relative.winner == "Alice"
    assert relative.tally("Alice").share == Fraction(40, 100)
    assert (relative.expressed, relative.blank, relative.ballots) == (100, 7, 107)

    result = plurality(["Alice", "Bruno", "Chloé"], ballots, absolute_majority=True)
    assert result.winner is None
    assert result.second_round_needed
    assert result.runoff == ("Alice", "Bruno")
    assert result.majority_threshold == 51
    assert result.ranking == (("Alice",), ("Bruno",), ("Chloé",))


def test_plurality_absolute_majority_on_expressed_or_with_blank_ballots():
    ballots = [(51, "A"), (49, "B"), (10, None)]
    expressed = plurality(["A", "B"], ballots, absolute_majority=True)
    assert expressed.winner == "A"
    assert not expressed.second_round_needed
    voters = plurality(["A", "B"], ballots, absolute_majority=True, base=Base.VOTERS)
    assert voters.majority_threshold == 56
    assert voters.winner is None
    assert voters.second_round_needed


def test_plurality_tie_for_second_place_sends_both_to_the_second_round():
    ballots = [(40, "A"), (30, "B"), (30, "C")]
    result = plurality(["A", "B", "C"], ballots, absolute_majority=True)
    assert result.runoff == ("A", "B", "C")
    # An option nobody voted for never goes to the second round.
    alone = plurality(["A", "B"], [(10, "A"), (20, None)], absolute_majority=True, base="voters")
    assert alone.second_round_needed
    assert alone.runoff == ("A",)


def test_approval_counts_and_blank_ballots():
    result = approval(
        ["A", "B", "C"], [(2, {"A", "B"}), (1, ["C"]), (1, set()), (1, None), (3, ("B",))]
    )
    assert [t.approvals for t in result.tallies] == [2, 5, 1]
    assert result.winner == "B"
    assert result.blank == 2
    assert result.ballots == 8
    assert result.tally("B").share == Fraction(5, 6)


def test_score_totals_means_and_distribution():
    result = score(
        ["A", "B"],
        [(2, {"A": 5, "B": 1}), (1, {"A": 0, "B": 5}), (1, {"B": 4}), (1, None)],
        max_score=5,
    )
    assert result.tally("A").total == 10
    assert result.tally("A").mean == Fraction(10, 4)
    assert result.tally("A").distribution == (2, 0, 0, 0, 0, 2)
    assert result.tally("B").total == 11
    assert result.winner == "B"
    assert (result.scored, result.blank) == (4, 1)


def test_every_method_with_no_vote_elects_nobody_even_with_a_tie_break():
    assert plurality(["A", "B"], [(3, None)], tie_break=7).winner is None
    assert approval(["A"], [(1, set())], tie_break=7).winner is None
    assert score(["A", "B"], [], max_score=3, tie_break=["A", "B"]).winner is None
    assert schulze(["A", "B"], [(1, [])], tie_break=3).winner is None
    assert majority_judgment(["A", "B"], [(1, None)], tie_break=3).winner is None


# --- Yes / no -----------------------------------------------------------------------------


def test_yes_no_all_abstain_rejects_the_motion():
    for rule in (SIMPLE, ABSOLUTE, TWO_THIRDS):
        result = yes_no([(12, ABSTAIN), (3, None)], rule=rule)
        assert not result.adopted
        assert (result.expressed, result.abstain, result.blank, result.ballots) == (0, 12, 3, 15)
        assert result.required == 1
        assert result.margin == -1
        assert not result.tie


def test_yes_no_exactly_two_thirds_is_adopted():
    result = yes_no([(20, YES), (10, NO), (5, ABSTAIN)], rule=TWO_THIRDS)
    assert result.adopted
    assert (result.base, result.required, result.margin) == (30, 20, 0)
    assert result.yes_share == Fraction(2, 3)
    just_under = yes_no([(20, YES), (11, NO)], rule=TWO_THIRDS)
    assert not just_under.adopted
    assert just_under.margin == -1


def test_yes_no_fifty_fifty_is_rejected_unless_the_chair_has_a_casting_vote():
    ballots = [(15, YES), (15, NO), (4, ABSTAIN)]
    result = yes_no(ballots)
    assert not result.adopted
    assert result.tie
    assert result.tie_resolution is TieResolution.UNRESOLVED
    assert result.margin == -1
    assert not yes_no(ballots, rule=ABSOLUTE).adopted

    casting = yes_no(ballots, casting_vote=YES)
    assert casting.adopted
    assert casting.tie_resolution is TieResolution.CASTING_VOTE
    assert casting.casting_vote == YES
    assert not yes_no(ballots, casting_vote=NO).adopted
    assert yes_no([(16, YES), (15, NO)], casting_vote=NO).casting_vote is None
    with pytest.raises(ValueError, match="casting vote"):
        yes_no(ballots, rule=TWO_THIRDS, casting_vote=YES)


def test_absolute_majority_counts_abstentions_only_when_asked():
    ballots = [(10, YES), (5, NO), (6, ABSTAIN)]
    expressed = yes_no(ballots, rule=ABSOLUTE)
    assert (expressed.base, expressed.required, expressed.adopted) == (15, 8, True)
    assert expressed.margin == 2
    voters = yes_no(ballots, rule=ABSOLUTE, base=Base.VOTERS)
    assert (voters.base, voters.required, voters.adopted) == (21, 11, False)
    present = yes_no(ballots, rule=ABSOLUTE, base=Base.PRESENT, present=30)
    assert (present.base, present.required, present.adopted) == (30, 16, False)
    with pytest.raises(ValueError, match="present"):
        yes_no(ballots, rule=ABSOLUTE, base=Base.PRESENT, present=20)
    with pytest.raises(ValueError, match="simple majority"):
        yes_no(ballots, base=Base.VOTERS)


def test_custom_fraction():
    three_quarters = MajorityRule.qualified(Fraction(3, 4))
    assert yes_no([(3, YES), (1, NO)], rule=three_quarters).adopted
    assert not yes_no([(2, YES), (1, NO)], rule=three_quarters).adopted
    strict = MajorityRule.qualified(Fraction(3, 4), strict=True)
    assert not yes_no([(3, YES), (1, NO)], rule=strict).adopted
    with pytest.raises(ValueError, match="Fraction"):
        MajorityRule.qualified(0.75)
    with pytest.raises(ValueError, match="impossible"):
        MajorityRule.qualified(Fraction(3, 2))


# --- Validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "ballots", "code"),
    [
        (lambda b: yes_no(b), [(1, YES), (1, "maybe")], "not_a_yes_no"),
        (lambda b: yes_no(b), [(1, YES), (1, ["yes"])], "not_a_yes_no"),
        (lambda b: plurality(["A"], b), [(1, "A"), (1, "Z")], "unknown_option"),
        (lambda b: plurality(["A"], b), [(1, "A"), (1, ["A"])], "unknown_option"),
        (lambda b: approval(["A"], b), [(1, {"A"}), (1, "A")], "not_a_set"),
        (lambda b: approval(["A", "B"], b), [(1, {"A"}), (1, ["A", "A"])], "duplicate_option"),
        (lambda b: approval(["A"], b), [(1, {"A"}), (1, {"Z"})], "unknown_option"),
        (lambda b: score(["A"], b, max_score=5), [(1, {"A": 1}), (1, {"A": 6})],
         "score_out_of_range"),
        (lambda b: score(["A"], b, max_score=5), [(1, {"A": 1}), (1, {"A": -1})],
         "score_out_of_range"),
        (lambda b: score(["A"], b, max_score=5), [(1, {"A": 1}), (1, {"A": 2.5})],
         "score_out_of_range"),
        (lambda b: score(["A"], b, max_score=5), [(1, {"A": 1}), (1, {"Z": 2})],
         "unknown_option"),
        (lambda b: score(["A", "B"], b, max_score=5, missing_score=None),
         [(1, {"A": 1, "B": 1}), (1, {"A": 2})], "missing_score"),
        (lambda b: schulze(["A", "B"], b), [(1, ["A"]), (1, ["A", "B", "A"])],
         "duplicate_option"),
        (lambda b: schulze(["A", "B"], b), [(1, ["A"]), (1, ["A", {"B", "A"}])],
         "duplicate_option"),
        (lambda b: schulze(["A", "B"], b), [(1, ["A"]), (1, ["A", "Z"])], "unknown_option"),
        (lambda b: schulze(["A", "B"], b), [(1, ["A"]), (1, "AB")], "not_a_ranking"),
        (lambda b: schulze(["A", "B"], b), [(1, ["A"]), (1, ["A", set()])], "not_a_ranking"),
        (lambda b: majority_judgment(["A"], b), [(1, {"A": 0}), (1, {"A": 7})],
         "grade_out_of_range"),
        (lambda b: majority_judgment(["A"], b), [(1, {"A": 0}), (1, {"A": "Génial"})],
         "grade_out_of_range"),
        (lambda b: majority_judgment(["A"], b), [(1, {"A": 0}), (1, ["A"])], "not_a_mapping"),
        (lambda b: approval(["A"], b), [(1, {"A"}), (0, {"A"})], "weight"),
        (lambda b: approval(["A"], b), [(1, {"A"}), (-2, {"A"})], "weight"),
        (lambda b: approval(["A"], b), [(1, {"A"}), (True, {"A"})], "weight"),
        (lambda b: approval(["A"], b), [(1, {"A"}), (1.0, {"A"})], "weight"),
        (lambda b: approval(["A"], b), [(1, {"A"}), ({"A"},)], "shape"),
    ],
)  # fmt: skip
def test_invalid_ballot_names_its_index_and_reason(count, ballots, code):
    with pytest.raises(InvalidBallot) as error:
        count(ballots)
    assert error.value.index == 1
    assert error.value.code == code
    assert str(error.value).startswith("ballot 1: ")
    assert error.value.message


@pytest.mark.parametrize(
    "call",
    [
        lambda: plurality([], []),
        lambda: plurality(["A", "A"], []),
        lambda: plurality(["A", True], []),
        lambda: plurality("AB", []),
        lambda: plurality(["A", "B"], [], tie_break=["A"]),
        lambda: plurality(["A", "B"], [], tie_break="AB"),
        lambda: plurality(["A", "B"], [], tie_break=["A", "C"]),
        lambda: score(["A"], [], max_score=0),
        lambda: score(["A"], [], max_score=5, missing_score=6),
        lambda: majority_judgment(["A"], [], missing_grade="Génial"),
        lambda: yes_no([], rule="two_thirds"),
        lambda: yes_no([], casting_vote="maybe"),
    ],
)
def test_bad_configuration_is_a_value_error(call):
    with pytest.raises(ValueError) as error:
        call()
    assert not isinstance(error.value, InvalidBallot)


def test_results_are_immutable():
    result = approval(["A"], [(1, {"A"})])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.winner = "B"
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.tallies[0].approvals = 0


# --- No Django ----------------------------------------------------------------------------


def test_counting_imports_only_the_standard_library():
    tree = ast.parse(COUNTING_PY.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative import"
            imported.add(node.module.split(".")[0])
    assert imported
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_counting_imports_without_django():
    src = COUNTING_PY.parents[2]
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(src)!r})\n"
        "sys.modules['django'] = None  # any import of Django now fails\n"
        "import essaim.governance.counting as c\n"
        "assert c.approval(['A'], [(1, {'A'})]).winner == 'A'\n"
        "assert not [m for m in sys.modules if m.startswith('django') and sys.modules[m]]\n"
        "print('ok')\n"
    )
    completed = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        cwd=src,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "ok"


# --- Properties ---------------------------------------------------------------------------

ALL_OPTIONS = ("A", "B", "C", "D", "E")
MAX_SCORE = 4
GRADES = len(counting.DEFAULT_GRADES)


@st.composite
def options_strategy(draw):
    size = draw(st.integers(min_value=1, max_value=len(ALL_OPTIONS)))
    return list(ALL_OPTIONS[:size])


def ranking_choice(options):
    return st.tuples(
        st.permutations(options), st.integers(min_value=0, max_value=len(options))
    ).map(lambda drawn: list(drawn[0][: drawn[1]]))


CHOICES = {
    "yes_no": lambda options: st.sampled_from([YES, NO, ABSTAIN, None]),
    "plurality": lambda options: st.sampled_from([*options, None]),
    "approval": lambda options: st.one_of(st.none(), st.sets(st.sampled_from(options))),
    "score": lambda options: st.one_of(
        st.none(),
        st.dictionaries(st.sampled_from(options), st.integers(min_value=0, max_value=MAX_SCORE)),
    ),
    "schulze": ranking_choice,
    "majority_judgment": lambda options: st.one_of(
        st.none(),
        st.dictionaries(st.sampled_from(options), st.integers(min_value=0, max_value=GRADES - 1)),
    ),
}

COUNT = {
    "yes_no": lambda options, ballots, **kw: yes_no(ballots),
    "plurality": lambda options, ballots, **kw: plurality(
        options, ballots, absolute_majority=True, **kw
    ),
    "approval": lambda options, ballots, **kw: approval(options, ballots, **kw),
    "score": lambda options, ballots, **kw: score(options, ballots, max_score=MAX_SCORE, **kw),
    "schulze": lambda options, ballots, **kw: schulze(options, ballots, **kw),
    "majority_judgment": lambda options, ballots, **kw: majority_judgment(options, ballots, **kw),
}

METHODS = sorted(COUNT)
WEIGHTS = st.integers(min_value=1, max_value=4)


def ballots_of(method, options, *, min_size=0, max_size=12):
    return st.lists(st.tuples(WEIGHTS, CHOICES[method](options)), min_size=min_size,
                    max_size=max_size)  # fmt: skip


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)


@pytest.mark.parametrize("method", METHODS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_permuting_ballots_changes_nothing(method, data):
    options = data.draw(options_strategy())
    ballots = data.draw(ballots_of(method, options))
    shuffled = data.draw(st.permutations(ballots))
    assert COUNT[method](options, shuffled) == COUNT[method](options, ballots)


@pytest.mark.parametrize("method", METHODS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_weights_act_as_repeated_ballots(method, data):
    options = data.draw(options_strategy())
    ballots = data.draw(ballots_of(method, options))
    repeated = [(1, choice) for weight, choice in ballots for _ in range(weight)]
    assert COUNT[method](options, repeated) == COUNT[method](options, ballots)
    # Identical ballots merged into one heavier ballot: the same again.
    if ballots:
        merged = [(sum(weight for weight, _ in ballots[:1]) * 2, ballots[0][1])]
        assert COUNT[method](options, merged) == COUNT[method](options, [ballots[0]] * 2)


def _comparable(result):
    """What must not depend on the order of the options (tiers and tallies as sets)."""
    if isinstance(result, counting.YesNoResult):
        return result
    figures = {
        "ranking": [frozenset(tier) for tier in result.ranking],
        "tallies": {tally.option: tally for tally in result.tallies},
        "tie": result.tie,
        "tied": frozenset(result.tied),
        "winner": result.winner,
        "resolution": result.tie_resolution,
        "ballots": (result.ballots, result.blank),
    }
    if isinstance(result, counting.SchulzeResult):
        figures["pairwise"] = {
            (x, y): (result.preferring(x, y), result.path_strength(x, y))
            for x in result.options
            for y in result.options
        }
        figures["condorcet"] = result.condorcet_winner
    if isinstance(result, counting.PluralityResult):
        figures["runoff"] = frozenset(result.runoff)
        figures["second_round"] = result.second_round_needed
    return figures


@pytest.mark.parametrize("method", [m for m in METHODS if m != "yes_no"])
@PROPERTY_SETTINGS
@given(data=st.data())
def test_results_do_not_depend_on_the_order_of_the_options(method, data):
    options = data.draw(options_strategy())
    ballots = data.draw(ballots_of(method, options))
    reordered = data.draw(st.permutations(options))
    seed = data.draw(st.none() | st.integers(min_value=0, max_value=10**6))
    one = COUNT[method](options, ballots, tie_break=seed)
    other = COUNT[method](reordered, ballots, tie_break=seed)
    assert _comparable(one) == _comparable(other)
    if one.tie and seed is None:
        # A remaining tie is reported, never decided by the order of the options.
        assert one.winner is None
        assert one.tie_resolution is TieResolution.UNRESOLVED


def _pairwise(options, ballots):
    """d[x][y] by brute force over repeated ballots (unranked options last)."""
    d = Counter()
    for weight, ranking in ballots:
        for _ in range(weight):
            if not ranking:
                continue
            level = {option: i for i, option in enumerate(ranking)}
            for x in options:
                for y in options:
                    if level.get(x, len(ranking)) < level.get(y, len(ranking)):
                        d[x, y] += 1
    return d


@PROPERTY_SETTINGS
@given(data=st.data())
def test_schulze_elects_the_condorcet_winner(data):
    options = data.draw(options_strategy())
    ballots = data.draw(ballots_of("schulze", options))
    # Sometimes plant a Condorcet winner: a majority ranking it first.
    if data.draw(st.booleans()):
        winner = data.draw(st.sampled_from(options))
        others = sum(weight for weight, _ in ballots)
        ballots = [*ballots, (others + 1, [winner])]
    result = schulze(options, ballots)
    d = _pairwise(options, ballots)
    assert result.pairwise == tuple(tuple(d[x, y] for y in options) for x in options)
    condorcet = [x for x in options if all(d[x, y] > d[y, x] for y in options if y != x)]
    if condorcet and any(ranking for _, ranking in ballots):
        assert result.condorcet_winner == condorcet[0]
        assert result.winner == condorcet[0]
        assert result.ranking[0] == (condorcet[0],)
    else:
        assert result.condorcet_winner is None


@PROPERTY_SETTINGS
@given(data=st.data())
def test_approving_the_winner_again_never_makes_it_lose(data):
    options = data.draw(options_strategy())
    ballots = data.draw(ballots_of("approval", options, min_size=1))
    before = approval(options, ballots)
    top = data.draw(st.sampled_from(before.ranking[0]))
    extra = data.draw(st.sets(st.sampled_from(options))) | {top}
    after = approval(options, [*ballots, (data.draw(WEIGHTS), extra)])
    assert top in after.ranking[0]
    if before.winner is not None:
        assert after.winner == before.winner


@PROPERTY_SETTINGS
@given(data=st.data())
def test_scoring_the_winner_highest_never_makes_it_lose(data):
    options = data.draw(options_strategy())
    ballots = data.draw(ballots_of("score", options, min_size=1))
    before = score(options, ballots, max_score=MAX_SCORE)
    top = data.draw(st.sampled_from(before.ranking[0]))
    extra = data.draw(
        st.dictionaries(st.sampled_from(options), st.integers(min_value=0, max_value=MAX_SCORE))
    )
    extra[top] = MAX_SCORE
    after = score(options, [*ballots, (data.draw(WEIGHTS), extra)], max_score=MAX_SCORE)
    assert top in after.ranking[0]
    if before.winner is not None:
        assert after.winner == before.winner


def _naive_majority_value(grades):
    """Balinski & Laraki by the letter: remove the lower median again and again."""
    remaining = sorted(grades, reverse=True)
    sequence = []
    while remaining:
        median = remaining[len(remaining) // 2]  # the lower median, best first
        sequence.append(median)
        remaining.remove(median)
    return sequence


@PROPERTY_SETTINGS
@given(data=st.data())
def test_majority_judgment_follows_the_median_and_the_removal_rule(data):
    options = data.draw(options_strategy())
    ballots = data.draw(ballots_of("majority_judgment", options, min_size=1))
    result = majority_judgment(options, ballots, tie_break=list(reversed(options)))
    graded = [(weight, choice) for weight, choice in ballots if choice is not None]
    values = {
        option: [
            GRADES - 1 - choice.get(option, GRADES - 1)  # higher is better, ungraded = worst
            for weight, choice in graded
            for _ in range(weight)
        ]
        for option in options
    }
    sequences = {option: _naive_majority_value(values[option]) for option in options}
    expected = sorted({tuple(s) for s in sequences.values()}, reverse=True)
    assert [frozenset(tier) for tier in result.ranking] == [
        frozenset(o for o in options if tuple(sequences[o]) == s) for s in expected
    ]
    if graded:
        best_median = max(sequence[0] for sequence in sequences.values())
        assert result.winner is not None
        assert sequences[result.winner][0] == best_median
        label = counting.DEFAULT_GRADES[GRADES - 1 - best_median]
        assert result.tally(result.winner).majority_grade == label
        assert all(
            counting.DEFAULT_GRADES.index(t.majority_grade) >= GRADES - 1 - best_median
            for t in result.tallies
        )


@PROPERTY_SETTINGS
@given(
    yes=st.integers(0, 40),
    no=st.integers(0, 40),
    abstain=st.integers(0, 10),
    numerator=st.integers(1, 6),
    denominator=st.integers(1, 6),
    strict=st.booleans(),
    voters_base=st.booleans(),
)
def test_yes_no_rule_is_the_fraction_it_says(
    yes, no, abstain, numerator, denominator, strict, voters_base
):
    fraction = Fraction(numerator, denominator)
    if fraction > 1 or (strict and fraction == 1):
        with pytest.raises(ValueError):
            MajorityRule.qualified(fraction, strict=strict)
        return
    rule = MajorityRule.qualified(fraction, strict=strict)
    ballots = [(w, c) for w, c in ((yes, YES), (no, NO), (abstain, ABSTAIN)) if w]
    base = Base.VOTERS if voters_base else Base.EXPRESSED
    result = yes_no(ballots, rule=rule, base=base)
    total = yes + no + (abstain if voters_base else 0)
    reached = yes > fraction * total if strict else yes >= fraction * total
    assert result.adopted == (reached and yes > 0)
    assert result.adopted == (result.margin >= 0)
    assert result.base == total
    simple = yes_no(ballots)
    assert simple.adopted == (yes > no)
