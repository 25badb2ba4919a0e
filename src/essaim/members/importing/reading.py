"""Opening the spreadsheets people actually have: no models here, only bytes and cells.

A French association's member list comes from Excel "CSV (séparateur : point-virgule)"
(cp1252, semicolons), from LibreOffice (UTF-8, commas), from HelloAsso (UTF-8 with a BOM,
semicolons), from Paheko (UTF-8, commas, every cell quoted), from Excel "Texte Unicode"
(UTF-16, tabs) or as an .xlsx workbook. The kind of file is decided from its content, not
from its name: a workbook renamed .csv is still read, a photo renamed .csv is refused with a
message that says what to do.
"""

import codecs
import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 250
# A 20 MB workbook can hold a "zip bomb": XML that inflates to gigabytes. Real member lists
# inflate 5 to 20 times; beyond this the file is refused before openpyxl reads it.
MAX_UNCOMPRESSED = 600 * 1024 * 1024
# Lines before the column titles that may hold a title ("Adhérents 2026") and blank lines.
MAX_LINES_BEFORE_HEADER = 10
SAMPLES = 3  # example values shown per column on the mapping screen
DISTINCT = 40  # distinct values kept per column (membership types, payment methods…)

# A cell may hold a long note, but a whole file in one cell is a broken quote; the csv
# module's default limit (128 kB) would raise in the middle of a file otherwise.
csv.field_size_limit(MAX_BYTES)

CSV = "csv"
XLSX = "xlsx"
DELIMITERS = (";", ",", "\t", "|")
DELIMITER_NAMES = {
    ";": gettext_lazy("semicolon"),
    ",": gettext_lazy("comma"),
    "\t": gettext_lazy("tab"),
    "|": gettext_lazy("vertical bar"),
}


class FileRefused(Exception):
    """The file cannot be imported; `str(exc)` says why and what to do, in plain words."""


Cell = str | int | float | bool | dt.date | dt.datetime | None


@dataclass
class Table:
    """An opened file: its kind, how it was decoded, and its records (header included)."""

    kind: str
    data: bytes
    encoding: str = ""
    delimiter: str = ""
    sheets: list[str] = field(default_factory=list)
    sheet: str = ""
    epoch: dt.datetime | None = None  # XLSX: 1900 or 1904 date system

    def records(self) -> Iterator[tuple[int, list[Cell]]]:
        """(row number as the spreadsheet shows it, cells), blank rows included as []."""
        if self.kind == CSV:
            yield from _csv_records(self.data, self.encoding, self.delimiter)
        else:
            yield from _xlsx_records(self.data, self.sheet)


@dataclass
class Inspection:
    """What the mapping screen needs to know about a file, from one pass over it."""

    header: list[str]
    header_line: int
    rows: int  # data rows under the header, blank rows excluded
    blank_lines: int
    samples: list[list[str]]  # per column, up to SAMPLES example values
    distinct: list[list[str] | None]  # per column, its values when there are few of them
    lines_before_header: int = 0


# --- Opening --------------------------------------------------------------------------------


_MAGIC_REFUSALS = (
    (b"%PDF", "pdf"),
    (b"\x89PNG", "image"),
    (b"GIF8", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"\xd0\xcf\x11\xe0", "xls"),  # OLE2: Excel 97-2003 (.xls) or an old Word document
    (b"{\\rtf", "rtf"),
    (b"Rar!", "archive"),
    (b"\x1f\x8b", "archive"),
    (b"7z\xbc\xaf", "archive"),
)


def _refusal(kind: str) -> FileRefused:
    messages = {
        "pdf": _(
            "This file is a PDF, not a spreadsheet. Open your member list in Excel or "
            "LibreOffice and save it as .xlsx or as CSV."
        ),
        "image": _("This file is an image, not a spreadsheet: choose your .xlsx or .csv file."),
        "xls": _(
            "This file is in the old Excel format (.xls). Open it in Excel or LibreOffice and "
            "save it as “Excel workbook (.xlsx)” or as “CSV”, then import that file."
        ),
        "ods": _(
            "This file is a LibreOffice spreadsheet (.ods). In LibreOffice, choose "
            "File → Save as → “Excel 2007-365 (.xlsx)” or “Text CSV”, then import that file."
        ),
        "rtf": _("This file is a text document, not a spreadsheet."),
        "archive": _("This file is a compressed archive: extract the spreadsheet from it first."),
        "html": _(
            "This file is a web page saved with a spreadsheet name. Open it in Excel or "
            "LibreOffice and save it as .xlsx or as CSV."
        ),
        "binary": _(
            "This file is not a spreadsheet Essaim can read. Choose an .xlsx file or a .csv "
            "file (Excel: File → Save as → “CSV (point-virgule)”)."
        ),
        "zip": _(
            "This file is compressed but is not an Excel workbook. Choose an .xlsx or .csv file."
        ),
        "damaged": _(
            "This Excel file is damaged or protected by a password: open it in Excel, remove "
            "the password if there is one, and save it again as .xlsx."
        ),
        "bomb": _("This Excel file is far too large once opened: split it into several files."),
    }
    return FileRefused(messages[kind])


