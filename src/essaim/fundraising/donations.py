"""Giving on a campaign's page: the donation form's service and what happens to its money.

`donation_start` is what the public form calls (and, later, the API): it checks the amount
and the donor, finds or creates their contact, records their answer about news, and creates
the gift waiting for its payment (GiftIntent):
- online: the view then sends the donor to the payment service (`intent_checkout`); a
  monthly gift by card becomes a RecurringGift whose Stripe subscription is started by
  that checkout (HelloAsso has no monthly payments through its checkout intents);
- SEPA direct debit: the donor signs a mandate on the form; a one-off gift is debited in
  the next batch (debit source `intent:<uuid>`, below), a monthly gift becomes a
  RecurringGift (recurring.py).

When the payment succeeds (`payment_status_changed`, whose key says what it paid), the Gift
is recorded with its campaign and source, the intent is marked paid and the donor thanked,
once, however many times the news arrives.
"""

import contextlib
import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log
from essaim.core.emails import email_enqueue
from essaim.core.models import Association
from essaim.lib.money import format_euros
from essaim.lib.text import fold, has_forbidden_characters
from essaim.payments import mandates as mandate_services
from essaim.payments import online, sepa
from essaim.payments.debit_sources import DueDebit
from essaim.payments.models import Mandate, Payment, ProviderAccount
from essaim.people import services as people_services
from essaim.people.models import Consent, Person

from . import tax_rates
from .campaigns import campaign_is_open
from .models import Campaign, FiscalSettings, Gift, GiftIntent, OrganismCategory, RecurringGift

logger = logging.getLogger(__name__)

MIN_GIFT_CENTS = 100  # 1 €: below, the payment services' fees eat the gift
MAX_PUBLIC_GIFT_CENTS = 100_000_00  # 100 000 € on a public form; more is arranged by hand
MAX_MONTHLY_CENTS = 10_000_00  # 10 000 € a month
INTENT_PREFIX = "intent:"
SOURCE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# The share links the back office offers, in the order shown.
SHARE_CHANNELS = ("newsletter", "facebook", "x", "linkedin", "email", "qr")
CONTACT_FIELDS = ("first_name", "last_name", "email", "address_line1", "address_line2")
ADDRESS_REQUIRED = ("address_line1", "postcode", "city")


def clean_source(value) -> str:
    """The ?src= of a share link, or "" when it is not a short lower-case word."""
    value = str(value or "").strip().lower()[:40]
    return value if SOURCE_PATTERN.match(value) else ""


def intent_key(intent: GiftIntent) -> str:
    return f"{INTENT_PREFIX}{intent.uuid}"


# --- What the form offers ---------------------------------------------------------------


def online_provider(association: Association) -> ProviderAccount | None:
    """The payment service offered to donors: Stripe, else HelloAsso, if set up and on."""
    accounts = ProviderAccount.objects.filter(association=association, enabled=True)
    by_provider = {account.provider: account for account in accounts}
    for provider in (ProviderAccount.Provider.STRIPE, ProviderAccount.Provider.HELLOASSO):
        account = by_provider.get(provider)
        if account is not None and account.is_active:
            return account
    return None


def sepa_creditor(association: Association):
    """The association's SEPA creditor settings (name and ICS), or None: no SEPA offer."""
    return mandate_services.creditor_settings_of(association)


def receipts_offered(association: Association) -> bool:
    fiscal = FiscalSettings.objects.filter(association=association).first()
    return bool(fiscal and fiscal.eligible)


def is_aid_organisation(association: Association) -> bool:
    """Gifts to organisations helping people in difficulty get 75 % up to a ceiling."""
    fiscal = FiscalSettings.objects.filter(association=association).first()
    return bool(fiscal and fiscal.category == OrganismCategory.FOOD_AID)


@dataclass(frozen=True)
class Cost:
    amount_cents: int
    individual_cents: int  # what it costs an individual after the income tax reduction
    company_cents: int  # what it costs a company after the corporate tax reduction


def cost_after_reduction(amount_cents: int, *, year: int, aid: bool = False) -> Cost:
    """What a gift of `amount_cents` costs after the tax reduction of `year`'s rates."""
    return Cost(
        amount_cents=amount_cents,
        individual_cents=tax_rates.cost_after_reduction_cents(amount_cents, year, aid=aid),
        company_cents=tax_rates.company_cost_after_reduction_cents(amount_cents, year),
    )


# --- The form's service -----------------------------------------------------------------


def _names_match(person: Person, first_name: str, last_name: str) -> bool:
    return (not person.first_name or fold(person.first_name) == fold(first_name)) and (
        not person.last_name or fold(person.last_name) == fold(last_name)
    )


