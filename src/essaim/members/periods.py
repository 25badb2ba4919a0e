"""Membership periods and dues amounts: pure functions, no database.

A membership type says how its periods run (calendar year, season starting in a chosen
month, rolling twelve months, lifetime) and whether a member joining mid-period pays a
pro-rata share. Everything here is plain Python so it can be tested exhaustively.
"""

import datetime as dt
from dataclasses import dataclass

CALENDAR_YEAR = "calendar_year"
SEASON = "season"
ROLLING = "rolling"
LIFETIME = "lifetime"
PERIOD_KINDS = (CALENDAR_YEAR, SEASON, ROLLING, LIFETIME)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date | None  # None: lifetime

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def label(self) -> str:
        """ "2026", "2026-2027", "12/03/2026 → 11/03/2027" or "à vie dès 12/03/2026"."""
        if self.end is None:
            return f"{self.start:%d/%m/%Y} →"
        if self.start == dt.date(self.start.year, 1, 1) and self.end == dt.date(
            self.start.year, 12, 31
        ):
            return str(self.start.year)
        if self.start.day == 1 and self.end == add_years(self.start, 1) - dt.timedelta(days=1):
            if self.start.month == 1:
                return str(self.start.year)
            return f"{self.start.year}-{self.end.year}"
        return f"{self.start:%d/%m/%Y} → {self.end:%d/%m/%Y}"


def add_years(day: dt.date, years: int) -> dt.date:
    """Same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def period_for(kind: str, day: dt.date, season_start_month: int = 9) -> Period:
    """The period of a membership of this kind that covers `day` (joining on `day`)."""
    if kind == CALENDAR_YEAR:
        return Period(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
    if kind == SEASON:
        if not 1 <= season_start_month <= 12:
            raise ValueError("season_start_month must be 1..12")
        year = day.year if day.month >= season_start_month else day.year - 1
        start = dt.date(year, season_start_month, 1)
        return Period(start, add_years(start, 1) - dt.timedelta(days=1))
    if kind == ROLLING:
        return Period(day, add_years(day, 1) - dt.timedelta(days=1))
    if kind == LIFETIME:
        return Period(day, None)
    raise ValueError(f"unknown period kind {kind!r}")


# A rolling membership renewed within this many days after it ended continues without a gap;
# later, the new year starts on the day of renewal.
ROLLING_CONTINUITY_DAYS = 90


def next_period(kind: str, previous: Period, today: dt.date, season_start_month: int = 9):
    """The period a renewal covers, or None for a lifetime membership.

    Renewing before the end, or shortly after, continues without a gap. A calendar or season
    membership renewed after skipping whole periods covers the current period, not a past
    one.
    """
    if kind == LIFETIME or previous.end is None:
        return None
    following = previous.end + dt.timedelta(days=1)
    if kind == ROLLING:
        late = (today - previous.end).days > ROLLING_CONTINUITY_DAYS
        return period_for(ROLLING, today if late else following)
    candidate = period_for(kind, following, season_start_month)
    if candidate.end is not None and candidate.end < today:
        return period_for(kind, today, season_start_month)
    return candidate


def months_remaining(period: Period, joined: dt.date) -> int:
    """Whole months left in the period, counting the month of joining (1..12)."""
    if period.end is None:
        return 12
    months = (period.end.year - joined.year) * 12 + (period.end.month - joined.month) + 1
    return max(1, min(12, months))


def prorata_cents(amount_cents: int, period: Period, joined: dt.date) -> int:
    """The share of a yearly amount for the months left, rounded to the cent (half up)."""
    months = months_remaining(period, joined)
    return (amount_cents * months * 2 + 12) // 24
