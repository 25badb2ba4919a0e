"""Back office of gifts and tax receipts: gifts, receipts, annual receipts, settings.

Money is the treasurer's (`can_manage_finances`): gifts. Receipts are a legal document
with a capability of their own (`can_issue_receipts`): issuing, cancelling, settings, the
annual run, downloading them.
"""

import datetime as dt
import logging
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.audit import audit_log
from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require
from essaim.lib.money import format_euros
from essaim.lib.spreadsheets import spreadsheet_response
from essaim.lib.text import search_terms
from essaim.payments.models import Payment
from essaim.people import services as people_services
from essaim.people.selectors import live_person, person_matches

from . import notices, selectors, services, tax_rates
from .forms import (
    CancelForm,
    FiscalSettingsForm,
    GiftForm,
    IssueForm,
    NewDonorForm,
    ReceiptRunForm,
)
from .models import Gift, OrganismCategory, ReceiptRun, TaxReceipt

logger = logging.getLogger(__name__)

FINANCES = "can_manage_finances"
RECEIPTS = "can_issue_receipts"
# A run whose worker has not reported for this long has most likely died with its server.
COMPANY_FIELDS = ("donor_kind", "company_name", "company_siren", "company_legal_form")


def _years(today: dt.date, count: int = 7) -> list[int]:
    return list(range(today.year, today.year - count, -1))


def _int_or_none(value) -> int | None:
    try:
        number = int(str(value)[:6])
    except (TypeError, ValueError):
        return None
    return number if 1900 <= number <= 9999 else None


def _year_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _valid_links():
    return TaxReceipt.gifts.through.objects.filter(
        gift_id=OuterRef("pk"), taxreceipt__status=TaxReceipt.Status.VALID
    )


# --- Gifts --------------------------------------------------------------------------------


def _gift_filters(request, today: dt.date) -> dict:
    year = request.GET.get("year", str(today.year))
    nature = request.GET.get("nature", "")
    receipt = request.GET.get("receipt", "")
    return {
        "query": request.GET.get("q", "")[:200],
        "year": _int_or_none(year) if year != "all" else None,
        "all_years": year == "all",
        "nature": nature if nature in Gift.Nature.values else "",
        "receipt": receipt if receipt in ("none", "issued") else "",
    }


def _gift_search(association, filters: dict):
    gifts = selectors.gifts_of(association)
    for term in search_terms(filters["query"]):
        gifts = gifts.filter(
            Q(person__search_text__contains=term) | Q(company_name__icontains=term)
        )
    if filters["year"]:
        gifts = gifts.filter(received_on__range=_year_range(filters["year"]))
    if filters["nature"]:
        gifts = gifts.filter(nature=filters["nature"])
    links = _valid_links()
    gifts = gifts.annotate(
        receipt_number=Subquery(links.values("taxreceipt__number")[:1]),
        receipt_uuid=Subquery(links.values("taxreceipt__uuid")[:1]),
    )
    if filters["receipt"] == "none":  # still to receipt: anonymous gifts never will be
        gifts = gifts.exclude(Exists(links)).filter(person__isnull=False)
    elif filters["receipt"] == "issued":
        gifts = gifts.filter(Exists(links))
    return gifts.order_by("-received_on", "-id")


def _year_totals(association, year: int) -> dict:
    """What came in during `year`: gifts whose money was received (or not money)."""
    gifts = Gift.objects.filter(
        association=association, received_on__range=_year_range(year)
    ).filter(Q(payment__isnull=True) | Q(payment__status=Payment.Status.SUCCEEDED))
    figures = gifts.aggregate(
        total=Sum("amount_cents"),
        count=Count("id"),
        donors=Count("person", distinct=True),
        without_receipt=Count("id", filter=Q(person__isnull=False) & ~Exists(_valid_links())),
    )
    return {
        "year": year,
        "total_cents": figures["total"] or 0,
        "count": figures["count"],
        "donors": figures["donors"],
        "without_receipt": figures["without_receipt"],
    }


@require(FINANCES)
def gift_list(request, association_slug: str):
    association = request.seat.association
    today = timezone.localdate()
    filters = _gift_filters(request, today)
    page = paginate(request, _gift_search(association, filters))
    context = {
        "association": association,
        "page": page,
        "filters": filters,
        "query_string": query_without_page(request),
        "years": _years(today),
        "natures": Gift.Nature.choices,
        "totals": None
        if request.htmx
        else _year_totals(association, filters["year"] or today.year),
        "has_gifts": True
        if request.htmx
        else Gift.objects.filter(association=association).exists(),
    }
    template = "fundraising/_gift_results.html" if request.htmx else "fundraising/gifts.html"
    return render(request, template, context)


