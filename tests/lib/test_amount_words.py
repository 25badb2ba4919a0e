"""Amounts in French words, as tax receipts write them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from essaim.lib.amount_words import euros_in_words


@pytest.mark.parametrize(
    ("cents", "words"),
    [
        (0, "zéro euro"),
        (1, "un centime"),
        (2, "deux centimes"),
        (100, "un euro"),
        (101, "un euro et un centime"),
        (150, "un euro et cinquante centimes"),
        (2000, "vingt euros"),
        (2100, "vingt et un euros"),
        (7100, "soixante et onze euros"),
        (8000, "quatre-vingts euros"),  # the s of quatre-vingts stays before a noun
        (8100, "quatre-vingt-un euros"),
        (9100, "quatre-vingt-onze euros"),
        (20000, "deux cents euros"),
        (20100, "deux cent un euros"),
        (123450, "mille deux cent trente-quatre euros et cinquante centimes"),
        (8000000, "quatre-vingt mille euros"),  # no s before mille
        (20000000, "deux cent mille euros"),
        (100000000, "un million d'euros"),
        (200000000, "deux millions d'euros"),
        (100020000, "un million deux cents euros"),
        (100000001, "un million d'euros et un centime"),
        (100000000000, "un milliard d'euros"),
    ],
)
def test_tricky_french_amounts(cents, words):
    assert euros_in_words(cents) == words


@pytest.mark.parametrize("bad", [-1, 12.5, "100", True])
def test_only_whole_non_negative_cents(bad):
    with pytest.raises((TypeError, ValueError)):
        euros_in_words(bad)


@given(st.integers(min_value=0, max_value=10**13))
def test_every_amount_names_its_currency_once(cents):
    words = euros_in_words(cents)
    euros, rest = divmod(cents, 100)
    assert words.count("euro") == (1 if euros or not rest else 0)
    assert ("centime" in words) == bool(rest)
    assert words == words.strip() and "  " not in words
    if euros > 1:
        assert "euros" in words
