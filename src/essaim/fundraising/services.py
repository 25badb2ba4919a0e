"""Writes of fundraising: fiscal settings, gifts, tax receipts (issue, cancel and replace).

Receipt numbers are taken from a per-association, per-year counter in the same transaction as
the receipt: a failed issue rolls the number back with it, two treasurers issuing at once get
consecutive numbers, and there is never a gap (the counter row is updated first, which locks
it on PostgreSQL and takes SQLite's write lock).
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log, diff, snapshot
from essaim.core.models import Association
from essaim.lib.text import has_forbidden_characters
from essaim.payments import services as payment_services
from essaim.payments.models import Payment
from essaim.people.models import Person

from . import receipt_pdf
from .models import (
    FiscalSettings,
    Gift,
    OrganismCategory,
    ReceiptCounter,
    ReceiptRun,
    TaxReceipt,
)

# 20 million euros: above, a typing mistake (and the column, a 32-bit integer on
# PostgreSQL, holds at most 21.4 million euros in cents).
MAX_GIFT_CENTS = 20_000_000_00
# How a payment's method is printed in the receipt's "mode de versement" boxes.
RECEIPT_METHOD = {
    Payment.Method.CASH: "cash",
    Payment.Method.CHEQUE: "cheque",
    Payment.Method.TRANSFER: "bank",
    Payment.Method.CARD: "bank",
    Payment.Method.CARD_ONLINE: "bank",
    Payment.Method.SEPA_DEBIT: "bank",
}


# --- Fiscal settings ----------------------------------------------------------------------


def fiscal_settings_for(association: Association) -> FiscalSettings:
    try:
        return FiscalSettings.objects.get(association=association)
    except FiscalSettings.DoesNotExist:
        try:
            with transaction.atomic():
                return FiscalSettings.objects.create(association=association)
        except IntegrityError:  # created meanwhile by another request
            return FiscalSettings.objects.get(association=association)


FISCAL_FIELDS = (
    "eligible",
    "category",
    "category_other",
    "public_utility_decree_on",
    "public_utility_gazette_on",
    "article_200",
    "article_238_bis",
    "article_978",
    "signatory_name",
    "signatory_title",
    "place",
)


@transaction.atomic
def fiscal_settings_update(
    *, association: Association, acting_user, signature=None, remove_signature=False, **fields
) -> FiscalSettings:
    """Change the tax receipt settings; `signature` is an uploaded image file."""
    current = fiscal_settings_for(association)
    fiscal = FiscalSettings.objects.select_for_update().get(pk=current.pk)
    before = snapshot(fiscal, FISCAL_FIELDS)
    for name, value in fields.items():
        if name not in FISCAL_FIELDS:
            raise TypeError(f"unknown fiscal setting {name}")
        setattr(fiscal, name, value)
    errors = {}
    if fiscal.category not in OrganismCategory.values:
        errors["category"] = _("Choose the kind of organisation.")
    if fiscal.category == OrganismCategory.OTHER and not fiscal.category_other.strip():
        errors["category_other"] = _("Say which kind of organisation.")
    if fiscal.category == OrganismCategory.PUBLIC_UTILITY and not fiscal.public_utility_decree_on:
        errors["public_utility_decree_on"] = _(
            "Give the date of the decree that recognised the association of public utility."
        )
    if not (fiscal.article_200 or fiscal.article_238_bis or fiscal.article_978):
        errors["article_200"] = _("Tick at least one article of the tax code.")
    for name in ("category_other", "signatory_name", "signatory_title", "place"):
        if has_forbidden_characters(getattr(fiscal, name)):
            errors[name] = _("This text contains characters that are not allowed.")
    if errors:
        raise ValidationError(errors)
    if remove_signature and fiscal.signature:
        fiscal.signature.delete(save=False)
    if signature is not None:
        fiscal.signature.save(f"{association.pk}-{signature.name[-60:]}", signature, save=False)
    fiscal.save()
    changes = diff(before, snapshot(fiscal, FISCAL_FIELDS))
    if changes or signature is not None or remove_signature:
        audit_log(
            association=association,
            actor=acting_user,
            action="fiscal_settings.update",
            obj=fiscal,
            changes=changes,
        )
    return fiscal


def receipt_problems(association: Association, fiscal: FiscalSettings | None = None) -> list[str]:
    """Why the association cannot issue tax receipts now (empty when it can)."""
    fiscal = fiscal or fiscal_settings_for(association)
    problems = []
    if not fiscal.eligible:
        problems.append(
            _(
                "The association has not declared that it may issue tax receipts "
                "(tax receipt settings)."
            )
        )
    if not (association.rna or association.siren):
        problems.append(_("The association's RNA or SIREN number is missing."))
    if not association.objet.strip():
        problems.append(_("The association's purpose (objet) is missing."))
    if not (association.address_line1.strip() and association.city.strip()):
        problems.append(_("The association's address is missing."))
    if not fiscal.signatory_name.strip():
        problems.append(_("The name of the person who signs the receipts is missing."))
    return problems


# --- Gifts --------------------------------------------------------------------------------


@transaction.atomic
def gift_record(
    *,
    association: Association,
    acting_user,
    person: Person | None,
    amount_cents: int,
    received_on: dt.date,
    nature: str = Gift.Nature.MONEY,
    method: str = "",
    form: str = Gift.Form.MANUAL,
    donor_kind: str = Gift.DonorKind.INDIVIDUAL,
    company_name: str = "",
    company_siren: str = "",
    company_legal_form: str = "",
    description: str = "",
    reference: str = "",
    note: str = "",
    payment: Payment | None = None,
    idempotency_key: str = "",
    campaign=None,
    source: str = "",
    recurring=None,
) -> Gift:
    """Record a gift. A gift of money received offline (cash, cheque, transfer) records its
    payment too; a gift paid online passes the payment the provider brought. `campaign`,
    `source` (the share link) and `recurring` (the monthly gift) say where it came from."""
    errors: dict[str, str] = {}
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        errors["amount_cents"] = _("Give an amount in euros.")
    elif amount_cents <= 0:
        errors["amount_cents"] = _("The amount must be more than zero.")
    elif amount_cents > MAX_GIFT_CENTS:
        errors["amount_cents"] = _("This amount is too large: check it.")
    if nature not in Gift.Nature.values:
        errors["nature"] = _("Unknown nature of gift.")
    if form not in Gift.Form.values:
        errors["form"] = _("Unknown form of gift.")
    if donor_kind not in Gift.DonorKind.values:
        errors["donor_kind"] = _("Unknown kind of donor.")
    if received_on is None:
        errors["received_on"] = _("Give the date of the gift.")
    elif received_on > timezone.localdate():
        errors["received_on"] = _("The date of the gift cannot be in the future.")
    if person is not None and (person.association_id != association.pk or person.is_erased):
        errors["person"] = _("Unknown contact.")
    if donor_kind == Gift.DonorKind.COMPANY and not company_name.strip():
        errors["company_name"] = _("Give the company's name.")
    if company_siren and not (company_siren.isdigit() and len(company_siren) == 9):
        errors["company_siren"] = _("A SIREN number has 9 digits.")
    if nature in (Gift.Nature.IN_KIND, Gift.Nature.EXPENSES) and not description.strip():
        errors["description"] = _("Describe what was given.")
    if nature == Gift.Nature.MONEY and payment is None and method not in Payment.Method.values:
        errors["method"] = _("Say how the gift was paid.")
    for name, value in (
        ("description", description),
        ("note", note),
        ("reference", reference),
        ("company_name", company_name),
        ("company_legal_form", company_legal_form),
    ):
        if has_forbidden_characters(value):
            errors[name] = _("This text contains characters that are not allowed.")
    if payment is not None and payment.association_id != association.pk:
        errors["payment"] = _("Unknown payment.")
    if campaign is not None and campaign.association_id != association.pk:
        errors["campaign"] = _("Unknown campaign.")
    if recurring is not None and recurring.association_id != association.pk:
        errors["recurring"] = _("Unknown monthly gift.")
    source = " ".join(str(source or "").split())[:40]
    if has_forbidden_characters(source):
        source = ""
    if errors:
        raise ValidationError(errors)
    if nature == Gift.Nature.MONEY and payment is None:
        payment = payment_services.payment_record(
            association=association,
            acting_user=acting_user,
            amount_cents=amount_cents,
            method=method,
            paid_on=received_on,
            person=person,
            payer_name=(company_name or (person.full_name if person else ""))[:200],
            reference=reference,
            idempotency_key=idempotency_key,
            note=note,
        )
        existing = Gift.objects.filter(payment=payment).first()
        if existing is not None:  # the same form sent twice: the first gift
            return existing
    gift = Gift.objects.create(
        association=association,
        person=person,
        donor_kind=donor_kind,
        company_name=company_name.strip(),
        company_siren=company_siren.strip(),
        company_legal_form=company_legal_form.strip(),
        amount_cents=amount_cents,
        received_on=received_on,
        nature=nature,
        form=form,
        payment=payment,
        description=description.strip(),
        note=note.strip(),
        campaign=campaign,
        source=source,
        recurring=recurring,
        recorded_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    audit_log(association=association, actor=acting_user, action="gift.record", obj=gift)
    return gift


# --- Tax receipts -------------------------------------------------------------------------


def _take_number(association: Association, year: int) -> int:
    """The next receipt number of the year, in the caller's transaction."""
    ReceiptCounter.objects.get_or_create(association=association, year=year)
    # The UPDATE first: it locks the row (PostgreSQL) or the database (SQLite) until the
    # transaction ends, so the number read next is ours alone.
    ReceiptCounter.objects.filter(association=association, year=year).update(last=F("last") + 1)
    return ReceiptCounter.objects.get(association=association, year=year).last


