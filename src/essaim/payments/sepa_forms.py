"""Forms of the SEPA direct debit screens: creditor settings, a mandate (with its debtor), the
confirmation of a revocation, the day of collection of a batch, and the bank's returns report.

They parse and bound the input; the rules (IBAN, ICS, days of pre-notification, RUM) are the
services' in mandates.py, whose ValidationError is shown on the matching field.
"""

import codecs
import csv
import io
import re
import uuid
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from essaim.core.forms import EssaimForm

from .mandates import PRENOTIFICATION_MAX_DAYS, PRENOTIFICATION_MIN_DAYS
from .models import Mandate

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
BANK_ATTRS = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}

# A returns report lists a few dozen debits; a bigger file is not one.
RETURNS_MAX_BYTES = 1024 * 1024
RETURNS_MAX_LINES = 5000


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(label, max_length, help_text="", required=True, attrs=None):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs or {}),
    )


class CreditorSettingsForm(EssaimForm):
    creditor_name = _text(
        gettext_lazy("Creditor's name"),
        70,
        gettext_lazy("The name your debtors see on their bank statement (70 characters at most)."),
    )
    creditor_id = _text(
        gettext_lazy("SEPA creditor identifier (ICS)"),
        35,
        gettext_lazy("Given by your bank (Banque de France): FR followed by 11 characters."),
        attrs={**BANK_ATTRS, "placeholder": "FR72ZZZ123456"},
    )
    iban = _text(
        gettext_lazy("IBAN of the association's account"),
        50,
        gettext_lazy("The account the debits are paid into, as on your bank details (RIB)."),
        attrs=BANK_ATTRS,
    )
    bic = _text(
        gettext_lazy("BIC"),
        20,
        gettext_lazy("Leave empty to find it from the IBAN."),
        required=False,
        attrs=BANK_ATTRS,
    )
    prenotification_days = forms.IntegerField(
        label=gettext_lazy("Days of notice before each debit"),
        min_value=PRENOTIFICATION_MIN_DAYS,
        max_value=PRENOTIFICATION_MAX_DAYS,
        initial=PRENOTIFICATION_MAX_DAYS,
        help_text=gettext_lazy(
            "Debtors are told of each debit by e-mail this many days before (14 unless your "
            "mandates say fewer, at least 1)."
        ),
    )

    def __init__(self, *args, creditor=None, **kwargs):
        if creditor is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(creditor, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


class MandateForm(EssaimForm):
    """The mandate itself. Its debtor is a contact chosen in the search (the view reads the
    `person` radio of the search results) or a new contact (NewDebtorForm)."""

    iban = _text(
        gettext_lazy("IBAN of the account to debit"),
        50,
        gettext_lazy("As on the signed mandate. Stored encrypted; only its end is shown again."),
        attrs=BANK_ATTRS,
    )
    bic = _text(
        gettext_lazy("BIC"),
        20,
        gettext_lazy("Optional: found from the IBAN when left empty."),
        required=False,
        attrs=BANK_ATTRS,
    )
    signed_on = forms.DateField(
        label=gettext_lazy("Signed on"), widget=_date_widget(), input_formats=DATE_INPUT_FORMATS
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("The debtor agreed to"),
        choices=[
            (Mandate.Kind.RECURRING, gettext_lazy("recurring debits (monthly gift, dues…)")),
            (Mandate.Kind.ONE_OFF, gettext_lazy("a single debit")),
        ],
        initial=Mandate.Kind.RECURRING,
        widget=forms.RadioSelect,
    )
    debtor_name = _text(
        gettext_lazy("Account holder, if not the contact"),
        70,
        gettext_lazy("For example a parent's account. Leave empty: the contact's name."),
        required=False,
    )

    # Chosen when the form is shown: the same form sent twice records one mandate.
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("signed_on", timezone.localdate())
        self.initial.setdefault("form_token", uuid.uuid4().hex)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("form_token")
        return data


class NewDebtorForm(EssaimForm):
    """A debtor who is not a contact yet: a name, and an e-mail address for the notices."""

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        required=False,
        help_text=gettext_lazy(
            "Each debit is announced there beforehand; without it, tell the debtor otherwise."
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "new")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")

    def has_content(self) -> bool:
        return any(getattr(self, "cleaned_data", {}).values())

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


class RevokeForm(EssaimForm):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I confirm: the debtor withdrew this mandate, it must never be debited again."
        ),
        error_messages={"required": gettext_lazy("Tick the box to confirm the revocation.")},
    )


