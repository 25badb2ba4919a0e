"""Petitions: writes (create, open, close, sign, confirm, invalidate, reconcile, updates).

Signing a petition never waits for another signer: it inserts a pending signature (unique per
petition and canonical e-mail) and an e-mail in the outbox, nothing else. Confirming flips one
row and adds one to a random counter shard (models.SHARDS rows per petition), in one short
transaction. Nothing serialises signers on one hot row.
"""

import datetime as dt
import hashlib
import ipaddress
import random
import re
import time
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from essaim.core.audit import apply_changes, audit_log
from essaim.core.emails import check_message, email_enqueue
from essaim.core.models import Association
from essaim.lib import ratelimit
from essaim.lib.text import fold, has_forbidden_characters
from essaim.people import services as people_services
from essaim.people.models import Consent, Person

from .canonical import canonical_email, email_domain
from .departements import departement
from .models import SHARDS, Petition, PetitionCounter, PetitionUpdate, Signature
from .models import SignatureInvalidation as Invalidation

CONFIRM_SALT = "essaim.mobilisation.confirm"
DATA_DIR = Path(__file__).resolve().parent / "data"
POSTCODE = re.compile(r"^(\d{5}|[A-Za-z0-9 -]{2,10})$")
MAX_TEXT = 20_000
MAILS_PER_ADDRESS = (3, 3600)  # e-mails about one petition to one address, per hour


def confirm_days() -> int:
    return int(getattr(settings, "ESSAIM_PETITION_CONFIRM_DAYS", 14))


def count_cache_seconds() -> int:
    # The counter shown on the page may lag by this much during a surge; at rest it is exact.
    return int(getattr(settings, "ESSAIM_PETITION_COUNT_CACHE", 3))


# --- Petitions ----------------------------------------------------------------------------


def _clean_petition(data: dict) -> dict:
    errors = {}
    title = " ".join(str(data.get("title") or "").split())
    text = str(data.get("text") or "").strip()
    addressee = " ".join(str(data.get("addressee") or "").split())
    goal = data.get("goal") or 0
    if not title or len(title) > 200 or has_forbidden_characters(title):
        errors["title"] = _("Give the petition a title (at most 200 characters).")
    if not text or len(text) > MAX_TEXT or has_forbidden_characters(text):
        errors["text"] = _("Write the text of the petition (at most %(limit)d characters).") % {
            "limit": MAX_TEXT
        }
    if not addressee or len(addressee) > 200 or has_forbidden_characters(addressee):
        errors["addressee"] = _("Say to whom the petition is addressed (a mayor, a minister…).")
    try:
        goal = int(goal)
        if not 0 <= goal <= 100_000_000:
            raise ValueError
    except (TypeError, ValueError):
        errors["goal"] = _("The goal is a number of signatures (0 for none).")
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "text": text,
        "addressee": addressee,
        "goal": goal,
        "ends_on": data.get("ends_on"),
    }


def _unique_slug(association: Association, title: str, exclude_pk=None) -> str:
    base = slugify(fold(title))[:70] or "petition"
    slug, n = base, 1
    taken = Petition.objects.filter(association=association)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def petition_create(*, association: Association, acting_user, **fields) -> Petition:
    """A draft petition and its counter shards."""
    data = _clean_petition(fields)
    petition = Petition.objects.create(
        association=association,
        slug=_unique_slug(association, data["title"]),
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        **data,
    )
    PetitionCounter.objects.bulk_create(
        PetitionCounter(association=association, petition=petition, shard=shard)
        for shard in range(SHARDS)
    )
    audit_log(association=association, actor=acting_user, action="petition.create", obj=petition)
    return petition


@transaction.atomic
def petition_update(*, association: Association, acting_user, petition: Petition, **fields):
    data = _clean_petition(fields)
    changes = apply_changes(petition, data)
    if changes:
        petition.save()
        audit_log(
            association=association,
            actor=acting_user,
            action="petition.update",
            obj=petition,
            changes=changes,
        )
    return petition


