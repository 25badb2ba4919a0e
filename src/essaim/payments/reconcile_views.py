"""Back office of bank reconciliation, under /a/<association>/reconciliation/.

The treasurer imports the CSV statement of the association's account, checks the preview,
then matches each money-in operation with the payment it is (a suggestion, another payment
found by a search, or a payment recorded from the operation), or sets it aside. The screen
compares what was expected with what reached the bank. Everything needs
`can_manage_finances`; another association's statement or operation is a 404.
"""

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require
from essaim.lib.money import format_euros
from essaim.lib.spreadsheets import spreadsheet_response
from essaim.lib.text import uuid_or_none
from essaim.people.models import Person

from . import bank_statements, reconciliation
from .models import BankLine, BankStatement, Payment
from .reconcile_forms import RecordPaymentForm, StatementMappingForm, StatementUploadForm

FINANCES = "can_manage_finances"
LINES_PER_PAGE = 50
PREVIEW_ROWS_PER_PAGE = 100


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _parse_day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return bank_statements.parse_date(value)


def _filters(request) -> dict:
    """The filters of the reconciliation screen, from the query string; a bad value falls
    back to the default instead of failing."""
    default = reconciliation.default_period()
    since = _parse_day(request.GET.get("since")) or default.since
    until = _parse_day(request.GET.get("until")) or default.until
    if since > until:
        since, until = until, since
    status = request.GET.get("status", "unmatched")
    if status not in reconciliation.LINE_FILTERS:
        status = "unmatched"
    direction = request.GET.get("direction", "in")
    if direction not in reconciliation.DIRECTIONS:
        direction = "in"
    return {
        "since": since,
        "until": until,
        "status": status,
        "direction": direction,
        "query": (request.GET.get("q") or "").strip()[:100],
        "period": reconciliation.Period(since=since, until=until),
    }


def _lines(association, filters):
    return reconciliation.lines_for(
        association,
        status=filters["status"],
        direction=filters["direction"],
        query=filters["query"],
        period=filters["period"],
    )


@require(FINANCES)
def home(request, association_slug: str):
    """Expected vs received, the operations to match and their best suggestion."""
    association = request.seat.association
    filters = _filters(request)
    page = paginate(request, _lines(association, filters), LINES_PER_PAGE)
    lines = list(page.object_list)
    suggestions = reconciliation.suggestions_for_lines(association, lines, unique=True)
    for line in lines:
        found = suggestions.get(line.pk) or []
        line.suggestion = found[0] if found else None
    has_lines = BankLine.objects.filter(association=association).exists()
    late = reconciliation.awaited_payments(association).filter(
        created_at__lt=reconciliation.late_before()
    )
    context = {
        "association": association,
        "filters": filters,
        "page": page,
        "lines": lines,
        "totals": reconciliation.totals(association, filters["period"]),
        "has_lines": has_lines,
        "late_count": late.count(),
        "late_days": reconciliation.LATE_AFTER_DAYS,
        "query_string": query_without_page(request),
        "status_choices": [
            ("unmatched", _("To match")),
            ("matched", _("Matched")),
            ("ignored", _("Ignored")),
            ("all", _("All")),
        ],
        "direction_choices": [
            ("in", _("Money in")),
            ("out", _("Money out")),
            ("all", _("In and out")),
        ],
    }
    return render(request, "payments/reconciliation/home.html", context)


@require(FINANCES)
def awaited(request, association_slug: str):
    """Payments expected and not received yet, the oldest first."""
    association = request.seat.association
    query = (request.GET.get("q") or "").strip()[:100]
    page = paginate(request, reconciliation.awaited_payments(association, query=query))
    try:
        days = min(max(int(request.GET.get("days", "")), 1), 366)
    except ValueError:
        days = reconciliation.LATE_AFTER_DAYS
    late_before = reconciliation.late_before(days=days)
    for payment in page.object_list:
        payment.is_late = payment.created_at < late_before
    return render(
        request,
        "payments/reconciliation/awaited.html",
        {
            "association": association,
            "page": page,
            "query": query,
            "late_days": days,
            "query_string": query_without_page(request),
        },
    )


