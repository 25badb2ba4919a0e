"""Services of members: types, memberships, payments of dues, renewals, settings.

Every service takes `association=` and `acting_user=` (None for the public join form and
background jobs), runs in a transaction, writes the activity log and returns the object.
"""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from essaim.core.audit import audit_log, diff, snapshot
from essaim.core.models import Association
from essaim.lib import money
from essaim.lib.text import fold, has_forbidden_characters
from essaim.payments import services as payment_services
from essaim.payments.models import Payment
from essaim.people.models import Person

from . import cache as member_cache
from . import periods
from .models import (
    DuesPayment,
    Household,
    Membership,
    MembershipSettings,
    MembershipType,
)

MAX_AMOUNT_CENTS = 100_000_00  # 100,000 €: above, it is a typo, not dues


# --- Settings -----------------------------------------------------------------------------


def settings_for(association: Association) -> MembershipSettings:
    """The association's membership settings, created with defaults on first use."""
    found = MembershipSettings.objects.filter(association=association).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return MembershipSettings.objects.create(association=association)
    except IntegrityError:  # created meanwhile by another request
        return MembershipSettings.objects.get(association=association)


SETTINGS_FIELDS = (
    "join_enabled",
    "join_intro",
    "join_fields",
    "approval_required",
    "statutes_url",
    "privacy_notice",
    "payment_instructions",
    "grace_days",
    "reminder_offsets",
    "retention_months",
)
JOIN_FIELD_NAMES = ("phone", "address", "birth_date")


@transaction.atomic
def membership_settings_update(*, association: Association, acting_user, **fields):
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    errors = {}
    if "join_fields" in fields:
        rules = fields["join_fields"] or {}
        allowed = set(MembershipSettings.FieldRule.values)
        if set(rules) - set(JOIN_FIELD_NAMES) or set(rules.values()) - allowed:
            errors["join_fields"] = _("Unknown field or rule.")
        fields["join_fields"] = {name: rules.get(name, "hidden") for name in JOIN_FIELD_NAMES}
    if "reminder_offsets" in fields:
        offsets = fields["reminder_offsets"]
        if not isinstance(offsets, list) or not all(
            isinstance(o, int) and -365 <= o <= 365 for o in offsets
        ):
            errors["reminder_offsets"] = _(
                "Give numbers of days between -365 and 365, e.g. -30, -7, 7."
            )
        elif len(offsets) > 6:
            errors["reminder_offsets"] = _("Six reminders at most.")
        else:
            fields["reminder_offsets"] = sorted(set(offsets))
    if "grace_days" in fields and not 0 <= int(fields["grace_days"]) <= 365:
        errors["grace_days"] = _("Between 0 and 365 days.")
    if "retention_months" in fields and not 1 <= int(fields["retention_months"]) <= 120:
        errors["retention_months"] = _("Between 1 and 120 months.")
    for name in ("join_intro", "privacy_notice", "payment_instructions"):
        if name in fields and has_forbidden_characters(fields[name] or ""):
            errors[name] = _("This text contains characters that are not allowed.")
    if errors:
        raise ValidationError(errors)
    current = settings_for(association)
    before = snapshot(current, fields.keys())
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    current.save()
    changes = diff(before, snapshot(current, fields.keys()), ("approval_required", "join_enabled"))
    if changes:
        audit_log(
            association=association,
            actor=acting_user,
            action="membership.settings",
            obj=current,
            object_repr=str(_("Membership settings")),
            changes=changes,
        )
    return current


# --- Membership types ---------------------------------------------------------------------

TYPE_FIELDS = (
    "name",
    "description",
    "price_kind",
    "amount_cents",
    "min_amount_cents",
    "reduced_amount_cents",
    "reduced_label",
    "reduced_requires_proof",
    "period_kind",
    "season_start_month",
    "prorata",
    "is_household",
    "max_household_size",
    "voting_rights",
    "voting_weight",
    "online",
    "is_active",
    "position",
)
TYPE_SENSITIVE = ("amount_cents", "min_amount_cents", "reduced_amount_cents", "voting_rights")