def open_table(data: bytes, *, sheet: str = "", encoding: str = "", delimiter: str = "") -> Table:
    """Recognise the file from its bytes; raise FileRefused with the reason otherwise."""
    if not data or not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise FileRefused(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise FileRefused(
            _("The file is larger than 20 MB. Split it into several files, or save it as CSV.")
        )
    for magic, kind in _MAGIC_REFUSALS:
        if data.startswith(magic):
            raise _refusal(kind)
    if data.startswith(b"PK\x03\x04"):
        return _open_xlsx(data, sheet)
    return _open_csv(data, encoding, delimiter)


def _open_xlsx(data: bytes, sheet: str) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
            raise _refusal("ods")
        if "xl/workbook.xml" not in names:
            raise _refusal("zip")
        if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED:
            raise _refusal("bomb")
    except zipfile.BadZipFile as exc:
        raise _refusal("damaged") from exc
    workbook = _load_workbook(data)
    try:
        sheets = list(workbook.sheetnames)
        epoch = workbook.epoch
    finally:
        workbook.close()
    if not sheets:
        raise FileRefused(_("This workbook has no sheet."))
    chosen = sheet if sheet in sheets else sheets[0]
    return Table(kind=XLSX, data=data, sheets=sheets, sheet=chosen, epoch=epoch)


def _load_workbook(data: bytes):
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet; data_only reads the values the spreadsheet saved for
        # formula cells. No formula is ever computed by Essaim.
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a broken archive
        raise _refusal("damaged") from exc


def _decode(data: bytes, encoding: str = "") -> tuple[str, str]:
    """The text and the encoding it was read with.

    UTF-8 is tried first and strictly: a cp1252 file is almost never valid UTF-8 (its "é" is
    one byte that UTF-8 forbids alone), so a file that decodes is UTF-8. Otherwise it is
    cp1252, French Excel's "CSV" encoding; the few bytes cp1252 leaves undefined mean
    latin-1.
    """
    if encoding:
        return data.decode(encoding, errors="replace"), encoding
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    for candidate in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _looks_binary(text: str) -> bool:
    sample = text[:20_000]
    if "\x00" in sample:
        return True
    controls = sum(
        1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\x0c"
    )
    return controls > max(3, len(sample) // 200)


_QUOTED = re.compile(r'"[^"]*"')


def sniff_delimiter(text: str) -> str:
    """The separator used on the first lines: the one found the same number of times on most
    lines (a decimal comma in "20,00" appears on some lines only; the semicolons of a French
    export on every one), the most frequent on a tie. Quoted text is ignored."""
    lines = [line for line in text.splitlines()[:40] if line.strip()][:20]
    best, best_score = ";", (0, 0)
    for delimiter in DELIMITERS:
        counts = [_QUOTED.sub("", line).count(delimiter) for line in lines]
        positive = [c for c in counts if c]
        if not positive:
            continue
        mode = max(set(positive), key=positive.count)
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _open_csv(data: bytes, encoding: str, delimiter: str) -> Table:
    text, used = _decode(data, encoding)
    if _looks_binary(text):
        raise _refusal("binary")
    head = text[:2000].lstrip().lower()
    if head.startswith(("<!doctype html", "<html", "<table")) or (
        head.startswith("<") and "<table" in text[:20_000].lower()
    ):
        raise _refusal("html")
    return Table(
        kind=CSV,
        data=data,
        encoding=used,
        delimiter=delimiter if delimiter in DELIMITERS else sniff_delimiter(text),
    )


# --- Records ---------------------------------------------------------------------------------


def _csv_records(data: bytes, encoding: str, delimiter: str) -> Iterator[tuple[int, list[Cell]]]:
    text, _used = _decode(data, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, row in enumerate(reader, start=1):
        yield number, _trim(row)


def _xlsx_records(data: bytes, sheet: str) -> Iterator[tuple[int, list[Cell]]]:
    workbook = _load_workbook(data)
    try:
        worksheet = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
        # Some generators write a wrong <dimension>: without this, openpyxl stops reading
        # where the dimension says the sheet ends.
        worksheet.reset_dimensions()
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, _trim(list(row))
    finally:
        workbook.close()


def _trim(row: list[Cell]) -> list[Cell]:
    """Cells stripped of surrounding spaces; trailing empty cells (trailing separators,
    formatted but empty Excel columns) removed. A blank row becomes []."""
    # str.strip() also takes the no-break spaces French spreadsheets put around values.
    cells = [value.strip() if value.__class__ is str else value for value in row]
    while cells and (cells[-1] is None or cells[-1] == ""):
        cells.pop()
    return cells


def cell_text(value: Cell) -> str:
    """A cell as text: 75011.0 → "75011", a date → "31/12/1980"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


# --- Inspection ------------------------------------------------------------------------------

_EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_NUMBER_LIKE = re.compile(r"^[+-]?[\d\s.,/:-]+$")


def _looks_like_data(header: list[Cell]) -> bool:
    """Column titles are words: a first line of e-mail addresses, dates or numbers is data."""
    filled = [c for c in header if c not in (None, "")]
    if not filled:
        return False
    data_like = 0
    for cell in filled:
        if (
            isinstance(cell, int | float | dt.date | dt.datetime) and not isinstance(cell, bool)
        ) or (isinstance(cell, str) and (_EMAIL_LIKE.match(cell) or _NUMBER_LIKE.match(cell))):
            data_like += 1
    return data_like * 2 >= len(filled) or any(
        isinstance(c, str) and _EMAIL_LIKE.match(c) for c in filled
    )


def header_names(header: list[Cell], width: int) -> list[str]:
    """Column titles, an empty title named after its Excel letter ("Colonne C")."""
    from openpyxl.utils import get_column_letter

    names = []
    for index in range(width):
        value = cell_text(header[index]) if index < len(header) else ""
        value = " ".join(value.split())[:200]
        names.append(value or _("Column %(letter)s") % {"letter": get_column_letter(index + 1)})
    return names


def inspect(table: Table) -> Inspection:
    """Find the column titles, count the rows and note example values, in one pass.

    Refuses (FileRefused) a file without rows, without column titles, with more than
    MAX_ROWS rows or MAX_COLUMNS columns.
    """
    records = table.records()
    header: list[Cell] | None = None
    header_line = 0
    seen: list[tuple[int, list[Cell]]] = []
    for number, cells in records:
        seen.append((number, cells))
        if sum(1 for c in cells if c not in (None, "")) >= 2:
            header, header_line = cells, number
            break
        if len(seen) >= MAX_LINES_BEFORE_HEADER:
            break
    if header is None:
        # One column only (a list of e-mail addresses under its title) is a valid file.
        candidates = [(n, c) for n, c in seen if any(v not in (None, "") for v in c)]
        if not candidates:
            raise FileRefused(_("The file is empty."))
        header_line, header = candidates[0]
    before = sum(1 for n, c in seen if n < header_line and c)
    leftovers = [(n, c) for n, c in seen if n > header_line]
    if len(header) > MAX_COLUMNS:
        raise FileRefused(
            _(
                "The file has %(count)d columns; Essaim reads at most %(limit)d. Remove the "
                "columns you do not need and import again."
            )
            % {"count": len(header), "limit": MAX_COLUMNS}
        )
    if _looks_like_data(header):
        raise FileRefused(
            _(
                "The first line of the file holds data, not column titles. Add a line at the "
                "top with the name of each column (Nom, Prénom, E-mail…) and import again."
            )
        )
    width = len(header)
    samples: list[list[str]] = [[] for _ in range(width)]
    distinct: list[dict[str, str] | None] = [{} for _ in range(width)]
    rows = blank = 0
    for _number, cells in itertools.chain(leftovers, records):
        if not cells:
            blank += 1
            continue
        rows += 1
        if rows > MAX_ROWS:
            raise FileRefused(
                _(
                    "The file has more than %(limit)s rows. Split it into several files of "
                    "at most %(limit)s rows each."
                )
                % {"limit": f"{MAX_ROWS:,}".replace(",", "\u202f")}
            )
        for index, value in enumerate(cells[:width]):
            if value is None or value == "":
                continue
            text = value if value.__class__ is str else cell_text(value)
            if len(samples[index]) < SAMPLES and text not in samples[index]:
                samples[index].append(text[:60])
            values = distinct[index]
            if values is not None and len(text) <= 100:
                values.setdefault(text.casefold(), text)
                if len(values) > DISTINCT:
                    distinct[index] = None
            elif values is not None:
                distinct[index] = None
    if rows == 0:
        raise FileRefused(
            _(
                "The file has column titles but no rows under them: is it the right file, "
                "or the right sheet?"
            )
        )
    return Inspection(
        header=header_names(header, width),
        header_line=header_line,
        rows=rows,
        blank_lines=blank,
        samples=samples,
        distinct=[
            sorted(v.values(), key=str.casefold) if v is not None else None for v in distinct
        ],
        lines_before_header=before,
    )


def data_rows(table: Table, header_line: int) -> Iterator[tuple[int, list[Cell]]]:
    """The records under the header (blank ones included as [])."""
    for number, cells in table.records():
        if number > header_line:
            yield number, cells
