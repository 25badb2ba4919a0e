"""SEPA without a database: IBAN, BIC, creditor identifier, mandate references, pain.008."""

import datetime as dt
import string
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from essaim.payments import sepa

# A French IBAN (the one French banks print as an example) and a La Banque Postale one, whose
# account number holds a letter.
IBAN = "FR7630006000011234567890189"
IBAN_LBP = "FR1420041010050500013M02606"


def _message(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- IBAN and BIC -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "compact"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", IBAN),
        ("fr1420041010050500013m02606", IBAN_LBP),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("BE68539007547034", "BE68539007547034"),
    ],
)
def test_an_iban_is_read_as_people_type_it(typed, compact):
    assert sepa.validate_iban(typed) == compact


@pytest.mark.parametrize(
    ("typed", "start"),
    [
        ("", "Indiquez l'IBAN"),
        ("FR7630006000011234567890188", "Cet IBAN n'est pas valide (clé de contrôle)"),
        ("FR76300060000112345678901", "Cet IBAN n'a pas le bon nombre de caractères"),
        ("XX7630006000011234567890189", "Cet IBAN commence par un code pays inconnu"),
        # Right IBAN check digits over a wrong RIB key: only the national check finds it.
        ("FR0630006000011234567890188", "Le numéro de compte de cet IBAN n'est pas valide"),
        ("FR76-3000*6000", "Ce n'est pas un IBAN"),
    ],
)
def test_a_wrong_iban_is_refused_in_french(typed, start):
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        sepa.validate_iban(typed)
    assert _message(excinfo).startswith(start)


def test_an_account_outside_sepa_cannot_be_debited():
    brazil = "BR1800360305000010009795493C1"
    assert sepa.validate_iban(brazil, sepa_only=False) == brazil
    with pytest.raises(ValidationError) as excinfo:
        sepa.validate_iban(brazil)
    assert excinfo.value.code == "not_sepa"


def test_a_bic_has_8_or_11_characters():
    assert sepa.validate_bic("bnpa frpp") == "BNPAFRPP"
    assert sepa.validate_bic("BNPAFRPPXXX") == "BNPAFRPPXXX"
    with translation.override("fr"):
        with pytest.raises(ValidationError) as excinfo:
            sepa.validate_bic("BNPAFRP")
        assert _message(excinfo).startswith("Un BIC a 8 ou 11 caractères")
        with pytest.raises(ValidationError) as excinfo:
            sepa.validate_bic("BNPAXXPP")  # no such country
        assert _message(excinfo).startswith("Ce BIC n'est pas valide")


def test_the_bic_is_found_from_a_french_iban():
    assert sepa.bic_of(IBAN) == "AGRIFRPPXXX"
    assert sepa.bic_of("not an iban") == ""


# --- Creditor identifier ------------------------------------------------------------------


@pytest.mark.parametrize(
    "creditor_id",
    [
        "FR72ZZZ123456",
        "fr72 zzz 123456",
        "FR72ABC123456",  # the business code is left out of the check digits
        # EPC262-08's worked example for the Netherlands: 98 - (405365330000232100 mod 97).
        "NL51ZZZ405365330000",
        "DE98ZZZ09999999999",  # the Bundesbank's test creditor identifier
        "ES23ZZZ47690558N",
    ],
)
def test_known_creditor_identifiers_are_valid(creditor_id):
    assert sepa.validate_creditor_id(creditor_id) == creditor_id.replace(" ", "").upper()


@pytest.mark.parametrize(
    ("creditor_id", "code"),
    [
        ("FR73ZZZ123456", "checksum"),
        ("FR72ZZZ123465", "checksum"),  # two characters swapped
        ("FR72ZZZ12345", "invalid"),  # a French identifier has 13 characters
        ("FR72ZZZ1234567", "invalid"),
        ("FR72ZZZ12345é", "invalid"),
        ("72ZZZ123456", "invalid"),
        ("", "required"),
    ],
)
def test_wrong_creditor_identifiers_are_refused(creditor_id, code):
    with pytest.raises(ValidationError) as excinfo:
        sepa.validate_creditor_id(creditor_id)
    assert excinfo.value.code == code