@require(FINANCES)
def export(request, association_slug: str):
    """The operations of the screen's filters (all pages) as CSV or Excel."""
    association = request.seat.association
    filters = _filters(request)
    # Money in and out in two columns of positive amounts, as accountants read a statement
    # (and a CSV cell starting with "-" would be taken for a formula and quoted).
    header = [
        _("Date"),
        _("Money in (€)"),
        _("Money out (€)"),
        _("Label"),
        _("Counterparty"),
        _("Reference"),
        _("Status"),
        _("Payment"),
        _("Payer"),
        _("Date of payment"),
    ]
    as_xlsx = request.GET.get("format") == "xlsx"

    def amount(cents: int):
        if not cents:
            return ""
        return Decimal(cents) / 100 if as_xlsx else format_euros(cents, sign=False)

    def day(value):
        if value is None:
            return ""
        return value if as_xlsx else value.strftime("%d/%m/%Y")

    def rows():
        for line in _lines(association, filters).iterator(chunk_size=500):
            payment = line.payment
            payer = ""
            if payment is not None:
                payer = payment.payer_name or (str(payment.person) if payment.person else "")
            yield [
                day(line.booked_on),
                amount(max(line.amount_cents, 0)),
                amount(-min(line.amount_cents, 0)),
                line.label,
                line.counterparty,
                line.reference,
                str(line.get_status_display()),
                str(payment.get_method_display()) if payment else "",
                payer,
                day(payment.paid_on) if payment else "",
            ]

    return spreadsheet_response(
        header,
        lambda _spreadsheet: rows(),
        fmt="xlsx" if as_xlsx else "csv",
        name="rapprochement",
        title=_("Bank reconciliation"),
    )


# --- Import --------------------------------------------------------------------------------


def _statement(request, statement_uuid) -> BankStatement:
    return get_object_or_404(
        BankStatement, association=request.seat.association, uuid=statement_uuid
    )


def _to_statement(statement: BankStatement, name: str = "reconciliation:statement"):
    return redirect(
        name, association_slug=statement.association.slug, statement_uuid=statement.uuid
    )