def _gift_rows(gifts, spreadsheet: bool):
    for gift in gifts:
        person = gift.person
        amount = (
            Decimal(gift.amount_cents) / 100
            if spreadsheet
            else format_euros(gift.amount_cents, sign=False)
        )
        yield [
            gift.received_on.strftime("%d/%m/%Y") if not spreadsheet else gift.received_on,
            person.last_name if person else "",
            person.first_name if person else "",
            gift.company_name,
            person.email if person else "",
            amount,
            gift.get_nature_display(),
            gift.get_form_display(),
            gift.payment.get_method_display() if gift.payment else "",
            gift.payment.get_status_display() if gift.payment else "",
            gift.payment.reference if gift.payment else "",
            gift.description,
            gift.receipt_number or "",
            gift.note,
            gift.campaign.title if gift.campaign else "",
            gift.source,
        ]


@require(FINANCES)
def gift_export(request, association_slug: str):
    association = request.seat.association
    filters = _gift_filters(request, timezone.localdate())
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    gifts = _gift_search(association, filters).select_related("campaign")
    audit_log(
        association=association,
        actor=request.user,
        action="gift.export",
        object_type="gift",
        object_repr=_("Gifts"),
        data={"format": fmt, "year": filters["year"]},
    )
    header = [
        _("Date"),
        _("Last name"),
        _("First name"),
        _("Company"),
        _("E-mail"),
        _("Amount (€)"),
        _("Nature"),
        _("Form"),
        _("Payment method"),
        _("Payment status"),
        _("Reference"),
        _("Description"),
        _("Tax receipt"),
        _("Note"),
        _("Campaign"),
        _("Source"),
    ]
    return spreadsheet_response(
        header,
        lambda spreadsheet: _gift_rows(gifts.iterator(chunk_size=500), spreadsheet),
        fmt=fmt,
        name="dons",
        title=_("Gifts"),
    )


@require(FINANCES)
def donor_search(request, association_slug: str):
    """The contacts matching what is typed in the donor search of the gift form (htmx)."""
    association = request.seat.association
    query = request.GET.get("donor_q", "")[:200]
    return render(
        request,
        "fundraising/_donor_results.html",
        {
            "association": association,
            "donor_q": query,
            "matches": person_matches(association, query),
            "selected": None,
        },
    )


def _existing_gift(association, key: str) -> Gift | None:
    """The gift already recorded by this same form (a double click, a resent form)."""
    if not key:
        return None
    return Gift.objects.filter(association=association, payment__idempotency_key=key).first()


@require(FINANCES)
def gift_create(request, association_slug: str):
    """Record a gift: its donor (a contact found by search, or a new one), then the gift."""
    association = request.seat.association
    form = GiftForm(request.POST or None)
    donor_form = NewDonorForm(request.POST or None)
    source = request.POST if request.method == "POST" else request.GET
    donor_q = request.GET.get("donor_q", "")[:200]
    chosen = source.get("person", "")[:64]
    selected = live_person(association, chosen)
    if request.method == "POST":
        gift = _gift_save(request, association, form, donor_form, chosen, selected)
        if gift is not None:
            return redirect(
                "fundraising:gift_detail", association_slug=association.slug, gift_uuid=gift.uuid
            )
    matches = [m for m in person_matches(association, donor_q) if m != selected]
    return render(
        request,
        "fundraising/gift_form.html",
        {
            "association": association,
            "form": form,
            "donor_form": donor_form,
            "donor_q": donor_q,
            "selected": selected,
            "matches": matches,
            "all_forms": [form, donor_form],
            "error_count": sum(len(f.errors) for f in (form, donor_form)),
            "company_open": source.get("donor_kind") == Gift.DonorKind.COMPANY
            or any(form.errors.get(name) for name in COMPANY_FIELDS),
            "new_donor_open": any(
                value.strip()
                for key, value in source.items()
                if key.startswith("new-") and key != "new-country"
            ),
        },
    )


