"""Back office of SEPA direct debit, under /a/<association>/payments/sepa/: the creditor
settings, the mandates, the debit batches (the pain.008 file for the bank, the
pre-notification of the debtors, collection) and the bank's returns.

Collecting money is the treasurer's business: every page needs `can_manage_finances`. The
rules are the services' (mandates.py); these views read the forms, call them, and tell the
debtors by e-mail in the same transaction as the change that concerns them.
"""

import datetime as dt
import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from essaim.core.audit import audit_log
from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require
from essaim.lib.money import format_euros
from essaim.lib.spreadsheets import spreadsheet_response
from essaim.lib.text import fold, search_terms
from essaim.people import services as people_services
from essaim.people.selectors import live_person, person_matches

from . import debit_sources, mandates
from .models import DebitBatch, DirectDebit, Mandate, Payment
from .sepa_forms import (
    CollectionDayForm,
    CreditorSettingsForm,
    MandateForm,
    NewDebtorForm,
    ReturnsImportForm,
    RevokeForm,
)

logger = logging.getLogger(__name__)

FINANCES = "can_manage_finances"
ERRORS_SHOWN = 20


def _context(request, tab: str, **extra) -> dict:
    return {"association": request.seat.association, "tab": tab, **extra}


# --- Creditor settings --------------------------------------------------------------------


