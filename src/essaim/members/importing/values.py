"""Values as people type them in French spreadsheets: dates, amounts, yes/no, countries…

Each parser takes a cell (text, or a number/date from an XLSX file) and returns the value
or raises ValueError with a message in plain words, shown next to the row in the preview.
No models here.
"""

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.lib.text import fold

from .reading import Cell, cell_text

# A leading apostrophe is how spreadsheets (and Essaim's own exports, see
# lib.spreadsheets) mark "this is text, not a formula": '=SOMME(A1) is the text =SOMME(A1).
_TEXT_MARKER = re.compile(r"^'(?=[=+\-@\t\r])")


def text(value: Cell) -> str:
    """A cell as plain text, kept as typed: a formula is text, never computed."""
    result = " ".join((value if value.__class__ is str else cell_text(value)).split())
    if result[:1] == "'":
        result = _TEXT_MARKER.sub("", result)
    return result


def multiline_text(value: Cell) -> str:
    lines = (" ".join(line.split()) for line in cell_text(value).splitlines())
    return _TEXT_MARKER.sub("", "\n".join(line for line in lines if line))


# --- Dates ------------------------------------------------------------------------------------

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "aou": 8,
    "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}  # fmt: skip
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ t].*)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t].*)?$")
_WORD_DATE = re.compile(r"^(\d{1,2})(?:er)?[ \-.]*([a-z]+)\.?[ \-.]*(\d{2}|\d{4})$")
_SERIAL = re.compile(r"^\d{5}(?:[.,]\d+)?$")
# Excel's serial numbers for 01/01/1900 … 31/12/2199: a bare number in a date column.
_SERIAL_MIN, _SERIAL_MAX = 1, 109_574


def _year(two_or_four: str) -> int:
    year = int(two_or_four)
    if len(two_or_four) == 2:
        # "05" is 2005, "80" is 1980: a year more than one year ahead is last century's.
        this_year = timezone.localdate().year
        year += 2000 if 2000 + year <= this_year + 1 else 1900
    return year


def _from_serial(serial: float, epoch: dt.datetime | None) -> dt.date:
    from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel

    return from_excel(serial, epoch or CALENDAR_WINDOWS_1900).date()