def _gift_save(request, association, form, donor_form, chosen, selected) -> Gift | None:
    forms_valid = form.is_valid() & donor_form.is_valid()
    if not forms_valid:
        return None
    data = form.cleaned_data
    if chosen and selected is None:
        form.add_error(None, _("This contact no longer exists: search for the donor again."))
        return None
    creating = selected is None and donor_form.has_content()
    if selected is None and not creating and not data["anonymous"]:
        form.add_error(
            None,
            _(
                "Choose the donor among your contacts, or enter a new contact "
                "(or tick “anonymous”)."
            ),
        )
        return None
    existing = _existing_gift(association, data["idempotency_key"])
    if existing is not None and existing.amount_cents == data["amount_cents"]:
        return existing  # another amount: the service says the key was used for another
    try:
        with transaction.atomic():
            person = selected
            if creating:
                try:
                    person = people_services.person_create(
                        association=association,
                        acting_user=request.user,
                        **donor_form.service_fields(),
                    )
                except ValidationError as error:
                    donor_form.add_service_errors(error)
                    raise
            gift = services.gift_record(
                association=association,
                acting_user=request.user,
                person=person,
                idempotency_key=data["idempotency_key"]
                if data["nature"] == Gift.Nature.MONEY
                else "",
                **form.service_fields(),
            )
    except ValidationError as error:
        if not donor_form.errors:
            form.add_service_errors(error)
        return None
    messages.success(
        request,
        _("The gift of %(amount)s is recorded.") % {"amount": format_euros(gift.amount_cents)},
    )
    return gift


def _gift(request, gift_uuid) -> Gift:
    return get_object_or_404(
        Gift.objects.select_related("person", "payment", "recorded_by"),
        association=request.seat.association,
        uuid=gift_uuid,
    )


def _cost_after_reduction(association, gift: Gift) -> int | None:
    """What the gift costs an individual who pays enough income tax, or None."""
    if gift.donor_kind != Gift.DonorKind.INDIVIDUAL:
        return None
    fiscal = services.fiscal_settings_for(association)
    if not (fiscal.eligible and fiscal.article_200):
        return None
    try:
        return tax_rates.cost_after_reduction_cents(
            gift.amount_cents,
            gift.received_on.year,
            aid=fiscal.category == OrganismCategory.FOOD_AID,
        )
    except LookupError:
        return None


@require(FINANCES)
def gift_detail(request, association_slug: str, gift_uuid):
    association = request.seat.association
    gift = _gift(request, gift_uuid)
    receipts = list(gift.receipts.select_related("replaces").order_by("-issued_at", "-id"))
    can_issue = request.seat.can(RECEIPTS)
    return render(
        request,
        "fundraising/gift_detail.html",
        {
            "association": association,
            "gift": gift,
            "receipts": receipts,
            "valid_receipt": next((r for r in receipts if r.is_valid), None),
            "problems": services.receipt_problems(association) if can_issue else [],
            "issue_form": IssueForm(),
            "cost_cents": _cost_after_reduction(association, gift),
        },
    )


@require(RECEIPTS)
@require_POST
def gift_receipt_issue(request, association_slug: str, gift_uuid):
    association = request.seat.association
    gift = _gift(request, gift_uuid)
    form = IssueForm(request.POST)
    send = form.is_valid() and form.cleaned_data["send_email"]
    try:
        with transaction.atomic():
            receipt = services.receipt_issue(
                association=association, acting_user=request.user, gifts=[gift]
            )
            sent = notices.receipts_email(association, [receipt]) if send else 0
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(
            "fundraising:gift_detail", association_slug=association.slug, gift_uuid=gift.uuid
        )
    text = _("Tax receipt n° %(number)s issued.") % {"number": receipt.number}
    if sent:
        text += " " + _("It is sent to the donor by e-mail.")
    elif send:
        text += " " + _("The donor has no e-mail address: download it and post it.")
    messages.success(request, text)
    return redirect(
        "fundraising:receipt_detail", association_slug=association.slug, receipt_uuid=receipt.uuid
    )


# --- Receipts -----------------------------------------------------------------------------


def _receipt_filters(request, today: dt.date) -> dict:
    year = request.GET.get("year", "all")
    status = request.GET.get("status", "")
    return {
        "query": request.GET.get("q", "")[:200],
        "year": _int_or_none(year),
        "status": status if status in TaxReceipt.Status.values else "",
    }


def _receipt_search(association, filters: dict):
    receipts = selectors.receipts_of(association)
    query = filters["query"].strip()
    if query:
        # A receipt number ("2026-000042") as typed, or every word in the donor's name.
        by_donor = Q()
        for term in search_terms(query):
            by_donor &= Q(person__search_text__contains=term) | Q(
                donor__company_name__icontains=term
            )
        receipts = receipts.filter(Q(number__startswith=query) | by_donor)
    if filters["year"]:
        receipts = receipts.filter(year=filters["year"])
    if filters["status"]:
        receipts = receipts.filter(status=filters["status"])
    return receipts.order_by("-year", "-sequence")


