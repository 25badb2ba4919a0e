"""SEPA direct debit, the part without a database: bank details, the creditor identifier
(ICS), mandate references (RUM) and pain.008 files.

Check digits are never computed by hand here: IBAN and BIC go through schwifty, the creditor
identifier through python-stdnum (AT-02), the XML through sepaxml, which also validates it
against the pain.008.001.02 schema. Every refusal is a ValidationError with a message a
treasurer can act on.
"""

import datetime as dt
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors
from sepaxml import SepaDD
from stdnum.eu import at_02

# --- The character set of SEPA ------------------------------------------------------------

# The Latin character set every SEPA bank must accept (EPC217-08, "SEPA Requirements for an
# Extended Character Set"); identifiers (RUM, end-to-end id) are restricted to it.
SEPA_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "
)
SEQUENCE_TYPES = ("FRST", "RCUR", "OOFF", "FNAL")
MAX_ID_LENGTH = 35  # Max35Text: mandate id (RUM), end-to-end id, message id


def _compact(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def sepa_text(value: str, limit: int) -> str:
    """A name or a remittance text reduced to the SEPA characters: accents dropped
    ("Hélène" → "Helene", "Œuvre" → "OEuvre"), anything else becomes a space."""
    value = value.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    value = value.replace("ß", "ss").replace("’", "'").replace("&", "+")
    plain = "".join(
        char for char in unicodedata.normalize("NFKD", value) if not unicodedata.combining(char)
    )
    kept = "".join(char if char in SEPA_CHARACTERS else " " for char in plain)
    return " ".join(kept.split())[:limit].strip()


# --- IBAN and BIC -------------------------------------------------------------------------

_IBAN_MESSAGES = {
    schwifty_errors.InvalidCountryCode: lambda: _(
        "This IBAN starts with an unknown country code: an IBAN starts with two letters, "
        "FR for a French account."
    ),
    schwifty_errors.InvalidLength: lambda: _(
        "This IBAN does not have the right number of characters for its country "
        "(27 for a French account)."
    ),
    schwifty_errors.InvalidChecksumDigits: lambda: _(
        "This IBAN is not valid (check digits): a character is probably wrong. Copy it "
        "again from the bank details (RIB)."
    ),
    schwifty_errors.InvalidBBANChecksum: lambda: _(
        "The account number in this IBAN is not valid (RIB key): a character is probably "
        "wrong. Copy it again from the bank details (RIB)."
    ),
}


def validate_iban(value: str, *, sepa_only: bool = True) -> str:
    """The IBAN without spaces, upper-case ("FR7630006000011234567890189"), or a
    ValidationError. `sepa_only`: the account can be debited by a SEPA direct debit."""
    compact = _compact(value)
    if not compact:
        raise ValidationError(_("Give the IBAN of the account."), code="required")
    try:
        iban = IBAN(compact, validate_bban=True)
    except schwifty_errors.SchwiftyException as exc:
        message = _IBAN_MESSAGES.get(type(exc))
        raise ValidationError(
            message()
            if message
            else _("This is not an IBAN: it starts with two letters, then two digits (FR76…)."),
            code="invalid",
        ) from exc
    if sepa_only and not iban.in_sepa_zone:
        raise ValidationError(
            _("This account is in a country outside the SEPA area: it cannot be debited."),
            code="not_sepa",
        )
    return iban.compact


def validate_bic(value: str) -> str:
    """The BIC, upper-case, 8 or 11 characters ("BNPAFRPP"), or a ValidationError."""
    compact = _compact(value)
    if not compact:
        raise ValidationError(_("Give the BIC of the bank."), code="required")
    try:
        return str(BIC(compact))
    except schwifty_errors.InvalidLength as exc:
        raise ValidationError(
            _("A BIC has 8 or 11 characters, for example BNPAFRPP or BNPAFRPPXXX."),
            code="invalid",
        ) from exc
    except schwifty_errors.SchwiftyException as exc:
        raise ValidationError(
            _("This BIC is not valid: copy it again from the bank details (RIB)."),
            code="invalid",
        ) from exc


def bic_of(iban: str) -> str:
    """The BIC of the bank holding `iban` when schwifty's bank registry knows it, or ""."""
    try:
        bic = IBAN(_compact(iban)).bic
    except schwifty_errors.SchwiftyException:
        return ""
    return str(bic) if bic else ""


# --- Creditor identifier (ICS) ------------------------------------------------------------

# EPC262-08 ("Creditor Identifier Overview"): country code, 2 check digits, a 3-character
# creditor business code (ZZZ when unused), then the national identifier, 35 at most. The
# Banque de France issues 6-character national identifiers: a French ICS has 13 characters.
_CREDITOR_ID = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$")
_FRENCH_CREDITOR_ID = re.compile(r"^FR[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{6}$")


def creditor_id_check_digits(country: str, national_id: str) -> str:
    """The 2 check digits of a creditor identifier: ISO 7064 MOD 97-10 over the national
    identifier followed by the country code and "00", letters as numbers (A=10 … Z=35), like
    an IBAN's; the business code (positions 5-7) is left out, so it can change freely."""
    return at_02.calc_check_digits(f"{country.upper()}00ZZZ{_compact(national_id)}")


def validate_creditor_id(value: str) -> str:
    """The SEPA creditor identifier (identifiant créancier SEPA, ICS), upper-case without
    spaces ("FR72ZZZ123456"), or a ValidationError."""
    compact = _compact(value)
    if not compact:
        raise ValidationError(
            _("Give your SEPA creditor identifier (ICS), given by your bank."), code="required"
        )
    shape = _FRENCH_CREDITOR_ID if compact.startswith("FR") else _CREDITOR_ID
    if not shape.match(compact):
        raise ValidationError(
            _(
                "A SEPA creditor identifier (ICS) looks like FR12ZZZ123456: FR, two check "
                "digits, three characters (often ZZZ), then six letters or digits."
            ),
            code="invalid",
        )
    # at_02 upper-cases after removing separators; it gets an upper-case value here, so none
    # of its separators can eat a character of the identifier.
    if not at_02.is_valid(compact):
        raise ValidationError(
            _(
                "This creditor identifier (ICS) is not valid (check digits): copy it again "
                "from your bank's letter."
            ),
            code="checksum",
        )
    return compact


# --- Mandate reference (RUM) --------------------------------------------------------------

# Our own references never share this many consecutive characters with the debtor's IBAN,
# by construction (their random part has no digits) and by a check.
GENERATED_IBAN_RUN = 4
# A reference typed or imported (a mandate signed before Essaim) is refused when it holds
# the account number or this many consecutive characters of the IBAN: shorter runs happen by
# chance in references such as "2023-000123" and reveal nothing.
ACCEPTED_IBAN_RUN = 8
# No I and O: read aloud over the phone they pass for 1 and 0.
_RUM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_RUM_TOKEN_LENGTH = 12  # 24**12 ≈ 3.7e16 references
RUM_PREFIX_LENGTH = 12


def _alnum(value: str) -> str:
    return "".join(char for char in (value or "").upper() if char.isascii() and char.isalnum())


def shares_iban_run(text: str, iban: str, run: int) -> bool:
    """Whether `text` holds `run` consecutive characters of `iban` (letters and digits
    only, case and separators ignored): "RUM-3000-6000" shares "30006000" with
    FR7630006000011234567890189."""
    haystack, needle = _alnum(text), _alnum(iban)
    if len(needle) < run:
        return bool(needle) and needle in haystack
    return any(needle[i : i + run] in haystack for i in range(len(needle) - run + 1))


def _holds_account_number(text: str, iban: str) -> bool:
    try:
        account = _alnum(IBAN(_compact(iban), allow_invalid=True).account_code).lstrip("0")
    except (schwifty_errors.SchwiftyException, ValueError):
        return False
    return len(account) >= 4 and account in _alnum(text)


def validate_rum(value: str, *, iban: str = "") -> str:
    """A mandate reference (référence unique de mandat) as the SEPA rulebook allows it, or a
    ValidationError: 35 characters at most, SEPA characters only, no "/" at either end nor
    "//", and nothing of the debtor's account number (it travels on every notification)."""
    rum = (value or "").strip()
    if not rum:
        raise ValidationError(_("Give the mandate reference (RUM)."), code="required")
    if len(rum) > MAX_ID_LENGTH:
        raise ValidationError(
            _("A mandate reference (RUM) has at most 35 characters."), code="too_long"
        )
    if any(char not in SEPA_CHARACTERS for char in rum):
        raise ValidationError(
            _(
                "A mandate reference (RUM) may only hold letters without accents, digits, "
                "spaces and the signs / - ? : ( ) . , ' +"
            ),
            code="charset",
        )
    if rum.startswith("/") or rum.endswith("/") or "//" in rum:
        raise ValidationError(
            _("A mandate reference (RUM) cannot start or end with “/”, nor contain “//”."),
            code="slashes",
        )
    if iban and (shares_iban_run(rum, iban, ACCEPTED_IBAN_RUN) or _holds_account_number(rum, iban)):
        raise ValidationError(
            _("A mandate reference (RUM) must not contain the IBAN or the account number."),
            code="iban",
        )
    return rum


def rum_prefix(text: str) -> str:
    """An association's name or slug as the start of its references: "Les Amis du
    Quartier" → "LESAMISDUQUA" (upper-case ASCII letters and digits, 12 at most)."""
    return _alnum(sepa_text(text, 200))[:RUM_PREFIX_LENGTH]


def rum_generate(
    *,
    prefix: str = "",
    iban: str = "",
    exists: Callable[[str], bool] | None = None,
    attempts: int = 20,
) -> str:
    """A new mandate reference: "PREFIX-ABCDEF-GHJKLM" (26 characters at most).

    Unique per creditor: the random part makes a repeat unlikely (24**12), and `exists`
    (the caller's look-up in its mandates, backed by a unique constraint) rules it out.
    Never holds a part of `iban`: the random part has no digits, the prefix is dropped if it
    shares characters with it, and the result is checked.
    """
    start = rum_prefix(prefix)
    if iban and start and shares_iban_run(start, iban, GENERATED_IBAN_RUN):
        start = ""
    for _attempt in range(attempts):
        token = "".join(secrets.choice(_RUM_ALPHABET) for _ in range(_RUM_TOKEN_LENGTH))
        rum = "-".join(part for part in (start, token[:6], token[6:]) if part)
        if iban and shares_iban_run(rum, iban, GENERATED_IBAN_RUN):
            continue
        if exists is not None and exists(rum):
            continue
        return validate_rum(rum, iban=iban)
    raise RuntimeError(f"no free mandate reference after {attempts} attempts")


# --- pain.008 -----------------------------------------------------------------------------

MAX_AMOUNT_CENTS = 99_999_999_999  # pain.008's amount: at most 999 999 999,99


@dataclass(frozen=True)
class Creditor:
    """The association collecting: its name, account and SEPA creditor identifier."""

    name: str
    iban: str
    creditor_id: str
    bic: str = ""  # found from the IBAN when empty and schwifty knows the bank


@dataclass(frozen=True)
class Debit:
    """One direct debit: who, from which account, under which mandate, how much."""

    debtor_name: str
    iban: str
    mandate_id: str  # the RUM
    mandate_signed_on: dt.date
    sequence_type: str  # FRST, RCUR, OOFF or FNAL
    amount_cents: int
    end_to_end_id: str  # comes back on the bank statement and in rejects
    description: str = ""  # the remittance text the debtor reads on their statement
    bic: str = ""  # optional since 2016 (IBAN only)


def _check_end_to_end_id(value: str) -> str:
    value = (value or "").strip()
    if (
        not value
        or len(value) > MAX_ID_LENGTH
        or any(char not in SEPA_CHARACTERS for char in value)
        or value.startswith("/")
        or value.endswith("/")
        or "//" in value
    ):
        raise ValidationError(
            _(
                "The end-to-end reference must have 1 to 35 letters without accents, digits "
                "or the signs / - ? : ( ) . , ' + (not “/” at either end, nor “//”)."
            ),
            code="invalid",
        )
    return value


def _check_debit(debit: Debit, collection_date: dt.date) -> dict:
    name = sepa_text(debit.debtor_name, 70)
    if not name:
        raise ValidationError(_("The debtor's name is missing."), code="required")
    iban = validate_iban(debit.iban)
    bic = validate_bic(debit.bic) if debit.bic else ""
    mandate_id = validate_rum(debit.mandate_id, iban=iban)
    if debit.sequence_type not in SEQUENCE_TYPES:
        raise ValidationError(
            _("Unknown sequence type %(type)s: FRST, RCUR, OOFF or FNAL.")
            % {"type": debit.sequence_type},
            code="sequence",
        )
    amount = debit.amount_cents
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int)
        or not 0 < amount <= MAX_AMOUNT_CENTS
    ):
        raise ValidationError(_("The amount of a debit must be positive."), code="amount")
    if (
        not isinstance(debit.mandate_signed_on, dt.date)
        or debit.mandate_signed_on > collection_date
    ):
        raise ValidationError(
            _("The mandate must be signed before the day of collection."), code="mandate_date"
        )
    payment = {
        "name": name,
        "IBAN": iban,
        "amount": amount,
        "type": debit.sequence_type,
        "collection_date": collection_date,
        "mandate_id": mandate_id,
        "mandate_date": debit.mandate_signed_on,
        "description": sepa_text(debit.description, 140) or mandate_id,
        "endtoend_id": _check_end_to_end_id(debit.end_to_end_id),
    }
    if bic:
        payment["BIC"] = bic
    return payment