def test_a_wrong_creditor_identifier_is_explained_in_french():
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        sepa.validate_creditor_id("FR73ZZZ123456")
    assert "ICS" in _message(excinfo) and "clé de contrôle" in _message(excinfo)


def _epc_check_digits(country: str, national: str) -> str:
    """EPC262-08, "Verification of CIs", done step by step with integers: the national part,
    then the country code and "00", letters as 10…35, 98 minus the remainder by 97."""
    digits = "".join(str(int(char, 36)) for char in national + country + "00")
    return f"{98 - int(digits) % 97:02d}"


@given(
    national=st.text(alphabet=string.ascii_uppercase + string.digits, min_size=6, max_size=6),
    business=st.text(alphabet=string.ascii_uppercase + string.digits, min_size=3, max_size=3),
)
def test_french_check_digits_follow_the_epc_rule(national, business):
    digits = sepa.creditor_id_check_digits("FR", national)
    assert digits == _epc_check_digits("FR", national)
    assert sepa.validate_creditor_id(f"FR{digits}{business}{national}")
    wrong = f"{(int(digits) + 1) % 100:02d}"
    with pytest.raises(ValidationError):
        sepa.validate_creditor_id(f"FR{wrong}{business}{national}")


# --- Mandate reference (RUM) --------------------------------------------------------------


@pytest.mark.parametrize(
    "rum", ["AMIS-ABCDEF-GHJKLM", "2023-000123", "RUM (ancien logiciel) n.1", "A" * 35, "a/b"]
)
def test_a_reference_from_another_tool_is_accepted(rum):
    assert sepa.validate_rum(f" {rum} ", iban=IBAN) == rum


@pytest.mark.parametrize(
    ("rum", "code"),
    [
        ("", "required"),
        ("A" * 36, "too_long"),
        ("RUM_2023", "charset"),
        ("RUM-Hélène", "charset"),
        ("RUM;1", "charset"),
        ("/RUM1", "slashes"),
        ("RUM1/", "slashes"),
        ("RUM//1", "slashes"),
        (f"M-{IBAN}", "iban"),
        (IBAN, "iban"),
        ("RUM-30006000", "iban"),  # 8 characters of the IBAN in a row
        ("RUM-12345678901", "iban"),  # the account number
        ("rum fr76 3000 6000", "iban"),  # spaces and case do not hide it
        ("LBP-0500013M026", "iban"),
    ],
)
def test_a_wrong_reference_is_refused(rum, code):
    with pytest.raises(ValidationError) as excinfo:
        sepa.validate_rum(rum, iban=IBAN_LBP if rum.startswith("LBP") else IBAN)
    assert excinfo.value.code == code


def test_a_reference_holding_the_iban_is_explained_in_french():
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        sepa.validate_rum("RUM-30006000", iban=IBAN)
    assert _message(excinfo) == (
        "Une référence de mandat (RUM) ne doit contenir ni l'IBAN ni le numéro de compte."
    )


def test_the_prefix_comes_from_the_associations_name():
    assert sepa.rum_prefix("Les Amis du Quartier") == "LESAMISDUQUA"
    assert sepa.rum_prefix("Œuvre d'entraide") == "OEUVREDENTRA"
    assert sepa.rum_prefix("") == ""


def test_a_generated_reference_looks_like_this():
    rum = sepa.rum_generate(prefix="Vélo Solidaire", iban=IBAN)
    prefix, first, second = rum.split("-")
    assert prefix == "VELOSOLIDAIR"
    assert len(first) == len(second) == 6 and (first + second).isalpha()


def test_a_prefix_sharing_characters_with_the_iban_is_dropped():
    rum = sepa.rum_generate(prefix="Club 3000", iban=IBAN)
    assert not rum.startswith("CLUB") and len(rum) == 13


def test_generated_references_are_unique():
    references = {sepa.rum_generate(prefix="AMIS") for _ in range(5000)}
    assert len(references) == 5000


