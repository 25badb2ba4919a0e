"""SEPA direct debit with a database: creditor settings, mandates, debit batches, returns.

Services follow services.py: keyword-only, `association=` and `acting_user=`, one
transaction, the activity log, a ValidationError a treasurer can act on. The pure parts
(IBAN, BIC, ICS, RUM, pain.008) are in sepa.py; the money moves through Payment
(`payment_record`, `payment_update_status`), so dues and gifts react to a debit collected or
returned like to any other payment (signals.payment_status_changed).

A debit's life: `debit_batch_create` records one pending payment per debit and builds the
pain.008 file to upload to the bank; `debit_batch_mark_collected` once the bank has
collected (the payments are received); `debit_returns_import` for the debits the debtors'
banks rejected or returned afterwards (the payments fail, with the bank's reason).
"""

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from essaim.core.audit import audit_log
from essaim.core.emails import email_enqueue
from essaim.core.models import Association
from essaim.core.selectors import register_action_labels
from essaim.lib.money import format_euros
from essaim.people.models import Person

from . import sepa
from .models import CreditorSettings, DebitBatch, DirectDebit, Mandate, Payment
from .services import MAX_AMOUNT_CENTS, payment_record, payment_update_status

# SEPA rulebook: a mandate with no collection for 36 months expires.
LAPSE_MONTHS = 36
PRENOTIFICATION_MIN_DAYS = 1
PRENOTIFICATION_MAX_DAYS = 14

# The reasons (ISO 20022 codes) the debtor's bank gives most often for a reject or a return.
RETURN_REASONS = {
    "AC01": gettext_lazy("wrong account number"),
    "AC04": gettext_lazy("account closed"),
    "AC06": gettext_lazy("account blocked"),
    "AC13": gettext_lazy("the debtor is not a consumer account"),
    "AG01": gettext_lazy("direct debit forbidden on this account"),
    "AG02": gettext_lazy("wrong operation code"),
    "AM04": gettext_lazy("insufficient funds"),
    "AM05": gettext_lazy("duplicate debit"),
    "BE05": gettext_lazy("creditor unknown to the bank"),
    "CNOR": gettext_lazy("the creditor's bank is not reachable"),
    "DNOR": gettext_lazy("the debtor's bank is not reachable"),
    "FF01": gettext_lazy("invalid file format"),
    "MD01": gettext_lazy("no mandate"),
    "MD02": gettext_lazy("mandate details missing or wrong"),
    "MD06": gettext_lazy("refund requested by the debtor"),
    "MD07": gettext_lazy("debtor deceased"),
    "MS02": gettext_lazy("refused by the debtor"),
    "MS03": gettext_lazy("reason not given by the bank"),
    "RC01": gettext_lazy("wrong BIC"),
    "RR01": gettext_lazy("debtor's account or identification missing"),
    "RR02": gettext_lazy("debtor's name or address missing"),
    "RR03": gettext_lazy("creditor's name or address missing"),
    "RR04": gettext_lazy("regulatory reason"),
    "SL01": gettext_lazy("specific service of the debtor's bank"),
}

register_action_labels(
    {
        "sepa.creditor_settings": gettext_lazy("SEPA creditor settings changed"),
        "sepa.mandate_create": gettext_lazy("SEPA mandate recorded"),
        "sepa.mandate_revoke": gettext_lazy("SEPA mandate revoked"),
        "sepa.mandate_lapse": gettext_lazy("SEPA mandate lapsed"),
        "sepa.batch_create": gettext_lazy("Direct debit file created"),
        "sepa.batch_collected": gettext_lazy("Direct debits collected"),
        "sepa.returns_import": gettext_lazy("Direct debit returns imported"),
    }
)