def pain008(creditor: Creditor, debits: Sequence[Debit], *, collection_date: dt.date) -> bytes:
    """A pain.008.001.02 file (SEPA Core direct debits) to upload to the bank, as UTF-8 XML.

    The debits are grouped by sequence type (one PmtInf block each: a first debit FRST, the
    following RCUR, a one-off OOFF, a last FNAL). Every input is checked first; a
    ValidationError names the debit at fault (its end-to-end reference). sepaxml validates
    the result against the XSD of pain.008.001.02.
    """
    name = sepa_text(creditor.name, 70)
    if not name:
        raise ValidationError(_("The creditor's name is missing."), code="required")
    creditor_iban = validate_iban(creditor.iban)
    creditor_bic = validate_bic(creditor.bic) if creditor.bic else bic_of(creditor_iban)
    if not creditor_bic:
        raise ValidationError(
            _("Give the BIC of your bank: it is on your bank details (RIB)."), code="bic"
        )
    creditor_id = validate_creditor_id(creditor.creditor_id)
    if not isinstance(collection_date, dt.date):
        raise ValidationError(_("Give the day of collection."), code="required")
    if not debits:
        raise ValidationError(_("There is no debit to collect."), code="empty")

    payments, seen = [], set()
    for number, debit in enumerate(debits, start=1):
        try:
            payment = _check_debit(debit, collection_date)
        except ValidationError as exc:
            raise ValidationError(
                _("Debit %(number)d (%(reference)s): %(error)s")
                % {
                    "number": number,
                    "reference": debit.end_to_end_id or "—",
                    "error": " ".join(exc.messages),
                },
                code=exc.code if hasattr(exc, "code") else "invalid",
            ) from exc
        if payment["endtoend_id"] in seen:
            raise ValidationError(
                _("Two debits have the same end-to-end reference %(reference)s.")
                % {"reference": payment["endtoend_id"]},
                code="duplicate",
            )
        seen.add(payment["endtoend_id"])
        payments.append(payment)

    document = SepaDD(
        {
            "name": name,
            "IBAN": creditor_iban,
            "BIC": creditor_bic,
            "batch": True,
            "creditor_id": creditor_id,
            "currency": "EUR",
        },
        schema="pain.008.001.02",
        clean=False,  # already reduced to the SEPA characters by sepa_text
    )
    for payment in payments:
        document.add_payment(payment)
    return document.export(validate=True)