def test_a_taken_reference_is_not_given_again():
    taken = []

    def exists(rum):
        taken.append(rum)
        return len(taken) < 3  # the first two are taken by other mandates

    rum = sepa.rum_generate(prefix="AMIS", exists=exists)
    assert rum == taken[-1] and len(taken) == 3 and len(set(taken)) == 3
    with pytest.raises(RuntimeError):
        sepa.rum_generate(exists=lambda rum: True, attempts=5)


ibans = st.builds(
    lambda country, digits, bban: f"{country}{digits}{bban}",
    st.sampled_from(["FR", "DE", "BE", "IT", "ES", "MC"]),
    st.text(alphabet=string.digits, min_size=2, max_size=2),
    st.text(alphabet=string.digits + string.ascii_uppercase, min_size=10, max_size=30),
)


@settings(max_examples=300)
@given(prefix=st.text(max_size=60), iban=ibans)
def test_generated_references_follow_the_sepa_rules(prefix, iban):
    rum = sepa.rum_generate(prefix=prefix, iban=iban)
    assert 1 <= len(rum) <= 35
    assert set(rum) <= sepa.SEPA_CHARACTERS
    assert not rum.startswith("/") and not rum.endswith("/") and "//" not in rum
    plain = "".join(c for c in rum if c.isalnum())
    assert not any(iban[i : i + 4] in plain for i in range(len(iban) - 3))
    assert sepa.validate_rum(rum, iban=iban) == rum


@given(text=st.text(max_size=200))
def test_sepa_text_keeps_only_sepa_characters(text):
    cleaned = sepa.sepa_text(text, 70)
    assert len(cleaned) <= 70 and set(cleaned) <= sepa.SEPA_CHARACTERS
    assert cleaned == cleaned.strip() and "  " not in cleaned


# --- pain.008 -----------------------------------------------------------------------------

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
CREDITOR = sepa.Creditor(
    name="Les Amis du Quartier", iban=IBAN, creditor_id="FR72ZZZ123456", bic="AGRIFRPP"
)
COLLECTION = dt.date(2025, 3, 5)


def _debit(number: int, sequence: str, amount: int, **fields) -> sepa.Debit:
    values = {
        "debtor_name": f"Donateur {number}",
        "iban": IBAN_LBP,
        "mandate_id": f"AMIS-MANDAT-{number:04d}",
        "mandate_signed_on": dt.date(2024, 11, 2),
        "sequence_type": sequence,
        "amount_cents": amount,
        "end_to_end_id": f"ESSAIM-{number}",
        "description": "Don mensuel - Les Amis du Quartier",
    }
    values.update(fields)
    return sepa.Debit(**values)


def _parse(xml: bytes) -> ET.Element:
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(xml)


def test_a_pain008_file_groups_the_debits_by_sequence_type():
    debits = [
        _debit(1, "FRST", 1000, debtor_name="Hélène Lefèvre & fils", bic="PSSTFRPP"),
        _debit(2, "RCUR", 2550),
        _debit(3, "RCUR", 1),
        _debit(4, "OOFF", 5000, iban="DE89 3704 0044 0532 0130 00"),
        _debit(5, "FNAL", 1234),
    ]
    root = _parse(sepa.pain008(CREDITOR, debits, collection_date=COLLECTION))
    header = root.find("p:CstmrDrctDbtInitn/p:GrpHdr", NS)
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "5"
    assert Decimal(header.findtext("p:CtrlSum", namespaces=NS)) == Decimal("97.85")

    blocks = {}
    for block in root.findall("p:CstmrDrctDbtInitn/p:PmtInf", NS):
        sequence = block.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS)
        assert sequence not in blocks  # one block per sequence type
        assert block.findtext("p:PmtTpInf/p:LclInstrm/p:Cd", namespaces=NS) == "CORE"
        assert block.findtext("p:ReqdColltnDt", namespaces=NS) == "2025-03-05"
        assert (
            block.findtext("p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS)
            == "FR72ZZZ123456"
        )
        assert block.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN
        blocks[sequence] = {
            tx.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=NS): (
                tx.findtext("p:InstdAmt", namespaces=NS),
                tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
                tx.findtext("p:Dbtr/p:Nm", namespaces=NS),
                tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
            )
            for tx in block.findall("p:DrctDbtTxInf", NS)
        }
        total = sum(Decimal(amount) for amount, *_rest in blocks[sequence].values())
        assert Decimal(block.findtext("p:CtrlSum", namespaces=NS)) == total
    assert set(blocks) == {"FRST", "RCUR", "OOFF", "FNAL"}
    assert blocks["FRST"] == {
        "AMIS-MANDAT-0001": ("10.00", "ESSAIM-1", "Helene Lefevre + fils", IBAN_LBP)
    }
    assert set(blocks["RCUR"]) == {"AMIS-MANDAT-0002", "AMIS-MANDAT-0003"}
    assert blocks["RCUR"]["AMIS-MANDAT-0003"][0] == "0.01"
    assert blocks["OOFF"]["AMIS-MANDAT-0004"][3] == "DE89370400440532013000"
    assert blocks["FNAL"]["AMIS-MANDAT-0005"][0] == "12.34"