def _check_type(association: Association, data: dict, exclude_pk=None) -> dict:
    errors: dict[str, str] = {}
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors["name"] = _("Give the membership type a name.")
    elif len(name) > 100:
        errors["name"] = _("At most %(limit)d characters.") % {"limit": 100}
    elif has_forbidden_characters(name):
        errors["name"] = _("This text contains characters that are not allowed.")
    else:
        others = MembershipType.objects.filter(association=association).exclude(pk=exclude_pk)
        if any(fold(n) == fold(name) for n in others.values_list("name", flat=True)):
            errors["name"] = _("A membership type with this name already exists.")
    data["name"] = name
    kind = data.get("price_kind", MembershipType.PriceKind.FIXED)
    amount = data.get("amount_cents") or 0
    minimum = data.get("min_amount_cents") or 0
    reduced = data.get("reduced_amount_cents")
    for field, value in (("amount_cents", amount), ("min_amount_cents", minimum)):
        if not 0 <= value <= MAX_AMOUNT_CENTS:
            errors[field] = _("Between 0 and 100,000 €.")
    if kind == MembershipType.PriceKind.FREE:
        data.update(amount_cents=0, min_amount_cents=0, reduced_amount_cents=None)
    elif kind == MembershipType.PriceKind.FIXED:
        if amount <= 0:
            errors["amount_cents"] = _("Give the amount of the dues, or choose “free”.")
        data["min_amount_cents"] = 0
    elif kind == MembershipType.PriceKind.SLIDING:
        if minimum > amount:
            errors["min_amount_cents"] = _("The minimum cannot be above the suggested amount.")
    else:
        errors["price_kind"] = _("Unknown kind of price.")
    if (
        reduced is not None
        and kind != MembershipType.PriceKind.FREE
        and (reduced < 0 or reduced >= max(amount, 1))
    ):
        errors["reduced_amount_cents"] = _("The reduced amount must be below the normal one.")
    period_kind = data.get("period_kind", periods.CALENDAR_YEAR)
    if period_kind not in periods.PERIOD_KINDS:
        errors["period_kind"] = _("Unknown period.")
    month = data.get("season_start_month", 9)
    if not 1 <= int(month) <= 12:
        errors["season_start_month"] = _("A month between 1 and 12.")
    if period_kind in (periods.ROLLING, periods.LIFETIME):
        data["prorata"] = False
    if data.get("is_household") and not 2 <= int(data.get("max_household_size") or 0) <= 20:
        errors["max_household_size"] = _("Between 2 and 20 people.")
    if not 0 <= int(data.get("voting_weight", 1)) <= 100:
        errors["voting_weight"] = _("Between 0 and 100.")
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def membership_type_create(*, association: Association, acting_user, **fields) -> MembershipType:
    unknown = set(fields) - set(TYPE_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    data = _check_type(association, dict(fields))
    mtype = MembershipType.objects.create(association=association, **data)
    audit_log(
        association=association,
        actor=acting_user,
        action="membership_type.create",
        obj=mtype,
        changes=diff({}, snapshot(mtype, TYPE_SENSITIVE), TYPE_SENSITIVE),
    )
    return mtype


@transaction.atomic
def membership_type_update(
    *, association: Association, acting_user, membership_type: MembershipType, **fields
) -> MembershipType:
    unknown = set(fields) - set(TYPE_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    mtype = MembershipType.objects.select_for_update().get(
        pk=membership_type.pk, association=association
    )
    merged = {name: getattr(mtype, name) for name in TYPE_FIELDS}
    merged.update(fields)
    data = _check_type(association, merged, exclude_pk=mtype.pk)
    before = snapshot(mtype, TYPE_FIELDS)
    for name, value in data.items():
        setattr(mtype, name, value)
    mtype.save()
    changes = diff(before, snapshot(mtype, TYPE_FIELDS), TYPE_SENSITIVE)
    member_cache.changed(association)
    if changes:
        audit_log(
            association=association,
            actor=acting_user,
            action="membership_type.update",
            obj=mtype,
            changes=changes,
        )
    return mtype


# --- Dues ---------------------------------------------------------------------------------


def dues_for(
    membership_type: MembershipType,
    *,
    period: periods.Period,
    joined: dt.date,
    rate: str = Membership.Rate.NORMAL,
    chosen_amount_cents: int | None = None,
) -> int:
    """What a member owes for this period, in cents."""
    kind = membership_type.price_kind
    if kind == MembershipType.PriceKind.FREE:
        return 0
    if rate == Membership.Rate.REDUCED:
        if membership_type.reduced_amount_cents is None:
            raise ValidationError({"rate": _("This membership type has no reduced rate.")})
        amount = membership_type.reduced_amount_cents
    elif kind == MembershipType.PriceKind.SLIDING:
        amount = (
            membership_type.amount_cents if chosen_amount_cents is None else chosen_amount_cents
        )
        if amount < membership_type.min_amount_cents:
            raise ValidationError(
                {
                    "amount": _("The minimum is %(amount)s €.")
                    % {"amount": format_euros(membership_type.min_amount_cents)}
                }
            )
        if amount > MAX_AMOUNT_CENTS:
            raise ValidationError({"amount": _("Between 0 and 100,000 €.")})
    else:
        amount = membership_type.amount_cents
    if membership_type.prorata:
        amount = periods.prorata_cents(amount, period, joined)
    return amount


def format_euros(cents: int) -> str:
    """12,50 — French decimal comma, no currency sign, no cents when round (the texts and
    templates of members add " €")."""
    return money.format_euros(cents, sign=False, short=True)


# --- Memberships --------------------------------------------------------------------------


def _grace_until(association: Association, end: dt.date | None) -> dt.date | None:
    if end is None:
        return None
    return end + dt.timedelta(days=settings_for(association).grace_days)


def _touch(person: Person) -> None:
    Person.objects.filter(pk=person.pk).update(last_activity_at=timezone.now())


@transaction.atomic
def membership_create(
    *,
    association: Association,
    acting_user,
    person: Person,
    membership_type: MembershipType,
    start_on: dt.date | None = None,
    rate: str = Membership.Rate.NORMAL,
    chosen_amount_cents: int | None = None,
    reduced_proof: str = "",
    source: str = Membership.Source.TEAM,
    approved: bool = True,
    household: Household | None = None,
    household_share: bool = True,
    renewal_of: Membership | None = None,
    period: periods.Period | None = None,
) -> Membership:
    """Make `person` a member for the period of `membership_type` that covers `start_on`.

    Free memberships are paid at once. A household member other than the one who pays
    (`household_share=False`) owes nothing but waits for the household's payment.
    """
    if person.association_id != association.pk or membership_type.association_id != (
        association.pk
    ):
        raise ValidationError(_("Unknown contact or membership type."))
    if person.is_erased:
        raise ValidationError(_("This contact was anonymised."))
    if rate not in Membership.Rate.values:
        raise ValidationError({"rate": _("Unknown rate.")})
    if has_forbidden_characters(reduced_proof):
        raise ValidationError(
            {"reduced_proof": _("This text contains characters that are not allowed.")}
        )
    today = timezone.localdate()
    start_on = start_on or today
    period = period or membership_type.period_for(start_on)
    amount = dues_for(
        membership_type,
        period=period,
        joined=max(start_on, period.start),
        rate=rate,
        chosen_amount_cents=chosen_amount_cents,
    )
    if not household_share:
        amount = 0
    free = membership_type.price_kind == MembershipType.PriceKind.FREE
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                association=association,
                person=person,
                sort_name=person.sort_name,
                person_erased=person.is_erased,
                membership_type=membership_type,
                household=household,
                period_start=period.start,
                period_end=period.end,
                grace_until=_grace_until(association, period.end),
                rate=rate,
                reduced_proof=reduced_proof.strip()[:255],
                amount_due_cents=amount,
                paid_on=period.start if free or (amount == 0 and household is None) else None,
                approved_at=timezone.now() if approved else None,
                source=source,
                renewal_of=renewal_of,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("%(person)s already has this membership for %(period)s.")
            % {"person": person, "period": period.label()}
        ) from exc
    _touch(person)
    member_cache.changed(association)
    audit_log(
        association=association,
        actor=acting_user,
        action="membership.create",
        obj=membership,
        object_repr=str(membership)[:255],
        data={"source": source, "amount_cents": amount, "type": membership_type.name},
    )
    return membership


@transaction.atomic
def household_membership_create(
    *,
    association: Association,
    acting_user,
    persons: list[Person],
    membership_type: MembershipType,
    name: str = "",
    **kwargs,
) -> list[Membership]:
    """One household membership: the first person carries the dues, all share the payment."""
    if not membership_type.is_household:
        raise ValidationError(_("This membership type is not a household membership."))
    if not persons:
        raise ValidationError(_("Give at least one person."))
    if len(persons) > membership_type.max_household_size:
        raise ValidationError(
            _("At most %(count)d people in a household for this membership.")
            % {"count": membership_type.max_household_size}
        )
    household = Household.objects.create(
        association=association,
        name=(name or _("Household %(name)s") % {"name": persons[0].last_name or persons[0]})[:200],
    )
    return [
        membership_create(
            association=association,
            acting_user=acting_user,
            person=person,
            membership_type=membership_type,
            household=household,
            household_share=index == 0,
            **kwargs,
        )
        for index, person in enumerate(persons)
    ]


def _with_household(memberships: Iterable[Membership]) -> list[Membership]:
    """The memberships and, for household ones, their household's memberships of the same
    period: the household pays once for all."""
    result: dict[int, Membership] = {}
    for membership in memberships:
        result[membership.pk] = membership
        if membership.household_id:
            for other in Membership.objects.filter(
                household_id=membership.household_id, period_start=membership.period_start
            ):
                result.setdefault(other.pk, other)
    return list(result.values())


@transaction.atomic
def dues_payment_record(
    *,
    association: Association,
    acting_user,
    memberships: Iterable[Membership],
    method: str,
    paid_on: dt.date | None = None,
    amount_cents: int | None = None,
    reference: str = "",
    note: str = "",
    ledger_payment: Payment | None = None,
) -> DuesPayment | None:
    """Record one payment covering `memberships` (and their households); None if all were
    paid already. Already-paid memberships are left as they are. `ledger_payment`: the
    money is already in the ledger (paid online: the payment service's Payment), it is
    linked instead of recording another."""
    if method not in DuesPayment.Method.values:
        raise ValidationError({"method": _("Unknown payment method.")})
    paid_on = paid_on or timezone.localdate()
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The date of payment cannot be in the future.")})
    if has_forbidden_characters(reference) or has_forbidden_characters(note):
        raise ValidationError(
            {"reference": _("This text contains characters that are not allowed.")}
        )
    ids = [m.pk for m in memberships if m.association_id == association.pk]
    locked = list(
        Membership.objects.select_for_update().filter(
            association=association, pk__in=ids, paid_on__isnull=True
        )
    )
    unpaid = [
        m
        for m in _with_household(locked)
        if m.paid_on is None and not m.resigned_at and not m.excluded_at
    ]
    if not unpaid:
        return None
    due = sum(m.amount_due_cents for m in unpaid)
    amount = due if amount_cents is None else amount_cents
    if not 0 <= amount <= MAX_AMOUNT_CENTS:
        raise ValidationError({"amount_cents": _("Between 0 and 100,000 €.")})
    payer = unpaid[0].person
    payment = DuesPayment.objects.create(
        association=association,
        amount_cents=amount,
        method=method,
        paid_on=paid_on,
        reference=reference.strip()[:100],
        note=note.strip()[:255],
        recorded_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        # The money in the association's ledger (payments app); none for 0 €.
        payment=ledger_payment
        or payment_services.payment_record(
            association=association,
            acting_user=acting_user,
            amount_cents=amount,
            method=method,
            paid_on=paid_on,
            person=payer,
            payer_name=payer.full_name[:200],
            reference=reference.strip()[:100],
            note=note.strip()[:255],
        )
        if amount > 0 or ledger_payment
        else None,
    )
    Membership.objects.filter(pk__in=[m.pk for m in unpaid]).update(
        payment=payment, paid_on=paid_on
    )
    Person.objects.filter(pk__in={m.person_id for m in unpaid}).update(
        last_activity_at=timezone.now()
    )
    member_cache.changed(association)
    audit_log(
        association=association,
        actor=acting_user,
        action="membership.paid",
        obj=payment,
        object_repr=ngettext(
            "%(amount)s € for %(count)d membership",
            "%(amount)s € for %(count)d memberships",
            len(unpaid),
        )
        % {"amount": format_euros(amount), "count": len(unpaid)},
        data={"method": method, "memberships": len(unpaid), "due_cents": due},
    )
    return payment


@transaction.atomic
def dues_payment_cancel(*, association: Association, acting_user, payment: DuesPayment) -> None:
    """Undo a payment recorded by mistake: its memberships wait for payment again, and the
    money in the ledger is cancelled (it stays there, marked cancelled)."""
    ledger = payment.payment
    dues_payment_unlink(association=association, acting_user=acting_user, payment=payment)
    if ledger is not None and ledger.status == ledger.Status.SUCCEEDED:
        payment_services.payment_update_status(
            association=association,
            acting_user=acting_user,
            payment=ledger,
            status=ledger.Status.CANCELLED,
            reason=_("Dues payment cancelled by the team"),
        )


@transaction.atomic
def dues_payment_unlink(*, association: Association, acting_user, payment: DuesPayment) -> int:
    """The memberships a dues payment paid wait for payment again; the dues payment goes.
    Also what happens when its money bounces (a cheque, a SEPA return) or is refunded."""
    memberships = Membership.objects.filter(association=association, payment=payment)
    count = memberships.update(payment=None, paid_on=None)
    member_cache.changed(association)
    audit_log(
        association=association,
        actor=acting_user,
        action="membership.payment_cancel",
        obj=payment,
        data={"memberships": count, "amount_cents": payment.amount_cents},
    )
    payment.delete()
    return count


def _lock(association: Association, membership: Membership) -> Membership:
    return Membership.objects.select_for_update().get(pk=membership.pk, association=association)


@transaction.atomic
def membership_approve(*, association: Association, acting_user, membership: Membership):
    membership = _lock(association, membership)
    if membership.approved_at is None:
        membership.approved_at = timezone.now()
        membership.save(update_fields=["approved_at", "updated_at"])
        member_cache.changed(association)
        audit_log(
            association=association, actor=acting_user, action="membership.approve", obj=membership
        )
        _tell_approved(association, membership)
    return membership


def _tell_approved(association: Association, membership: Membership) -> None:
    """The join e-mail promised "you will be told": tell the member (or the payer of a
    household) that the team confirmed the membership."""
    from essaim.core.emails import email_enqueue

    from .join import portal_url

    person = membership.person
    if not person.email or person.is_erased:
        return
    email_enqueue(
        to=person.email,
        template="membership_approved",
        association=association,
        context={
            "person": person,
            "membership_type": membership.membership_type,
            "period": membership.period.label(),
            "to_pay": not membership.is_paid and membership.amount_due_cents > 0,
            # A household member's share is 0: they wait for the household's payment.
            "household_pays": not membership.is_paid and membership.amount_due_cents == 0,
            "amount": format_euros(membership.amount_due_cents),
            "payment_instructions": settings_for(association).payment_instructions,
            "portal_url": portal_url(),
        },
    )


@transaction.atomic
def membership_resign(
    *, association: Association, acting_user, membership: Membership, reason: str = ""
) -> Membership:
    """The member leaves: the membership ends now, its history is kept."""
    membership = _lock(association, membership)
    if membership.resigned_at or membership.excluded_at:
        raise ValidationError(_("This membership has already ended."))
    membership.resigned_at = timezone.now()
    membership.save(update_fields=["resigned_at", "updated_at"])
    _touch(membership.person)
    member_cache.changed(association)
    audit_log(
        association=association,
        actor=acting_user,
        action="membership.resign",
        obj=membership,
        data={"reason": reason[:255]},
    )
    return membership


@transaction.atomic
def membership_exclude(
    *, association: Association, acting_user, membership: Membership, reason: str
) -> Membership:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why: the statutes usually require a reason.")})
    membership = _lock(association, membership)
    if membership.resigned_at or membership.excluded_at:
        raise ValidationError(_("This membership has already ended."))
    membership.excluded_at = timezone.now()
    membership.exclusion_reason = reason[:255]
    membership.save(update_fields=["excluded_at", "exclusion_reason", "updated_at"])
    member_cache.changed(association)
    audit_log(
        association=association,
        actor=acting_user,
        action="membership.exclude",
        obj=membership,
        changes={"exclusion_reason": [None, reason[:255]]},
    )
    return membership


@transaction.atomic
def membership_renew(
    *,
    association: Association,
    acting_user,
    membership: Membership,
    membership_type: MembershipType | None = None,
    rate: str | None = None,
    chosen_amount_cents: int | None = None,
    source: str = Membership.Source.RENEWAL,
) -> Membership:
    """Renew for the next period (same type unless another is given).

    Renewing twice is harmless: the second call returns the renewal made by the first.
    A household renews together: the other members' memberships follow.
    """
    previous = _lock(association, membership)
    existing = Membership.objects.filter(renewal_of=previous).first()
    if existing is not None:
        return existing
    if previous.excluded_at:
        raise ValidationError(_("An excluded member cannot renew."))
    mtype = membership_type or previous.membership_type
    if not mtype.is_active:
        raise ValidationError({"membership_type": _("This membership type is no longer offered.")})
    period = periods.next_period(
        mtype.period_kind, previous.period, timezone.localdate(), mtype.season_start_month
    )
    if period is None:
        raise ValidationError(_("A lifetime membership does not need renewing."))
    renewal = membership_create(
        association=association,
        acting_user=acting_user,
        person=previous.person,
        membership_type=mtype,
        rate=rate or previous.rate,
        chosen_amount_cents=chosen_amount_cents,
        reduced_proof=previous.reduced_proof,
        source=source,
        approved=True,
        renewal_of=previous,
        period=period,
        start_on=period.start,
        household=None,
    )
    if previous.household_id and mtype.is_household:
        renewal.household_id = previous.household_id
        renewal.save(update_fields=["household", "updated_at"])
        for other in Membership.objects.filter(
            household_id=previous.household_id, period_start=previous.period_start
        ).exclude(pk=previous.pk):
            if other.resigned_at or other.excluded_at or hasattr(other, "renewed_by"):
                continue
            membership_create(
                association=association,
                acting_user=acting_user,
                person=other.person,
                membership_type=mtype,
                household=renewal.household,
                household_share=False,
                source=source,
                renewal_of=other,
                period=period,
                start_on=period.start,
            )
    return renewal