def _donor_data(gift: Gift) -> dict:
    person = gift.person
    data = {
        "kind": gift.donor_kind,
        "last_name": "",
        "first_names": "",
        "company_name": gift.company_name,
        "company_siren": gift.company_siren,
        "company_legal_form": gift.company_legal_form,
        "address": [],
        "postcode": "",
        "city": "",
        "email": "",
    }
    if person is not None:
        data.update(
            last_name=person.last_name.upper(),
            first_names=person.first_name,
            address=[p for p in (person.address_line1, person.address_line2) if p],
            postcode=person.postcode,
            city=person.city,
            email=person.email,
        )
    return data


def _donor_problems(donor: dict) -> list[str]:
    problems = []
    if donor["kind"] == Gift.DonorKind.COMPANY:
        if not donor["company_name"]:
            problems.append(_("the company's name is missing"))
    elif not donor["last_name"]:
        problems.append(_("the donor's name is missing"))
    if not donor["address"] or not donor["city"]:
        problems.append(_("the donor's postal address is missing"))
    return problems


@dataclass
class _ReceiptContent:
    gifts: list[Gift]
    donor: dict
    amount_cents: int
    first: dt.date
    last: dt.date
    nature: str
    form: str
    methods: set[str] = field(default_factory=set)
    description: str = ""


