"""French identifiers: RNA, SIREN, SIRET, phone numbers.

Check digits are verified with python-stdnum (SIREN/SIRET, Luhn) and phonenumbers, never by
hand. The functions return the normalised value or raise ValueError with a translated message.
"""

import re

import phonenumbers
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.fr import siren, siret

# RNA: "W" + 9 characters. The 3 characters after W are the département of the prefecture
# that registered it: digits, or 2A/2B for Corsica (W2A… / W2B…). Associations registered in
# Alsace-Moselle (local law, tribunal judiciaire register) have no RNA number.
_RNA = re.compile(r"^W(?:\d{3}|2[AB]\d)\d{6}$")


def normalize_rna(value: str) -> str:
    cleaned = re.sub(r"[\s.\-]", "", value or "").upper()
    if not cleaned:
        return ""
    if not _RNA.match(cleaned):
        raise ValueError(
            _(
                "An RNA number is the letter W followed by 9 digits (for example W751234567). "
                "Associations registered in Alsace-Moselle have none: leave the field empty."
            )
        )
    return cleaned


def _check_digits(value: str, module, name: str, length: int) -> str:
    cleaned = re.sub(r"[\s.\-]", "", value or "")
    if not cleaned:
        return ""
    try:
        return module.validate(cleaned)
    except stdnum_exceptions.InvalidLength as exc:
        raise ValueError(
            _("A %(name)s number has exactly %(length)d digits.") % {"name": name, "length": length}
        ) from exc
    except stdnum_exceptions.InvalidFormat as exc:
        raise ValueError(_("A %(name)s number contains only digits.") % {"name": name}) from exc
    except stdnum_exceptions.ValidationError as exc:
        raise ValueError(
            _("This %(name)s number is not valid (check digit): check it on your INSEE notice.")
            % {"name": name}
        ) from exc


def normalize_siren(value: str) -> str:
    return _check_digits(value, siren, "SIREN", 9)


def normalize_siret(value: str) -> str:
    return _check_digits(value, siret, "SIRET", 14)


def normalize_phone(value: str, region: str = "FR") -> str:
    """Return the number in E.164 (+33612345678); French numbers may be typed 06 12 34 56 78."""
    cleaned = (value or "").strip()
    if not cleaned:
        return ""
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_("This does not look like a phone number.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_("This phone number is not valid. Example: 06 12 34 56 78."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(value: str) -> str:
    """Human form: national for French numbers (06 12 34 56 78), international otherwise."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
