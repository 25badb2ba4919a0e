"""Bank statements: reading the CSV exports of French banks, and importing their operations.

What treasurers download from their bank's website is "a CSV" in many dialects: Crédit
Agricole writes a few lines about the account before the column titles, cp1252, semicolons,
separate "Débit Euros" and "Crédit Euros" columns and labels spread over several lines inside
quotes; Société Générale puts the account number first and the payer's name in "Détail de
l'écriture"; La Banque Postale adds the balance in francs; Qonto writes UTF-8, commas, ISO
dates with a time and signed amounts with a dot. The reading below recognises the layout
from the content (encoding, separator, line of the column titles, what each column is) and
asks the treasurer only when it is unsure (`Layout.sure`).

Every data row ends as a new operation, an operation already known (imported before, from
this file or an overlapping one: same fingerprint) or rejected with a reason; blank rows are
not rows. The import writes nothing until the treasurer confirms the preview.
"""

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from essaim.core.audit import audit_log
from essaim.core.models import Association
from essaim.lib.money import parse_euros
from essaim.lib.text import fold, has_forbidden_characters

from .models import BankLine, BankStatement

# A year of operations of a busy association is a few hundred kilobytes; a larger file is
# not a statement (or is several years at once, better split).
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# Lines before the column titles: the bank's name, the account number, the balance…
MAX_LINES_BEFORE_HEADER = 20
DELIMITERS = (";", ",", "\t")
DELIMITER_NAMES = {
    ";": gettext_lazy("semicolon"),
    ",": gettext_lazy("comma"),
    "\t": gettext_lazy("tab"),
}
LABEL_MAX = 500
REFERENCE_MAX = 140
COUNTERPARTY_MAX = 200

csv.field_size_limit(MAX_BYTES)

# What a column may be. `date` is the booking date; `value_date` is used when there is none.
ROLES = {
    "date": gettext_lazy("Date of the operation"),
    "value_date": gettext_lazy("Value date"),
    "label": gettext_lazy("Label"),
    "detail": gettext_lazy("Detail (added to the label)"),
    "amount": gettext_lazy("Amount (signed: negative for money out)"),
    "debit": gettext_lazy("Debit (money out)"),
    "credit": gettext_lazy("Credit (money in)"),
    "reference": gettext_lazy("Reference"),
    "counterparty": gettext_lazy("Counterparty (payer or payee)"),
}


class FileRefused(Exception):
    """The file cannot be read as a bank statement; `str(exc)` says why and what to do."""


# --- Decoding ------------------------------------------------------------------------------

_MAGIC = (
    (b"%PDF", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"\x89PNG", "binary"),
    (b"\xff\xd8\xff", "binary"),
    (b"GIF8", "binary"),
    (b"\x1f\x8b", "binary"),
    (b"Rar!", "binary"),
    (b"7z\xbc\xaf", "binary"),
)


def _refusal(kind: str) -> FileRefused:
    messages = {
        "pdf": _(
            "This file is a PDF statement: Essaim reads the CSV export of your account. On "
            "your bank's website, look for “Télécharger” or “Exporter” and choose CSV (or "
            "“Excel (CSV)”)."
        ),
        "zip": _(
            "This file is an Excel workbook or a compressed archive. Open it in Excel or "
            "LibreOffice and save it as CSV, or download the CSV export from your bank."
        ),
        "xls": _(
            "This file is in the old Excel format (.xls). Open it in Excel or LibreOffice and "
            "save it as CSV, or download the CSV export from your bank."
        ),
        "ofx": _(
            "This file is in the OFX or QIF format (for accounting software). Download the "
            "CSV export of your account instead."
        ),
        "binary": _(
            "This file is not a CSV bank statement. Download the CSV export of your account "
            "from your bank's website and choose that file."
        ),
        "empty": _("The file is empty."),
        "large": _(
            "The file is larger than 5 MB: a bank statement is much smaller. Export a shorter "
            "period (a few months at a time)."
        ),
        "rows": _("The file has more than %(max)s rows. Export a shorter period.")
        % {"max": f"{MAX_ROWS:,}".replace(",", "\u202f")},
        "no_rows": _(
            "No operation was found in this file: it needs column titles (Date, Libellé, "
            "Montant…) followed by one operation per line."
        ),
    }
    return FileRefused(messages[kind])