def _content(association: Association, gifts: list[Gift]) -> _ReceiptContent:
    if not gifts:
        raise ValidationError(_("Choose at least one gift."))
    problems = []
    first = gifts[0]
    for gift in gifts:
        if gift.association_id != association.pk:
            raise ValidationError(_("Unknown gift."))
        if (gift.person_id, gift.donor_kind, gift.company_name) != (
            first.person_id,
            first.donor_kind,
            first.company_name,
        ):
            problems.append(_("All the gifts of a receipt must come from the same donor."))
            break
        if gift.nature != first.nature:
            problems.append(_("Gifts of different natures need separate receipts."))
            break
        if gift.payment_id and gift.payment.status != Payment.Status.SUCCEEDED:
            problems.append(
                _("The gift of %(date)s is not received (its payment is %(status)s).")
                % {
                    "date": gift.received_on.strftime("%d/%m/%Y"),
                    "status": gift.payment.get_status_display(),
                }
            )
    donor = _donor_data(first)
    problems += [p[:1].upper() + p[1:] + "." for p in _donor_problems(donor)]
    if first.person is not None and first.person.is_erased:
        problems.append(_("This donor's contact record was anonymised."))
    if problems:
        raise ValidationError(problems)
    return _ReceiptContent(
        gifts=gifts,
        donor=donor,
        amount_cents=sum(g.amount_cents for g in gifts),
        first=min(g.received_on for g in gifts),
        last=max(g.received_on for g in gifts),
        nature=first.nature,
        form=first.form if all(g.form == first.form for g in gifts) else Gift.Form.MANUAL,
        methods={
            RECEIPT_METHOD[g.payment.method]
            for g in gifts
            if g.payment_id and g.payment.method in RECEIPT_METHOD
        },
        description="; ".join(dict.fromkeys(g.description for g in gifts if g.description))[:500],
    )


