"""Amounts in French words, as a tax receipt writes them ("somme en toutes lettres").

The Cerfa 11580 and 16216 receipts ask for the amount of the gift in figures and in words.
The numbers come from num2words (traditional spelling: "mille deux cent trente-quatre", the
1990 recommendation's hyphens everywhere are allowed but not what treasurers write); the
currency words and their agreement are ours:

- "euro" takes an s from two on ("un euro", "deux euros"), and "zéro euro" none;
- after "million(s)" or "milliard(s)", which are nouns, one writes "d'euros"
  ("un million d'euros", but "un million deux cents euros");
- "centime" agrees the same way, and no "zéro euro" is written before cents alone.

num2words' own `to="currency"` is not used: it goes through a float and gets large amounts
wrong (1 000 000 € came out as "dix mille euros" with num2words 0.5.14).
"""

from num2words import num2words

_NOUNS = {"million", "millions", "milliard", "milliards", "billion", "billions"}


def _words(number: int) -> str:
    return num2words(number, lang="fr")


def _euros(euros: int) -> str:
    words = _words(euros)
    if euros <= 1:
        return f"{words} euro"
    if words.split()[-1] in _NOUNS:
        return f"{words} d'euros"
    return f"{words} euros"


def _centimes(cents: int) -> str:
    return f"{_words(cents)} centime{'s' if cents > 1 else ''}"


def euros_in_words(cents: int) -> str:
    """2000 → "vingt euros"; 123450 → "mille deux cent trente-quatre euros et cinquante
    centimes"; 100000000 → "un million d'euros"; 1 → "un centime"."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError("cents must be an int")
    if cents < 0:
        raise ValueError("an amount in words is never negative")
    euros, rest = divmod(cents, 100)
    if euros and rest:
        return f"{_euros(euros)} et {_centimes(rest)}"
    if rest:
        return _centimes(rest)
    return _euros(euros)
