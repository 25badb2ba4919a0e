import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from essaim.members import periods
from essaim.members.periods import Period

D = dt.date


@pytest.mark.parametrize(
    "kind,day,month,expected",
    [
        ("calendar_year", D(2026, 6, 15), 9, Period(D(2026, 1, 1), D(2026, 12, 31))),
        ("season", D(2026, 6, 15), 9, Period(D(2025, 9, 1), D(2026, 8, 31))),
        ("season", D(2026, 9, 1), 9, Period(D(2026, 9, 1), D(2027, 8, 31))),
        ("season", D(2026, 1, 1), 1, Period(D(2026, 1, 1), D(2026, 12, 31))),
        ("rolling", D(2026, 3, 12), 9, Period(D(2026, 3, 12), D(2027, 3, 11))),
        ("rolling", D(2028, 2, 29), 9, Period(D(2028, 2, 29), D(2029, 2, 27))),
        ("lifetime", D(2026, 3, 12), 9, Period(D(2026, 3, 12), None)),
    ],
)
def test_period_for(kind, day, month, expected):
    assert periods.period_for(kind, day, month) == expected


def test_labels():
    assert Period(D(2026, 1, 1), D(2026, 12, 31)).label() == "2026"
    assert Period(D(2025, 9, 1), D(2026, 8, 31)).label() == "2025-2026"
    assert Period(D(2026, 3, 12), D(2027, 3, 11)).label() == "12/03/2026 → 11/03/2027"
    assert Period(D(2026, 3, 12), None).label() == "12/03/2026 →"


def test_next_period_continues_or_restarts():
    year = Period(D(2025, 1, 1), D(2025, 12, 31))
    assert periods.next_period("calendar_year", year, D(2025, 12, 1)) == Period(
        D(2026, 1, 1), D(2026, 12, 31)
    )
    # Skipped 2026 entirely: renewing in 2027 covers 2027, not the past year.
    assert periods.next_period("calendar_year", year, D(2027, 5, 1)).start == D(2027, 1, 1)
    rolling = Period(D(2025, 3, 12), D(2026, 3, 11))
    assert periods.next_period("rolling", rolling, D(2026, 4, 1)).start == D(2026, 3, 12)
    assert periods.next_period("rolling", rolling, D(2026, 9, 1)).start == D(2026, 9, 1)
    assert periods.next_period("lifetime", Period(D(2025, 1, 1), None), D(2026, 1, 1)) is None


@pytest.mark.parametrize(
    "joined,cents",
    [(D(2026, 1, 10), 2000), (D(2026, 6, 15), 1167), (D(2026, 12, 31), 167)],
)
def test_prorata(joined, cents):
    year = Period(D(2026, 1, 1), D(2026, 12, 31))
    assert periods.prorata_cents(2000, year, joined) == cents


@given(
    st.sampled_from(["calendar_year", "season", "rolling"]),
    st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31)),
    st.integers(min_value=1, max_value=12),
)
def test_periods_cover_their_day_and_last_a_year(kind, day, month):
    period = periods.period_for(kind, day, month)
    assert period.contains(day)
    assert 364 <= (period.end - period.start).days <= 365
    following = periods.next_period(kind, period, period.end, month)
    assert following.start == period.end + dt.timedelta(days=1)


@given(
    st.integers(min_value=0, max_value=10_000_00),
    st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 12, 31)),
)
def test_prorata_never_exceeds_the_amount(amount, joined):
    share = periods.prorata_cents(amount, Period(D(2026, 1, 1), D(2026, 12, 31)), joined)
    assert 0 <= share <= amount