def _identifier(association: Association) -> str:
    if association.siren:
        return f"N° SIREN : {association.siren}"
    return f"N° RNA : {association.rna}"


def _read(file_field) -> bytes | None:
    if not file_field:
        return None
    try:
        with file_field.open("rb") as handle:
            return handle.read()
    except OSError:
        return None


def document_for(
    association: Association,
    fiscal: FiscalSettings,
    content: _ReceiptContent,
    *,
    number: str,
    issued_on: dt.date,
    annual_year: int | None,
    replaces_number: str = "",
    images: tuple[bytes | None, bytes | None] = (None, None),
) -> receipt_pdf.ReceiptDocument:
    donor = content.donor
    return receipt_pdf.ReceiptDocument(
        number=number,
        donor_kind=donor["kind"],
        association_name=association.name,
        association_identifier=_identifier(association),
        association_address=[
            association.address_line1,
            association.address_line2,
            f"{association.postcode} {association.city}".strip(),
        ],
        association_objet=" ".join(association.objet.split()),
        category=fiscal.category,
        category_other=fiscal.category_other,
        public_utility_decree_on=fiscal.public_utility_decree_on,
        public_utility_gazette_on=fiscal.public_utility_gazette_on,
        articles=fiscal.articles,
        donor_last_name=donor["last_name"],
        donor_first_names=donor["first_names"],
        donor_company_name=donor["company_name"],
        donor_company_legal_form=donor["company_legal_form"],
        donor_company_siren=donor["company_siren"],
        donor_address=donor["address"],
        donor_postcode=donor["postcode"],
        donor_city=donor["city"],
        amount_cents=content.amount_cents,
        first_gift_on=content.first,
        last_gift_on=content.last,
        annual_year=annual_year,
        form=content.form,
        nature=content.nature,
        methods=content.methods,
        description=content.description,
        place=fiscal.place,
        issued_on=issued_on,
        signatory_name=fiscal.signatory_name,
        signatory_title=fiscal.signatory_title,
        signature_image=images[0],
        logo_image=images[1],
        replaces_number=replaces_number,
    )


def _locked_gifts(association: Association, gifts) -> list[Gift]:
    ids = [g.pk for g in gifts]
    locked = list(
        Gift.objects.select_for_update(of=("self",))
        .filter(association=association, pk__in=ids)
        .select_related("payment", "person")
        .order_by("received_on", "id")
    )
    if len(locked) != len(set(ids)):
        raise ValidationError(_("Unknown gift."))
    return locked


