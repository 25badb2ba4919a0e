"""Reading the files associations have: encodings, separators, workbooks, broken and hostile
files, French values. No database."""

import codecs
import datetime as dt
import io
import zipfile

import pytest
from django.utils import translation
from openpyxl import Workbook

from essaim.members.importing import reading, values
from essaim.members.importing.fields import auto_mapping, detect_preset, mapping_problems
from tests.members.conftest import import_file


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def table_of(name: str) -> tuple[reading.Table, reading.Inspection]:
    table = reading.open_table(import_file(name))
    return table, reading.inspect(table)


def rows_of(name: str) -> list[list]:
    table, inspection = table_of(name)
    return [cells for _line, cells in reading.data_rows(table, inspection.header_line)]


# --- Encodings and separators ------------------------------------------------------------


def test_french_excel_csv_is_cp1252_with_semicolons():
    table, inspection = table_of("excel_fr_cp1252.csv")
    assert (table.kind, table.encoding, table.delimiter) == ("csv", "cp1252", ";")
    assert inspection.header[:4] == ["Nom", "Prénom", "Courriel", "Tél."]
    # Trailing separators (";;" at the end of each line) add no empty columns.
    assert inspection.header[-1] == "Remarques" and len(inspection.header) == 15
    assert inspection.rows == 5 and inspection.blank_lines == 1
    assert rows_of("excel_fr_cp1252.csv")[0][:2] == ["Dupont", "Marie"]
    assert "Œuvre-Bénard" in [r[0] for r in rows_of("excel_fr_cp1252.csv") if r]


def test_libreoffice_utf8_with_bom_commas_and_quoted_newlines():
    table, inspection = table_of("libreoffice_utf8_bom.csv")
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ",")
    assert inspection.header[0] == "Prénom"  # no BOM glued to the first title
    first = rows_of("libreoffice_utf8_bom.csv")[0]
    assert first[4] == "3, rue des Lilas"
    assert first[7] == "Bénévole le samedi\r\n(vient en vélo)"
    assert rows_of("libreoffice_utf8_bom.csv")[2][7] == 'Dit "Kiki"'


def test_excel_unicode_text_is_utf16_with_tabs():
    table, _inspection = table_of("excel_texte_unicode.txt")
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert rows_of("excel_texte_unicode.txt")[1][:2] == ["Müller", "Jürgen"]


def test_tab_separated_utf8():
    table, inspection = table_of("tabulations.tsv")
    assert (table.encoding, table.delimiter) == ("utf-8", "\t")
    assert inspection.rows == 2


def test_paheko_every_cell_quoted_commas():
    table, _inspection = table_of("paheko_membres.csv")
    assert table.delimiter == ","
    assert rows_of("paheko_membres.csv")[0][3] == "Résidence Les Pins\nBâtiment C"


@pytest.mark.parametrize(
    "text,delimiter",
    [
        ("Nom;Prénom;Montant\nA;B;20,00\nC;D;1 234,50\n", ";"),
        ("Nom,Prénom,Ville\nA,B,Paris\n", ","),
        ("Nom\tPrénom\nA\tB\n", "\t"),
        ('Nom,Adresse,Ville\nA,"3; rue",Paris\n', ","),
        ("Nom|Prénom\nA|B\n", "|"),
    ],
)
def test_separator_sniffing(text, delimiter):
    assert reading.sniff_delimiter(text) == delimiter


def test_latin1_bytes_cp1252_leaves_undefined():
    data = "Nom;Ville\nAndré;Orléans\n".encode("latin-1") + b"X\x81;Y\n"
    table = reading.open_table(data)
    assert table.encoding == "latin-1"


def test_title_line_above_the_header_is_skipped():
    _table, inspection = table_of("ligne_de_titre.csv")
    assert inspection.header == ["Nom", "Prénom", "Courriel", "Ville"]
    assert inspection.header_line == 3
    assert inspection.lines_before_header == 1
    assert inspection.rows == 1


def test_single_column_file_with_title():
    table = reading.open_table(b"E-mail\na@example.org\nb@example.org\n")
    assert reading.inspect(table).rows == 2


# --- Workbooks ----------------------------------------------------------------------------