def test_the_creditors_bic_is_found_from_its_iban():
    creditor = sepa.Creditor(name="Les Amis", iban=IBAN, creditor_id="FR72ZZZ123456")
    root = _parse(sepa.pain008(creditor, [_debit(1, "OOFF", 100)], collection_date=COLLECTION))
    assert root.find(".//p:CdtrAgt/p:FinInstnId/p:BIC", NS).text == "AGRIFRPPXXX"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"iban": "FR7630006000011234567890188"}, "IBAN"),
        ({"sequence_type": "FIRST"}, "FIRST"),
        ({"amount_cents": 0}, "montant"),
        ({"amount_cents": 12.5}, "montant"),
        ({"mandate_signed_on": COLLECTION + dt.timedelta(days=1)}, "signé"),
        ({"mandate_id": "AMIS_1"}, "RUM"),
        ({"mandate_id": "M-20041010050"}, "IBAN"),
        ({"end_to_end_id": ""}, "référence de bout en bout"),
        ({"end_to_end_id": "x" * 36}, "référence de bout en bout"),
        ({"debtor_name": "  "}, "nom"),
        ({"bic": "NOPE"}, "BIC"),
    ],
)
def test_a_wrong_debit_is_named_and_nothing_is_produced(fields, words):
    debits = [_debit(1, "RCUR", 1000), _debit(2, "RCUR", 1000, **fields)]
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        sepa.pain008(CREDITOR, debits, collection_date=COLLECTION)
    message = _message(excinfo)
    assert message.startswith("Prélèvement 2 (") and words in message


def test_a_file_needs_debits_with_distinct_references():
    with pytest.raises(ValidationError) as excinfo:
        sepa.pain008(CREDITOR, [], collection_date=COLLECTION)
    assert excinfo.value.code == "empty"
    twice = [_debit(1, "RCUR", 100), _debit(2, "RCUR", 100, end_to_end_id="ESSAIM-1")]
    with pytest.raises(ValidationError) as excinfo:
        sepa.pain008(CREDITOR, twice, collection_date=COLLECTION)
    assert excinfo.value.code == "duplicate"


@pytest.mark.parametrize(
    ("creditor", "code"),
    [
        (sepa.Creditor(name="", iban=IBAN, creditor_id="FR72ZZZ123456"), "required"),
        (sepa.Creditor(name="A", iban="FR76", creditor_id="FR72ZZZ123456"), "invalid"),
        (sepa.Creditor(name="A", iban=IBAN, creditor_id="FR73ZZZ123456"), "checksum"),
        # A bank schwifty does not know, and no BIC given.
        (
            sepa.Creditor(
                name="A", iban="MC5811222000010123456789030", creditor_id="FR72ZZZ123456"
            ),
            "bic",
        ),
    ],
)
def test_a_wrong_creditor_is_refused(creditor, code):
    with pytest.raises(ValidationError) as excinfo:
        sepa.pain008(creditor, [_debit(1, "OOFF", 100)], collection_date=COLLECTION)
    assert excinfo.value.code == code