@transaction.atomic
def receipt_issue(
    *,
    association: Association,
    acting_user,
    gifts,
    kind: str = TaxReceipt.Kind.SINGLE,
    replaces: TaxReceipt | None = None,
    images: tuple[bytes | None, bytes | None] | None = None,
    now: dt.datetime | None = None,
) -> TaxReceipt:
    """Issue the tax receipt of `gifts` (one donor, one nature): numbered, drawn as a PDF,
    stored with its SHA-256. Raises ValidationError with every reason it cannot."""
    fiscal = fiscal_settings_for(association)
    problems = receipt_problems(association, fiscal)
    if problems:
        raise ValidationError(problems)
    if kind not in TaxReceipt.Kind.values:
        raise ValidationError(_("Unknown kind of receipt."))
    locked = _locked_gifts(association, gifts)
    already = TaxReceipt.objects.filter(
        association=association, gifts__in=locked, status=TaxReceipt.Status.VALID
    )
    if replaces is not None:
        already = already.exclude(pk=replaces.pk)
    if already.exists():
        raise ValidationError(_("A valid receipt already covers one of these gifts."))
    content = _content(association, locked)
    now = now or timezone.now()
    issued_on = timezone.localdate(now)
    sequence = _take_number(association, issued_on.year)
    number = f"{issued_on.year}-{sequence:06d}"
    annual_year = content.first.year if kind == TaxReceipt.Kind.ANNUAL else None
    if images is None:
        images = (_read(fiscal.signature), _read(association.logo))
    pdf = receipt_pdf.render(
        document_for(
            association,
            fiscal,
            content,
            number=number,
            issued_on=issued_on,
            annual_year=annual_year,
            replaces_number=replaces.number if replaces else "",
            images=images,
        )
    )
    receipt = TaxReceipt(
        association=association,
        year=issued_on.year,
        sequence=sequence,
        number=number,
        kind=kind,
        donor_kind=content.donor["kind"],
        person=locked[0].person,
        donor=content.donor,
        amount_cents=content.amount_cents,
        first_gift_on=content.first,
        last_gift_on=content.last,
        issued_at=now,
        issued_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        sha256=hashlib.sha256(pdf).hexdigest(),
        replaces=replaces,
    )
    receipt.pdf.save(f"{number}.pdf", ContentFile(pdf), save=False)
    receipt.save()
    receipt.gifts.set(locked)
    audit_log(
        association=association,
        actor=acting_user,
        action="receipt.issue",
        obj=receipt,
        data={"amount_cents": receipt.amount_cents, "kind": kind, "sha256": receipt.sha256},
    )
    return receipt


