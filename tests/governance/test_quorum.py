"""Quorum arithmetic (pure): shares as written in statutes, present + represented."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from essaim.governance.quorum import format_share, parse_share, quorum_status


@pytest.mark.parametrize(
    "text,share",
    [
        ("1/4", Fraction(1, 4)),
        (" 1 / 3 ", Fraction(1, 3)),
        ("25 %", Fraction(1, 4)),
        ("25%", Fraction(1, 4)),
        ("33,5 %", Fraction(67, 200)),
        ("0,5", Fraction(1, 2)),
        ("0.25", Fraction(1, 4)),
        ("1", Fraction(1)),
        ("100 %", Fraction(1)),
    ],
)
def test_shares_written_as_in_statutes(text, share):
    assert parse_share(text) == share


@pytest.mark.parametrize(
    "text", ["", "0", "0/4", "5/4", "120 %", "1/0", "un quart", "-1/4", "1/4x"]
)
def test_impossible_shares_are_refused(text):
    with pytest.raises(ValueError):
        parse_share(text)


def test_format_share():
    assert format_share(Fraction(1, 4)) == "1/4 (25 %)"
    assert format_share(Fraction(1, 3)) == "1/3 (33,33 %)"


def test_a_quarter_of_forty_is_ten():
    assert not quorum_status(voters=40, present=6, represented=3, rule=Fraction(1, 4)).reached
    status = quorum_status(voters=40, present=6, represented=4, rule=Fraction(1, 4))
    assert status.reached and status.required == 10 and status.missing == 0


def test_a_third_of_thirty_is_exactly_ten():
    assert quorum_status(voters=30, present=10, represented=0, rule=Fraction(1, 3)).reached
    assert not quorum_status(voters=30, present=9, represented=0, rule=Fraction(1, 3)).reached


def test_no_rule_needs_someone_there():
    assert not quorum_status(voters=10, present=0, represented=0, rule=None).reached
    assert quorum_status(voters=10, present=1, represented=0, rule=None).reached


counts = st.integers(min_value=0, max_value=10_000)
shares = st.fractions(min_value=Fraction(1, 1000), max_value=1)


@given(voters=counts, present=counts, represented=counts, rule=shares)
def test_reached_exactly_when_the_share_is_met(voters, present, represented, rule):
    status = quorum_status(voters=voters, present=present, represented=represented, rule=rule)
    assert status.reached == (Fraction(present + represented) >= rule * voters)
    # required is the smallest count that reaches it
    assert Fraction(status.required) >= rule * voters
    assert status.required == 0 or Fraction(status.required - 1) < rule * voters


@given(voters=counts, present=counts, represented=counts, rule=shares)
def test_present_and_represented_weigh_the_same(voters, present, represented, rule):
    a = quorum_status(voters=voters, present=present, represented=represented, rule=rule)
    b = quorum_status(voters=voters, present=represented, represented=present, rule=rule)
    assert a.reached == b.reached and a.required == b.required


@given(
    weights=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=50),
    data=st.data(),
    rule=shares,
)
def test_weights_act_as_repeated_members(weights, data, rule):
    """A member of weight w counts as w members of weight 1."""
    n = len(weights)
    present = data.draw(st.sets(st.integers(0, n - 1)))
    represented = data.draw(st.sets(st.integers(0, n - 1))) - present
    weighted = quorum_status(
        voters=sum(weights),
        present=sum(weights[i] for i in present),
        represented=sum(weights[i] for i in represented),
        rule=rule,
    )
    expanded = [i for i, w in enumerate(weights) for _ in range(w)]
    repeated = quorum_status(
        voters=len(expanded),
        present=sum(1 for i in expanded if i in present),
        represented=sum(1 for i in expanded if i in represented),
        rule=rule,
    )
    assert weighted == repeated


@given(voters=counts, present=counts, represented=counts, rule=shares, more=counts)
def test_more_people_never_lose_the_quorum(voters, present, represented, rule, more):
    before = quorum_status(voters=voters, present=present, represented=represented, rule=rule)
    after = quorum_status(voters=voters, present=present + more, represented=represented, rule=rule)
    assert not before.reached or after.reached


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        quorum_status(voters=3, present=-1, represented=0, rule=None)