@require(RECEIPTS)
def receipt_list(request, association_slug: str):
    association = request.seat.association
    today = timezone.localdate()
    filters = _receipt_filters(request, today)
    declaration_year = _int_or_none(request.GET.get("declaration")) or today.year - 1
    page = paginate(request, _receipt_search(association, filters))
    context = {
        "association": association,
        "page": page,
        "filters": filters,
        "query_string": query_without_page(request),
        "years": _years(today),
        "statuses": TaxReceipt.Status.choices,
        "problems": [] if request.htmx else services.receipt_problems(association),
        "declaration": None
        if request.htmx
        else selectors.declaration_222_bis(association, declaration_year),
        "has_receipts": True
        if request.htmx
        else TaxReceipt.objects.filter(association=association).exists(),
    }
    template = "fundraising/_receipt_results.html" if request.htmx else "fundraising/receipts.html"
    return render(request, template, context)


def _receipt_rows(receipts, spreadsheet: bool):
    from .templatetags.essaim_fundraising import donor_address, donor_name

    for receipt in receipts:
        donor = receipt.donor if isinstance(receipt.donor, dict) else {}
        yield [
            receipt.number,
            timezone.localtime(receipt.issued_at).date()
            if spreadsheet
            else timezone.localtime(receipt.issued_at).strftime("%d/%m/%Y"),
            receipt.get_status_display(),
            receipt.get_kind_display(),
            donor_name(donor),
            donor.get("company_siren", ""),
            donor_address(donor),
            Decimal(receipt.amount_cents) / 100
            if spreadsheet
            else format_euros(receipt.amount_cents, sign=False),
            receipt.first_gift_on if spreadsheet else receipt.first_gift_on.strftime("%d/%m/%Y"),
            receipt.last_gift_on if spreadsheet else receipt.last_gift_on.strftime("%d/%m/%Y"),
            receipt.replaces.number if receipt.replaces_id else "",
            receipt.cancel_reason,
        ]


@require(RECEIPTS)
def receipt_export(request, association_slug: str):
    association = request.seat.association
    filters = _receipt_filters(request, timezone.localdate())
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    receipts = _receipt_search(association, filters)
    audit_log(
        association=association,
        actor=request.user,
        action="receipt.export",
        object_type="taxreceipt",
        object_repr=_("Tax receipts"),
        data={"format": fmt, "year": filters["year"]},
    )
    header = [
        _("Number"),
        _("Issued on"),
        _("Status"),
        _("Kind"),
        _("Donor"),
        _("SIREN"),
        _("Address"),
        _("Amount (€)"),
        _("First gift"),
        _("Last gift"),
        _("Replaces"),
        _("Reason for cancelling"),
    ]
    return spreadsheet_response(
        header,
        lambda spreadsheet: _receipt_rows(receipts.iterator(chunk_size=500), spreadsheet),
        fmt=fmt,
        name="recus-fiscaux",
        title=_("Tax receipts"),
    )


def _receipt(request, receipt_uuid) -> TaxReceipt:
    return get_object_or_404(
        TaxReceipt.objects.select_related("person", "replaces", "issued_by"),
        association=request.seat.association,
        uuid=receipt_uuid,
    )


@require(RECEIPTS)
def receipt_detail(request, association_slug: str, receipt_uuid):
    association = request.seat.association
    receipt = _receipt(request, receipt_uuid)
    replacement = TaxReceipt.objects.filter(association=association, replaces=receipt).first()
    return render(
        request,
        "fundraising/receipt_detail.html",
        {
            "association": association,
            "receipt": receipt,
            "gifts": list(receipt.gifts.select_related("payment").order_by("received_on", "id")),
            "replacement": replacement,
            "cancel_form": CancelForm(),
        },
    )


def pdf_response(receipt: TaxReceipt) -> FileResponse:
    """The receipt's PDF exactly as it was issued (the stored file, never drawn again)."""
    if not receipt.pdf:
        raise Http404  # deleted with the donor's data after the legal keeping period
    try:
        handle = receipt.pdf.open("rb")
    except OSError as error:
        logger.warning("tax receipt %s: PDF file missing (%s)", receipt.uuid, error)
        raise Http404 from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"recu-{receipt.number}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require(RECEIPTS)
def receipt_pdf(request, association_slug: str, receipt_uuid):
    return pdf_response(_receipt(request, receipt_uuid))