@transaction.atomic
def receipt_cancel(
    *, association: Association, acting_user, receipt: TaxReceipt, reason: str, reissue=True
) -> TaxReceipt | None:
    """Cancel a receipt (both stay, with the reason) and, by default, issue its replacement
    for the same gifts with the donor's current details. Returns the replacement."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the receipt is cancelled.")})
    if has_forbidden_characters(reason):
        raise ValidationError({"reason": _("This text contains characters that are not allowed.")})
    locked = TaxReceipt.objects.select_for_update().get(pk=receipt.pk, association=association)
    if not locked.is_valid:
        raise ValidationError(_("This receipt is already cancelled."))
    locked.status = TaxReceipt.Status.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancel_reason = reason[:255]
    locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="receipt.cancel",
        obj=locked,
        data={"reason": locked.cancel_reason},
    )
    if not reissue:
        return None
    return receipt_issue(
        association=association,
        acting_user=acting_user,
        gifts=list(locked.gifts.all()),
        kind=locked.kind,
        replaces=locked,
    )


# --- Annual receipts ----------------------------------------------------------------------

CHUNK = 100  # donors per transaction of an annual run


def _take_numbers(association: Association, year: int, count: int) -> range:
    ReceiptCounter.objects.get_or_create(association=association, year=year)
    ReceiptCounter.objects.filter(association=association, year=year).update(last=F("last") + count)
    last = ReceiptCounter.objects.get(association=association, year=year).last
    return range(last - count + 1, last + 1)


def _donor_label(gift: Gift) -> str:
    if gift.donor_kind == Gift.DonorKind.COMPANY:
        return gift.company_name
    return gift.person.full_name if gift.person else _("unknown donor")


# A run whose worker has not reported for this long stopped (crash, restart); one still
# queued after QUEUED_STALE_AFTER never found a worker.
RUN_STALE_AFTER = dt.timedelta(minutes=10)
QUEUED_STALE_AFTER = dt.timedelta(hours=1)


def receipt_run_is_stalled(run: ReceiptRun, now: dt.datetime | None = None) -> bool:
    """A run whose worker stopped (running, no heartbeat for RUN_STALE_AFTER) or never came
    (queued for QUEUED_STALE_AFTER): a new run may start, which stops it."""
    now = now or timezone.now()
    if run.status == ReceiptRun.Status.RUNNING:
        return (run.heartbeat_at or run.created_at) < now - RUN_STALE_AFTER
    if run.status == ReceiptRun.Status.QUEUED:
        return run.created_at < now - QUEUED_STALE_AFTER
    return False


def receipt_runs_stop_stalled(association: Association) -> int:
    """Mark the association's stalled runs as stopped, so a new run can start; the receipts
    they issued stay, and the next run issues the rest."""
    now = timezone.now()
    stalled = ReceiptRun.objects.filter(association=association).filter(
        Q(status=ReceiptRun.Status.RUNNING, heartbeat_at__lt=now - RUN_STALE_AFTER)
        | Q(status=ReceiptRun.Status.QUEUED, created_at__lt=now - QUEUED_STALE_AFTER)
    )
    return stalled.update(
        status=ReceiptRun.Status.FAILED,
        error=_("Stopped: the background worker gave no news. Start the run again."),
        finished_at=now,
    )


def receipt_run_start(
    *, association: Association, acting_user, year: int, send_emails: bool = True
) -> ReceiptRun:
    """Issue in the background the annual receipts of `year` for every donor whose gifts of
    that year have none yet. Refused with the reasons when the association cannot issue."""
    problems = receipt_problems(association)
    if problems:
        raise ValidationError(problems)
    today = timezone.localdate()
    if not 2000 <= int(year) <= today.year:
        raise ValidationError({"year": _("Choose a year that has ended or this year.")})
    with transaction.atomic():
        receipt_runs_stop_stalled(association)
        try:
            with transaction.atomic():
                run = ReceiptRun.objects.create(
                    association=association,
                    year=year,
                    send_emails=send_emails,
                    created_by=acting_user
                    if getattr(acting_user, "is_authenticated", False)
                    else None,
                )
        except IntegrityError:  # receiptrun_one_working
            raise ValidationError(
                _("Annual receipts are already being issued: wait for the end.")
            ) from None
        audit_log(
            association=association,
            actor=acting_user,
            action="receipt.annual_start",
            obj=run,
            data={"year": int(year)},
        )
        run_id = run.pk

        def enqueue():
            from .tasks import receipts_annual

            receipts_annual.enqueue(run_id)

        transaction.on_commit(enqueue)
    return run


def receipt_run_execute(run_id: int, *, render_many=None) -> None:
    """The work of an annual run (the task): donors in chunks of CHUNK, each chunk one
    transaction (numbers, PDFs, receipts). Safe to run again after a crash: donors whose
    gifts got their receipt are not receipted twice."""
    from django_scopes import scope, scopes_disabled

    from . import selectors

    with scopes_disabled():  # a worker runs outside any tenant: the run says which one
        run = ReceiptRun.objects.select_related("association", "created_by").get(pk=run_id)
    association = run.association
    render_many = render_many or (lambda documents: [receipt_pdf.render(d) for d in documents])
    with scope(association=association):
        if run.status in (ReceiptRun.Status.DONE, ReceiptRun.Status.FAILED):
            return  # a task delivered twice, or a run stopped as stalled
        resumed = run.started_at is not None
        ReceiptRun.objects.filter(pk=run.pk).update(
            status=ReceiptRun.Status.RUNNING,
            started_at=run.started_at or timezone.now(),
            heartbeat_at=timezone.now(),
        )
        groups = selectors.annual_groups(association, run.year)
        # Resumed after a crash: the receipts issued stay counted; the donors left are
        # looked at again (those skipped before come back with their reason).
        run.issued = run.issued if resumed else 0
        run.processed = run.issued
        run.total = run.issued + len(groups)
        run.skipped = []
        ReceiptRun.objects.filter(pk=run.pk).update(
            total=run.total, processed=run.processed, issued=run.issued, skipped=[]
        )
        fiscal = fiscal_settings_for(association)
        images = (_read(fiscal.signature), _read(association.logo))
        try:
            for start in range(0, len(groups), CHUNK):
                chunk = groups[start : start + CHUNK]
                issued, skipped = _issue_chunk(association, run, fiscal, chunk, images, render_many)
                run.processed += len(chunk)
                run.issued += issued
                run.skipped += skipped
                ReceiptRun.objects.filter(pk=run.pk).update(
                    processed=run.processed,
                    issued=run.issued,
                    skipped=run.skipped,
                    heartbeat_at=timezone.now(),
                )
        except Exception as error:
            ReceiptRun.objects.filter(pk=run.pk).update(
                status=ReceiptRun.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
            )
            raise
        ReceiptRun.objects.filter(pk=run.pk).update(
            status=ReceiptRun.Status.DONE, finished_at=timezone.now()
        )
        audit_log(
            association=association,
            actor=run.created_by,
            action="receipt.annual_done",
            obj=run,
            data={"issued": run.issued, "skipped": len(run.skipped)},
        )


@transaction.atomic
def _issue_chunk(association, run, fiscal, chunk, images, render_many) -> tuple[int, list]:
    from . import selectors

    all_ids = [pk for group in chunk for pk in group]
    gifts = {
        g.pk: g
        for g in Gift.objects.select_for_update(of=("self",))
        .filter(association=association, pk__in=all_ids)
        .select_related("payment", "person")
    }
    covered = selectors.receipted_gift_ids(association, all_ids)  # after the lock: exact
    prepared, skipped = [], []
    for group in chunk:
        group_gifts = sorted(
            (gifts[pk] for pk in group if pk in gifts and pk not in covered),
            key=lambda g: (g.received_on, g.pk),
        )
        if not group_gifts:
            continue
        try:
            prepared.append(_content(association, group_gifts))
        except ValidationError as error:
            skipped.append(
                {
                    "person": str(group_gifts[0].person.uuid) if group_gifts[0].person else "",
                    "donor": _donor_label(group_gifts[0]),
                    "reason": " ".join(error.messages),
                }
            )
    if not prepared:
        return 0, skipped
    now = timezone.now()
    issued_on = timezone.localdate(now)
    numbers = _take_numbers(association, issued_on.year, len(prepared))
    documents = [
        document_for(
            association,
            fiscal,
            content,
            number=f"{issued_on.year}-{sequence:06d}",
            issued_on=issued_on,
            annual_year=run.year,
            images=images,
        )
        for content, sequence in zip(prepared, numbers, strict=True)
    ]
    pdfs = render_many(documents)
    receipts = []
    for content, sequence, document, pdf in zip(prepared, numbers, documents, pdfs, strict=True):
        receipt = TaxReceipt(
            association=association,
            year=issued_on.year,
            sequence=sequence,
            number=document.number,
            kind=TaxReceipt.Kind.ANNUAL,
            donor_kind=content.donor["kind"],
            person=content.gifts[0].person,
            donor=content.donor,
            amount_cents=content.amount_cents,
            first_gift_on=content.first,
            last_gift_on=content.last,
            issued_at=now,
            issued_by=run.created_by,
            sha256=hashlib.sha256(pdf).hexdigest(),
        )
        receipt.pdf.save(f"{document.number}.pdf", ContentFile(pdf), save=False)
        receipts.append(receipt)
    TaxReceipt.objects.bulk_create(receipts)
    Through = TaxReceipt.gifts.through
    Through.objects.bulk_create(
        [
            Through(taxreceipt_id=receipt.pk, gift_id=gift.pk)
            for receipt, content in zip(receipts, prepared, strict=True)
            for gift in content.gifts
        ]
    )
    if run.send_emails:
        from .notices import receipts_email

        receipts_email(association, receipts)
    return len(receipts), skipped