def test_xlsx_dates_serials_and_numbers():
    table, inspection = table_of("classeur_dates.xlsx")
    assert table.kind == "xlsx" and table.sheets == ["Adhérents", "Bénévoles"]
    assert table.sheet == "Adhérents"
    assert inspection.rows == 5 and inspection.blank_lines == 1
    rose, paul, zoe, _blank, leon, text = (
        cells for _line, cells in reading.data_rows(table, inspection.header_line)
    )
    assert values.parse_date(rose[6]) == dt.date(1985, 7, 14)  # a real date cell
    assert values.parse_date(paul[6], epoch=table.epoch) == dt.date(1980, 12, 31)  # 29586
    assert values.parse_date(paul[7], epoch=table.epoch) == dt.date(2025, 2, 12)  # 45700
    assert values.parse_date(zoe[6]) == dt.date(1999, 12, 12)  # text
    assert values.split_phones(rose[3]) == ["0612345672"]  # Excel dropped the 0
    assert reading.cell_text(rose[4]) == "1000"
    with pytest.raises(ValueError, match="year"):
        values.parse_date(leon[6])
    assert text[0] == "=1+2"  # a text cell that looks like a formula stays text


def test_xlsx_other_sheet():
    table = reading.open_table(import_file("classeur_dates.xlsx"), sheet="Bénévoles")
    inspection = reading.inspect(table)
    assert table.sheet == "Bénévoles"
    assert inspection.header == ["Nom", "Prénom", "Courriel"]


def test_workbook_named_csv_is_read_as_a_workbook():
    table = reading.open_table(import_file("classeur_dates.xlsx"))
    assert table.kind == "xlsx"


def _xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_formula_cell_is_not_computed():
    data = _xlsx_bytes([["Nom", "Prénom"], ["=1+1", "Zoé"]])  # a real formula, no cached value
    table = reading.open_table(data)
    row = next(reading.data_rows(table, 1))[1]
    assert row[0] in (None, "")  # never evaluated: only a value saved by a spreadsheet counts


# --- Refused files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,message",
    [
        ("vide.csv", "empty"),
        ("binaire.csv", "not a spreadsheet"),
        ("sans_entetes.csv", "column titles"),
        ("entetes_sans_donnees.csv", "no rows"),
    ],
)
def test_refused_files(name, message):
    with pytest.raises(reading.FileRefused, match=message):
        reading.inspect(reading.open_table(import_file(name)))


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (codecs.BOM_UTF8 + b"\r\n\r\n", "empty"),
        (b"%PDF-1.7 \x00\x01", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, r"\.xls"),
        (b"<html><body><table><tr><td>Nom</td></tr></table></body></html>", "web page"),
        (b"\x1f\x8b\x08\x00", "archive"),
    ],
)
def test_refused_bytes(data, message):
    with pytest.raises(reading.FileRefused, match=message):
        reading.inspect(reading.open_table(data))


def test_ods_and_other_zips_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    with pytest.raises(reading.FileRefused, match="LibreOffice"):
        reading.open_table(buffer.getvalue())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(reading.FileRefused, match="not an Excel workbook"):
        reading.open_table(buffer.getvalue())


def test_zip_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_UNCOMPRESSED", 1000)
    with pytest.raises(reading.FileRefused, match="too large"):
        reading.open_table(import_file("classeur_dates.xlsx"))


def test_damaged_workbook():
    data = import_file("classeur_dates.xlsx")
    with pytest.raises(reading.FileRefused, match="damaged"):
        reading.open_table(data[:2000])


def test_too_large_file(monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 100)
    with pytest.raises(reading.FileRefused, match="20 MB"):
        reading.open_table(b"Nom;Prenom\n" + b"a;b\n" * 50)


def test_too_many_rows():
    data = b"Nom;Prenom\n" + b"a;b\n" * (reading.MAX_ROWS + 1)
    with pytest.raises(reading.FileRefused, match="more than 200"):
        reading.inspect(reading.open_table(data))
    assert reading.inspect(reading.open_table(b"Nom;Prenom\n" + b"a;b\n" * 1000)).rows == 1000


def test_too_many_columns():
    header = ";".join(f"Colonne {i}" for i in range(reading.MAX_COLUMNS + 1))
    with pytest.raises(reading.FileRefused, match="columns"):
        reading.inspect(reading.open_table(f"{header}\n1;2\n".encode()))


def test_inspection_keeps_samples_and_few_distinct_values():
    table = reading.open_table(
        (
            "Nom;Formule\n"
            + "".join(f"N{i};{'Annuelle' if i % 2 else 'Réduite'}\n" for i in range(100))
        ).encode()
    )
    inspection = reading.inspect(table)
    assert inspection.samples[0] == ["N0", "N1", "N2"]
    assert inspection.distinct[1] == ["Annuelle", "Réduite"]
    assert inspection.distinct[0] is None  # too many to choose from