def match_person(association: Association, fields: dict) -> Person | None:
    """A live contact with the same e-mail address and a compatible name (two spouses who
    share an address are two people), or None."""
    email = fold(fields.get("email"))
    if not email:
        return None
    candidates = Person.objects.filter(
        association=association, email_folded=email, erased_at__isnull=True
    ).order_by("created_at", "id")
    for candidate in candidates[:20]:
        if _names_match(candidate, fields.get("first_name", ""), fields.get("last_name", "")):
            return candidate
    return None


def _donor(association: Association, fields: dict) -> Person:
    """The donor's contact: found (and only completed: anyone can type anyone's e-mail
    address on a public form, so what is known stays) or created."""
    person = match_person(association, fields)
    if person is None:
        return people_services.person_create(
            association=association, acting_user=None, source=Person.Source.ONLINE, **fields
        )
    updates = {
        name: value
        for name, value in fields.items()
        if value not in (None, "") and getattr(person, name) in (None, "")
    }
    if updates:
        # An old record failing a newer rule: keep it as it is rather than refuse the gift.
        with contextlib.suppress(ValidationError):
            person = people_services.person_update(
                association=association, acting_user=None, person=person, **updates
            )
    return person


def _check_amount(errors: dict, amount_cents, monthly: bool) -> None:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        errors["amount"] = _("Give an amount in euros, for example 30.")
    elif amount_cents < MIN_GIFT_CENTS:
        errors["amount"] = _("The smallest gift is %(min)s.") % {
            "min": format_euros(MIN_GIFT_CENTS)
        }
    elif amount_cents > (MAX_MONTHLY_CENTS if monthly else MAX_PUBLIC_GIFT_CENTS):
        limit = MAX_MONTHLY_CENTS if monthly else MAX_PUBLIC_GIFT_CENTS
        errors["amount"] = _(
            "Above %(limit)s, please contact the association to arrange your gift."
        ) % {"limit": format_euros(limit)}


def _clean_donor(contact: dict, errors: dict) -> dict:
    fields = {name: contact.get(name) or "" for name in (*CONTACT_FIELDS, "postcode", "city")}
    fields["country"] = contact.get("country") or "FR"
    try:
        fields = people_services.person_clean(fields)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        fields = {k: v for k, v in fields.items() if k not in exc.message_dict}
    for name in ("first_name", "last_name", "email"):
        if not (fields.get(name) or "").strip():
            errors.setdefault(name, _("This field is required."))
    for name in ADDRESS_REQUIRED:
        if not (fields.get(name) or "").strip():
            errors.setdefault(
                name, _("Your postal address is needed for the tax receipt: fill it in.")
            )
    return fields