def _months_before(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def lapse_cutoff(today: dt.date) -> dt.date:
    """A recurring mandate last used (or, never used, signed) before this day has lapsed."""
    return _months_before(today, LAPSE_MONTHS)


def _actor(acting_user):
    return acting_user if getattr(acting_user, "is_authenticated", False) else None


# --- Creditor settings --------------------------------------------------------------------


def creditor_settings_of(association: Association) -> CreditorSettings | None:
    return CreditorSettings.objects.filter(association=association).first()


@transaction.atomic
def creditor_settings_save(
    *,
    association: Association,
    acting_user,
    creditor_name: str,
    creditor_id: str,
    iban: str,
    bic: str = "",
    prenotification_days: int = PRENOTIFICATION_MAX_DAYS,
) -> CreditorSettings:
    """Create or change the association's SEPA creditor settings."""
    errors: dict[str, list[str]] = {}
    name = sepa.sepa_text(creditor_name or "", 70)
    if not name:
        errors["creditor_name"] = [_("Give the name your debtors will see on their statement.")]
    values = {}
    for field, check, value in (
        ("creditor_id", sepa.validate_creditor_id, creditor_id),
        ("iban", sepa.validate_iban, iban),
        ("bic", sepa.validate_bic, bic),
    ):
        if field == "bic" and not (value or "").strip():
            values[field] = sepa.bic_of(values.get("iban", ""))
            continue
        try:
            values[field] = check(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if (
        isinstance(prenotification_days, bool)
        or not isinstance(prenotification_days, int)
        or not PRENOTIFICATION_MIN_DAYS <= prenotification_days <= PRENOTIFICATION_MAX_DAYS
    ):
        errors["prenotification_days"] = [
            _("The pre-notification is between %(min)d and %(max)d days.")
            % {"min": PRENOTIFICATION_MIN_DAYS, "max": PRENOTIFICATION_MAX_DAYS}
        ]
    if errors:
        raise ValidationError(errors)

    current = CreditorSettings.objects.select_for_update().filter(association=association).first()
    creditor = current or CreditorSettings(association=association)
    before = {
        "creditor_name": creditor.creditor_name,
        "creditor_id": creditor.creditor_id,
        "prenotification_days": creditor.prenotification_days if current else None,
    }
    creditor.creditor_name = name
    creditor.creditor_id = values["creditor_id"]
    creditor.iban = values["iban"]
    creditor.bic = values["bic"]
    creditor.prenotification_days = prenotification_days
    creditor.save()
    after = {
        "creditor_name": creditor.creditor_name,
        "creditor_id": creditor.creditor_id,
        "prenotification_days": creditor.prenotification_days,
    }
    audit_log(
        association=association,
        actor=acting_user,
        action="sepa.creditor_settings",
        obj=creditor,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    return creditor


# --- Mandates -----------------------------------------------------------------------------


def mandates_for(*, association: Association, status: str | None = None):
    mandates = Mandate.objects.filter(association=association)
    if status:
        mandates = mandates.filter(status=status)
    return mandates.order_by("-signed_on", "-id")


def mandates_of(person: Person):
    """One contact's mandates, newest first."""
    return Mandate.objects.filter(association_id=person.association_id, person=person).order_by(
        "-signed_on", "-id"
    )


def mandate_sequence_type(mandate: Mandate) -> str:
    """The sequence type of the mandate's next debit: OOFF for a one-off mandate, FRST for
    the first debit of a recurring one, RCUR for the following ones."""
    if mandate.kind == Mandate.Kind.ONE_OFF:
        return DirectDebit.SequenceType.OOFF
    if not mandate.first_collection_done:
        return DirectDebit.SequenceType.FRST
    return DirectDebit.SequenceType.RCUR


def mandate_usable_error(mandate: Mandate, today: dt.date) -> str:
    """Why the mandate cannot be debited now, or "" when it can."""
    if mandate.status == Mandate.Status.REVOKED:
        return _("Mandate %(rum)s was revoked: it cannot be debited.") % {"rum": mandate.rum}
    if mandate.status == Mandate.Status.LAPSED or (
        mandate.kind == Mandate.Kind.RECURRING
        and (mandate.last_used_on or mandate.signed_on) < lapse_cutoff(today)
    ):
        return _(
            "Mandate %(rum)s has lapsed (unused for 36 months): ask the debtor to sign a new one."
        ) % {"rum": mandate.rum}
    if mandate.kind == Mandate.Kind.ONE_OFF and mandate.last_used_on is not None:
        return _("Mandate %(rum)s is for a single debit and was already used.") % {
            "rum": mandate.rum
        }
    if not mandate.iban:
        return _("The bank details of mandate %(rum)s are no longer known.") % {"rum": mandate.rum}
    return ""


@transaction.atomic
def mandate_create(
    *,
    association: Association,
    acting_user,
    iban: str,
    signed_on: dt.date,
    kind: str = Mandate.Kind.RECURRING,
    person: Person | None = None,
    debtor_name: str = "",
    bic: str = "",
) -> Mandate:
    """Record a mandate signed by a debtor, with a new reference (RUM) unique in the
    association. The account holder's name defaults to the contact's name."""
    errors: dict[str, list[str]] = {}
    if person is not None and person.association_id != association.pk:
        errors["person"] = [_("Unknown contact.")]
    name = sepa.sepa_text(debtor_name or (person.full_name if person is not None else ""), 70)
    if not name:
        errors["debtor_name"] = [_("Give the name of the account holder.")]
    compact_iban = ""
    try:
        compact_iban = sepa.validate_iban(iban)
    except ValidationError as exc:
        errors["iban"] = exc.messages
    compact_bic = ""
    if (bic or "").strip():
        try:
            compact_bic = sepa.validate_bic(bic)
        except ValidationError as exc:
            errors["bic"] = exc.messages
    elif compact_iban:
        compact_bic = sepa.bic_of(compact_iban)
    if not isinstance(signed_on, dt.date) or isinstance(signed_on, dt.datetime):
        errors["signed_on"] = [_("Give the day the mandate was signed.")]
    elif signed_on > timezone.localdate():
        errors["signed_on"] = [_("The mandate cannot be signed in the future.")]
    if kind not in Mandate.Kind.values:
        errors["kind"] = [_("A mandate is for a single debit or for recurring debits.")]
    if errors:
        raise ValidationError(errors)

    rum = sepa.rum_generate(
        prefix=association.slug,
        iban=compact_iban,
        exists=lambda candidate: Mandate.objects.filter(
            association=association, rum=candidate
        ).exists(),
    )
    mandate = Mandate.objects.create(
        association=association,
        person=person,
        debtor_name=name,
        iban=compact_iban,
        iban_last4=compact_iban[-4:],
        bic=compact_bic,
        rum=rum,
        signed_on=signed_on,
        kind=kind,
        created_by=_actor(acting_user),
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="sepa.mandate_create",
        obj=mandate,
        data={"kind": kind, "signed_on": signed_on},
    )
    return mandate


@transaction.atomic
def mandate_revoke(*, association: Association, acting_user, mandate: Mandate) -> Mandate:
    """The debtor withdrew the mandate: it is never debited again (debits already sent to
    the bank are not recalled). Revoking twice changes nothing."""
    current = Mandate.objects.select_for_update().filter(association=association, pk=mandate.pk)
    current = current.first()
    if current is None:
        raise Http404("no such mandate")
    if current.status == Mandate.Status.REVOKED:
        return current
    previous = current.status
    current.status = Mandate.Status.REVOKED
    current.revoked_at = timezone.now()
    current.save(update_fields=["status", "revoked_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="sepa.mandate_revoke",
        obj=current,
        changes={"status": [previous, current.status]},
    )
    return current


def mandates_lapse(now: dt.datetime | None = None) -> int:
    """Every association: recurring mandates with no debit for 36 months (counted from the
    signature when never used) become lapsed. Returns how many did."""
    from django_scopes import scopes_disabled

    today = timezone.localdate(now or timezone.now())
    cutoff = lapse_cutoff(today)
    with scopes_disabled(), transaction.atomic():
        stale = list(
            Mandate.objects.annotate(reference_day=Coalesce("last_used_on", "signed_on"))
            .filter(
                status=Mandate.Status.ACTIVE,
                kind=Mandate.Kind.RECURRING,
                reference_day__lt=cutoff,
            )
            .select_for_update(of=("self",))
        )
        for mandate in stale:
            mandate.status = Mandate.Status.LAPSED
            mandate.save(update_fields=["status", "updated_at"])
            audit_log(
                association=mandate.association,
                actor=None,
                action="sepa.mandate_lapse",
                obj=mandate,
                changes={"status": [Mandate.Status.ACTIVE, Mandate.Status.LAPSED]},
            )
    return len(stale)


# --- Debit batches ------------------------------------------------------------------------


def _new_end_to_end_id(collection_date: dt.date) -> str:
    # 8 + 1 + 16 = 25 characters, SEPA characters only; unique per association (constraint).
    return f"{collection_date:%Y%m%d}-{secrets.token_hex(8).upper()}"


def earliest_collection_date(creditor: CreditorSettings, today: dt.date | None = None) -> dt.date:
    """The first day a batch created today may be collected: the debtors must be told of
    the debit `prenotification_days` before."""
    return (today or timezone.localdate()) + dt.timedelta(days=creditor.prenotification_days)


@transaction.atomic
def debit_batch_create(
    *,
    association: Association,
    acting_user,
    collection_date: dt.date,
    items: Sequence[tuple[Mandate, int, str, str]],
) -> DebitBatch:
    """Build a pain.008 file debiting each (mandate, amount_cents, remittance text,
    idempotency key) on `collection_date`, and record one pending payment per debit.

    The idempotency key is the caller's (a recurring gift and its month, a dues and its
    year): an item whose key was already debited is left out, so a batch built twice does
    not debit anybody twice; if every item was already in one batch, that batch is returned.
    A mandate of another association is not found (Http404). Nothing is written when one
    item is refused.
    """
    creditor = creditor_settings_of(association)
    if creditor is None:
        raise ValidationError(
            _("Fill in your SEPA creditor settings (ICS, account) before collecting debits.")
        )
    today = timezone.localdate()
    if not isinstance(collection_date, dt.date) or isinstance(collection_date, dt.datetime):
        raise ValidationError({"collection_date": [_("Give the day of collection.")]})
    earliest = earliest_collection_date(creditor, today)
    if collection_date < earliest:
        raise ValidationError(
            {
                "collection_date": [
                    _(
                        "The debtors must be told %(days)d days before the debit: the day of "
                        "collection cannot be before %(date)s."
                    )
                    % {"days": creditor.prenotification_days, "date": earliest.strftime("%d/%m/%Y")}
                ]
            }
        )
    if not items:
        raise ValidationError(_("There is no debit to collect."))

    # Lock the mandates: two batches built at once must not both send a FRST.
    mandate_ids = {getattr(item[0], "pk", None) for item in items}
    locked = {
        mandate.pk: mandate
        for mandate in Mandate.objects.select_for_update().filter(
            association=association, pk__in=mandate_ids
        )
    }
    errors: list[str] = []
    wanted: list[tuple[Mandate, int, str, str]] = []
    keys_seen: set[str] = set()
    mandates_seen: set[int] = set()
    already_in: set[int] = set()
    for number, item in enumerate(items, start=1):
        mandate_ref, amount_cents, remittance, key = item
        mandate = locked.get(getattr(mandate_ref, "pk", None))
        if mandate is None:
            raise Http404("no such mandate")
        key = " ".join(str(key or "").split())
        if not key or len(key) > 255:
            errors.append(
                _("Debit %(number)d: an idempotency key of 1 to 255 characters is needed.")
                % {"number": number}
            )
            continue
        if key in keys_seen:
            continue  # the same item twice: debited once
        keys_seen.add(key)
        existing = (
            Payment.objects.filter(association=association, idempotency_key=key)
            .select_related("sepa_debit")
            .first()
        )
        if existing is not None:
            debit = getattr(existing, "sepa_debit", None)
            if debit is None or existing.amount_cents != amount_cents:
                errors.append(
                    _("Debit %(number)d: this key was already used for another payment.")
                    % {"number": number}
                )
            else:
                already_in.add(debit.batch_id)
            continue
        if (
            isinstance(amount_cents, bool)
            or not isinstance(amount_cents, int)
            or amount_cents <= 0
            or amount_cents > MAX_AMOUNT_CENTS
        ):
            errors.append(
                _("Debit %(number)d (%(rum)s): the amount must be positive, at most %(limit)s.")
                % {"number": number, "rum": mandate.rum, "limit": format_euros(MAX_AMOUNT_CENTS)}
            )
            continue
        problem = mandate_usable_error(mandate, today)
        if problem:
            errors.append(_("Debit %(number)d: %(error)s") % {"number": number, "error": problem})
            continue
        if mandate.signed_on > collection_date:
            errors.append(
                _("Debit %(number)d: mandate %(rum)s is signed after the day of collection.")
                % {"number": number, "rum": mandate.rum}
            )
            continue
        if mandate.pk in mandates_seen:
            errors.append(
                _("Debit %(number)d: mandate %(rum)s is already debited in this batch.")
                % {"number": number, "rum": mandate.rum}
            )
            continue
        mandates_seen.add(mandate.pk)
        wanted.append((mandate, amount_cents, str(remittance or ""), key))
    if errors:
        raise ValidationError(errors)
    if not wanted:
        if len(already_in) == 1:
            return DebitBatch.objects.get(association=association, pk=already_in.pop())
        raise ValidationError(_("These debits were already collected in earlier batches."))

    lines = []
    for mandate, amount_cents, remittance, key in wanted:
        end_to_end_id = _new_end_to_end_id(collection_date)
        while Payment.objects.filter(
            association=association,
            provider=Payment.Provider.SEPA,
            provider_reference=end_to_end_id,
        ).exists():
            end_to_end_id = _new_end_to_end_id(collection_date)
        lines.append(
            {
                "mandate": mandate,
                "amount_cents": amount_cents,
                "remittance": sepa.sepa_text(remittance, 140),
                "key": key,
                "end_to_end_id": end_to_end_id,
                "sequence_type": mandate_sequence_type(mandate),
            }
        )

    xml = sepa.pain008(
        sepa.Creditor(
            name=creditor.creditor_name,
            iban=creditor.iban,
            creditor_id=creditor.creditor_id,
            bic=creditor.bic,
        ),
        [
            sepa.Debit(
                debtor_name=line["mandate"].debtor_name,
                iban=line["mandate"].iban.reveal(),
                bic=line["mandate"].bic,
                mandate_id=line["mandate"].rum,
                mandate_signed_on=line["mandate"].signed_on,
                sequence_type=line["sequence_type"],
                amount_cents=line["amount_cents"],
                end_to_end_id=line["end_to_end_id"],
                description=line["remittance"],
            )
            for line in lines
        ],
        collection_date=collection_date,
    )

    batch = DebitBatch(
        association=association,
        collection_date=collection_date,
        sha256=hashlib.sha256(xml).hexdigest(),
        count=len(lines),
        total_cents=sum(line["amount_cents"] for line in lines),
        created_by=_actor(acting_user),
    )
    # The file is written before the rows; if the transaction rolls back, an orphan file
    # remains, named by a uuid that nothing points to.
    batch.file.save(f"{batch.uuid}.xml", ContentFile(xml), save=False)
    batch.save()
    for line in lines:
        mandate = line["mandate"]
        payment = payment_record(
            association=association,
            acting_user=acting_user,
            amount_cents=line["amount_cents"],
            method=Payment.Method.SEPA_DEBIT,
            status=Payment.Status.PENDING,
            person=mandate.person,
            payer_name=mandate.debtor_name,
            provider=Payment.Provider.SEPA,
            provider_reference=line["end_to_end_id"],
            idempotency_key=line["key"],
            reference=line["remittance"],
        )
        DirectDebit.objects.create(
            association=association,
            batch=batch,
            mandate=mandate,
            payment=payment,
            sequence_type=line["sequence_type"],
            amount_cents=line["amount_cents"],
            end_to_end_id=line["end_to_end_id"],
        )
        mandate.last_used_on = collection_date
        if mandate.kind == Mandate.Kind.RECURRING:
            mandate.first_collection_done = True
        mandate.save(update_fields=["last_used_on", "first_collection_done", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="sepa.batch_create",
        obj=batch,
        data={
            "collection_date": collection_date,
            "count": batch.count,
            "total_cents": batch.total_cents,
            "sha256": batch.sha256,
        },
    )
    return batch


@transaction.atomic
def debit_batch_mark_collected(
    *, association: Association, acting_user, batch: DebitBatch
) -> DebitBatch:
    """The bank collected the batch: its awaited payments are received, dated the day of
    collection. Debits already rejected stay failed. Marking twice changes nothing."""
    current = DebitBatch.objects.select_for_update().filter(association=association, pk=batch.pk)
    current = current.first()
    if current is None:
        raise Http404("no such batch")
    if current.status == DebitBatch.Status.COLLECTED:
        return current
    if current.collection_date > timezone.localdate():
        raise ValidationError(
            _("This batch is collected on %(date)s: it cannot be marked collected before.")
            % {"date": current.collection_date.strftime("%d/%m/%Y")}
        )
    pending = Payment.objects.filter(
        association=association, sepa_debit__batch=current, status=Payment.Status.PENDING
    ).order_by("id")
    for payment in pending:
        payment_update_status(
            association=association,
            acting_user=acting_user,
            payment=payment,
            status=Payment.Status.SUCCEEDED,
            paid_on=current.collection_date,
        )
    current.status = DebitBatch.Status.COLLECTED
    current.collected_at = timezone.now()
    current.save(update_fields=["status", "collected_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="sepa.batch_collected",
        obj=current,
        changes={"status": [DebitBatch.Status.EXPORTED, DebitBatch.Status.COLLECTED]},
    )
    return current


def return_reason(code: str) -> str:
    """ "AM04 – insufficient funds": the code the bank gives and what it means."""
    label = RETURN_REASONS.get(code)
    return f"{code} – {label}" if label else code


@transaction.atomic
def debit_returns_import(
    *, association: Association, acting_user, rows: Iterable[tuple[str, str]]
) -> list[Payment]:
    """Debits rejected or returned by the debtors' banks, as (end-to-end reference, reason
    code) from the bank's report: their payments fail with the reason, and the apps they pay
    for react (signals.payment_status_changed). A reference already failed is skipped (a
    report imported twice). The whole import is refused when a row is wrong."""
    rows = list(rows)
    errors: list[str] = []
    found: list[tuple[DirectDebit, str]] = []
    for number, (end_to_end_id, code) in enumerate(rows, start=1):
        end_to_end_id = (end_to_end_id or "").strip()
        code = (code or "").strip().upper()
        if not (len(code) == 4 and code.isascii() and code.isalnum()):
            errors.append(
                _("Line %(number)d: the reason code has 4 letters or digits (AM04…).")
                % {"number": number}
            )
            continue
        debit = (
            DirectDebit.objects.filter(association=association, end_to_end_id=end_to_end_id)
            .select_related("payment", "mandate")
            .first()
        )
        if debit is None:
            errors.append(
                _("Line %(number)d: no debit has the reference %(reference)s.")
                % {"number": number, "reference": end_to_end_id[:35] or "—"}
            )
            continue
        found.append((debit, code))
    if errors:
        raise ValidationError(errors)

    failed = []
    for debit, code in found:
        if debit.payment.status == Payment.Status.FAILED:
            continue
        payment = payment_update_status(
            association=association,
            acting_user=acting_user,
            payment=debit.payment,
            status=Payment.Status.FAILED,
            reason=return_reason(code),
        )
        failed.append(payment)
        # A first debit that never went through: the next one is a first debit again.
        if debit.sequence_type == DirectDebit.SequenceType.FRST:
            went_through = DirectDebit.objects.filter(
                association=association, mandate=debit.mandate
            ).filter(~Q(pk=debit.pk), ~Q(payment__status=Payment.Status.FAILED))
            if not went_through.exists():
                Mandate.objects.filter(pk=debit.mandate_id).update(
                    first_collection_done=False, updated_at=timezone.now()
                )
    if failed:
        audit_log(
            association=association,
            actor=acting_user,
            action="sepa.returns_import",
            object_type="directdebit",
            object_repr=str(len(failed)),
            data={"count": len(failed), "amount_cents": sum(p.amount_cents for p in failed)},
        )
    return failed


# --- E-mails to debtors -------------------------------------------------------------------

# What the debtor can do about a returned debit, by the bank's reason: bank details to give
# again, money to put on the account, or a word to say if the refusal was a mistake.
RETURN_ADVICE_ACCOUNT = {"AC01", "AC04", "AC06", "AC13", "AG01", "MD01", "MD02", "RC01", "RR01"}
RETURN_ADVICE_FUNDS = {"AM04"}
RETURN_ADVICE_REFUSED = {"MD06", "MS02"}
# A debit returned because the debtor died: no e-mail to their address.
RETURN_NOT_NOTIFIED = {"MD07"}


def _debtor_email(mandate: Mandate) -> str:
    person = mandate.person
    if person is None or person.erased_at is not None:
        return ""
    return person.email or ""


def return_advice(code: str) -> str:
    """What a debtor whose debit came back with `code` may do, in plain words."""
    if code in RETURN_ADVICE_ACCOUNT:
        return "account"
    if code in RETURN_ADVICE_FUNDS:
        return "funds"
    if code in RETURN_ADVICE_REFUSED:
        return "refused"
    return "other"


def debit_batch_prenotify(*, association: Association, batch: DebitBatch) -> tuple[int, int]:
    """Queue the pre-notification of each debit of `batch` (amount, day of collection,
    mandate reference, creditor's name and ICS), in the caller's transaction, to every
    debtor whose contact has an e-mail address. Returns (e-mails queued, debtors without
    an address, to be told another way)."""
    creditor = creditor_settings_of(association)
    debits = (
        DirectDebit.objects.filter(association=association, batch=batch)
        .select_related("mandate__person", "payment")
        .order_by("id")
    )
    queued = missing = 0
    for debit in debits:
        mandate = debit.mandate
        address = _debtor_email(mandate)
        if not address:
            missing += 1
            continue
        email_enqueue(
            to=address,
            template="sepa_prenotification",
            association=association,
            context={
                "first_name": mandate.person.first_name,
                "debtor_name": mandate.debtor_name,
                "amount": format_euros(debit.amount_cents),
                "collection_date": batch.collection_date,
                "rum": mandate.rum,
                "iban_masked": mandate.iban_masked,
                "remittance": debit.payment.reference,
                "creditor_name": creditor.creditor_name if creditor else association.name,
                "creditor_id": creditor.creditor_id if creditor else "",
                "recurring": mandate.kind == Mandate.Kind.RECURRING,
            },
        )
        queued += 1
    return queued, missing


def debit_returns_notify(
    *, association: Association, payments: Iterable[Payment], codes: dict[str, str]
) -> int:
    """Queue a polite e-mail to each debtor whose debit came back (`payments`, as
    debit_returns_import returns them; `codes`: the bank's reason code by end-to-end
    reference), in the caller's transaction. Returns how many were queued."""
    ids = [payment.pk for payment in payments]
    debits = (
        DirectDebit.objects.filter(association=association, payment_id__in=ids)
        .select_related("mandate__person", "batch", "payment")
        .order_by("id")
    )
    queued = 0
    for debit in debits:
        code = codes.get(debit.end_to_end_id, "")
        address = _debtor_email(debit.mandate)
        if not address or code in RETURN_NOT_NOTIFIED:
            continue
        email_enqueue(
            to=address,
            template="sepa_debit_returned",
            association=association,
            context={
                "first_name": debit.mandate.person.first_name,
                "amount": format_euros(debit.amount_cents),
                "collection_date": debit.batch.collection_date,
                "rum": debit.mandate.rum,
                "remittance": debit.payment.reference,
                "code": code,
                "reason": str(RETURN_REASONS.get(code, "")),
                "advice": return_advice(code),
            },
        )
        queued += 1
    return queued