# --- Values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("31/12/1980", dt.date(1980, 12, 31)),
        ("1/2/1980", dt.date(1980, 2, 1)),
        ("05/06/75", dt.date(1975, 6, 5)),
        ("05/06/05", dt.date(2005, 6, 5)),
        ("1980-12-31", dt.date(1980, 12, 31)),
        ("31.12.1980", dt.date(1980, 12, 31)),
        ("31-12-1980", dt.date(1980, 12, 31)),
        ("01/10/2019 20:36:00", dt.date(2019, 10, 1)),
        ("09/10/2025 21:59", dt.date(2025, 10, 9)),
        ("2025-03-01T10:00:00+01:00", dt.date(2025, 3, 1)),
        ("1er janvier 2024", dt.date(2024, 1, 1)),
        ("14 juillet 1789", dt.date(1789, 7, 14)),
        ("3 févr. 1990", dt.date(1990, 2, 3)),
        ("29586", dt.date(1980, 12, 31)),
        (29586, dt.date(1980, 12, 31)),
        (45700.5, dt.date(2025, 2, 12)),
        (dt.datetime(2020, 1, 2, 15, 0), dt.date(2020, 1, 2)),
        ("", None),
    ],
)
def test_dates(raw, expected):
    assert values.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/1980", "demain", "12/13/2020", "1975", 1975, True, "=A1"])
def test_bad_dates(raw):
    with pytest.raises(ValueError):
        values.parse_date(raw)


@pytest.mark.parametrize(
    "raw,cents",
    [
        ("20", 2000),
        ("20,00", 2000),
        ("20,00 €", 2000),
        ("€20", 2000),
        ("20 EUR", 2000),
        ("1 234,50", 123450),
        ("1\u202f234,50", 123450),
        ("1.234,50", 123450),
        ("1,234.50", 123450),
        ("12.5", 1250),
        (20, 2000),
        (12.5, 1250),
        ("", None),
    ],
)
def test_amounts(raw, cents):
    assert values.parse_amount(raw) == cents


@pytest.mark.parametrize("raw", ["-20", "vingt", "20,005", "1.2.3", "200000"])
def test_bad_amounts(raw):
    with pytest.raises(ValueError):
        values.parse_amount(raw)


@pytest.mark.parametrize(
    "raw,status,day",
    [
        ("oui", values.PAID, None),
        ("X", values.PAID, None),
        ("Validé", values.PAID, None),
        ("Payé", values.PAID, None),
        ("12/02/2025", values.PAID, dt.date(2025, 2, 12)),
        ("non", values.UNPAID, None),
        ("En attente", values.UNPAID, None),
        ("", values.UNPAID, None),
        ("Remboursé", values.CANCELLED, None),
        ("Refusé", values.CANCELLED, None),
        (True, values.PAID, None),
    ],
)
def test_paid(raw, status, day):
    assert values.parse_paid(raw) == (status, day)


def test_paid_unknown():
    with pytest.raises(ValueError, match="paid"):
        values.parse_paid("peut-être")


@pytest.mark.parametrize(
    "raw,method,note",
    [
        ("Chèque", "cheque", ""),
        ("CHQ", "cheque", ""),
        ("Espèces", "cash", ""),
        ("Virement bancaire", "transfer", ""),
        ("Carte bancaire", "card", ""),
        ("CB", "card", ""),
        ("Troc", "other", "Troc"),
    ],
)
def test_methods(raw, method, note):
    assert values.parse_method(raw) == (method, note)


@pytest.mark.parametrize(
    "raw,code",
    [("France", "FR"), (" France", "FR"), ("FRA", "FR"), ("fr", "FR"), ("Belgique", "BE"),
     ("Suisse", "CH"), ("La Réunion", "FR"), ("", "")],
)  # fmt: skip
def test_countries(raw, code):
    assert values.parse_country(raw) == code


def test_unknown_country():
    with pytest.raises(ValueError, match="two-letter"):
        values.parse_country("Atlantide")


@pytest.mark.parametrize(
    "raw,numbers",
    [
        ("06 12 34 56 78", ["06 12 34 56 78"]),
        ("612345678", ["0612345678"]),
        (612345678, ["0612345678"]),
        ("33612345678", ["+33612345678"]),
        ("06 12 34 56 78 / 01 23 45 67 89", ["06 12 34 56 78", "01 23 45 67 89"]),
        ("'+33612345678", ["+33612345678"]),
        ("", []),
    ],
)
def test_phones(raw, numbers):
    assert values.split_phones(raw) == numbers


