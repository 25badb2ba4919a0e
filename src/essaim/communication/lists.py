"""Newsletter lists and subscriptions: double opt-in, imports with a legal basis,
unsubscribing.

The public form keeps nothing until the address is confirmed: the confirmation link carries
the list, the address and the name, signed and dated (ESSAIM's SECRET_KEY). A flood of
made-up addresses therefore writes no row; the link's page shows a button (mail scanners open
links, they do not press buttons), and only the POST subscribes.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.audit import apply_changes, audit_log
from essaim.core.emails import email_enqueue
from essaim.core.models import Association
from essaim.lib import ratelimit
from essaim.lib.text import fold, has_forbidden_characters
from essaim.mobilisation.canonical import canonical_email
from essaim.mobilisation.services import public_email_error
from essaim.people import services as people_services
from essaim.people.models import Consent, Person

from .models import NewsletterList, Subscription

CONFIRM_SALT = "essaim.communication.subscribe"
CONFIRM_DAYS = 7
RATE_IP = (20, 3600)  # subscription requests per client address and hour
RATE_ADDRESS = (3, 3600)  # confirmation e-mails to one address per hour
IMPORT_MAX = 5000  # lines per import


def _user(acting_user):
    return acting_user if getattr(acting_user, "is_authenticated", False) else None


def _clean_list(data: dict) -> dict:
    name = " ".join(str(data.get("name") or "").split())
    description = str(data.get("description") or "").strip()
    errors = {}
    if not name or len(name) > 120 or has_forbidden_characters(name):
        errors["name"] = _("Give the list a name (at most 120 characters).")
    if len(description) > 500 or has_forbidden_characters(description):
        errors["description"] = _("The description is limited to 500 characters.")
    if errors:
        raise ValidationError(errors)
    return {"name": name, "description": description, "is_public": bool(data.get("is_public"))}


@transaction.atomic
def newsletter_create(*, association: Association, acting_user, **fields) -> NewsletterList:
    """A newsletter list people can subscribe to (from its public page when public)."""
    data = _clean_list(fields)
    if NewsletterList.objects.filter(association=association, name=data["name"]).exists():
        raise ValidationError({"name": _("A list with this name already exists.")})
    newsletter = NewsletterList.objects.create(association=association, **data)
    audit_log(
        association=association, actor=acting_user, action="newsletter.create", obj=newsletter
    )
    return newsletter


@transaction.atomic
def newsletter_update(
    *, association: Association, acting_user, newsletter: NewsletterList, **fields
) -> NewsletterList:
    data = _clean_list(fields)
    if (
        NewsletterList.objects.filter(association=association, name=data["name"])
        .exclude(pk=newsletter.pk)
        .exists()
    ):
        raise ValidationError({"name": _("A list with this name already exists.")})
    changes = apply_changes(newsletter, data, values=False)
    if changes:
        newsletter.save()
        audit_log(
            association=association,
            actor=acting_user,
            action="newsletter.update",
            obj=newsletter,
            changes=changes,
        )
    return newsletter


def subscribe_url(newsletter: NewsletterList) -> str:
    return settings.ESSAIM_BASE_URL + reverse(
        "communication_public:subscribe",
        kwargs={"slug": newsletter.association.slug, "list_uuid": newsletter.uuid},
    )


# --- Public double opt-in -----------------------------------------------------------------


def _clean_subscriber(data: dict) -> dict:
    errors = {}
    email = str(data.get("email") or "").strip()
    first = " ".join(str(data.get("first_name") or "").split())
    last = " ".join(str(data.get("last_name") or "").split())
    if error := public_email_error(email):
        errors["email"] = error
    for key, value in (("first_name", first), ("last_name", last)):
        if len(value) > 150 or has_forbidden_characters(value):
            errors[key] = _("At most 150 characters.")
    if errors:
        raise ValidationError(errors)
    return {"email": email, "first_name": first, "last_name": last}


def subscribe_limited(ip: str) -> bool:
    limit, period = RATE_IP
    return ratelimit.hit_identity("newsletter.subscribe.ip", ip, limit=limit, period=period)


def subscription_request(*, association: Association, newsletter: NewsletterList, **fields) -> str:
    """Someone asked to subscribe on the public page: e-mail them a confirmation link.
    Returns "sent" or "quiet" (too many e-mails to that address this hour: nothing sent);
    the visitor sees the same page either way."""
    if newsletter.association_id != association.pk or not newsletter.is_public:
        raise ValidationError(_("This list is not open to subscriptions."))
    if newsletter.archived_at:
        raise ValidationError(_("This list is not open to subscriptions."))
    data = _clean_subscriber(fields)
    limit, period = RATE_ADDRESS
    key = canonical_email(data["email"])
    if ratelimit.hit_identity(f"newsletter.mail.{newsletter.pk}", key, limit=limit, period=period):
        return "quiet"
    token = signing.TimestampSigner(salt=CONFIRM_SALT).sign_object(
        {
            "l": str(newsletter.uuid),
            "e": data["email"],
            "f": data["first_name"],
            "n": data["last_name"],
        },
        compress=True,
    )
    email_enqueue(
        to=data["email"],
        template="newsletter_confirm",
        context={
            "newsletter": newsletter,
            "first_name": data["first_name"],
            "confirm_url": settings.ESSAIM_BASE_URL
            + reverse("communication_public:subscribe_confirm", kwargs={"token": token}),
            "valid_days": CONFIRM_DAYS,
        },
        association=association,
    )
    return "sent"


def subscription_from_token(token: str) -> tuple[dict | None, NewsletterList | None, str]:
    """(data, list, "") or (None, None, "expired" | "invalid")."""
    from django_scopes import scopes_disabled

    try:
        data = signing.TimestampSigner(salt=CONFIRM_SALT).unsign_object(
            token, max_age=dt.timedelta(days=CONFIRM_DAYS)
        )
    except signing.SignatureExpired:
        return None, None, "expired"
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        return None, None, "invalid"
    if not isinstance(data, dict) or not all(k in data for k in "lefn"):
        return None, None, "invalid"
    with scopes_disabled():
        newsletter = (
            NewsletterList.objects.select_related("association").filter(uuid=data["l"]).first()
        )
    if newsletter is None or newsletter.archived_at:
        return None, None, "invalid"
    return data, newsletter, ""


def _person_for(association: Association, email: str, first: str, last: str, source: str):
    person = (
        Person.objects.filter(
            association=association, email_folded=fold(email), erased_at__isnull=True
        )
        .order_by("id")
        .first()
    )
    if person is not None:
        return person, False
    person = people_services.person_create(
        association=association,
        acting_user=None,
        source=source,
        first_name=first,
        last_name=last,
        email=email,
    )
    return person, True


def _set(subscription: Subscription | None, *, association, newsletter, person, status, **extra):
    now = timezone.now()
    fields = {"status": status, **extra}
    if status == Subscription.Status.SUBSCRIBED:
        fields.setdefault("confirmed_at", now)
        fields["unsubscribed_at"] = None
    elif status == Subscription.Status.UNSUBSCRIBED:
        fields["unsubscribed_at"] = now
    if subscription is None:
        try:
            with transaction.atomic():
                return Subscription.objects.create(
                    association=association, newsletter=newsletter, person=person, **fields
                )
        except IntegrityError:  # created at this very moment by another request
            subscription = Subscription.objects.get(newsletter=newsletter, person=person)
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.save()
    return subscription


@transaction.atomic
def subscription_confirm(*, data: dict, newsletter: NewsletterList) -> str:
    """The visitor pressed the button of the confirmation page: "confirmed" or "already"."""
    association = newsletter.association
    person, _created = _person_for(
        association, data["e"], data["f"], data["n"], Person.Source.ONLINE
    )
    current = (
        Subscription.objects.select_for_update()
        .filter(newsletter=newsletter, person=person)
        .first()
    )
    if current is not None and current.status == Subscription.Status.SUBSCRIBED:
        return "already"
    _set(
        current,
        association=association,
        newsletter=newsletter,
        person=person,
        status=Subscription.Status.SUBSCRIBED,
        source=Subscription.Source.ONLINE,
        confirmed_at=timezone.now(),
    )
    people_services.consent_record(
        association=association,
        acting_user=None,
        person=person,
        topic=Consent.Topic.NEWSLETTER,
        granted=True,
        source=Consent.Source.ONLINE,
        note=(
            _("Subscribed to the list « %(name)s » (confirmed by e-mail).")
            % {"name": newsletter.name}
        )[:255],
    )
    audit_log(
        association=association,
        actor=None,
        action="subscription.confirm",
        obj=person,
        data={"list": newsletter.name},
    )
    return "confirmed"


# --- Team ---------------------------------------------------------------------------------


def _import_lines(text: str) -> tuple[list[dict], list[str]]:
    rows, errors = [], []
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.replace(",", ";").replace("\t", ";").split(";")]
        email = parts[0]
        try:
            validate_email(email)
        except ValidationError:
            errors.append(
                _("Line %(n)d: « %(email)s » is not an e-mail address.")
                % {"n": number, "email": email[:60]}
            )
            continue
        rows.append(
            {
                "email": email,
                "first_name": parts[1][:150] if len(parts) > 1 else "",
                "last_name": parts[2][:150] if len(parts) > 2 else "",
            }
        )
    return rows, errors


@transaction.atomic
def subscribers_import(
    *,
    association: Association,
    acting_user,
    newsletter: NewsletterList,
    lines: str,
    legal_basis: str,
) -> dict:
    """Subscribe existing subscribers (one address per line, optionally « ;first;last »).

    Only with a stated legal basis (RGPD art. 6 and 7: the association must be able to show
    how each person agreed — « subscribed on our paper form at the 2025 fair »). People who
    unsubscribed before are not subscribed again: their choice stands.
    """
    legal_basis = " ".join(str(legal_basis or "").split())
    errors = {}
    if len(legal_basis) < 10 or len(legal_basis) > 255 or has_forbidden_characters(legal_basis):
        errors["legal_basis"] = _(
            "Say how these people agreed to receive the list (at least 10 characters), e.g. "
            "« paper form at the 2025 fair »."
        )
    rows, line_errors = _import_lines(lines)
    if line_errors:
        errors["lines"] = line_errors[:10]
    elif not rows:
        errors["lines"] = _("Paste at least one e-mail address, one per line.")
    elif len(rows) > IMPORT_MAX:
        errors["lines"] = _("At most %(max)d addresses at a time.") % {"max": IMPORT_MAX}
    if newsletter.association_id != association.pk:
        errors["lines"] = _("Unknown list.")
    if errors:
        raise ValidationError(errors)
    added = kept_out = already = 0
    seen = set()
    for row in rows:
        key = canonical_email(row["email"])
        if key in seen:
            continue
        seen.add(key)
        person, _created = _person_for(
            association, row["email"], row["first_name"], row["last_name"], Person.Source.IMPORT
        )
        current = Subscription.objects.filter(newsletter=newsletter, person=person).first()
        if current is not None and current.status == Subscription.Status.UNSUBSCRIBED:
            kept_out += 1
            continue
        if current is not None and current.status == Subscription.Status.SUBSCRIBED:
            already += 1
            continue
        _set(
            current,
            association=association,
            newsletter=newsletter,
            person=person,
            status=Subscription.Status.SUBSCRIBED,
            source=Subscription.Source.IMPORT,
            legal_basis=legal_basis,
        )
        added += 1
    audit_log(
        association=association,
        actor=acting_user,
        action="newsletter.import",
        obj=newsletter,
        data={"added": added, "already": already, "kept_out": kept_out, "basis": legal_basis},
    )
    return {"added": added, "already": already, "kept_out": kept_out}


@transaction.atomic
def subscription_set(
    *,
    association: Association,
    acting_user,
    person: Person,
    newsletter: NewsletterList,
    subscribed: bool,
    source: str = Subscription.Source.ONLINE,
) -> Subscription | None:
    """Subscribe or unsubscribe `person` (the preference page, the team). Subscribing from
    here needs no e-mail confirmation: the person holds a link only they received."""
    if newsletter.association_id != association.pk or person.association_id != association.pk:
        raise ValidationError(_("Unknown list."))
    current = (
        Subscription.objects.select_for_update()
        .filter(newsletter=newsletter, person=person)
        .first()
    )
    status = Subscription.Status.SUBSCRIBED if subscribed else Subscription.Status.UNSUBSCRIBED
    if current is None and not subscribed:
        return None
    if current is not None and current.status == status:
        return current
    subscription = _set(
        current,
        association=association,
        newsletter=newsletter,
        person=person,
        status=status,
        source=source if current is None else current.source,
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="subscription.subscribe" if subscribed else "subscription.unsubscribe",
        obj=person,
        data={"list": newsletter.name},
    )
    return subscription


@transaction.atomic
def unsubscribe_everything(
    *, association: Association, person: Person, acting_user=None, note: str = ""
) -> int:
    """Every list left, and a « no » recorded for the newsletter and the association's news:
    no mailing reaches this person any more until they say yes again."""
    now = timezone.now()
    left = (
        Subscription.objects.filter(association=association, person=person)
        .exclude(status=Subscription.Status.UNSUBSCRIBED)
        .update(status=Subscription.Status.UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
    )
    if not person.is_erased:
        current = people_services.current_consents(person)
        for topic in (Consent.Topic.NEWSLETTER, Consent.Topic.ASSOCIATION_NEWS):
            if topic in current and not current[topic].granted:
                continue
            people_services.consent_record(
                association=association,
                acting_user=acting_user,
                person=person,
                topic=topic,
                granted=False,
                source=Consent.Source.ONLINE,
                note=note[:255],
            )
    audit_log(
        association=association,
        actor=acting_user,
        action="subscription.unsubscribe_all",
        obj=person,
        data={"lists": left},
    )
    return left


# --- From a mailing's links ---------------------------------------------------------------


def delivery_unsubscribe(*, delivery) -> str:
    """The recipient of `delivery` leaves what the mailing was sent on: its list, or its
    consent topic (a « no » is recorded, source online). Returns "done" or "already"."""
    from .models import Delivery

    mailing = delivery.mailing
    association = delivery.association
    person = delivery.person
    changed = False
    with transaction.atomic():
        if person is not None and not person.is_erased:
            if mailing.newsletter_id:
                current = Subscription.objects.filter(
                    newsletter_id=mailing.newsletter_id, person=person
                ).first()
                if current is not None and current.status != Subscription.Status.UNSUBSCRIBED:
                    subscription_set(
                        association=association,
                        acting_user=None,
                        person=person,
                        newsletter=mailing.newsletter,
                        subscribed=False,
                    )
                    changed = True
            elif mailing.topic:
                latest = people_services.current_consents(person).get(mailing.topic)
                if latest is None or latest.granted:
                    people_services.consent_record(
                        association=association,
                        acting_user=None,
                        person=person,
                        topic=mailing.topic,
                        granted=False,
                        source=Consent.Source.ONLINE,
                        note=(
                            _("Unsubscribed from the link of « %(subject)s ».")
                            % {"subject": mailing.subject}
                        )[:255],
                    )
                    changed = True
        Delivery.objects.filter(pk=delivery.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
    return "done" if changed else "already"


def preferences_state(person) -> dict:
    """The lists a person may choose from (public ones, and any they are on) and their
    current answers to the association's topics."""
    association_id = person.association_id
    subscriptions = {
        s.newsletter_id: s
        for s in Subscription.objects.filter(association_id=association_id, person=person)
    }
    subscribed = {
        pk for pk, s in subscriptions.items() if s.status == Subscription.Status.SUBSCRIBED
    }
    lists_ = [
        {"list": n, "subscribed": n.pk in subscribed}
        for n in NewsletterList.objects.filter(
            association_id=association_id, archived_at__isnull=True
        )
        if n.is_public or n.pk in subscriptions
    ]
    current = people_services.current_consents(person)
    topics = [
        {
            "topic": topic,
            "label": label,
            "granted": bool(current.get(topic) and current[topic].granted),
        }
        for topic, label in (
            (Consent.Topic.NEWSLETTER, Consent.Topic.NEWSLETTER.label),
            (Consent.Topic.ASSOCIATION_NEWS, Consent.Topic.ASSOCIATION_NEWS.label),
        )
    ]
    return {"lists": lists_, "topics": topics}


@transaction.atomic
def preferences_save(*, person, list_uuids: set[str], topics: set[str]) -> int:
    """Apply the preference page: each list and topic as ticked. Returns the changes made.
    Topic changes are new Consent rows (source online), list changes Subscription updates."""
    association = person.association
    state = preferences_state(person)
    changes = 0
    for row in state["lists"]:
        wanted = str(row["list"].uuid) in list_uuids
        if wanted != row["subscribed"]:
            subscription_set(
                association=association,
                acting_user=None,
                person=person,
                newsletter=row["list"],
                subscribed=wanted,
            )
            changes += 1
    for row in state["topics"]:
        wanted = row["topic"] in topics
        if wanted != row["granted"]:
            people_services.consent_record(
                association=association,
                acting_user=None,
                person=person,
                topic=row["topic"],
                granted=wanted,
                source=Consent.Source.ONLINE,
                note=_("Preference page of the mailings."),
            )
            changes += 1
    return changes