@require(FINANCES)
def statement_upload(request, association_slug: str):
    """Choose the CSV file of a statement; the statements already imported."""
    association = request.seat.association
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            statement = bank_statements.bank_statement_upload(
                association=association,
                acting_user=request.user,
                data=upload.read(),
                file_name=upload.name,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if bank_statements.needs_mapping(statement):
                return _to_statement(statement, "reconciliation:statement_mapping")
            return _to_statement(statement)
    return render(
        request,
        "payments/reconciliation/upload.html",
        {
            "association": association,
            "form": form,
            "statements": reconciliation.statements_for(association)[:20],
            "drafts": reconciliation.drafts_for(association)[:10],
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require(FINANCES)
def statement_mapping(request, association_slug: str, statement_uuid):
    """Say what each column of the file is, when Essaim was unsure."""
    association = request.seat.association
    statement = _statement(request, statement_uuid)
    if statement.status != BankStatement.Status.DRAFT:
        return _to_statement(statement)
    try:
        header = bank_statements.header_of(statement)
    except (bank_statements.FileRefused, OSError):
        messages.error(request, _("The file of this statement cannot be read any more."))
        return redirect("reconciliation:upload", association_slug=association.slug)
    mapping = {k: v for k, v in (statement.mapping or {}).items() if not k.startswith("_")}
    form = StatementMappingForm(
        request.POST if request.method == "POST" else None, header=header, mapping=mapping
    )
    if request.method == "POST" and form.is_valid():
        try:
            bank_statements.bank_statement_set_mapping(
                association=association,
                acting_user=request.user,
                statement=statement,
                mapping=form.cleaned_data["mapping"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _to_statement(statement)
    samples = _samples(statement, len(header))
    return render(
        request,
        "payments/reconciliation/mapping.html",
        {
            "association": association,
            "statement": statement,
            "form": form,
            "columns": list(zip(header, samples, strict=True)),
            "delimiter_name": bank_statements.DELIMITER_NAMES.get(
                statement.delimiter, statement.delimiter
            ),
        },
    )


def _samples(statement: BankStatement, columns: int) -> list[list[str]]:
    """Up to three example values per column, under the column titles."""
    samples: list[list[str]] = [[] for _i in range(columns)]
    try:
        text, _encoding = bank_statements.decode(bank_statements._read_file(statement))
    except (bank_statements.FileRefused, OSError):
        return samples
    taken = 0
    for index, (_line, cells) in enumerate(bank_statements._records(text, statement.delimiter)):
        if index <= statement.header_line or not any(cells):
            continue
        for position in range(min(columns, len(cells))):
            if cells[position]:
                samples[position].append(cells[position][:60])
        taken += 1
        if taken >= 3:
            break
    return samples


@require(FINANCES)
def statement_detail(request, association_slug: str, statement_uuid):
    """A draft's preview (row by row, what the import will do) and its confirmation; an
    imported statement's counts."""
    association = request.seat.association
    statement = _statement(request, statement_uuid)
    if statement.status == BankStatement.Status.DRAFT and bank_statements.needs_mapping(statement):
        return _to_statement(statement, "reconciliation:statement_mapping")
    preview = page = None
    if statement.status == BankStatement.Status.DRAFT:
        try:
            preview = bank_statements.bank_statement_preview(
                association=association, statement=statement
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
            return _to_statement(statement, "reconciliation:statement_mapping")
        except OSError:
            messages.error(request, _("The file of this statement cannot be read any more."))
            return redirect("reconciliation:upload", association_slug=association.slug)
        show = request.GET.get("show", "all")
        rows = preview.rows
        if show in (bank_statements.NEW, bank_statements.DUPLICATE, bank_statements.REJECTED):
            rows = [row for row in rows if row.outcome == show]
        page = paginate(request, rows, PREVIEW_ROWS_PER_PAGE)
    return render(
        request,
        "payments/reconciliation/statement.html",
        {
            "association": association,
            "statement": statement,
            "preview": preview,
            "page": page,
            "show": request.GET.get("show", "all"),
            "query_string": query_without_page(request),
        },
    )


@require(FINANCES)
@require_POST
def statement_import(request, association_slug: str, statement_uuid):
    association = request.seat.association
    statement = _statement(request, statement_uuid)
    try:
        statement = bank_statements.bank_statement_import(
            association=association, acting_user=request.user, statement=statement
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _to_statement(statement)
    except OSError:
        messages.error(request, _("The file of this statement cannot be read any more."))
        return redirect("reconciliation:upload", association_slug=association.slug)
    messages.success(
        request,
        _(
            "Statement imported: %(new)s new operations, %(known)s already known, "
            "%(rejected)s rows rejected."
        )
        % {
            "new": statement.lines_imported,
            "known": statement.lines_duplicate,
            "rejected": statement.lines_rejected,
        },
    )
    return redirect("reconciliation:home", association_slug=association.slug)


@require(FINANCES)
@require_POST
def statement_discard(request, association_slug: str, statement_uuid):
    association = request.seat.association
    statement = _statement(request, statement_uuid)
    try:
        bank_statements.bank_statement_discard(
            association=association, acting_user=request.user, statement=statement
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _to_statement(statement)
    messages.success(request, _("The file is discarded: nothing was imported."))
    return redirect("reconciliation:upload", association_slug=association.slug)


# --- One operation -------------------------------------------------------------------------


def _line(request, line_uuid) -> BankLine:
    return get_object_or_404(
        BankLine.objects.select_related("payment__person", "statement"),
        association=request.seat.association,
        uuid=line_uuid,
    )


def _to_line(line: BankLine):
    return redirect(
        "reconciliation:line", association_slug=line.association.slug, line_uuid=line.uuid
    )


def _render_line(request, line: BankLine, record_form=None, status=200):
    association = request.seat.association
    query = (request.GET.get("q") or "").strip()[:100]
    can_view_members = request.seat.can("can_view_members")
    suggestions = reconciliation.suggestions_for_lines(association, [line]).get(line.pk, [])
    found = reconciliation.payment_search(association, query) if query else []
    contacts = (
        reconciliation.contact_search(association, query) if query and can_view_members else []
    )
    if record_form is None:
        record_form = RecordPaymentForm(initial={"payer_name": line.counterparty})
    return render(
        request,
        "payments/reconciliation/line.html",
        {
            "association": association,
            "line": line,
            "suggestions": suggestions,
            "query": query,
            "found": [p for p in found if p.amount_cents == line.amount_cents],
            "found_other_amounts": [p for p in found if p.amount_cents != line.amount_cents],
            "contacts": contacts,
            "can_view_members": can_view_members,
            "record_form": record_form,
        },
        status=status,
    )


@require(FINANCES)
def line_detail(request, association_slug: str, line_uuid):
    return _render_line(request, _line(request, line_uuid))


def _back(request, line: BankLine):
    """Back to the screen the treasurer came from (its filters kept), or to the line."""
    target = request.POST.get("next", "")
    home = reverse("reconciliation:home", kwargs={"association_slug": line.association.slug})
    if target.startswith(home) and "//" not in target and "\\" not in target:
        return redirect(target)
    return _to_line(line)


@require(FINANCES)
@require_POST
def line_match(request, association_slug: str, line_uuid):
    association = request.seat.association
    line = _line(request, line_uuid)
    payment = Payment.objects.filter(
        association=association, uuid=uuid_or_none(request.POST.get("payment"))
    ).first()
    if payment is None:
        messages.error(request, _("Choose the payment this operation is."))
        return _to_line(line)
    try:
        reconciliation.bank_line_match(
            association=association, acting_user=request.user, line=line, payment=payment
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _to_line(line)
    messages.success(
        request,
        _("Matched: the payment of %(amount)s is received on %(day)s.")
        % {"amount": format_euros(line.amount_cents), "day": line.booked_on.strftime("%d/%m/%Y")},
    )
    return _back(request, line)


@require(FINANCES)
@require_POST
def line_record(request, association_slug: str, line_uuid):
    association = request.seat.association
    line = _line(request, line_uuid)
    form = RecordPaymentForm(request.POST)
    if not form.is_valid():
        return _render_line(request, line, record_form=form, status=400)
    person = None
    contact = form.cleaned_data.get("contact")
    if contact:
        if not request.seat.can("can_view_members"):
            form.add_error(None, _("Unknown contact."))
            return _render_line(request, line, record_form=form, status=400)
        person = Person.objects.filter(association=association, uuid=contact).first()
        if person is None:
            form.add_error(None, _("Unknown contact."))
            return _render_line(request, line, record_form=form, status=400)
    try:
        reconciliation.bank_line_record_payment(
            association=association,
            acting_user=request.user,
            line=line,
            person=person,
            payer_name=form.cleaned_data["payer_name"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return _render_line(request, line, record_form=form, status=400)
    messages.success(
        request,
        _("A transfer of %(amount)s is recorded as received and matched with this operation.")
        % {"amount": format_euros(line.amount_cents)},
    )
    return _to_line(line)


@require(FINANCES)
@require_POST
def line_ignore(request, association_slug: str, line_uuid):
    association = request.seat.association
    line = _line(request, line_uuid)
    try:
        reconciliation.bank_line_ignore(
            association=association, acting_user=request.user, line=line
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _to_line(line)
    messages.success(request, _("The operation is set aside: it is no payment to match."))
    return _back(request, line)


@require(FINANCES)
@require_POST
def line_undo(request, association_slug: str, line_uuid):
    association = request.seat.association
    line = _line(request, line_uuid)
    was_created, had_payment = line.payment_created, line.payment_id is not None
    reconciliation.bank_line_undo(association=association, acting_user=request.user, line=line)
    if was_created:
        message = _(
            "Undone: the operation is to match again, and the payment recorded from it is "
            "cancelled."
        )
    elif had_payment:
        message = _(
            "Undone: the operation is to match again. The payment it had confirmed stays "
            "received: change its status if it was not."
        )
    else:
        message = _("Undone: the operation is to match again.")
    messages.success(request, message)
    return _to_line(line)