@transaction.atomic
def petition_set_status(
    *, association: Association, acting_user, petition: Petition, status: str
) -> Petition:
    """Open (publish) or close a petition; a closed petition may be opened again."""
    if status not in (Petition.Status.OPEN, Petition.Status.CLOSED):
        raise ValidationError(_("Unknown action."))
    if petition.status == status:
        return petition
    if (
        status == Petition.Status.OPEN
        and petition.ends_on
        and petition.ends_on < timezone.localdate()
    ):
        raise ValidationError({"ends_on": _("The end date has passed: change it first.")})
    petition.status = status
    petition.closed_at = timezone.now() if status == Petition.Status.CLOSED else None
    petition.save(update_fields=["status", "closed_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action=f"petition.{'open' if status == Petition.Status.OPEN else 'close'}",
        obj=petition,
    )
    return petition


def petition_is_open(petition: Petition, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return petition.status == Petition.Status.OPEN and (
        petition.ends_on is None or today <= petition.ends_on
    )


def petition_url(petition: Petition, source: str = "") -> str:
    url = settings.ESSAIM_BASE_URL + reverse(
        "mobilisation_public:petition",
        kwargs={"slug": petition.association.slug, "petition_slug": petition.slug},
    )
    return f"{url}?src={source}" if source else url


# --- Signing ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _shipped_disposable() -> frozenset[str]:
    lines = (DATA_DIR / "disposable_domains.txt").read_text().splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and line[0] != "#")


def disposable_domains() -> frozenset[str]:
    """The shipped list plus ESSAIM_DISPOSABLE_DOMAINS_EXTRA (a list of domains)."""
    extra = getattr(settings, "ESSAIM_DISPOSABLE_DOMAINS_EXTRA", ()) or ()
    return _shipped_disposable() | {str(d).strip().lower() for d in extra}


def is_disposable(email: str) -> bool:
    domain = email_domain(email)
    domains = disposable_domains()
    # A sub-domain of a throw-away service is one too (x.yopmail.com).
    parts = domain.split(".")
    return any(".".join(parts[i:]) in domains for i in range(len(parts) - 1))


# Big providers are shared by millions of honest signers: a surge from gmail.com is normal.
# The per-domain limit is for a flood of made-up addresses at one private domain.
SHARED_PROVIDERS = frozenset(
    {
        "gmail.com", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "neuf.fr", "laposte.net",
        "hotmail.com", "hotmail.fr", "outlook.com", "outlook.fr", "live.fr", "live.com",
        "yahoo.fr", "yahoo.com", "icloud.com", "me.com", "bbox.fr", "aol.com", "gmx.fr",
        "proton.me", "protonmail.com", "club-internet.fr", "numericable.fr",
    }
)  # fmt: skip


def public_email_error(email: str) -> str:
    """Why an address typed on a public form (petition, event, call to action, newsletter) is
    refused, or "" when it is accepted: not an e-mail address, or a throw-away service's."""
    try:
        if len(email) > 254:
            raise ValidationError("long")
        validate_email(email)
    except ValidationError:
        return _("Give a valid e-mail address, e.g. prenom.nom@example.fr.")
    if is_disposable(email):
        return _(
            "Addresses of throw-away e-mail services are not accepted: give your usual "
            "address (it is never shown)."
        )
    return ""


def form_limited(scope: str, ip: str, email: str, limits: dict[str, tuple[int, int]]) -> str:
    """Counts one submission of a public form; "ip" or "domain" when over a limit, else "".
    The domain's limit spares the big shared providers (SHARED_PROVIDERS)."""
    limit, period = limits["ip"]
    if ratelimit.hit_identity(f"{scope}.ip", ip, limit=limit, period=period):
        return "ip"
    domain = email_domain(email)
    if domain and domain not in SHARED_PROVIDERS:
        limit, period = limits["domain"]
        if ratelimit.hit_identity(f"{scope}.domain", domain, limit=limit, period=period):
            return "domain"
    return ""


def rate_limits() -> dict[str, tuple[int, int]]:
    """(limit, seconds) per client address, per e-mail domain, per address re-sent."""
    return {
        "ip": tuple(getattr(settings, "ESSAIM_PETITION_RATE_LIMIT_IP", (30, 3600))),
        "domain": tuple(getattr(settings, "ESSAIM_PETITION_RATE_LIMIT_DOMAIN", (100, 3600))),
    }


def sign_limited(ip: str, email: str) -> str:
    """Counts one signing attempt; returns "ip" or "domain" when over a limit, else ""."""
    return form_limited("petition.sign", ip, email, rate_limits())


def _hash(value: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:16]


def network_hashes(ip: str) -> tuple[str, str]:
    """(address, network) hashed: the network is the /24 of an IPv4, the /48 of an IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return _hash(ip or "unknown"), _hash(ip or "unknown")
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return _hash(str(address)), _hash(str(network))


def clean_source(value) -> str:
    value = str(value or "").strip().lower()
    return re.sub(r"[^a-z0-9_.-]", "", value)[:40]


def _clean_signature(data: dict) -> dict:
    errors = {}
    first = " ".join(str(data.get("first_name") or "").split())
    last = " ".join(str(data.get("last_name") or "").split())
    email = str(data.get("email") or "").strip()
    postcode = " ".join(str(data.get("postcode") or "").split()).upper()
    comment = str(data.get("comment") or "").strip()
    if not first or len(first) > 150 or has_forbidden_characters(first):
        errors["first_name"] = _("Give your first name.")
    if not last or len(last) > 150 or has_forbidden_characters(last):
        errors["last_name"] = _("Give your last name.")
    if error := public_email_error(email):
        errors["email"] = error
    if not POSTCODE.match(postcode):
        errors["postcode"] = _("Give your postcode (5 digits in France).")
    if len(comment) > 500 or has_forbidden_characters(comment):
        errors["comment"] = _("The comment is limited to 500 characters.")
    if errors:
        raise ValidationError(errors)
    return {
        "first_name": first,
        "last_name": last,
        "email": email,
        "postcode": postcode,
        "comment": comment,
    }


def confirm_token(signature: Signature) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign_object(
        str(signature.uuid), compress=True
    )


def confirm_url(signature: Signature) -> str:
    return settings.ESSAIM_BASE_URL + reverse(
        "mobilisation_public:confirm", kwargs={"token": confirm_token(signature)}
    )


def signature_from_token(token: str) -> tuple[Signature | None, str]:
    """(the signature, "") or (None, "expired" | "invalid")."""
    from django_scopes import scopes_disabled

    try:
        value = signing.TimestampSigner(salt=CONFIRM_SALT).unsign_object(
            token, max_age=dt.timedelta(days=confirm_days())
        )
    except signing.SignatureExpired:
        return None, "expired"
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        return None, "invalid"
    with scopes_disabled():
        signature = (
            Signature.objects.select_related("petition", "association")
            .filter(uuid=str(value))
            .first()
        )
    if signature is None or signature.erased_at is not None:
        return None, "invalid"
    return signature, ""


def signature_sign(
    *,
    association: Association,
    petition: Petition,
    ip: str = "",
    source: str = "",
    updates: bool = False,
    **fields,
) -> str:
    """Record a pending signature; the worker e-mails its confirmation link.

    Returns what happened: "sent" (new), "resent" (already pending: a new link), "already"
    (already confirmed: an e-mail says so). The signer's page says the same thing in every
    case ("check your inbox"), so nobody learns whether an address signed.
    """
    if petition.association_id != association.pk or not petition_is_open(petition):
        raise ValidationError(_("This petition is not open for signatures."))
    data = _clean_signature(fields)
    key = canonical_email(data["email"])
    ip_hash, subnet_hash = network_hashes(ip)
    row = {
        "association": association,
        "petition": petition,
        "email_canonical": key,
        "departement": departement(data["postcode"]),
        "updates": bool(updates),
        "source": clean_source(source),
        "ip_hash": ip_hash,
        "subnet_hash": subnet_hash,
        "name_folded": fold(f"{data['first_name']} {data['last_name']}")[:310],
        **data,
    }
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint: the caller's transaction survives
                Signature.objects.create(**row)
        else:
            Signature.objects.create(**row)  # one statement: no BEGIN/COMMIT round trips
        # The confirmation e-mail is written by the worker, in batches: a surge of signers
        # costs one INSERT each here (services.signature_confirmations_send).
        _confirmations_soon()
        return "sent"
    except IntegrityError:
        pass  # the same person signed before (or at this very moment)
    existing = Signature.objects.filter(petition=petition, email_canonical=key).first()
    if existing is None or existing.status == Signature.Status.INVALIDATED:
        return "already"  # an invalidated signature is not brought back by signing again
    # Someone typing another person's address again and again must not flood their inbox:
    # a few e-mails per address and hour, then the same answer and no e-mail.
    limit, period = MAILS_PER_ADDRESS
    if ratelimit.hit_identity(f"petition.mail.{petition.pk}", key, limit=limit, period=period):
        return "resent" if existing.status == Signature.Status.PENDING else "already"
    with transaction.atomic():
        if existing.status == Signature.Status.PENDING:
            # A fresh link, to the address typed now (the first one may have had a typo
            # in a part the canonical form ignores); the opt-in choice is the latest one.
            Signature.objects.filter(pk=existing.pk, status=Signature.Status.PENDING).update(
                email=data["email"], updates=bool(updates), mailed_at=timezone.now()
            )
            existing.email = data["email"]
            _send_confirmation(association, petition, existing)
            return "resent"
        email_enqueue(
            to=data["email"],
            template="petition_already",
            context={
                "petition": petition,
                "first_name": data["first_name"],
                "petition_url": petition_url(petition),
            },
            association=association,
        )
    return "already"


def confirmations_batch_seconds() -> float:
    # At most one "write the confirmation e-mails" task per this many seconds (0: one per
    # signature, as in the tests: their task backend runs it at once).
    return float(getattr(settings, "ESSAIM_PETITION_MAIL_BATCH_SECONDS", 1))


_confirmations_asked = -1e9  # time.monotonic() when this process last asked


def _confirmations_soon() -> None:
    """Ask the worker to queue the confirmation e-mails of new signatures: one task per
    batch period, however many signers. A signature that arrives while the task runs, after
    its last read, is picked up by the next task or by the sweep every minute (tasks.py)."""
    from .tasks import petition_confirmations_send

    global _confirmations_asked
    seconds = confirmations_batch_seconds()
    now = time.monotonic()
    if seconds > 0 and now - _confirmations_asked < seconds:
        return  # this process asked less than a period ago
    _confirmations_asked = now
    if seconds <= 0 or cache.add("petition.confirmations.soon", 1, timeout=max(1, int(seconds))):
        # Not on_commit: the signature is committed already, or, inside an outer
        # transaction, the task row (database backend) commits with it.
        petition_confirmations_send.enqueue()


def signature_confirmations_send(*, batch: int = 200) -> int:
    """Queue the confirmation e-mail of every pending signature that has none yet; returns
    how many. Safe to run in several workers at once: each batch is claimed with
    SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL) and marked in the same transaction, so an
    e-mail is queued once."""
    from django_scopes import scopes_disabled

    sent = 0
    with scopes_disabled():
        while True:
            with transaction.atomic():
                signatures = list(
                    Signature.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(status=Signature.Status.PENDING, mailed_at__isnull=True)
                    .select_related("petition__association")
                    .order_by("created_at")[:batch]
                )
                if not signatures:
                    return sent
                for signature in signatures:
                    petition = signature.petition
                    _send_confirmation(petition.association, petition, signature)
                Signature.objects.filter(pk__in=[s.pk for s in signatures]).update(
                    mailed_at=timezone.now()
                )
            sent += len(signatures)


def _send_confirmation(association, petition, signature) -> None:
    email_enqueue(
        to=signature.email,
        template="petition_confirm",
        context={
            "petition": petition,
            "first_name": signature.first_name,
            "confirm_url": confirm_url(signature),
            "valid_days": confirm_days(),
        },
        association=association,
    )


def _shard_add(petition_id: int, association_id: int, delta: int, shard: int | None = None):
    shard = random.randrange(SHARDS) if shard is None else shard
    updated = PetitionCounter.objects.filter(petition_id=petition_id, shard=shard).update(
        count=F("count") + delta
    )
    if not updated:  # shards of a petition made before they existed: create them
        PetitionCounter.objects.get_or_create(
            association_id=association_id, petition_id=petition_id, shard=shard
        )
        PetitionCounter.objects.filter(petition_id=petition_id, shard=shard).update(
            count=F("count") + delta
        )


def signature_confirm(*, signature: Signature) -> str:
    """The signer pressed the confirm button: "confirmed", "already" or "invalidated".

    Flips the row from pending (a conditional update: two clicks confirm once), adds one to
    a random shard, and makes the signer a contact of the association (matched by e-mail)
    with a consent record when they agreed to receive news.
    """
    association = signature.association
    with transaction.atomic():
        flipped = Signature.objects.filter(pk=signature.pk, status=Signature.Status.PENDING).update(
            status=Signature.Status.CONFIRMED, confirmed_at=timezone.now()
        )
        if not flipped:
            current = Signature.objects.filter(pk=signature.pk).values_list("status", flat=True)
            status = current.first()
            return "invalidated" if status == Signature.Status.INVALIDATED else "already"
        _shard_add(signature.petition_id, association.pk, 1)
        transaction.on_commit(lambda: _count_forget(signature.petition_id))
        person = _signer_person(association, signature)
        Signature.objects.filter(pk=signature.pk).update(person=person)
        if signature.updates:
            people_services.consent_record(
                association=association,
                acting_user=None,
                person=person,
                topic=Consent.Topic.ASSOCIATION_NEWS,
                granted=True,
                source=Consent.Source.ONLINE,
                note=_("Signed the petition « %(title)s » and agreed to receive news.")
                % {"title": signature.petition.title[:180]},
            )
    return "confirmed"


def _signer_person(association: Association, signature: Signature) -> Person:
    return contact_person(
        association=association,
        first_name=signature.first_name,
        last_name=signature.last_name,
        email=signature.email,
        postcode=signature.postcode,
    )


def contact_person(
    *, association: Association, first_name: str, last_name: str, email: str, postcode: str = ""
) -> Person:
    """The association's contact with this e-mail address, created when there is none (petition
    signers, event registrants, people who completed a call to action)."""
    person = (
        Person.objects.filter(
            association=association, email_folded=fold(email), erased_at__isnull=True
        )
        .order_by("id")
        .first()
    )
    if person is not None:
        if not person.postcode and postcode and len(postcode) <= 10:
            person.postcode = postcode
            person.save(update_fields=["postcode", "updated_at"])
        return person
    return people_services.person_create(
        association=association,
        acting_user=None,
        source=Person.Source.ONLINE,
        first_name=first_name,
        last_name=last_name,
        email=email,
        postcode=postcode if len(postcode) <= 10 else "",
    )


# --- Counting -----------------------------------------------------------------------------


def _count_key(petition_id: int) -> str:
    return f"mobilisation:petition-count:{petition_id}"


def _count_forget(petition_id: int) -> None:
    """One more confirmed signature: the next reader sums the shards again (16 rows).

    Not an increment of the cached value: an increment racing with the entry's expiry would
    recreate it without an expiry (Redis INCR on a missing key) and freeze a wrong count. A
    reader that summed just before a commit may put back a count one short; it expires
    within count_cache_seconds(), so the count is exact at rest.
    """
    cache.delete(_count_key(petition_id))


def petition_count(petition: Petition, *, fresh: bool = False) -> int:
    """Confirmed signatures: the sum of the shards, cached a few seconds (fresh: uncached)."""
    key = _count_key(petition.pk)
    if not fresh:
        value = cache.get(key)
        if value is not None:
            return value
    value = (
        PetitionCounter.objects.filter(petition_id=petition.pk).aggregate(total=Sum("count"))[
            "total"
        ]
        or 0
    )
    cache.set(key, value, count_cache_seconds())
    return value


def petition_reconcile(*, petition: Petition) -> tuple[int, int]:
    """Recompute the shards from the signatures; returns (count before, count after).

    The shards are locked first, then the signatures counted: a confirmation that already
    added to a shard has committed by then (we waited for its lock) and is counted; one that
    has not reached its shard yet is not counted and adds its one after us.
    """
    with transaction.atomic():
        shards = list(
            PetitionCounter.objects.select_for_update()
            .filter(petition_id=petition.pk)
            .order_by("shard")
        )
        before = sum(s.count for s in shards)
        after = Signature.objects.filter(
            petition_id=petition.pk, status=Signature.Status.CONFIRMED
        ).count()
        if not shards:
            PetitionCounter.objects.bulk_create(
                PetitionCounter(association_id=petition.association_id, petition=petition, shard=n)
                for n in range(SHARDS)
            )
        if before != after or not shards:
            PetitionCounter.objects.filter(petition_id=petition.pk).update(count=0)
            PetitionCounter.objects.filter(petition_id=petition.pk, shard=0).update(count=after)
        if before != after:
            audit_log(
                association=petition.association,
                actor=None,
                action="petition.reconcile",
                obj=petition,
                data={"before": before, "after": after},
            )
    cache.delete(_count_key(petition.pk))
    return before, after


# --- Fraud --------------------------------------------------------------------------------


@transaction.atomic
def signatures_invalidate(
    *,
    association: Association,
    acting_user,
    petition: Petition,
    signatures,
    reason: str,
    criteria: dict | None = None,
) -> Invalidation:
    """Invalidate signatures (a queryset of the petition's) in bulk: they stop counting, the
    count is corrected in the same transaction, and the batch is kept with its reason."""
    reason = " ".join(str(reason or "").split())
    if not reason or len(reason) > 300 or has_forbidden_characters(reason):
        raise ValidationError({"reason": _("Say why these signatures are invalidated.")})
    if petition.association_id != association.pk:
        raise ValidationError(_("Unknown petition."))
    ids = list(
        signatures.filter(petition=petition)
        .exclude(status=Signature.Status.INVALIDATED)
        .values_list("pk", flat=True)
    )
    if not ids:
        raise ValidationError(_("No signature to invalidate."))
    batch = Invalidation.objects.create(
        association=association,
        petition=petition,
        reason=reason,
        criteria=criteria or {},
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    # Row locks make each transition happen once: a confirmation racing with us either
    # committed first (then we see it confirmed and take it off the count) or sees our
    # invalidation and does nothing.
    confirmed = Signature.objects.filter(pk__in=ids, status=Signature.Status.CONFIRMED).update(
        status=Signature.Status.INVALIDATED, invalidation=batch
    )
    pending = Signature.objects.filter(pk__in=ids, status=Signature.Status.PENDING).update(
        status=Signature.Status.INVALIDATED, invalidation=batch
    )
    if confirmed:
        _shard_add(petition.pk, association.pk, -confirmed, shard=0)
    batch.signatures = confirmed + pending
    batch.confirmed = confirmed
    batch.save(update_fields=["signatures", "confirmed"])
    audit_log(
        association=association,
        actor=acting_user,
        action="signature.invalidate",
        obj=petition,
        data={"signatures": batch.signatures, "confirmed": confirmed, "reason": reason},
    )
    transaction.on_commit(lambda: cache.delete(_count_key(petition.pk)))
    return batch


# --- Updates to signers -------------------------------------------------------------------


def update_audience(petition: Petition):
    """Confirmed signers who agreed to receive news (one row per person: the unique key)."""
    return Signature.objects.filter(
        petition=petition,
        status=Signature.Status.CONFIRMED,
        updates=True,
        erased_at__isnull=True,
    ).exclude(email="")


@transaction.atomic
def petition_update_send(
    *, association: Association, acting_user, petition: Petition, subject: str, message: str
) -> PetitionUpdate:
    """E-mail news of the petition to each signer who agreed, once, through the outbox."""
    subject, message, errors = check_message(subject, message)
    if petition.association_id != association.pk:
        errors["subject"] = _("Unknown petition.")
    if errors:
        raise ValidationError(errors)
    # The same news sent twice in a few minutes is a double click, not a second update.
    Petition.objects.select_for_update().filter(pk=petition.pk).first()
    recent = PetitionUpdate.objects.filter(
        petition=petition,
        subject=subject,
        message=message,
        sent_at__gte=timezone.now() - dt.timedelta(minutes=10),
    )
    if recent.exists():
        raise ValidationError({"subject": _("This news was just sent.")})
    url = petition_url(petition, "nouvelles")
    sent = set()
    for row in update_audience(petition).order_by("id").iterator():
        if row.email_canonical in sent:
            continue
        sent.add(row.email_canonical)
        email_enqueue(
            to=row.email,
            template="petition_update",
            context={
                "subject": subject,
                "message": message,
                "first_name": row.first_name,
                "petition": petition,
                "petition_url": url,
            },
            association=association,
        )
    update = PetitionUpdate.objects.create(
        association=association,
        petition=petition,
        subject=subject,
        message=message,
        recipients=len(sent),
        sent_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="petition.news",
        obj=petition,
        data={"recipients": len(sent)},
    )
    return update


def export_logged(*, association: Association, acting_user, petition: Petition, kind: str):
    audit_log(
        association=association,
        actor=acting_user,
        action="petition.export",
        obj=petition,
        data={"format": kind},
    )