def parse_date(value: Cell, *, epoch: dt.datetime | None = None) -> dt.date | None:
    """31/12/1980, 31/12/80, 1/2/1980, 1980-12-31, 31.12.1980, 31 décembre 1980, an Excel
    serial number (29586) or a real date cell; a time after the date is ignored."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError(_not_a_date(value))
    if isinstance(value, int | float):
        if 1900 <= value <= 2100 and float(value).is_integer():
            raise ValueError(_("Only a year (%(value)s): give the whole date.") % {"value": value})
        if _SERIAL_MIN <= value <= _SERIAL_MAX:
            return _from_serial(float(value), epoch)
        raise ValueError(_not_a_date(value))
    raw = text(value)
    folded = fold(raw)
    try:
        if match := _NUMERIC_DATE.match(folded):
            day, month, year = match.groups()
            return dt.date(_year(year), int(month), int(day))
        if match := _ISO_DATE.match(folded):
            year, month, day = match.groups()
            return dt.date(int(year), int(month), int(day))
        if match := _WORD_DATE.match(folded):
            day, month_name, year = match.groups()
            if month_name in _MONTHS:
                return dt.date(_year(year), _MONTHS[month_name], int(day))
        if _SERIAL.match(folded):
            return _from_serial(float(folded.replace(",", ".")), epoch)
    except ValueError as exc:  # 31/02/1980
        raise ValueError(_("“%(value)s” is not a date that exists.") % {"value": raw[:40]}) from exc
    if re.fullmatch(r"\d{4}", folded):
        raise ValueError(_("Only a year (%(value)s): give the whole date.") % {"value": raw})
    raise ValueError(_not_a_date(value))


def _not_a_date(value: Cell) -> str:
    return _("“%(value)s” is not a date: write it like 31/12/1980.") % {"value": text(value)[:40]}


# --- Amounts ----------------------------------------------------------------------------------

_CURRENCY = re.compile(r"(?i)(€|eur(?:os?)?|ttc)")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
MAX_CENTS = 100_000_00


class _NotAnAmount(ValueError):
    def __init__(self, value: Cell):
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return _("“%(value)s” is not an amount: write it like 20 or 12,50.") % {
            "value": text(self.value)[:40]
        }


def parse_amount(value: Cell) -> int | None:
    """Cents from "20", "20,00", "20,00 €", "1 234,50", "1.234,50", "€20", or a number."""
    if value is None or value == "":
        return None
    invalid = _NotAnAmount(value)
    if isinstance(value, bool):
        raise invalid
    if isinstance(value, int | float):
        amount = Decimal(str(value))
    else:
        raw = _SPACES.sub("", _CURRENCY.sub("", text(value)))
        if not raw or raw in {"-", "0,00", "0.00"}:
            return 0 if raw else None
        if "," in raw and "." in raw:
            # The last separator is the decimal one: 1.234,50 (French) or 1,234.50 (English).
            if raw.rfind(",") > raw.rfind("."):
                raw = raw.replace(".", "").replace(",", ".")
            else:
                raw = raw.replace(",", "")
        else:
            raw = raw.replace(",", ".")
        if raw.count(".") > 1 or not re.fullmatch(r"[+-]?\d*\.?\d*", raw):
            raise invalid
        try:
            amount = Decimal(raw)
        except InvalidOperation as exc:
            raise invalid from exc
    if not amount.is_finite():
        raise invalid
    if amount < 0:
        raise ValueError(_("A negative amount (%(value)s) cannot be dues.") % {"value": amount})
    cents = (amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    if cents != amount * 100:
        raise ValueError(_("An amount has at most two decimals: %(value)s.") % {"value": amount})
    if cents > MAX_CENTS:
        raise ValueError(_("Between 0 and 100,000 €."))
    return int(cents)


# --- Yes / no, paid -----------------------------------------------------------------------------

PAID = "paid"
UNPAID = "unpaid"
CANCELLED = "cancelled"

_YES = {
    "oui", "o", "x", "1", "vrai", "yes", "y", "true", "ok", "paye", "payee", "regle", "reglee",
    "valide", "validee", "a jour", "encaisse", "encaissee", "recu", "recue", "done",
}  # fmt: skip
_NO = {
    "non", "n", "0", "faux", "no", "false", "impaye", "impayee", "en attente", "a payer",
    "attente", "non paye", "non payee", "non regle", "pas paye", "pending", "en cours",
}  # fmt: skip
# HelloAsso statuses of an order that brought no money: the row is not a paid membership.
_CANCELLED = {
    "rembourse", "remboursee", "annule", "annulee", "refuse", "refusee", "abandonne",
    "abandonnee", "echoue", "echouee", "erreur", "conteste", "contestee", "refunded",
    "canceled", "cancelled", "refused",
}  # fmt: skip


def parse_paid(value: Cell, *, epoch: dt.datetime | None = None) -> tuple[str, dt.date | None]:
    """(PAID, date or None) | (UNPAID, None) | (CANCELLED, None) from yes/no, a payment date
    or an order status ("Validé", "Remboursé")."""
    if isinstance(value, bool):
        return (PAID if value else UNPAID), None
    if isinstance(value, dt.date | dt.datetime):
        return PAID, parse_date(value)
    folded = fold(text(value)).strip(" .!")
    if not folded:
        return UNPAID, None
    if folded in _YES:
        return PAID, None
    if folded in _NO:
        return UNPAID, None
    if folded in _CANCELLED:
        return CANCELLED, None
    try:
        return PAID, parse_date(value, epoch=epoch)
    except ValueError:
        pass
    raise ValueError(
        _("“%(value)s” does not say whether the dues were paid: write oui, non or the date.")
        % {"value": text(value)[:40]}
    )


# --- Payment methods ------------------------------------------------------------------------------

# DuesPayment.Method values; unknown words are recorded as "other" with the word as a note.
_METHODS = {
    "cheque": "cheque", "cheques": "cheque", "chq": "cheque", "ch": "cheque",
    "especes": "cash", "espece": "cash", "liquide": "cash", "cash": "cash", "esp": "cash",
    "virement": "transfer", "virement bancaire": "transfer", "vir": "transfer",
    "transfer": "transfer", "bank transfer": "transfer", "prelevement": "transfer",
    "prelevement sepa": "transfer", "sepa": "transfer",
    "carte": "card", "carte bancaire": "card", "cb": "card", "card": "card",
    "carte bleue": "card", "helloasso": "card", "paypal": "card", "sumup": "card",
    "tpe": "card", "en ligne": "card", "paiement en ligne": "card", "stripe": "card",
    "lydia": "card",
}  # fmt: skip


def parse_method(value: Cell) -> tuple[str, str]:
    """(method, note): a known method and "", or "other" and the word as typed."""
    raw = text(value)
    folded = fold(raw).strip(" .")
    if not folded:
        return "", ""
    if folded in _METHODS:
        return _METHODS[folded], ""
    for word, method in _METHODS.items():
        if len(word) > 3 and word in folded:
            return method, ""
    return "other", raw[:100]


# --- Countries ------------------------------------------------------------------------------

_COUNTRIES = {
    "france": "FR", "fra": "FR", "france metropolitaine": "FR", "metropole": "FR",
    "belgique": "BE", "bel": "BE", "belgium": "BE", "suisse": "CH", "che": "CH",
    "switzerland": "CH", "luxembourg": "LU", "lux": "LU", "allemagne": "DE", "deu": "DE",
    "germany": "DE", "espagne": "ES", "esp": "ES", "spain": "ES", "italie": "IT", "ita": "IT",
    "italy": "IT", "portugal": "PT", "prt": "PT", "royaume uni": "GB", "gbr": "GB",
    "angleterre": "GB", "united kingdom": "GB", "pays bas": "NL", "nld": "NL",
    "netherlands": "NL", "monaco": "MC", "mco": "MC", "andorre": "AD", "and": "AD",
    "canada": "CA", "can": "CA", "etats unis": "US", "usa": "US", "united states": "US",
    "maroc": "MA", "mar": "MA", "algerie": "DZ", "dza": "DZ", "tunisie": "TN", "tun": "TN",
    "senegal": "SN", "sen": "SN", "cote d ivoire": "CI", "civ": "CI", "mali": "ML",
    "cameroun": "CM", "irlande": "IE", "autriche": "AT", "pologne": "PL", "roumanie": "RO",
    "grece": "GR", "suede": "SE", "danemark": "DK", "norvege": "NO", "finlande": "FI",
    # Overseas departments are France for addresses and the postal code rules.
    "guadeloupe": "FR", "martinique": "FR", "guyane": "FR", "la reunion": "FR",
    "reunion": "FR", "mayotte": "FR",
}  # fmt: skip


def parse_country(value: Cell) -> str:
    raw = text(value)
    folded = re.sub(r"[^a-z ]", " ", fold(raw))
    folded = " ".join(folded.split())
    if not folded:
        return ""
    if folded in _COUNTRIES:
        return _COUNTRIES[folded]
    if len(folded) == 2 and folded.isalpha():
        return folded.upper()
    raise ValueError(
        _("Unknown country “%(value)s”: use the two-letter code (FR, BE, CH…).")
        % {"value": raw[:40]}
    )


# --- Phones ---------------------------------------------------------------------------------------

_PHONE_SPLIT = re.compile(r"\s*(?:/|;|\||\bou\b|\bet\b|,|\n)\s*")


def split_phones(value: Cell) -> list[str]:
    """ "06 12 34 56 78 / 01 23 45 67 89" → two numbers; 612345678 (Excel dropped the 0) →
    "0612345678"; 33612345678 → "+33612345678"."""
    raw = cell_text(value)
    numbers = []
    for part in _PHONE_SPLIT.split(raw):
        part = part.strip().lstrip("'")
        if not part:
            continue
        digits = re.sub(r"\D", "", part)
        if part[0].isdigit() and len(digits) == 9 and digits[0] in "123456789" and digits == part:
            part = "0" + digits
        elif (
            part[0].isdigit() and len(digits) == 11 and digits.startswith("33") and (digits == part)
        ):
            part = "+" + digits
        numbers.append(part)
    return numbers


# --- Names and tags ----------------------------------------------------------------------------


def split_full_name(value: str, *, last_first: bool = True) -> tuple[str, str]:
    """(first name, last name) from one column ("DUPONT Marie", "Marie Dupont").

    Words in capitals are the last name, wherever they are: "DUPONT Marie", "Marie
    LE GOFF". Otherwise the order chosen on the mapping screen decides; the last name is one
    word then, except for particles (de, du, le, van…) that belong to it.
    """
    words = value.split()
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]
    capitals = [w.isupper() and any(c.isalpha() for c in w) and len(w) > 1 for w in words]
    if any(capitals) and not all(capitals):
        last = [w for w, cap in zip(words, capitals, strict=True) if cap]
        first = [w for w, cap in zip(words, capitals, strict=True) if not cap]
        return " ".join(first), " ".join(last)
    particles = {"de", "du", "des", "le", "la", "van", "von", "da", "di", "d'", "el", "ben"}
    if last_first:
        count = 1
        while count < len(words) - 1 and fold(words[count - 1]) in particles:
            count += 1
        return " ".join(words[count:]), " ".join(words[:count])
    start = len(words) - 1
    while start > 1 and fold(words[start - 1]) in particles:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


_TAG_SPLIT = re.compile(r"\s*[,;|\n]\s*")


def split_tags(value: Cell) -> list[str]:
    return [t[:60] for t in (" ".join(p.split()) for p in _TAG_SPLIT.split(text(value))) if t]