@pytest.mark.parametrize(
    "raw,last_first,expected",
    [
        ("DUPONT Marie", True, ("Marie", "DUPONT")),
        ("Marie DUPONT", True, ("Marie", "DUPONT")),
        ("Marie-Hélène DE LA FONTAINE", True, ("Marie-Hélène", "DE LA FONTAINE")),
        ("Dupont Marie", True, ("Marie", "Dupont")),
        ("Marie Dupont", False, ("Marie", "Dupont")),
        ("de la Fontaine Jean", True, ("Jean", "de la Fontaine")),
        ("Jean de la Fontaine", False, ("Jean", "de la Fontaine")),
        ("Cher", True, ("", "Cher")),
    ],
)
def test_full_names(raw, last_first, expected):
    assert values.split_full_name(raw, last_first=last_first) == expected


def test_text_keeps_formulas_as_text_and_drops_the_text_marker():
    assert values.text("=cmd|' /C calc'!A0") == "=cmd|' /C calc'!A0"
    assert values.text("'=SOMME(A1)") == "=SOMME(A1)"  # Essaim's own exports add the '
    assert values.text("  Saint-Étienne \u00a0") == "Saint-Étienne"
    assert values.split_tags("bureau, jardin ; fête|") == ["bureau", "jardin", "fête"]


# --- Columns ----------------------------------------------------------------------------------


def _mapped(header, preset="auto"):
    mapping, used = auto_mapping(header, preset)
    return {header[int(i)]: f for i, f in mapping.items() if f}, used


def test_french_titles_accent_and_case_insensitive():
    mapped, preset = _mapped(
        ["NOM", "prenom", "Adresse e-mail", "Tél.", "Code Postal", "VILLE", "date de naissance",
         "Date d'adhésion", "Formule", "Cotisation", "Payé", "Mode de règlement", "Étiquettes",
         "Remarques", "Complément d'adresse", "Pays", "Colonne inconnue"]
    )  # fmt: skip
    assert preset == "generic"
    assert mapped == {
        "NOM": "last_name",
        "prenom": "first_name",
        "Adresse e-mail": "email",
        "Tél.": "phone",
        "Code Postal": "postcode",
        "VILLE": "city",
        "date de naissance": "birth_date",
        "Date d'adhésion": "joined_on",
        "Formule": "membership_type",
        "Cotisation": "amount",
        "Payé": "paid",
        "Mode de règlement": "payment_method",
        "Étiquettes": "tags",
        "Remarques": "notes",
        "Complément d'adresse": "address_line2",
        "Pays": "country",
    }


def test_one_column_per_field_the_best_wins():
    mapped, _preset = _mapped(["Email n°2", "E-mail", "Mail du parent", "Année de naissance"])
    assert mapped == {"E-mail": "email"}


def test_two_phone_columns_are_both_used():
    mapped, _preset = _mapped(["Nom", "Téléphone fixe", "Portable"])
    assert mapped["Téléphone fixe"] == "phone" and mapped["Portable"] == "phone"


def test_helloasso_presets():
    header = reading.inspect(reading.open_table(import_file("helloasso_adherents.csv"))).header
    assert detect_preset(header) == "helloasso"
    mapped, preset = _mapped(header)
    assert preset == "helloasso"
    assert mapped["Nom"] == "last_name" and "Nom acheteur" not in mapped
    assert mapped["Statut"] == "paid" and mapped["Date"] == "joined_on"
    # The member's address (custom field), not the buyer's.
    assert mapped["Champ additionnel: Adresse"] == "address_line1"
    assert "Adresse acheteur" not in mapped
    header = reading.inspect(reading.open_table(import_file("helloasso_commandes.csv"))).header
    mapped, preset = _mapped(header)
    assert preset == "helloasso"
    assert mapped["Email payeur"] == "email" and mapped["Tarif"] == "membership_type"
    assert mapped["Montant code promo"] == "discount"
    assert "Nom payeur" not in mapped


def test_paheko_preset():
    header = reading.inspect(reading.open_table(import_file("paheko_membres.csv"))).header
    mapped, preset = _mapped(header)
    assert preset == "paheko"
    assert mapped == {
        "Nom & prénom": "full_name",
        "Adresse E-Mail": "email",
        "Adresse postale": "address_line1",
        "Code postal": "postcode",
        "Ville": "city",
        "Pays": "country",
        "Numéro de téléphone": "phone",
        "Catégorie": "tags",
    }


def test_mapping_problems():
    header = ["A", "B", "C"]
    assert mapping_problems({"0": "email", "1": "email", "2": ""}, header)
    assert mapping_problems({"0": "full_name", "1": "last_name", "2": ""}, header)
    assert mapping_problems({"0": "city", "1": "", "2": ""}, header)
    assert not mapping_problems({"0": "email", "1": "phone", "2": "phone"}, header)


def test_untitled_column_is_named_by_its_letter():
    table = reading.open_table(b"Nom;;Ville\nA;x;Paris\n")
    assert reading.inspect(table).header == ["Nom", "Column B", "Ville"]
