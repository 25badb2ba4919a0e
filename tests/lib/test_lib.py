import csv
import io

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from essaim.lib import identifiers
from essaim.lib.spreadsheets import csv_bytes, xlsx_bytes
from essaim.lib.text import fold, has_forbidden_characters, search_terms


@pytest.mark.parametrize(
    "raw,folded",
    [
        ("Émilie  LE GOFF", "emilie le goff"),
        ("Œuvre Cœur", "oeuvre coeur"),
        ("Ça ß", "ca ss"),
        ("  ", ""),
        (None, ""),
        ("Nul\x00byte", "nulbyte"),
    ],
)
def test_fold(raw, folded):
    assert fold(raw) == folded


@given(st.text())
def test_fold_is_idempotent_and_ascii_safe_for_latin(text):
    once = fold(text)
    assert fold(once) == once
    assert "\x00" not in once


def test_search_terms_normalises_phone_numbers():
    assert search_terms("06.12.34.56.78 Émilie") == ["0612345678", "emilie"]
    assert search_terms("+33 6") == ["33", "6"]
    assert len(search_terms("a " * 100)) == 8


def test_forbidden_characters():
    assert has_forbidden_characters("a\x00b")
    assert has_forbidden_characters("\ud800")
    assert not has_forbidden_characters("Émilie 😀")


@pytest.mark.parametrize("value", ["W751234567", "w751234567", "W 751 234 567", "W2A1000123", ""])
def test_rna_valid(value):
    identifiers.normalize_rna(value)


@pytest.mark.parametrize("value", ["W75123456", "751234567", "WW51234567", "W75123456A"])
def test_rna_invalid(value):
    with pytest.raises(ValueError):
        identifiers.normalize_rna(value)


def test_siren_siret_use_check_digits():
    assert identifiers.normalize_siren("732 829 320") == "732829320"
    with pytest.raises(ValueError, match="9"):
        identifiers.normalize_siren("7328")
    with pytest.raises(ValueError):
        identifiers.normalize_siren("732829321")
    assert identifiers.normalize_siret("73282932000074") == "73282932000074"
    with pytest.raises(ValueError):
        identifiers.normalize_siret("73282932000075")


def test_phone():
    assert identifiers.normalize_phone("06 12 34 56 78") == "+33612345678"
    assert identifiers.normalize_phone("+32 470 12 34 56") == "+32470123456"
    assert identifiers.format_phone("+33612345678") == "06 12 34 56 78"
    with pytest.raises(ValueError):
        identifiers.normalize_phone("0612")


def _phonenumbers_only(value: str) -> str | None:
    """What phonenumbers alone says of a French-typed number (E.164, or None if invalid)."""
    number = phonenumbers.parse(value, "FR")
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@given(
    national=st.from_regex(r"\A[1-9][0-9]{8}\Z"),
    form=st.sampled_from(["0{}", "+33{}", "0{} ", "spaced", "dotted", "+33 spaced"]),
)
def test_phone_fast_path_agrees_with_phonenumbers(national, form):
    digits = "0" + national
    pairs = " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    typed = {
        "spaced": pairs,
        "dotted": pairs.replace(" ", "."),
        "+33 spaced": "+33 "
        + national[0]
        + " "
        + " ".join(national[i : i + 2] for i in (1, 3, 5, 7)),
    }.get(form) or form.format(national)
    expected = _phonenumbers_only(typed)
    if expected is None:
        with pytest.raises(ValueError):
            identifiers.normalize_phone(typed)
    else:
        assert identifiers.normalize_phone(typed) == expected


@pytest.mark.parametrize(
    "typed",
    ["06 12 34 56 78", "07 00 00 00 00", "06 39 00 00 00", "01 23 45 67 89", "08 00 12 34 56"],
)
def test_phone_fast_path_examples(typed):
    expected = _phonenumbers_only(typed)
    assert identifiers._french_fast(typed) == expected
    if expected is None:  # 07 00… and 06 39… are not allocated
        with pytest.raises(ValueError):
            identifiers.normalize_phone(typed)
    else:
        assert identifiers.normalize_phone(typed) == expected


def test_csv_is_excel_friendly_and_injection_safe():
    data = csv_bytes(["Nom", "Ville"], [["=1+1", "Saint-Étienne"], ["@SUM(A1)", None]])
    text = data.decode("utf-8")
    assert text.startswith("\ufeffNom;Ville\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[1] == ["'=1+1", "Saint-Étienne"]
    assert rows[2] == ["'@SUM(A1)", ""]


def test_xlsx_round_trip():
    data = xlsx_bytes(["Nom"], [["Émilie"], ["-2"]], title="Contacts")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Contacts"
    assert [c.value for c in sheet["A"]] == ["Nom", "Émilie", "'-2"]