@transaction.atomic
def donation_start(
    *,
    association: Association,
    campaign: Campaign,
    amount_cents: int,
    method: str,
    contact: dict,
    monthly: bool = False,
    donor_kind: str = Gift.DonorKind.INDIVIDUAL,
    company_name: str = "",
    company_siren: str = "",
    news: bool = False,
    source: str = "",
    iban: str = "",
    account_holder: str = "",
    mandate_accepted: bool = False,
) -> GiftIntent:
    """A donor gives on `campaign`'s page. Returns the gift waiting for its payment.

    `contact` holds first_name, last_name, email, address_line1, address_line2, postcode,
    city (the postal address is needed for the tax receipt). By SEPA direct debit, the
    donor's `iban`, `account_holder` and `mandate_accepted` sign the mandate. Raises
    ValidationError with one message per faulty field, and writes nothing then.
    """
    errors: dict[str, str] = {}
    if campaign.association_id != association.pk:
        raise ValidationError(_("Unknown campaign."))
    if not campaign_is_open(campaign):
        raise ValidationError(_("This campaign no longer takes gifts."))
    monthly = bool(monthly)
    if monthly and not campaign.allow_monthly:
        errors["monthly"] = _("This campaign does not offer monthly gifts.")
    _check_amount(errors, amount_cents, monthly)
    creditor = sepa_creditor(association)
    provider = online_provider(association)
    if method == GiftIntent.Method.ONLINE:
        if provider is None:
            errors["method"] = _("Online payment is not offered by this association.")
        elif monthly and online.subscriptions_offered(association) is None:
            errors["method"] = _(
                "A monthly gift by card is offered only with Stripe: choose SEPA direct debit."
            )
    elif method == GiftIntent.Method.SEPA_DEBIT:
        if creditor is None:
            errors["method"] = _("Direct debit is not offered by this association.")
    else:
        errors["method"] = _("Choose how you pay.")
    if donor_kind not in Gift.DonorKind.values:
        errors["donor_kind"] = _("Unknown kind of donor.")
    company_name = " ".join(str(company_name or "").split())
    company_siren = "".join(str(company_siren or "").split())
    if donor_kind == Gift.DonorKind.COMPANY:
        if not company_name:
            errors["company_name"] = _("Give the company's name.")
        elif len(company_name) > 200 or has_forbidden_characters(company_name):
            errors["company_name"] = _("Give the company's name (200 characters at most).")
        if company_siren and not (company_siren.isdigit() and len(company_siren) == 9):
            errors["company_siren"] = _("A SIREN number has 9 digits.")
    else:
        company_name = company_siren = ""
    fields = _clean_donor(contact, errors)
    account_holder = " ".join(str(account_holder or "").split())
    if method == GiftIntent.Method.SEPA_DEBIT and creditor is not None:
        try:
            sepa.validate_iban(iban)
        except ValidationError as exc:
            errors["iban"] = exc.messages[0]
        if not account_holder:
            errors["account_holder"] = _("Give the name of the account holder.")
        elif len(account_holder) > 70 or has_forbidden_characters(account_holder):
            errors["account_holder"] = _("The account holder's name has 70 characters at most.")
        if not mandate_accepted:
            errors["mandate_accepted"] = _("Tick the box to sign the direct debit mandate.")
    if errors:
        raise ValidationError(errors)

    person = _donor(association, fields)
    people_services.consent_record_from_form(
        association=association,
        person=person,
        topic=Consent.Topic.ASSOCIATION_NEWS,
        granted=bool(news),
        note=_("donation form"),
    )
    source = clean_source(source)
    intent = GiftIntent(
        association=association,
        campaign=campaign,
        person=person,
        amount_cents=amount_cents,
        monthly=monthly,
        method=method,
        donor_kind=donor_kind,
        company_name=company_name,
        company_siren=company_siren,
        source=source,
    )
    if method == GiftIntent.Method.SEPA_DEBIT:
        today = timezone.localdate()
        try:
            intent.mandate = mandate_services.mandate_create(
                association=association,
                acting_user=None,
                iban=iban,
                signed_on=today,
                kind=Mandate.Kind.RECURRING if monthly else Mandate.Kind.ONE_OFF,
                person=person,
                debtor_name=account_holder,
            )
        except ValidationError as exc:
            raise ValidationError(
                {
                    ("account_holder" if name == "debtor_name" else name): messages
                    for name, messages in exc.message_dict.items()
                }
            ) from None
        if monthly:
            intent.recurring = RecurringGift.objects.create(
                association=association,
                person=person,
                campaign=campaign,
                amount_cents=amount_cents,
                mandate=intent.mandate,
                started_on=today,
                source=source,
            )
    elif monthly:
        intent.recurring = RecurringGift.objects.create(
            association=association,
            person=person,
            campaign=campaign,
            amount_cents=amount_cents,
            method=RecurringGift.Method.CARD_ONLINE,
            started_on=timezone.localdate(),
            source=source,
        )
    intent.save()
    audit_log(
        association=association,
        actor=None,
        action="gift_intent.create",
        obj=intent,
        data={
            "campaign": campaign.slug,
            "method": method,
            "monthly": monthly,
            "amount_cents": amount_cents,
            "source": source,
        },
    )
    if intent.recurring is not None:
        audit_log(
            association=association,
            actor=None,
            action="recurring.create",
            obj=intent.recurring,
            data={
                "amount_cents": amount_cents,
                "campaign": campaign.slug,
                "method": intent.recurring.method,
            },
        )
    if intent.mandate is not None and person.email:
        _mandate_email(association, creditor, intent, person)
    return intent


def _mandate_email(association: Association, creditor, intent: GiftIntent, person) -> None:
    """The debtor is told of the mandate they signed and its reference (SEPA rulebook)."""
    mandate = intent.mandate
    email_enqueue(
        to=person.email,
        template="gift_pledged",
        association=association,
        context={
            "first_name": person.first_name,
            "amount": format_euros(intent.amount_cents),
            "monthly": intent.monthly,
            "rum": mandate.rum,
            "creditor_name": creditor.creditor_name,
            "creditor_id": creditor.creditor_id,
            "debtor_name": mandate.debtor_name,
            "iban_end": mandate.iban_masked,
            "signed_on": mandate.signed_on.strftime("%d/%m/%Y"),
            "space_url": donor_space_url(),
        },
    )