# Control characters other than tab and line breaks (C0, DEL, C1): text files have none.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def decode(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was read with; FileRefused for anything
    that is not text.

    UTF-8 (with or without a BOM) is tried first and strictly: a cp1252 file is almost never
    valid UTF-8 (its "é" is one byte UTF-8 forbids alone). Otherwise cp1252, the encoding of
    French Windows and of most bank exports.
    """
    if not data or not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise _refusal("empty")
    if len(data) > MAX_BYTES:
        raise _refusal("large")
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise _refusal(kind)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _refusal("binary") from exc
    else:
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                # The five bytes cp1252 leaves undefined: latin-1 reads them as control
                # characters, which the test below counts.
                text, encoding = data.decode("latin-1"), "latin-1"
    controls = len(_CONTROLS.findall(text))
    if "\x00" in text or controls > max(2, len(text) // 200):
        raise _refusal("binary")
    start = text.lstrip()[:20].upper()
    if start.startswith(("OFXHEADER", "<OFX", "<?XML", "!TYPE:")):
        raise _refusal("ofx")
    if not text.strip():
        raise _refusal("empty")
    return text, encoding


def _records(text: str, delimiter: str):
    """(line number in the file, cells) of each record, quoted line breaks kept inside
    their cell (Crédit Agricole's labels span several lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, [cell.strip() for cell in cells]
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _refusal("binary") from exc


# --- Columns -------------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _words(title: str) -> list[str]:
    return [w for w in _NOT_WORD.split(fold(title)) if w]


def role_of(title: str) -> str:
    """What a column title means ("Date opération" → "date"), or "" when unknown."""
    words = _words(title)
    if not words:
        return ""
    joined = " ".join(words)
    if "franc" in joined or "francs" in words:
        return ""  # La Banque Postale's amount in francs, kept for history
    if words[0] in ("solde", "balance"):
        return ""
    if "debit" in words or "debits" in words or "withdrawal" in words:
        return "debit"
    if "credit" in words or "credits" in words or "deposit" in words:
        return "credit"
    if "montant" in words or "amount" in words or words == ["somme"]:
        return "amount"
    if "valeur" in words or "value" in words:
        return "value_date"
    if "date" in words:
        return "date"
    if (
        "contrepartie" in words
        or "counterparty" in words
        or words[0]
        in (
            "tiers",
            "beneficiaire",
            "emetteur",
            "payer",
            "payee",
        )
    ):
        return "counterparty"
    if words[0] in ("reference", "references", "ref", "reference"):
        return "reference"
    if words[0] in ("detail", "details", "complement", "informations", "motif", "memo", "note"):
        return "detail"
    if words[0] in ("libelle", "libelles", "label", "description", "intitule", "wording"):
        return "label"
    if joined in ("operation", "nature de l operation", "nature operation", "operations"):
        return "label"
    return ""


def guess_mapping(header: list[str]) -> tuple[dict[str, int], bool]:
    """What each column is, and whether the guess is sure enough to skip the mapping step.

    The first column of a kind wins (Qonto's settlement date comes before its operation
    date); two amount columns, or none, or no label, make the guess unsure.
    """
    mapping: dict[str, int] = {}
    seen: Counter = Counter()
    for index, title in enumerate(header):
        role = role_of(title)
        if not role:
            continue
        seen[role] += 1
        mapping.setdefault(role, index)
    if "date" not in mapping and "value_date" in mapping:
        mapping["date"] = mapping.pop("value_date")
    has_amount = "amount" in mapping
    has_split = "debit" in mapping or "credit" in mapping
    sure = (
        "date" in mapping
        and ("label" in mapping or "counterparty" in mapping)
        and has_amount != has_split
        and seen["amount"] <= 1
        and seen["debit"] <= 1
        and seen["credit"] <= 1
    )
    if has_amount and has_split:
        # "Montant" beside "Débit"/"Crédit": keep the two columns, drop the doubtful one.
        mapping.pop("amount")
    return mapping, sure


# --- Layout --------------------------------------------------------------------------------


@dataclass
class Layout:
    encoding: str
    delimiter: str
    header_line: int  # the record index of the column titles (0 = first line)
    header: list[str]
    mapping: dict[str, int]
    sure: bool


def _score(mapping: dict[str, int]) -> int:
    if "date" not in mapping or not ({"amount", "debit", "credit"} & set(mapping)):
        return 0
    return len(mapping)


def read_layout(data: bytes) -> Layout:
    """Recognise encoding, separator, line of the column titles and columns."""
    text, encoding = decode(data)
    best: tuple[int, int, str, list[str], dict[str, int], bool] | None = None
    for delimiter in DELIMITERS:
        for index, (_line, cells) in enumerate(_records(text, delimiter)):
            if index > MAX_LINES_BEFORE_HEADER:
                break
            if len(cells) < 2:
                continue
            mapping, sure = guess_mapping(cells)
            score = _score(mapping)
            if score and (best is None or (score, -index) > (best[0], -best[1])):
                best = (score, index, delimiter, cells, mapping, sure)
    if best is not None:
        _best_score, index, delimiter, header, mapping, sure = best
        return Layout(encoding, delimiter, index, _titles(header), mapping, sure)
    # No title row recognised: the separator that splits most lines, and its first line of
    # several cells as titles; the treasurer says what each column is.
    counts = {
        delimiter: sum(
            1
            for index, (_line, cells) in enumerate(_records(text, delimiter))
            if index <= 50 and len(cells) >= 2
        )
        for delimiter in DELIMITERS
    }
    delimiter = max(DELIMITERS, key=lambda d: counts[d])
    if not counts[delimiter]:
        raise _refusal("no_rows")
    for index, (_line, cells) in enumerate(_records(text, delimiter)):
        if len(cells) >= 2:
            return Layout(encoding, delimiter, index, _titles(cells), {}, False)
    raise _refusal("no_rows")


def _titles(cells: list[str]) -> list[str]:
    return [
        " ".join(cell.split())[:80] or _("column %(n)d") % {"n": i + 1}
        for i, cell in enumerate(cells)
    ]


def mapping_problems(mapping: dict[str, int], columns: int) -> list[str]:
    """What is missing or wrong in a mapping chosen by the treasurer."""
    problems = []
    if any(not (0 <= index < columns) for index in mapping.values()):
        problems.append(_("Choose columns of the file."))
    used = Counter(mapping.values())
    if any(count > 1 for count in used.values()):
        problems.append(_("Each column can be chosen once only."))
    if "date" not in mapping and "value_date" not in mapping:
        problems.append(_("Choose the column of the date of each operation."))
    has_split = "debit" in mapping or "credit" in mapping
    if "amount" not in mapping and not has_split:
        problems.append(_("Choose the column of the amount, or the Debit and Credit columns."))
    elif "amount" in mapping and has_split:
        problems.append(_("Choose either one Amount column, or the Debit and Credit columns."))
    return problems


# --- Values --------------------------------------------------------------------------------

_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d-%m-%y", "%Y/%m/%d")


def parse_date(text: str) -> dt.date | None:
    """ "27/11/2026", "27/11/26", "2026-11-27", "2026-11-27T09:12:00Z", "27-11-2026 09:12"."""
    text = text.strip().strip('="')
    if not text:
        return None
    text = re.split(r"[T ]", text, maxsplit=1)[0]
    for fmt in _DATE_FORMATS:
        try:
            # A calendar day, no time of day: no time zone to attach.
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None


_SIGNED = re.compile(r"^([+-]?)(.*?)([+-]?)$")


def parse_amount(text: str, max_cents: int) -> int | None:
    """Signed cents: "1 234,56" → 123456, "-20,00" → -2000, "20.00" → 2000, "" → None.
    Raises ValueError (translated) for what is not an amount."""
    cleaned = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    cleaned = cleaned.removesuffix("€").removesuffix("EUR").strip().strip('="')
    if not cleaned:
        return None
    negative = False
    if cleaned.startswith("(") and cleaned.endswith(")"):
        negative, cleaned = True, cleaned[1:-1]
    match = _SIGNED.match(cleaned.replace(" ", ""))
    lead, body, trail = match.groups()
    if lead and trail:
        raise ValueError(_("Give an amount in euros, for example 12,50."))
    negative = negative or "-" in (lead, trail)
    if re.fullmatch(r"0+(?:[.,]0+)?", body):
        return 0
    cents = parse_euros(body, max_cents=max_cents)
    return -cents if negative else cents


# --- Rows ----------------------------------------------------------------------------------

NEW = "new"
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass
class Row:
    line: int
    outcome: str = NEW
    reason: str = ""
    booked_on: dt.date | None = None
    amount_cents: int = 0
    label: str = ""
    reference: str = ""
    counterparty: str = ""
    fingerprint: str = ""
    raw: list[str] = field(default_factory=list)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text[:limit]


def parse_rows(data: bytes, *, encoding: str, delimiter: str, header_line: int, mapping):
    """The data rows under the column titles, each NEW or REJECTED with its reason."""
    from .services import MAX_AMOUNT_CENTS

    text, _encoding = decode(data)
    today = timezone.localdate()
    rows: list[Row] = []
    occurrences: Counter = Counter()
    date_index = mapping.get("date", mapping.get("value_date"))
    for index, (line, cells) in enumerate(_records(text, delimiter)):
        if index <= header_line or not any(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise _refusal("rows")

        def cell(role: str, cells=cells) -> str:
            position = mapping.get(role)
            return cells[position] if position is not None and position < len(cells) else ""

        row = Row(line=line, raw=cells)
        rows.append(row)
        raw_date = cells[date_index] if date_index is not None and date_index < len(cells) else ""
        label, detail = cell("label"), cell("detail")
        if fold(detail) == fold(label):
            detail = ""  # Société Générale often repeats the label as the detail
        row.reference = _clip(cell("reference"), REFERENCE_MAX)
        row.counterparty = _clip(cell("counterparty"), COUNTERPARTY_MAX)
        # Qonto gives no label, only the counterparty: the list shows that instead.
        row.label = _clip(" ".join(filter(None, (label, detail))), LABEL_MAX) or row.counterparty
        row.booked_on = parse_date(raw_date)
        if row.booked_on is None:
            if raw_date:
                row.reason = _("The date “%(value)s” is not a date (expected 27/11/2026).") % {
                    "value": raw_date[:30]
                }
            else:
                row.reason = _("No date: probably a total or a balance, not an operation.")
        elif row.booked_on > today:
            row.reason = _("The operation is dated in the future: it is not booked yet.")
        elif row.booked_on.year < 1990:
            row.reason = _("The date “%(value)s” is too old to be an operation.") % {
                "value": raw_date[:30]
            }
        if not row.reason:
            row.reason = _amount_of(row, cell, mapping, MAX_AMOUNT_CENTS)
        if not row.reason and any(
            has_forbidden_characters(v) for v in (row.label, row.reference, row.counterparty)
        ):
            row.reason = _("This row contains characters that are not allowed.")
        if row.reason:
            row.outcome = REJECTED
            continue
        key = (row.booked_on, row.amount_cents, fold(row.label), fold(row.reference))
        key += (fold(row.counterparty),)
        occurrences[key] += 1
        row.fingerprint = fingerprint(*key, occurrences[key])
    if not rows:
        raise _refusal("no_rows")
    return rows


def _amount_of(row: Row, cell, mapping, max_cents: int) -> str:
    """Set row.amount_cents; return the reason of a rejection, or ""."""
    try:
        if "amount" in mapping:
            amount = parse_amount(cell("amount"), max_cents)
        else:
            debit = parse_amount(cell("debit"), max_cents)
            credit = parse_amount(cell("credit"), max_cents)
            if debit and credit:
                return _("The row has both a debit and a credit.")
            if debit:
                amount = -abs(debit)
            elif credit:
                amount = abs(credit)
            else:
                amount = debit if debit is not None else credit
    except ValueError as error:
        return _("Amount not understood: %(error)s") % {"error": error}
    if amount is None:
        return _("No amount.")
    if amount == 0:
        return _("The amount is zero.")
    row.amount_cents = amount
    return ""


def fingerprint(booked_on, amount_cents, label, reference, counterparty, occurrence) -> str:
    """The identity of an operation across files: the n-th identical operation of a day in
    one file is the n-th in any other file covering that day."""
    text = "|".join(
        (booked_on.isoformat(), str(amount_cents), label, reference, counterparty, str(occurrence))
    )
    return hashlib.sha256(text.encode()).hexdigest()


# --- Services ------------------------------------------------------------------------------


@dataclass
class Preview:
    rows: list[Row]
    counts: dict[str, int]
    already_imported_on: dt.datetime | None = None


def _read_file(statement: BankStatement) -> bytes:
    with statement.file.open("rb") as handle:
        return handle.read()


def _layout_kwargs(statement: BankStatement) -> dict:
    return {
        "encoding": statement.encoding,
        "delimiter": statement.delimiter,
        "header_line": statement.header_line,
        "mapping": {role: int(index) for role, index in (statement.mapping or {}).items()},
    }


def header_of(statement: BankStatement) -> list[str]:
    """The column titles of a draft statement, as the mapping step shows them."""
    text, _encoding = decode(_read_file(statement))
    for index, (_line, cells) in enumerate(_records(text, statement.delimiter)):
        if index == statement.header_line:
            return _titles(cells)
    return []


@transaction.atomic
def bank_statement_upload(
    *, association: Association, acting_user, data: bytes, file_name: str
) -> BankStatement:
    """Keep an uploaded statement as a draft, with the layout Essaim recognised. Raises
    ValidationError({"file": …}) when the file is not a readable CSV statement."""
    try:
        layout = read_layout(data)
        rows_checked = (
            parse_rows(
                data,
                encoding=layout.encoding,
                delimiter=layout.delimiter,
                header_line=layout.header_line,
                mapping=layout.mapping,
            )
            if layout.sure
            else None
        )
    except FileRefused as refusal:
        raise ValidationError({"file": str(refusal)}) from refusal
    sure = layout.sure and any(row.outcome == NEW for row in rows_checked or [])
    name = _clip(str(file_name or "").replace("\x00", ""), 255) or "releve.csv"
    statement = BankStatement(
        association=association,
        file_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=layout.encoding,
        delimiter=layout.delimiter,
        header_line=layout.header_line,
        mapping=layout.mapping if sure else {**layout.mapping, "_unsure": True},
        imported_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    statement.file.save(name, ContentFile(data), save=False)
    statement.save()
    audit_log(
        association=association,
        actor=acting_user,
        action="bank_statement.upload",
        obj=statement,
        data={"sha256": statement.sha256},
    )
    return statement


def needs_mapping(statement: BankStatement) -> bool:
    return bool((statement.mapping or {}).get("_unsure")) or not statement.mapping


@transaction.atomic
def bank_statement_set_mapping(
    *, association: Association, acting_user, statement: BankStatement, mapping: dict[str, int]
) -> BankStatement:
    """The treasurer says what each column of a draft statement is."""
    if statement.association_id != association.pk or statement.status != BankStatement.Status.DRAFT:
        raise ValidationError(_("This statement is already imported."))
    columns = len(header_of(statement))
    problems = mapping_problems(mapping, columns)
    if problems:
        raise ValidationError(problems)
    statement.mapping = {role: int(index) for role, index in mapping.items()}
    statement.save(update_fields=["mapping", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="bank_statement.mapping",
        obj=statement,
        data={"mapping": statement.mapping},
    )
    return statement


def _known_fingerprints(association: Association, fingerprints: list[str]) -> set[str]:
    known: set[str] = set()
    # Chunks: SQLite allows a limited number of parameters per query.
    for start in range(0, len(fingerprints), 500):
        chunk = fingerprints[start : start + 500]
        known.update(
            BankLine.objects.filter(association=association, fingerprint__in=chunk).values_list(
                "fingerprint", flat=True
            )
        )
    return known


def bank_statement_preview(*, association: Association, statement: BankStatement) -> Preview:
    """Every row of a draft statement with what importing it would do."""
    try:
        rows = parse_rows(_read_file(statement), **_layout_kwargs(statement))
    except FileRefused as refusal:
        raise ValidationError({"file": str(refusal)}) from refusal
    known = _known_fingerprints(association, [r.fingerprint for r in rows if r.fingerprint])
    for row in rows:
        if row.outcome == NEW and row.fingerprint in known:
            row.outcome = DUPLICATE
            row.reason = _("Already imported (from this file or another statement).")
    counts = Counter(row.outcome for row in rows)
    previous = (
        BankStatement.objects.filter(
            association=association,
            sha256=statement.sha256,
            status=BankStatement.Status.IMPORTED,
        )
        .order_by("-imported_at")
        .values_list("imported_at", flat=True)
        .first()
    )
    return Preview(
        rows=rows,
        counts={
            "rows": len(rows),
            NEW: counts[NEW],
            DUPLICATE: counts[DUPLICATE],
            REJECTED: counts[REJECTED],
        },
        already_imported_on=previous,
    )


@transaction.atomic
def bank_statement_import(
    *, association: Association, acting_user, statement: BankStatement
) -> BankStatement:
    """Import the new operations of a checked statement; the file is then deleted.

    Importing twice (a double click) imports once. Two statements imported at the same time
    with operations in common add each operation once: the unique fingerprint decides, and
    the counts are read back from the database.
    """
    current = BankStatement.objects.select_for_update().get(
        pk=statement.pk, association=association
    )
    if current.status == BankStatement.Status.IMPORTED:
        return current
    if needs_mapping(current):
        raise ValidationError(_("Say first what each column of the file is."))
    preview = bank_statement_preview(association=association, statement=current)
    new_rows = [row for row in preview.rows if row.outcome == NEW]
    BankLine.objects.bulk_create(
        [
            BankLine(
                association=association,
                statement=current,
                booked_on=row.booked_on,
                amount_cents=row.amount_cents,
                label=row.label,
                reference=row.reference,
                counterparty=row.counterparty,
                search_text=fold(" ".join((row.label, row.counterparty, row.reference))),
                fingerprint=row.fingerprint,
            )
            for row in new_rows
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    imported = BankLine.objects.filter(statement=current).count()
    rejected = preview.counts[REJECTED]
    current.status = BankStatement.Status.IMPORTED
    current.imported_at = timezone.now()
    current.imported_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    current.lines_total = preview.counts["rows"]
    current.lines_imported = imported
    current.lines_rejected = rejected
    current.lines_duplicate = preview.counts["rows"] - imported - rejected
    stored = current.file.name
    current.file = ""
    current.save()
    if stored:
        storage = current.file.storage
        transaction.on_commit(lambda: storage.delete(stored))
    audit_log(
        association=association,
        actor=acting_user,
        action="bank_statement.import",
        obj=current,
        data={
            "rows": current.lines_total,
            "imported": current.lines_imported,
            "duplicates": current.lines_duplicate,
            "rejected": current.lines_rejected,
        },
    )
    return current


@transaction.atomic
def bank_statement_discard(
    *, association: Association, acting_user, statement: BankStatement
) -> None:
    """Forget a statement still being checked (and its file)."""
    current = BankStatement.objects.select_for_update().get(
        pk=statement.pk, association=association
    )
    if current.status != BankStatement.Status.DRAFT:
        raise ValidationError(_("This statement is already imported."))
    stored = current.file.name
    storage = current.file.storage
    audit_log(
        association=association, actor=acting_user, action="bank_statement.discard", obj=current
    )
    current.delete()
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))
