"""CSV and XLSX writers shaped for French spreadsheet users."""

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

# French Excel opens a CSV correctly only with a BOM (otherwise UTF-8 accents turn into
# "Ã©") and a semicolon separator (the comma is the decimal separator in fr-FR).
CSV_DELIMITER = ";"

# Cells starting with these characters are run as formulas by spreadsheet software: a
# contact named "=HYPERLINK(...)" must not become a link on the treasurer's machine (OWASP
# "CSV injection").
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else _safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], title: str) -> bytes:
    # write_only streams rows to disk-backed XML: 100,000 rows stay within a few MB of RAM.
    # Column widths must therefore be set before the first row, from the header alone.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Export")
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(str(name)) + 4)
    sheet.append([str(h) for h in header])
    for row in rows:
        sheet.append(["" if v is None else _safe(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_response(
    header: Sequence[str], rows, *, fmt: str, name: str, title: str
) -> HttpResponse:
    """A download of `rows` as `name`-<date>.xlsx (fmt "xlsx") or .csv (anything else).

    `rows` is an iterable of rows, or a function `(spreadsheet: bool) -> rows` for exports
    whose cells differ (real numbers and dates in XLSX, French text in CSV). Never cached:
    these are lists of people.
    """
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    xlsx = fmt == "xlsx"
    cells = rows(xlsx) if callable(rows) else rows
    if xlsx:
        response = HttpResponse(xlsx_bytes(header, cells, title=title), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(csv_bytes(header, cells), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{stamp}.{"xlsx" if xlsx else "csv"}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