def intent_checkout(*, intent: GiftIntent, return_url: str, cancel_url: str) -> str:
    """Open the payment service's checkout for an online gift; returns where to send the
    donor. The payment, once notified, carries the key `intent:<uuid>`."""
    association = intent.association
    if intent.monthly and intent.recurring is not None:
        return _subscription_checkout(intent, return_url=return_url, cancel_url=cancel_url)
    provider = online_provider(association)
    if provider is None:
        raise ValidationError(_("Online payment is not offered by this association."))
    title = intent.campaign.title if intent.campaign else association.name
    description = _("Gift to %(name)s — %(campaign)s") % {
        "name": association.name,
        "campaign": title,
    }
    checkout = online.checkout_start(
        association=association,
        acting_user=None,
        provider=provider.provider,
        amount_cents=intent.amount_cents,
        description=description[:250],
        return_url=return_url,
        cancel_url=cancel_url,
        idempotency_key=intent_key(intent),
        payer_email=intent.person.email if intent.person else "",
        metadata={"purpose": "gift"},
        donation=True,
    )
    return checkout.url


def _subscription_checkout(intent: GiftIntent, *, return_url: str, cancel_url: str) -> str:
    """A monthly gift by card: Stripe's checkout starts the subscription; each month's
    payment comes back keyed `recurring:<uuid>:<YYYY-MM>` (recurring.py)."""
    from .recurring import subscription_key

    association = intent.association
    account = online.subscriptions_offered(association)
    if account is None:
        raise ValidationError(_("Monthly gifts by card are not offered by this association."))
    title = intent.campaign.title if intent.campaign else association.name
    description = _("Monthly gift to %(name)s — %(campaign)s") % {
        "name": association.name,
        "campaign": title,
    }
    checkout = online.subscription_start(
        association=association,
        provider=account.provider,
        amount_cents=intent.amount_cents,
        description=description[:250],
        return_url=return_url,
        cancel_url=cancel_url,
        key=subscription_key(intent.recurring),
        payer_email=intent.person.email if intent.person else "",
    )
    return checkout.url


@transaction.atomic
def intent_cancel(*, association: Association, acting_user, intent: GiftIntent) -> GiftIntent:
    """Give up a gift still waiting for its payment (the checkout failed, the team stops it).
    A monthly gift it started is cancelled with it."""
    locked = GiftIntent.objects.select_for_update().get(pk=intent.pk, association=association)
    if locked.status != GiftIntent.Status.PENDING:
        return locked
    locked.status = GiftIntent.Status.CANCELLED
    locked.save(update_fields=["status", "updated_at"])
    if locked.recurring_id:
        RecurringGift.objects.filter(pk=locked.recurring_id).exclude(
            status=RecurringGift.Status.CANCELLED
        ).update(
            status=RecurringGift.Status.CANCELLED,
            cancelled_at=timezone.now(),
            updated_at=timezone.now(),
        )
    audit_log(association=association, actor=acting_user, action="gift_intent.cancel", obj=locked)
    return locked


# --- When the money moves -----------------------------------------------------------------


def donor_space_url() -> str:
    return settings.ESSAIM_BASE_URL + reverse("fundraising_public:gifts")


def thank(association: Association, intent: GiftIntent, gift: Gift) -> bool:
    """Queue the thank-you e-mail of `intent` unless it was sent; True when queued now.
    The caller holds the intent's lock (so two deliveries never both send it)."""
    if intent.thanked_at is not None:
        return False
    person = gift.person or intent.person
    intent.thanked_at = timezone.now()
    if person is None or not person.email:
        return False
    campaign = intent.campaign
    email_enqueue(
        to=person.email,
        template="gift_thanks",
        association=association,
        context={
            "first_name": person.first_name,
            "company_name": gift.company_name,
            "amount": format_euros(gift.amount_cents),
            "monthly": intent.monthly,
            "campaign_title": campaign.title if campaign else "",
            "thank_you_message": campaign.thank_you_message if campaign else "",
            "receipt": receipts_offered(association),
            "space_url": donor_space_url(),
        },
    )
    return True


