"""The yearly rates of the tax reductions for gifts, read from data/tax_rates.json.

Rates change with finance laws: they are data, not constants. A year missing from the file
takes the latest year before it (the law stays until changed); a year before the first one
known is refused.
"""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data" / "tax_rates.json"


@dataclass(frozen=True)
class YearRates:
    year: int
    individual_rate: int  # % of the gift (CGI art. 200)
    individual_income_cap_percent: int  # of the taxable income
    aid_rate: int  # % for organisations helping people in difficulty, up to the ceiling
    aid_ceiling_cents: int
    company_rate: int  # % (CGI art. 238 bis), up to company_rate_threshold_cents
    company_rate_above: int
    company_rate_threshold_cents: int
    company_cap_cents: int  # or company_turnover_cap_permille of the turnover if higher
    company_turnover_cap_permille: int
    ifi_rate: int  # % (CGI art. 978), up to ifi_cap_cents
    ifi_cap_cents: int


@functools.cache
def _table() -> dict[int, dict]:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return {int(year): values for year, values in raw["years"].items()}


def rates_for(year: int) -> YearRates:
    table = _table()
    known = [y for y in table if y <= year]
    if not known:
        raise LookupError(f"no tax rates known for {year}")
    chosen = max(known)
    return YearRates(year=chosen, **table[chosen])


def individual_reduction_cents(amount_cents: int, year: int, *, aid: bool = False) -> int:
    """The income tax reduction of an individual's gift, before the 20 %-of-income cap
    (which depends on the donor's income): 66 %, or for an organisation helping people in
    difficulty 75 % up to the year's ceiling and 66 % above it. Rounded down to the cent."""
    if amount_cents <= 0:
        return 0
    rates = rates_for(year)
    if not aid:
        return amount_cents * rates.individual_rate // 100
    at_aid_rate = min(amount_cents, rates.aid_ceiling_cents)
    rest = amount_cents - at_aid_rate
    return (at_aid_rate * rates.aid_rate + rest * rates.individual_rate) // 100


def cost_after_reduction_cents(amount_cents: int, year: int, *, aid: bool = False) -> int:
    """What a gift really costs an individual who pays enough income tax."""
    return amount_cents - individual_reduction_cents(amount_cents, year, aid=aid)


def company_reduction_cents(amount_cents: int, year: int) -> int:
    """The corporate tax reduction of a company's gift (CGI art. 238 bis): 60 % up to the
    year's threshold (2 million euros), 40 % above; before the cap of 20 000 € or 5 ‰ of the
    turnover, which depends on the company. Rounded down to the cent."""
    if amount_cents <= 0:
        return 0
    rates = rates_for(year)
    at_rate = min(amount_cents, rates.company_rate_threshold_cents)
    rest = amount_cents - at_rate
    return (at_rate * rates.company_rate + rest * rates.company_rate_above) // 100


def company_cost_after_reduction_cents(amount_cents: int, year: int) -> int:
    """What a gift really costs a company that pays enough corporate tax."""
    return amount_cents - company_reduction_cents(amount_cents, year)