@require(FINANCES)
def creditor_settings(request, association_slug: str):
    association = request.seat.association
    creditor = mandates.creditor_settings_of(association)
    form = CreditorSettingsForm(request.POST or None, creditor=creditor)
    if request.method == "POST" and form.is_valid():
        try:
            mandates.creditor_settings_save(
                association=association, acting_user=request.user, **form.service_fields()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The SEPA creditor settings are saved."))
            return redirect("payments_admin:sepa_batches", association_slug=association.slug)
    return render(
        request,
        "payments/sepa/settings.html",
        _context(request, "settings", form=form, creditor=creditor),
    )


# --- Mandates -----------------------------------------------------------------------------


def _mandate_filters(request) -> dict:
    status = request.GET.get("status", "")
    return {
        "query": request.GET.get("q", "")[:200],
        "status": status if status in Mandate.Status.values else "",
    }


def _mandate_search(association, filters: dict):
    found = mandates.mandates_for(association=association, status=filters["status"] or None)
    query = filters["query"].strip()
    if query:
        # A reference (RUM) as typed, or every word in the account holder's or contact's name.
        by_name = Q()
        for term in search_terms(query):
            by_name &= Q(debtor_name__icontains=term) | Q(person__search_text__contains=term)
        found = found.filter(Q(rum__icontains=query) | by_name)
    return found.select_related("person")


@require(FINANCES)
def mandate_list(request, association_slug: str):
    association = request.seat.association
    filters = _mandate_filters(request)
    page = paginate(request, _mandate_search(association, filters))
    counts = Mandate.objects.filter(association=association).aggregate(
        total=Count("id"),
        **{status: Count("id", filter=Q(status=status)) for status in Mandate.Status.values},
    )
    for mandate in page.object_list:
        # "Helene Dupre" as the bank writes it is the contact "Hélène Dupré": said once.
        mandate.holder_differs = bool(mandate.person) and fold(mandate.person.full_name) != fold(
            mandate.debtor_name
        )
    statuses = [
        {"value": value, "label": label, "count": counts[value]}
        for value, label in Mandate.Status.choices
    ]
    return render(
        request,
        "payments/sepa/mandates.html",
        _context(
            request,
            "mandates",
            page=page,
            filters=filters,
            query_string=query_without_page(request),
            statuses=statuses,
            total=counts["total"],
        ),
    )


@require(FINANCES)
def mandate_export(request, association_slug: str):
    """The mandates as a spreadsheet, without any bank details (nor the end of the IBAN)."""
    association = request.seat.association
    filters = _mandate_filters(request)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    found = _mandate_search(association, filters)
    audit_log(
        association=association,
        actor=request.user,
        action="sepa.mandate_export",
        object_type="mandate",
        object_repr=_("SEPA mandates"),
        data={"format": fmt, "status": filters["status"]},
    )
    header = [
        _("Mandate reference (RUM)"),
        _("Account holder"),
        _("Contact"),
        _("E-mail"),
        _("Kind"),
        _("Status"),
        _("Signed on"),
        _("Last collection"),
        _("Revoked on"),
    ]

    def rows(spreadsheet: bool):
        def day(value):
            if value is None:
                return ""
            return value if spreadsheet else value.strftime("%d/%m/%Y")

        for mandate in found.iterator(chunk_size=500):
            person = mandate.person
            yield [
                mandate.rum,
                mandate.debtor_name,
                person.full_name if person else "",
                person.email if person else "",
                mandate.get_kind_display(),
                mandate.get_status_display(),
                day(mandate.signed_on),
                day(mandate.last_used_on),
                day(timezone.localtime(mandate.revoked_at).date() if mandate.revoked_at else None),
            ]

    return spreadsheet_response(
        header, rows, fmt=fmt, name="mandats-sepa", title=_("SEPA mandates")
    )


@require(FINANCES)
def debtor_search(request, association_slug: str):
    """The contacts matching what is typed in the debtor search of the mandate form (htmx)."""
    association = request.seat.association
    query = request.GET.get("debtor_q", "")[:200]
    return render(
        request,
        "payments/sepa/_debtor_results.html",
        {
            "association": association,
            "debtor_q": query,
            "matches": person_matches(association, query),
            "selected": None,
        },
    )


@require(FINANCES)
def mandate_create(request, association_slug: str):
    """Record a signed mandate: its debtor (a contact found by search, or a new one), then
    the account and the date of signature."""
    association = request.seat.association
    form = MandateForm(request.POST or None)
    debtor_form = NewDebtorForm(request.POST or None)
    source = request.POST if request.method == "POST" else request.GET
    debtor_q = request.GET.get("debtor_q", "")[:200]
    chosen = source.get("person", "")[:64]
    selected = live_person(association, chosen)
    if request.method == "POST":
        mandate = _mandate_already_saved(request, association) or _mandate_save(
            request, association, form, debtor_form, chosen, selected
        )
        if mandate is not None:
            _remember_form(request, mandate)
            messages.success(
                request,
                _("The mandate is recorded with the reference %(rum)s.") % {"rum": mandate.rum},
            )
            return redirect(
                "payments_admin:sepa_mandate",
                association_slug=association.slug,
                mandate_uuid=mandate.uuid,
            )
    matches = [m for m in person_matches(association, debtor_q) if m != selected]
    return render(
        request,
        "payments/sepa/mandate_form.html",
        _context(
            request,
            "mandates",
            form=form,
            debtor_form=debtor_form,
            debtor_q=debtor_q,
            selected=selected,
            matches=matches,
            all_forms=[form, debtor_form],
            error_count=sum(len(f.errors) for f in (form, debtor_form)),
            new_debtor_open=bool(debtor_form.errors)
            or any(source.get(f"new-{name}", "").strip() for name in debtor_form.fields),
        ),
    )


SAVED_FORMS = "sepa_mandate_forms"


def _mandate_already_saved(request, association) -> Mandate | None:
    """The mandate this same form already recorded (a double click, a form sent again):
    the form carries a token chosen when it was shown, remembered once it is saved."""
    token = request.POST.get("form_token", "")[:64]
    saved = request.session.get(SAVED_FORMS, {}).get(token) if token else None
    if saved is None:
        return None
    return Mandate.objects.filter(association=association, uuid=saved).first()


def _remember_form(request, mandate: Mandate) -> None:
    token = request.POST.get("form_token", "")[:64]
    if not token:
        return
    saved = request.session.get(SAVED_FORMS, {})
    saved = dict(list(saved.items())[-19:])  # the last 20 forms are enough
    saved[token] = str(mandate.uuid)
    request.session[SAVED_FORMS] = saved


def _mandate_save(request, association, form, debtor_form, chosen, selected) -> Mandate | None:
    if not (form.is_valid() & debtor_form.is_valid()):
        return None
    if chosen and selected is None:
        form.add_error(None, _("This contact no longer exists: search for the debtor again."))
        return None
    creating = selected is None and debtor_form.has_content()
    if selected is None and not creating:
        form.add_error(
            None, _("Choose the debtor among your contacts, or enter a new debtor's name.")
        )
        return None
    if creating and not (
        debtor_form.cleaned_data["first_name"] or debtor_form.cleaned_data["last_name"]
    ):
        debtor_form.add_error("last_name", _("Give the new debtor's name."))
        return None
    try:
        with transaction.atomic():
            person = selected
            if creating:
                try:
                    person = people_services.person_create(
                        association=association,
                        acting_user=request.user,
                        **debtor_form.service_fields(),
                    )
                except ValidationError as error:
                    debtor_form.add_service_errors(error)
                    raise
            return mandates.mandate_create(
                association=association,
                acting_user=request.user,
                person=person,
                **form.service_fields(),
            )
    except ValidationError as error:
        if not debtor_form.errors:
            form.add_service_errors(error)
        return None


def _mandate(request, mandate_uuid) -> Mandate:
    return get_object_or_404(
        Mandate.objects.select_related("person", "created_by"),
        association=request.seat.association,
        uuid=mandate_uuid,
    )


@require(FINANCES)
def mandate_detail(request, association_slug: str, mandate_uuid):
    mandate = _mandate(request, mandate_uuid)
    debits = list(
        DirectDebit.objects.filter(association=request.seat.association, mandate=mandate)
        .select_related("batch", "payment")
        .order_by("-batch__collection_date", "-id")
    )
    return render(
        request,
        "payments/sepa/mandate_detail.html",
        _context(
            request,
            "mandates",
            mandate=mandate,
            debits=debits,
            problem=mandates.mandate_usable_error(mandate, timezone.localdate())
            if mandate.status == Mandate.Status.ACTIVE
            else "",
            can_view_members=request.seat.can("can_view_members"),
        ),
    )


@require(FINANCES)
def mandate_revoke(request, association_slug: str, mandate_uuid):
    """Revoke a mandate: a page that asks for confirmation, then the POST that revokes."""
    association = request.seat.association
    mandate = _mandate(request, mandate_uuid)
    form = RevokeForm(request.POST if request.method == "POST" else None)
    if mandate.status == Mandate.Status.REVOKED:
        messages.info(request, _("This mandate is already revoked."))
        return redirect(
            "payments_admin:sepa_mandate",
            association_slug=association.slug,
            mandate_uuid=mandate.uuid,
        )
    if request.method == "POST" and form.is_valid():
        mandates.mandate_revoke(association=association, acting_user=request.user, mandate=mandate)
        messages.success(
            request,
            _("Mandate %(rum)s is revoked: it will never be debited again.") % {"rum": mandate.rum},
        )
        return redirect(
            "payments_admin:sepa_mandate",
            association_slug=association.slug,
            mandate_uuid=mandate.uuid,
        )
    pending = Payment.objects.filter(
        association=association, sepa_debit__mandate=mandate, status=Payment.Status.PENDING
    ).count()
    return render(
        request,
        "payments/sepa/mandate_revoke.html",
        _context(request, "mandates", mandate=mandate, form=form, pending=pending),
    )


# --- Debit batches ------------------------------------------------------------------------


@require(FINANCES)
def batch_list(request, association_slug: str):
    association = request.seat.association
    today = timezone.localdate()
    batches = DebitBatch.objects.filter(association=association).annotate(
        failed=Count("debits", filter=Q(debits__payment__status=Payment.Status.FAILED))
    )
    page = paginate(request, batches.order_by("-collection_date", "-id"))
    return render(
        request,
        "payments/sepa/batches.html",
        _context(
            request,
            "batches",
            page=page,
            query_string=query_without_page(request),
            creditor=mandates.creditor_settings_of(association),
            has_mandates=Mandate.objects.filter(association=association).exists(),
            today=today,
        ),
    )


def _due_lines(association, collection_date: dt.date) -> list[dict]:
    """What the registered sources say is due on `collection_date`, each with why it cannot
    be debited (a revoked mandate…) or ""."""
    today = timezone.localdate()
    lines = []
    for due in debit_sources.due_debits(association, collection_date):
        mandate = due.mandate
        problem = mandates.mandate_usable_error(mandate, today)
        if not problem and mandate.signed_on > collection_date:
            problem = _("The mandate is signed after the day of collection.")
        lines.append({"due": due, "problem": problem})
    return lines


def _already_debited(association, keys: list[str]) -> DebitBatch | None:
    """The one batch every key of `keys` was already debited in (a form sent twice)."""
    if not keys:
        return None
    batch_ids = set(
        DirectDebit.objects.filter(
            association=association, payment__idempotency_key__in=keys
        ).values_list("batch_id", flat=True)
    )
    debited = Payment.objects.filter(
        association=association, idempotency_key__in=keys, sepa_debit__isnull=False
    ).count()
    if len(batch_ids) == 1 and debited == len(set(keys)):
        return DebitBatch.objects.get(association=association, pk=batch_ids.pop())
    return None


@require(FINANCES)
def batch_create(request, association_slug: str):
    """Choose the day of collection, see what is due that day, tick what to debit, build
    the file; every debtor with an e-mail address is told of their debit beforehand."""
    association = request.seat.association
    creditor = mandates.creditor_settings_of(association)
    if creditor is None:
        messages.warning(
            request, _("Fill in your SEPA creditor settings before collecting debits.")
        )
        return redirect("payments_admin:sepa_settings", association_slug=association.slug)
    earliest = mandates.earliest_collection_date(creditor)
    if request.method == "POST":
        bound = request.POST  # a batch is never built for a day the treasurer did not give
    else:
        bound = request.GET if "collection_date" in request.GET else None
    day_form = CollectionDayForm(bound, earliest=earliest, initial={"collection_date": earliest})
    collection_date = day_form.cleaned_data["collection_date"] if day_form.is_valid() else None
    if not day_form.is_bound:
        collection_date = earliest
    lines = _due_lines(association, collection_date) if collection_date else []
    errors: list[str] = []
    if request.method == "POST" and collection_date:
        chosen = [key[:255] for key in request.POST.getlist("debit")]
        batch = _batch_save(request, association, collection_date, lines, chosen, errors)
        if batch is not None:
            return redirect(
                "payments_admin:sepa_batch",
                association_slug=association.slug,
                batch_uuid=batch.uuid,
            )
        checked = set(chosen)
    else:
        checked = {line["due"].key for line in lines if not line["problem"]}
    for line in lines:
        line["checked"] = line["due"].key in checked and not line["problem"]
    debitable = [line for line in lines if not line["problem"]]
    return render(
        request,
        "payments/sepa/batch_form.html",
        _context(
            request,
            "batches",
            creditor=creditor,
            day_form=day_form,
            collection_date=collection_date,
            earliest=earliest,
            lines=lines,
            count=len(debitable),
            total_cents=sum(line["due"].amount_cents for line in debitable),
            errors=errors[:ERRORS_SHOWN],
            more_errors=max(0, len(errors) - ERRORS_SHOWN),
        ),
    )


def _batch_save(request, association, collection_date, lines, chosen, errors) -> DebitBatch | None:
    if not chosen:
        errors.append(_("Tick at least one debit."))
        return None
    existing = _already_debited(association, chosen)
    if existing is not None:
        messages.info(request, _("These debits are already in this batch."))
        return existing
    by_key = {line["due"].key: line for line in lines}
    gone = [key for key in chosen if key not in by_key or by_key[key]["problem"]]
    if gone:
        errors.append(
            _(
                "Some ticked debits are no longer due on this day (already debited, or their "
                "mandate changed): check the list again."
            )
        )
        return None
    started = timezone.now()
    try:
        with transaction.atomic():
            batch = mandates.debit_batch_create(
                association=association,
                acting_user=request.user,
                collection_date=collection_date,
                items=[by_key[key]["due"].item() for key in dict.fromkeys(chosen)],
            )
            # A batch built by a request sent at the same time comes back as it is: its
            # debtors were told by that request.
            new = batch.created_at >= started
            queued, missing = (
                mandates.debit_batch_prenotify(association=association, batch=batch)
                if new
                else (0, 0)
            )
    except ValidationError as error:
        errors.extend(error.messages)
        return None
    if not new:
        messages.info(request, _("These debits are already in this batch."))
        return batch
    text = ngettext(
        "The file of %(count)d debit (%(total)s) is ready: download it and send it to your bank.",
        "The file of %(count)d debits (%(total)s) is ready: download it and send it to your bank.",
        batch.count,
    ) % {"count": batch.count, "total": format_euros(batch.total_cents)}
    if queued:
        text += " " + ngettext(
            "%(count)d debtor is told of the debit by e-mail.",
            "%(count)d debtors are told of their debit by e-mail.",
            queued,
        ) % {"count": queued}
    messages.success(request, text)
    if missing:
        messages.warning(
            request,
            ngettext(
                "%(count)d debtor has no e-mail address: tell them of the debit another way "
                "before the day of collection.",
                "%(count)d debtors have no e-mail address: tell them of their debit another "
                "way before the day of collection.",
                missing,
            )
            % {"count": missing},
        )
    return batch


def _batch(request, batch_uuid) -> DebitBatch:
    return get_object_or_404(
        DebitBatch.objects.select_related("created_by"),
        association=request.seat.association,
        uuid=batch_uuid,
    )


def _batch_page(request, batch: DebitBatch, *, returns_form=None, errors=None, status=200):
    association = request.seat.association
    debits = list(
        DirectDebit.objects.filter(association=association, batch=batch)
        .select_related("mandate__person", "payment")
        .order_by("id")
    )
    today = timezone.localdate()
    errors = errors or []
    return render(
        request,
        "payments/sepa/batch_detail.html",
        _context(
            request,
            "batches",
            batch=batch,
            debits=debits,
            failed=[d for d in debits if d.payment.status == Payment.Status.FAILED],
            can_collect=batch.status == DebitBatch.Status.EXPORTED
            and batch.collection_date <= today,
            returns_form=returns_form or ReturnsImportForm(),
            errors=errors[:ERRORS_SHOWN],
            more_errors=max(0, len(errors) - ERRORS_SHOWN),
        ),
        status=status,
    )


@require(FINANCES)
def batch_detail(request, association_slug: str, batch_uuid):
    return _batch_page(request, _batch(request, batch_uuid))


@require(FINANCES)
def batch_file(request, association_slug: str, batch_uuid):
    """The pain.008 file exactly as it was built (the stored file, never built again)."""
    association = request.seat.association
    batch = _batch(request, batch_uuid)
    try:
        handle = batch.file.open("rb")
    except (OSError, ValueError) as error:
        logger.warning("debit batch %s: file missing (%s)", batch.uuid, error)
        raise Http404 from error
    audit_log(
        association=association,
        actor=request.user,
        action="sepa.batch_download",
        obj=batch,
        data={"sha256": batch.sha256},
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"prelevements-{batch.collection_date.isoformat()}.xml",
        content_type="application/xml",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require(FINANCES)
@require_POST
def batch_collected(request, association_slug: str, batch_uuid):
    association = request.seat.association
    batch = _batch(request, batch_uuid)
    try:
        batch = mandates.debit_batch_mark_collected(
            association=association, acting_user=request.user, batch=batch
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The debits of %(date)s are marked collected: their payments are received.")
            % {"date": batch.collection_date.strftime("%d/%m/%Y")},
        )
    return redirect(
        "payments_admin:sepa_batch", association_slug=association.slug, batch_uuid=batch.uuid
    )


def _code_ok(code: str) -> bool:
    # The rule of mandates.debit_returns_import, checked first to report by line of the file.
    return len(code) == 4 and code.isascii() and code.isalnum()


def _check_returns(association, lines) -> tuple[list[str], dict[str, DirectDebit]]:
    """The problems of a parsed report, by line of the file, and its debits by reference."""
    references = {line.reference for line in lines}
    debits = {
        debit.end_to_end_id: debit
        for debit in DirectDebit.objects.filter(
            association=association, end_to_end_id__in=references
        ).select_related("batch", "payment", "mandate")
    }
    valid_codes = [line for line in lines if _code_ok(line.code)]
    if not debits and not valid_codes:
        return [
            _(
                "This does not look like a returns report: each line needs the end-to-end "
                "reference of a debit (as in the file sent to the bank) and the bank's reason "
                "code (AM04…)."
            )
        ], debits
    errors = []
    for line in lines:
        if line.reference not in debits:
            errors.append(
                _("Line %(number)d: no debit has the reference “%(reference)s”.")
                % {"number": line.number, "reference": line.reference[:35] or "—"}
            )
        elif not _code_ok(line.code):
            errors.append(
                _("Line %(number)d: “%(code)s” is not a reason code (4 letters or digits: AM04…).")
                % {"number": line.number, "code": line.code[:10] or "—"}
            )
    return errors, debits


@require(FINANCES)
@require_POST
def returns_import(request, association_slug: str, batch_uuid):
    """Import the debits the debtors' banks rejected or returned (any batch of the
    association: a bank's report may cover several), then tell each debtor by e-mail."""
    association = request.seat.association
    batch = _batch(request, batch_uuid)
    form = ReturnsImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _batch_page(request, batch, returns_form=form)
    lines = form.cleaned_data["parsed"]
    errors, debits = _check_returns(association, lines)
    if errors:
        return _batch_page(request, batch, returns_form=form, errors=errors)
    codes = {line.reference: line.code.upper() for line in lines}
    already = {
        reference
        for reference, debit in debits.items()
        if debit.payment.status == Payment.Status.FAILED
    }
    try:
        with transaction.atomic():
            failed = mandates.debit_returns_import(
                association=association,
                acting_user=request.user,
                rows=[(line.reference, line.code) for line in lines],
            )
            emailed = mandates.debit_returns_notify(
                association=association, payments=failed, codes=codes
            )
    except ValidationError as error:
        return _batch_page(request, batch, returns_form=form, errors=error.messages)
    failed_ids = {payment.pk for payment in failed}
    returned = [debit for debit in debits.values() if debit.payment_id in failed_ids]
    returned.sort(key=lambda debit: (debit.batch.collection_date, debit.id))
    for debit in returned:
        debit.code = codes[debit.end_to_end_id]
        debit.reason = mandates.return_reason(debit.code)
    return render(
        request,
        "payments/sepa/returns_done.html",
        _context(
            request,
            "batches",
            batch=batch,
            returned=returned,
            returned_cents=sum(debit.amount_cents for debit in returned),
            skipped=len(already),
            emailed=emailed,
        ),
    )
