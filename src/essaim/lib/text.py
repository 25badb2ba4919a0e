"""Text helpers with no dependency on models."""

import re
import unicodedata
import uuid

_SPACES = re.compile(r"\s+")
_ASCII_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def _latin_table() -> dict[int, str | None]:
    """Accented Latin letters (and no-break spaces) → their ASCII fold, for str.translate:
    the characters of French names, streets and towns, folded without decomposing each one.
    Built from the same rules as the general case below, so both give the same result."""
    table: dict[int, str | None] = {}
    for code in range(0x80, 0x2500):
        char = chr(code)
        if unicodedata.category(char) in {"Cc", "Cs"}:
            table[code] = None
            continue
        special = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"}.get(char)
        decomposed = special or unicodedata.normalize("NFKD", char)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        if plain and plain.isascii() and (plain.isalnum() or plain.isspace()):
            table[code] = plain
    return table


_LATIN = _latin_table()


def fold(value: str | None) -> str:
    """Lower-case, accent-free, single-spaced form of a text, for search and comparison.

    "Émilie  LE GOFF" -> "emilie le goff"; "Œuvre" -> "oeuvre". The same function folds the
    stored text and the query, so a search is accent- and case-insensitive on every database
    (SQLite has no unaccent, PostgreSQL needs an extension a small host may not allow).
    """
    if not value:
        return ""
    if not value.isascii():
        # Most French text becomes ASCII here ("Émilie" → "Emilie") without decomposing
        # each character (an import folds millions of values).
        value = value.translate(_LATIN)
    if value.isascii():
        if not value.isprintable():
            value = _ASCII_CONTROLS.sub("", value)
        return " ".join(value.lower().split())
    value = value.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    value = value.replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and unicodedata.category(ch) not in {"Cc", "Cs"}
    )
    return _SPACES.sub(" ", stripped.casefold()).strip()


_PHONE_LIKE = re.compile(r"^[+(]?[\d().\-/]+$")


def search_terms(query: str | None, limit: int = 8) -> list[str]:
    """Split a user query into folded terms (at most `limit`, so a pasted essay stays cheap).

    A phone-like term loses its punctuation: "06.12.34.56.78" and "+33612345678" are searched
    as the digits stored in the search text.
    """
    terms = []
    for term in fold(query).split(" "):
        if _PHONE_LIKE.match(term) and any(ch.isdigit() for ch in term):
            term = "".join(ch for ch in term if ch.isdigit())
        if term:
            terms.append(term)
    return terms[:limit]


def has_forbidden_characters(value: str) -> bool:
    """NUL bytes and lone surrogates: PostgreSQL refuses the first, UTF-8 the second.

    Forms reject NUL already (Django's ProhibitNullCharactersValidator); the API and imports
    go through services, which check with this function.
    """
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def uuid_or_none(value) -> uuid.UUID | None:
    """The UUID written in `value` (a form field, a query string), or None if it is not one."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        return None