@require(RECEIPTS)
@require_POST
def receipt_cancel(request, association_slug: str, receipt_uuid):
    association = request.seat.association
    receipt = _receipt(request, receipt_uuid)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            replacement = services.receipt_cancel(
                association=association,
                acting_user=request.user,
                receipt=receipt,
                reason=form.cleaned_data["reason"],
                reissue=form.cleaned_data["reissue"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if replacement is None:
                messages.success(
                    request, _("Receipt n° %(number)s is cancelled.") % {"number": receipt.number}
                )
                target = receipt
            else:
                messages.success(
                    request,
                    _("Receipt n° %(number)s is cancelled and replaced by n° %(new)s.")
                    % {"number": receipt.number, "new": replacement.number},
                )
                target = replacement
            return redirect(
                "fundraising:receipt_detail",
                association_slug=association.slug,
                receipt_uuid=target.uuid,
            )
    return render(
        request,
        "fundraising/receipt_detail.html",
        {
            "association": association,
            "receipt": receipt,
            "gifts": list(receipt.gifts.select_related("payment").order_by("received_on", "id")),
            "replacement": None,
            "cancel_form": form,
        },
        status=200,
    )


@require(RECEIPTS)
@require_POST
def receipt_send(request, association_slug: str, receipt_uuid):
    """E-mail the donor (again) the link to their receipt."""
    association = request.seat.association
    receipt = _receipt(request, receipt_uuid)
    if not receipt.is_valid:
        messages.error(request, _("A cancelled receipt is not sent."))
    elif notices.receipts_email(association, [receipt]):
        messages.success(request, _("The receipt is sent to the donor by e-mail."))
    else:
        messages.warning(
            request, _("The donor has no e-mail address: download the receipt and post it.")
        )
    return redirect(
        "fundraising:receipt_detail", association_slug=association.slug, receipt_uuid=receipt.uuid
    )


# --- Annual receipts ----------------------------------------------------------------------


@require(RECEIPTS)
def annual(request, association_slug: str):
    """Issue the annual receipts of a year for every donor, in the background."""
    association = request.seat.association
    today = timezone.localdate()
    years = _years(today, 6)
    form = ReceiptRunForm(request.POST or None, years=years)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.receipt_run_start(
                association=association,
                acting_user=request.user,
                year=form.cleaned_data["year"],
                send_emails=form.cleaned_data["send_emails"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("The annual receipts of %(year)s are being issued.") % {"year": run.year},
            )
            return redirect("fundraising:annual", association_slug=association.slug)
    preview_year = _int_or_none(request.POST.get("year") or request.GET.get("year"))
    if preview_year not in years:
        preview_year = form.initial["year"]
    runs = list(
        ReceiptRun.objects.filter(association=association).select_related("created_by")[:10]
    )
    now = timezone.now()
    entries = [{"run": run, "stalled": services.receipt_run_is_stalled(run, now)} for run in runs]
    return render(
        request,
        "fundraising/annual.html",
        {
            "association": association,
            "form": form,
            "runs": entries,
            # A stalled run does not hold the form back: starting a new one stops it.
            "working": any(e["run"].is_working and not e["stalled"] for e in entries),
            "preview_year": preview_year,
            "years": years,
            "to_issue": len(selectors.annual_groups(association, preview_year)),
            "problems": services.receipt_problems(association),
        },
    )


@require(RECEIPTS)
def run_status(request, association_slug: str, run_uuid):
    """The progress of a run, which the annual page polls; asks for a reload once done."""
    association = request.seat.association
    run = get_object_or_404(
        ReceiptRun.objects.select_related("created_by"), association=association, uuid=run_uuid
    )
    response = render(
        request,
        "fundraising/_run.html",
        {
            "association": association,
            "entry": {"run": run, "stalled": services.receipt_run_is_stalled(run)},
        },
    )
    if request.htmx and not run.is_working:
        response["HX-Refresh"] = "true"
    return response


# --- Settings -----------------------------------------------------------------------------


@require(RECEIPTS)
def fiscal_settings(request, association_slug: str):
    association = request.seat.association
    current = services.fiscal_settings_for(association)
    form = FiscalSettingsForm(request.POST or None, request.FILES or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.fiscal_settings_update(
                association=association,
                acting_user=request.user,
                signature=form.cleaned_data["signature"],
                remove_signature=form.cleaned_data.get("remove_signature", False),
                **form.service_fields(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The tax receipt settings are saved."))
            return redirect("fundraising:settings", association_slug=association.slug)
    return render(
        request,
        "fundraising/settings.html",
        {
            "association": association,
            "form": form,
            "fiscal": current,
            "problems": services.receipt_problems(association, current),
        },
    )


@require(RECEIPTS)
def signature_image(request, association_slug: str):
    """The signature image, for the settings page (media files of fiscal/ are not public)."""
    fiscal = services.fiscal_settings_for(request.seat.association)
    if not fiscal.signature:
        raise Http404
    name = fiscal.signature.name.lower()
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    try:
        handle = fiscal.signature.open("rb")
    except OSError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