class CollectionDayForm(EssaimForm):
    collection_date = forms.DateField(
        label=gettext_lazy("Day of collection"),
        widget=_date_widget(),
        input_formats=DATE_INPUT_FORMATS,
        error_messages={"invalid": gettext_lazy("Give a date, for example 15/01/2027.")},
    )

    def __init__(self, *args, earliest=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.earliest = earliest
        if earliest is not None:
            self.fields["collection_date"].widget.attrs["min"] = earliest.isoformat()
            self.fields["collection_date"].help_text = _(
                "Not before %(date)s: debtors are told beforehand."
            ) % {"date": earliest.strftime("%d/%m/%Y")}

    def clean_collection_date(self):
        day = self.cleaned_data["collection_date"]
        if self.earliest is not None and day < self.earliest:
            raise forms.ValidationError(
                _("Debtors must be told beforehand: choose %(date)s or later.")
                % {"date": self.earliest.strftime("%d/%m/%Y")}
            )
        return day


# --- The bank's returns report ------------------------------------------------------------

# What debit_batch_create gives each debit (mandates._new_end_to_end_id): the day, then 16
# hexadecimal characters.
OUR_REFERENCE = re.compile(r"^\d{8}-[0-9A-F]{16}$")
# ISO 20022 reason codes: AM04, MD06, MS02, but also CNOR, DNOR.
REASON_CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{2}$")
REFERENCE_TITLES = ("ref", "e2e", "end", "bout", "identif", "id")
CODE_TITLES = ("motif", "code", "reason", "raison", "rejet", "retour", "return", "cause")
DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True)
class ReturnLine:
    number: int  # the line in the file (or in the pasted text), from 1
    reference: str
    code: str


def decode_report(data: bytes) -> str:
    """The text of an uploaded report: UTF-8 (with or without a BOM) or, failing that,
    cp1252, French Excel's "CSV" encoding. A workbook or a binary file is refused."""
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError(
            _(
                "This is an Excel workbook, not a CSV file: open it and save it as "
                "“CSV (séparateur : point-virgule)”, or paste its lines below."
            )
        )
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:20_000] if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in text or controls > 3:
        raise ValidationError(
            _(
                "This file is not a text (CSV) file: export the returns report of your bank "
                "as CSV, or paste its lines below."
            )
        )
    return text


