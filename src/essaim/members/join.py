"""Joining online: a visitor fills the association's public join form.

One service, `membership_join`, used by the public form (and, later, the API): it finds or
creates the contact, creates the membership (or the household's), records the consents and
the acceptance of the statutes and of the personal data notice, and queues the confirmation
e-mail — all in one transaction.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log
from essaim.core.emails import email_enqueue
from essaim.core.models import Association
from essaim.lib.text import fold
from essaim.people import services as people_services
from essaim.people.models import Consent, Person

from . import online, periods, services
from .models import Membership, MembershipSettings, MembershipType

# Contact fields the form may ask, by the name of their rule in MembershipSettings.join_fields.
RULE_FIELDS = {
    "phone": ("phone",),
    "address": ("address_line1", "address_line2", "postcode", "city"),
    "birth_date": ("birth_date",),
}
# Of an address, these make a postal address a letter can reach.
ADDRESS_REQUIRED = ("address_line1", "postcode", "city")
ALWAYS_ASKED = ("first_name", "last_name", "email")
HOUSEHOLD_FIELDS = ("first_name", "last_name", "email")


def offered_types(association: Association):
    """The membership types a visitor may choose on the join form."""
    return MembershipType.objects.filter(association=association, online=True, is_active=True)


def join_rules(member_settings: MembershipSettings) -> dict[str, str]:
    """ "hidden", "optional" or "required" for phone, address and birth date."""
    allowed = set(MembershipSettings.FieldRule.values)
    return {
        name: rule
        if (rule := (member_settings.join_fields or {}).get(name)) in allowed
        else "hidden"
        for name in RULE_FIELDS
    }


def current_period(membership_type: MembershipType, today: dt.date | None = None):
    return membership_type.period_for(today or timezone.localdate())


def amount_today(
    membership_type: MembershipType,
    *,
    rate: str = Membership.Rate.NORMAL,
    chosen_amount_cents: int | None = None,
    today: dt.date | None = None,
) -> int:
    """What joining today costs (pro-rata included); raises ValidationError on a bad amount."""
    today = today or timezone.localdate()
    period = current_period(membership_type, today)
    return services.dues_for(
        membership_type,
        period=period,
        joined=max(today, period.start),
        rate=rate,
        chosen_amount_cents=chosen_amount_cents,
    )


@dataclass
class JoinResult:
    person: Person
    membership_type: MembershipType
    period: periods.Period
    amount_cents: int
    memberships: list[Membership] = field(default_factory=list)
    # The person already had this membership for this period: nothing new was created. The
    # visitor sees the same page as for a new membership (whether an e-mail address belongs
    # to a member is not something a public form may reveal); the e-mail tells the truth.
    already_member: bool = False
    email_sent: bool = False
    approval_required: bool = False

    @property
    def is_paid(self) -> bool:
        return self.amount_cents == 0


def _names_match(person: Person, first_name: str, last_name: str) -> bool:
    """The same person, or a family sharing one e-mail address (common in France)?"""
    return (not person.first_name or fold(person.first_name) == fold(first_name)) and (
        not person.last_name or fold(person.last_name) == fold(last_name)
    )


def match_person(association: Association, fields: dict) -> Person | None:
    """An existing, live contact with the same e-mail address and a compatible name.

    Two spouses with one shared address are two people: the name must match too (or be
    missing on the existing contact).
    """
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


def _fill_blanks(association: Association, person: Person, fields: dict) -> Person:
    """Complete an existing contact with what the visitor typed, never overwriting.

    Anyone can type someone else's e-mail address on a public form: what is already known
    stays as it is (the member changes it from their portal, signed in).
    """
    updates = {
        name: value
        for name, value in fields.items()
        if value not in (None, "") and getattr(person, name) in (None, "")
    }
    if not updates:
        return person
    try:
        return people_services.person_update(
            association=association, acting_user=None, person=person, **updates
        )
    except ValidationError:
        # The existing record fails a rule the visitor's data does not (an old import):
        # keep it as it is rather than refuse the membership.
        return person


def _clean_contact(rules: dict[str, str], data: dict, *, prefix: str = "") -> tuple[dict, dict]:
    """The contact fields the association asks for, normalised; and the errors."""
    errors: dict[str, str] = {}
    fields = {name: data.get(name) or "" for name in ALWAYS_ASKED}
    for rule_name, names in RULE_FIELDS.items():
        if rules[rule_name] == "hidden":
            continue  # never store what the association did not ask for
        for name in names:
            fields[name] = data.get(name) or (None if name == "birth_date" else "")
    try:
        fields = people_services.person_clean(fields)
    except ValidationError as exc:
        errors.update({prefix + k: v[0] for k, v in exc.message_dict.items()})
        fields = {k: v for k, v in fields.items() if k not in exc.message_dict}
    for name in ("first_name", "last_name"):
        if not (fields.get(name) or "").strip() and prefix + name not in errors:
            errors[prefix + name] = _("This field is required.")
    if rules["phone"] == "required" and not fields.get("phone") and prefix + "phone" not in errors:
        errors[prefix + "phone"] = _("This field is required.")
    if rules["birth_date"] == "required" and not fields.get("birth_date"):
        errors.setdefault(prefix + "birth_date", _("This field is required."))
    has_address = all(fields.get(name) for name in ADDRESS_REQUIRED)
    if rules["address"] == "required":
        for name in ADDRESS_REQUIRED:
            if not fields.get(name):
                errors.setdefault(prefix + name, _("This field is required."))
    if not fields.get("email") and prefix + "email" not in errors:
        if rules["address"] == "hidden":
            errors[prefix + "email"] = _("This field is required.")
        elif not has_address:
            # Members without e-mail exist (letters reach them): then the address is a must.
            errors[prefix + "email"] = _(
                "Give your e-mail address, or your postal address so that we can write to you."
            )
    return fields, errors


def _clean_household(others: list[dict], membership_type: MembershipType) -> tuple[list, dict]:
    errors: dict[str, str] = {}
    cleaned = []
    for index, row in enumerate(others):
        row = {name: " ".join(str(row.get(name) or "").split()) for name in HOUSEHOLD_FIELDS}
        if not any(row.values()):
            continue
        prefix = f"household_{index}_"
        try:
            row = people_services.person_clean(row)
        except ValidationError as exc:
            errors.update({prefix + k: v[0] for k, v in exc.message_dict.items()})
            continue
        for name in ("first_name", "last_name"):
            if not row.get(name):
                errors[prefix + name] = _("Give the first and last name of each person.")
        cleaned.append(row)
    if cleaned and not membership_type.is_household:
        errors["household"] = _("Only a household membership covers several people.")
    elif len(cleaned) + 1 > membership_type.max_household_size and membership_type.is_household:
        errors["household"] = _("At most %(count)d people in a household for this membership.") % {
            "count": membership_type.max_household_size
        }
    return cleaned, errors


@transaction.atomic
def membership_join(
    *,
    association: Association,
    membership_type: MembershipType,
    contact: dict,
    household: list[dict] | None = None,
    rate: str = Membership.Rate.NORMAL,
    chosen_amount_cents: int | None = None,
    reduced_proof: str = "",
    newsletter: bool = False,
    statutes_accepted: bool = False,
    privacy_accepted: bool = False,
    user=None,
    language: str | None = None,
) -> JoinResult:
    """A visitor joins `association` with `membership_type` (public join form, API).

    `contact` holds the person's fields (names, e-mail, and whatever the association asks:
    phone, address, birth date); fields the association does not ask for are ignored.
    An existing contact with the same e-mail address and name is reused and only completed.
    `user`, when the visitor is signed in with a verified address equal to the form's, is
    linked to the contact so that the member portal shows the membership at once.
    Raises ValidationError with one message per faulty field.
    """
    member_settings = services.settings_for(association)
    if not member_settings.join_enabled:
        raise ValidationError(_("The online join form of this association is closed."))
    if (
        membership_type.association_id != association.pk
        or not membership_type.online
        or not membership_type.is_active
    ):
        raise ValidationError({"membership_type": _("This membership type is not offered online.")})
    rules = join_rules(member_settings)
    fields, errors = _clean_contact(rules, contact)
    others, household_errors = _clean_household(list(household or []), membership_type)
    errors.update(household_errors)
    if not statutes_accepted:
        errors["accept_statutes"] = _("Joining means accepting the statutes of the association.")
    if not privacy_accepted:
        errors["accept_privacy"] = _("Please read the personal data notice and tick the box.")
    if rate not in Membership.Rate.values:
        errors["rate"] = _("Unknown rate.")
    elif rate == Membership.Rate.REDUCED:
        if (
            membership_type.reduced_amount_cents is None
            or membership_type.price_kind == MembershipType.PriceKind.FREE
        ):
            errors["rate"] = _("This membership type has no reduced rate.")
        elif membership_type.reduced_requires_proof and not " ".join(reduced_proof.split()):
            errors["reduced_proof"] = _("Say which proof of the reduced rate you can show.")
    reduced_proof = " ".join((reduced_proof or "").split())
    if len(reduced_proof) > 255:
        errors["reduced_proof"] = _("At most %(limit)d characters.") % {"limit": 255}
    if rate != Membership.Rate.REDUCED:
        reduced_proof = ""
    today = timezone.localdate()
    period = current_period(membership_type, today)
    amount = 0
    if "rate" not in errors:
        try:
            amount = amount_today(
                membership_type, rate=rate, chosen_amount_cents=chosen_amount_cents, today=today
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors["chosen_amount" if name == "amount" else name] = messages[0]
    if errors:
        raise ValidationError(errors)

    person = match_person(association, fields)
    if person is None:
        person = people_services.person_create(
            association=association, acting_user=None, source=Person.Source.ONLINE, **fields
        )
    else:
        person = _fill_blanks(association, person, fields)
    _link_user(association, person, user)
    result = JoinResult(
        person=person,
        membership_type=membership_type,
        period=period,
        amount_cents=amount,
        approval_required=member_settings.approval_required,
    )
    if Membership.objects.filter(
        person=person, membership_type=membership_type, period_start=period.start
    ).exists():
        result.already_member = True
    else:
        options = {
            "rate": rate,
            "chosen_amount_cents": chosen_amount_cents,
            "reduced_proof": reduced_proof,
            "source": Membership.Source.ONLINE,
            "approved": not member_settings.approval_required,
            "start_on": today,
        }
        if membership_type.is_household:
            persons = [person]
            for row in others:
                other = _household_person(association, row)
                if other.pk not in {p.pk for p in persons}:
                    persons.append(other)
            result.memberships = services.household_membership_create(
                association=association,
                acting_user=None,
                persons=persons,
                membership_type=membership_type,
                **options,
            )
        else:
            result.memberships = [
                services.membership_create(
                    association=association,
                    acting_user=None,
                    person=person,
                    membership_type=membership_type,
                    **options,
                )
            ]
        # The proof of acceptance of the statutes and of the personal data notice.
        Membership.objects.filter(pk__in=[m.pk for m in result.memberships]).update(
            terms_accepted_at=timezone.now()
        )
        result.amount_cents = result.memberships[0].amount_due_cents
    people_services.consent_record_from_form(
        association=association,
        person=person,
        topic=Consent.Topic.NEWSLETTER,
        granted=newsletter,
        note=_("online join form"),
    )
    audit_log(
        association=association,
        actor=None,
        action="membership.join",
        obj=person,
        data={
            "type": membership_type.name,
            "memberships": len(result.memberships),
            "already_member": result.already_member,
        },
    )
    if person.email:
        _send_confirmation(association, member_settings, result, language)
        result.email_sent = True
    return result


def _household_person(association: Association, row: dict) -> Person:
    existing = match_person(association, row)
    if existing is not None:
        return _fill_blanks(association, existing, row)
    return people_services.person_create(
        association=association, acting_user=None, source=Person.Source.ONLINE, **row
    )


def _link_user(association: Association, person: Person, user) -> None:
    """Link a signed-in visitor's account to the contact when the addresses match and the
    account's address is verified (otherwise anyone could claim anyone's contact)."""
    if user is None or not getattr(user, "is_authenticated", False) or person.user_id:
        return
    from allauth.account.models import EmailAddress

    if not person.email_folded or not any(
        fold(address) == person.email_folded
        for address in EmailAddress.objects.filter(user=user, verified=True).values_list(
            "email", flat=True
        )
    ):
        return
    Person.objects.filter(pk=person.pk, user__isnull=True).update(user=user)
    person.user = user
    audit_log(
        association=association,
        actor=user,
        action="person.account_linked",
        obj=person,
        data={"via": "join"},
    )


def portal_url() -> str:
    return settings.ESSAIM_BASE_URL + reverse("members_public:portal")


def signup_url() -> str:
    return (
        settings.ESSAIM_BASE_URL
        + reverse("account_signup")
        + "?"
        + urlencode({"next": reverse("members_public:portal")})
    )


def _send_confirmation(association, member_settings, result: JoinResult, language) -> None:
    email_enqueue(
        to=result.person.email,
        template="membership_joined",
        association=association,
        language=language,
        context={
            "person": result.person,
            "membership_type": result.membership_type,
            "period": result.period.label(),
            "lifetime": result.period.end is None,
            "amount": services.format_euros(result.amount_cents),
            "to_pay": result.amount_cents > 0 and not result.already_member,
            "pay_url": ""
            if result.already_member or not result.memberships
            else online.pay_link(result.memberships[0]),
            "already_member": result.already_member,
            "approval_required": result.approval_required,
            "household": [m.person for m in result.memberships[1:]],
            "payment_instructions": member_settings.payment_instructions,
            "portal_url": portal_url(),
            "signup_url": signup_url(),
            "has_account": result.person.user_id is not None,
        },
    )


def price_text(membership_type: MembershipType, today: dt.date | None = None) -> str:
    """The price of a type as the join form says it: "20 €", "free", "from 5 € (suggested
    20 €)", with the reduced rate and the household size."""
    today = today or timezone.localdate()
    kind = membership_type.price_kind
    euros = services.format_euros
    if kind == MembershipType.PriceKind.FREE:
        text = _("free")
    elif kind == MembershipType.PriceKind.SLIDING:
        text = _("amount of your choice, at least %(min)s € (suggested: %(amount)s €)") % {
            "min": euros(
                amount_today(
                    membership_type,
                    chosen_amount_cents=membership_type.min_amount_cents,
                    today=today,
                )
            ),
            "amount": euros(amount_today(membership_type, today=today)),
        }
    else:
        text = _("%(amount)s €") % {"amount": euros(amount_today(membership_type, today=today))}
    if kind != MembershipType.PriceKind.FREE and membership_type.reduced_amount_cents is not None:
        reduced = amount_today(membership_type, rate=Membership.Rate.REDUCED, today=today)
        if membership_type.reduced_label:
            text += " · " + _("reduced rate %(amount)s € (%(who)s)") % {
                "amount": euros(reduced),
                "who": membership_type.reduced_label,
            }
        else:
            text += " · " + _("reduced rate %(amount)s €") % {"amount": euros(reduced)}
    if membership_type.prorata and kind != MembershipType.PriceKind.FREE:
        text += " · " + _("pro-rata for the rest of the period")
    return text


def period_text(membership_type: MembershipType, today: dt.date | None = None) -> str:
    period = current_period(membership_type, today)
    if period.end is None:
        return _("for life")
    return _("period %(period)s") % {"period": period.label()}
