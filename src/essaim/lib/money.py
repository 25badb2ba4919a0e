"""Money as integer cents of euros (DESIGN.md: never a float).

`parse_euros` reads what people type ("12,50", "1 234,5 €", "12.50") into cents and refuses
the rest with a translated message; `format_euros` writes cents the French way.
"""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

# Spaces people and spreadsheets put between thousands: space, no-break, narrow no-break.
_GROUPING = re.compile(r"[\s\u00a0\u202f']")
_AMOUNT = re.compile(r"^[0-9]+(?:[.,][0-9]{1,2})?$")
_GROUPED_DOT = re.compile(
    r"^[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]{1,2}$"
)  # 1.234,50 (thousands with dots)
_GROUPED_COMMA = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]{1,2}$")  # 1,234.50 (English style)


def parse_euros(text: str | Decimal, *, max_cents: int | None = None) -> int:
    """ "12,50" → 1250. Raises ValueError (translated message) for anything that is not a
    positive amount with at most two decimals, or above `max_cents`.

    A bare "1.234" or "1,234" is refused rather than guessed: it means 1 234 € to a French
    reader and 1,234 € to a spreadsheet exported in English. "1.234,50" and "1,234.50" are
    unambiguous and read as 1 234,50 €.
    """
    if isinstance(text, Decimal):
        try:
            exact = text.is_finite() and text == text.quantize(Decimal("0.01"))
        except InvalidOperation:  # too many digits to quantize: absurd anyway
            exact = False
        if not exact:
            raise ValueError(_("Give an amount in euros with at most two decimals."))
        cents = int(text * 100)
    elif not isinstance(text, str):
        # A float (12.1 is 12.0999… in binary) or a number of unknown unit: refused.
        raise ValueError(_("Give an amount in euros, for example 12,50."))
    else:
        cleaned = _GROUPING.sub("", text).removesuffix("€").removesuffix("EUR")
        cleaned = cleaned.strip()
        if cleaned.startswith("-"):
            raise ValueError(_("The amount must be positive."))
        if _GROUPED_DOT.match(cleaned):
            cleaned = cleaned.replace(".", "")
        elif _GROUPED_COMMA.match(cleaned):
            cleaned = cleaned.replace(",", "")
        if not _AMOUNT.match(cleaned):
            if re.match(r"^[0-9]+[.,][0-9]{3,}$", cleaned):
                raise ValueError(_("Give an amount in euros with at most two decimals."))
            raise ValueError(_("Give an amount in euros, for example 12,50."))
        try:
            cents = int(Decimal(cleaned.replace(",", ".")) * 100)
        except InvalidOperation as exc:
            raise ValueError(_("Give an amount in euros, for example 12,50.")) from exc
    if cents <= 0:
        raise ValueError(_("The amount must be positive."))
    if max_cents is not None and cents > max_cents:
        raise ValueError(
            _("The amount cannot be above %(limit)s.") % {"limit": format_euros(max_cents)}
        )
    return cents


def format_euros(cents: int, *, sign: bool = True, short: bool = False) -> str:
    """1234550 → "12 345,50 €" (narrow no-break space between thousands, as French
    typography wants; a no-break space before the sign so it never starts a line).
    `short`: no cents when there are none (2000 → "20 €"), as dues and prices are written."""
    cents = int(cents)
    negative = cents < 0
    euros, rest = divmod(abs(cents), 100)
    text = ("-" if negative else "") + f"{euros:,}".replace(",", "\u202f")
    if rest or not short:
        text += f",{rest:02d}"
    return f"{text}\u00a0€" if sign else text