def record_gift(
    association: Association,
    payment: Payment,
    *,
    person: Person | None,
    campaign: Campaign | None,
    source: str,
    donor_kind: str = Gift.DonorKind.INDIVIDUAL,
    company_name: str = "",
    company_siren: str = "",
    recurring: RecurringGift | None = None,
) -> Gift:
    """The Gift a received payment brings, once: the one already recorded for it is
    returned (a payment pays one gift: Gift.payment is one-to-one)."""
    from .services import gift_record

    existing = Gift.objects.filter(association=association, payment=payment).first()
    if existing is not None:
        return existing
    if person is not None and (person.is_erased or person.association_id != association.pk):
        person = None
    received_on = min(payment.paid_on or timezone.localdate(), timezone.localdate())
    return gift_record(
        association=association,
        acting_user=None,
        person=person,
        amount_cents=payment.amount_cents,
        received_on=received_on,
        payment=payment,
        donor_kind=donor_kind
        if donor_kind != Gift.DonorKind.COMPANY or company_name
        else Gift.DonorKind.INDIVIDUAL,
        company_name=company_name,
        company_siren=company_siren,
        campaign=campaign,
        source=source,
        recurring=recurring,
    )


def intent_paid(association: Association, intent: GiftIntent, payment: Payment) -> Gift:
    """The payment of `intent` succeeded: its gift, marked paid, the donor thanked. Safe to
    call again: the same gift, no second e-mail."""
    locked = GiftIntent.objects.select_for_update().get(pk=intent.pk, association=association)
    gift = record_gift(
        association,
        payment,
        person=locked.person,
        campaign=locked.campaign,
        source=locked.source,
        donor_kind=locked.donor_kind,
        company_name=locked.company_name,
        company_siren=locked.company_siren,
        recurring=locked.recurring,
    )
    already = locked.status == GiftIntent.Status.PAID and locked.gift_id == gift.pk
    locked.status = GiftIntent.Status.PAID
    locked.gift = gift
    if locked.payment_id is None:
        locked.payment = payment
    thank(association, locked, gift)
    locked.save(update_fields=["status", "gift", "payment", "thanked_at", "updated_at"])
    if not already:
        audit_log(
            association=association,
            actor=None,
            action="gift_intent.paid",
            obj=locked,
            data={"amount_cents": payment.amount_cents},
        )
    return gift


def _intent_for(association: Association, key: str) -> GiftIntent | None:
    raw = key[len(INTENT_PREFIX) :]
    if not re.fullmatch(r"[0-9a-f-]{36}", raw):
        return None
    return (
        GiftIntent.objects.filter(association=association, uuid=raw)
        .select_related("campaign", "person", "recurring")
        .first()
    )


def on_intent_payment(association: Association, payment: Payment) -> None:
    """A payment keyed `intent:<uuid>` was recorded or changed status."""
    intent = _intent_for(association, payment.idempotency_key)
    if intent is None:
        logger.warning("payment %s names an unknown gift intent", payment.pk)
        return
    if payment.amount_cents != intent.amount_cents:
        logger.warning("payment %s: amount differs from gift intent %s", payment.pk, intent.pk)
    if payment.status == Payment.Status.SUCCEEDED:
        intent_paid(association, intent, payment)
    elif payment.status in (Payment.Status.FAILED, Payment.Status.CANCELLED):
        updated = GiftIntent.objects.filter(
            pk=intent.pk, association=association, status=GiftIntent.Status.PENDING
        ).update(status=GiftIntent.Status.FAILED, payment=payment, updated_at=timezone.now())
        if updated:
            audit_log(
                association=association,
                actor=None,
                action="gift_intent.failed",
                obj=intent,
                data={"reason": payment.status_reason[:200]},
            )
    elif intent.payment_id is None:
        GiftIntent.objects.filter(pk=intent.pk, association=association).update(
            payment=payment, updated_at=timezone.now()
        )


# --- The debit source of one-off gifts by SEPA ------------------------------------------


def intents_due(association: Association, collection_date: dt.date) -> list[DueDebit]:
    """One-off gifts by direct debit still waiting: due in the next batch."""
    intents = (
        GiftIntent.objects.filter(
            association=association,
            status=GiftIntent.Status.PENDING,
            method=GiftIntent.Method.SEPA_DEBIT,
            monthly=False,
            mandate__status=Mandate.Status.ACTIVE,
            mandate__signed_on__lte=collection_date,
        )
        .select_related("mandate", "campaign")
        .order_by("created_at", "id")
    )
    due = []
    for intent in intents:
        title = intent.campaign.title if intent.campaign else ""
        due.append(
            DueDebit(
                mandate=intent.mandate,
                amount_cents=intent.amount_cents,
                remittance=(
                    _("Gift %(name)s %(campaign)s")
                    % {
                        "name": association.name,
                        "campaign": title,
                    }
                )[:140],
                key=intent_key(intent),
                label=(_("Gift — %(campaign)s") % {"campaign": title or association.name}),
            )
        )
    return due
