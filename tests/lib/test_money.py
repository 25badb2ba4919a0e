"""Amounts typed by people, read into cents; cents written the French way."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from essaim.lib.money import format_euros, parse_euros


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12", 1200),
        ("12,5", 1250),
        ("12,50", 1250),
        ("12.50", 1250),
        ("0,01", 1),
        ("1 234,56", 123456),
        ("1\u202f234,56 €", 123456),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("20 EUR", 2000),
        (Decimal("12.50"), 1250),
    ],
)
def test_amounts_as_people_type_them(typed, cents):
    assert parse_euros(typed) == cents


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "0",
        "0,00",
        "-5",
        "-0,01",
        "12,505",
        "1.234",
        "douze",
        "12,5,0",
        "1e3",
        "١٢",
        12.5,
        12,
        Decimal("12.505"),
        Decimal("NaN"),
        Decimal("1E+40"),
        None,
    ],
)
def test_nonsense_is_refused(typed):
    with pytest.raises(ValueError):
        parse_euros(typed)


def test_an_absurd_amount_is_refused_with_the_limit():
    assert parse_euros("100 000", max_cents=10_000_000) == 10_000_000
    with pytest.raises(ValueError, match="100"):
        parse_euros("100 000,01", max_cents=10_000_000)


def test_format():
    assert format_euros(123456) == "1\u202f234,56\u00a0€"
    assert format_euros(5) == "0,05\u00a0€"
    assert format_euros(-250, sign=False) == "-2,50"
    assert format_euros(2000, short=True) == "20\u00a0€"
    assert format_euros(2050, sign=False, short=True) == "20,50"


@given(st.integers(min_value=1, max_value=10**12))
def test_what_is_written_reads_back(cents):
    assert parse_euros(format_euros(cents)) == cents
    assert parse_euros(format_euros(cents, sign=False)) == cents
    assert parse_euros(format_euros(cents, short=True)) == cents
