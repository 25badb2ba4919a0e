"""Text helpers with no dependency on models."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(value: str | None) -> str:
    """Lower-case, accent-free, single-spaced form of a text, for search and comparison.

    "Émilie  LE GOFF" -> "emilie le goff"; "Œuvre" -> "oeuvre". The same function folds the
    stored text and the query, so a search is accent- and case-insensitive on every database
    (SQLite has no unaccent, PostgreSQL needs an extension a small host may not allow).
    """
    if not value:
        return ""
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