def _delimiter(lines: list[str]) -> str | None:
    best, best_count = None, 0
    for delimiter in DELIMITERS:
        count = sum(1 for line in lines[:20] if delimiter in line)
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _cells(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None or delimiter not in line:
        # Pasted from a statement or a PDF: "20261205-0123456789ABCDEF AM04".
        return line.split()
    return next(csv.reader(io.StringIO(line), delimiter=delimiter), [])


def _looks_like_code(cell: str) -> bool:
    return bool(REASON_CODE.match(cell.strip().upper())) and cell.strip().lower() != "code"


def _is_header(cells: list[str]) -> bool:
    """A first line of column titles: it names a reference or a reason, and holds neither a
    debit reference nor a reason code (a line of data is never taken for titles, so an
    unknown reference on the first line is reported, not skipped)."""
    if any(OUR_REFERENCE.match(cell.strip().upper()) or _looks_like_code(cell) for cell in cells):
        return False
    words = " ".join(cells).lower()
    return any(title in words for title in CODE_TITLES + REFERENCE_TITLES)


def _column(titles: list[str], keywords: tuple[str, ...], taken: int | None) -> int | None:
    for keyword in keywords:
        for index, title in enumerate(titles):
            if index != taken and keyword in title:
                return index
    return None


def _matches(pattern: re.Pattern, cell: str) -> bool:
    if pattern is REASON_CODE:
        return _looks_like_code(cell)
    return bool(pattern.match(cell.strip().upper()))


def _best_column(rows: list[list[str]], pattern: re.Pattern, taken: int | None) -> int | None:
    width = max((len(row) for row in rows), default=0)
    scores = [
        (sum(1 for row in rows if i < len(row) and _matches(pattern, row[i])), i)
        for i in range(width)
        if i != taken
    ]
    best = max(scores, default=(0, None))
    return best[1] if best[0] else None


def parse_returns(text: str) -> list[ReturnLine]:
    """The (end-to-end reference, reason code) lines of a returns report, read as the bank
    or the treasurer wrote it: semicolons, commas, tabs or spaces between the two, a line
    of column titles or none, other columns (date, amount, name) ignored."""
    numbered = [
        (number, line)
        for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1)
        if line.strip()
    ]
    if not numbered:
        raise ValidationError(_("The report is empty: upload the bank's file or paste its lines."))
    if len(numbered) > RETURNS_MAX_LINES:
        raise ValidationError(
            _("The report has more than %(max)d lines: this is not a returns report.")
            % {"max": RETURNS_MAX_LINES}
        )
    delimiter = _delimiter([line for _n, line in numbered])
    rows = [
        (number, [cell.strip() for cell in _cells(line, delimiter)]) for number, line in numbered
    ]
    reference_col = code_col = None
    if _is_header(rows[0][1]):
        titles = [cell.lower() for cell in rows[0][1]]
        rows = rows[1:]
        code_col = _column(titles, CODE_TITLES, None)
        reference_col = _column(titles, REFERENCE_TITLES, code_col)
        if not rows:
            raise ValidationError(_("The report holds column titles but no line of debit."))
    data = [cells for _n, cells in rows]
    if reference_col is None:
        reference_col = _best_column(data, OUR_REFERENCE, code_col)
    if code_col is None:
        code_col = _best_column(data, REASON_CODE, reference_col)
    if reference_col is None:
        reference_col = 0 if code_col != 0 else 1
    if code_col is None:
        code_col = 1 if reference_col != 1 else 0
    lines = []
    for number, cells in rows:
        reference = cells[reference_col] if reference_col < len(cells) else ""
        code = cells[code_col] if code_col < len(cells) else ""
        lines.append(ReturnLine(number=number, reference=reference[:100], code=code.upper()[:20]))
    return lines


class ReturnsImportForm(EssaimForm):
    report = forms.FileField(
        label=gettext_lazy("The bank's returns report (CSV file)"),
        required=False,
        help_text=gettext_lazy(
            "One line per debit: its end-to-end reference and the bank's reason code "
            "(AM04…), separated by a semicolon or a comma."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )
    lines = forms.CharField(
        label=gettext_lazy("Or paste the lines here"),
        required=False,
        max_length=200_000,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "spellcheck": "false",
                "placeholder": "20270115-0123456789ABCDEF;AM04",
            }
        ),
    )

    def clean(self):
        data = super().clean()
        upload = data.get("report")
        pasted = (data.get("lines") or "").strip()
        if self.errors:
            return data
        if upload and pasted:
            raise forms.ValidationError(_("Upload a file or paste lines, not both."))
        if not upload and not pasted:
            raise forms.ValidationError(_("Upload the bank's returns report, or paste its lines."))
        if upload:
            if upload.size > RETURNS_MAX_BYTES:
                self.add_error(
                    "report", _("The file is too large for a returns report (1 MB at most).")
                )
                return data
            try:
                text = decode_report(upload.read())
            except ValidationError as error:
                self.add_error("report", error)
                return data
        else:
            text = pasted
        if "\x00" in text:
            raise forms.ValidationError(_("The pasted text holds invalid characters."))
        try:
            data["parsed"] = parse_returns(text)
        except ValidationError as error:
            self.add_error("report" if upload else "lines", error)
        return data
