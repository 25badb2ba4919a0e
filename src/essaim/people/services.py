"""Services of people: create, update, tag, record consent, merge and erase contacts."""

import datetime as dt
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from essaim.core.audit import audit_log, diff, snapshot
from essaim.core.models import Association
from essaim.core.privacy import registry
from essaim.lib import identifiers
from essaim.lib.text import fold, has_forbidden_characters

from .models import Consent, Person, Tag

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "country",
    "birth_date",
    "notes",
)
# Changes to these are logged with before/after values: they decide who receives what.
PERSON_SENSITIVE = ("email", "user")
_FR_POSTCODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_MAX_LENGTHS = {f.name: f.max_length for f in Person._meta.fields if f.max_length}


def person_clean(data: dict, *, partial: bool = False) -> dict:
    """Normalise and validate contact fields; one translated message per faulty field."""
    errors: dict[str, str] = {}
    cleaned: dict = {}
    for name in PERSON_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "birth_date":
            cleaned[name] = value or None
            continue
        cleaned[name] = " ".join(str(value or "").split()) if name != "notes" else (value or "")
    for name, value in cleaned.items():
        if isinstance(value, str) and has_forbidden_characters(value):
            errors[name] = _("This text contains characters that are not allowed.")
            continue
        limit = _MAX_LENGTHS.get(name)
        if limit and isinstance(value, str) and len(value) > limit:
            errors[name] = _("At most %(limit)d characters.") % {"limit": limit}
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].strip()
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors["email"] = _("Enter a valid e-mail address, like name@example.org.")
    if "country" in cleaned:
        cleaned["country"] = (cleaned["country"] or "FR").upper()
        if not _COUNTRY.match(cleaned["country"]):
            errors["country"] = _("Use the two-letter country code (FR, BE, CH…).")
    country = cleaned.get("country", "FR")
    if cleaned.get("phone"):
        try:
            cleaned["phone"] = identifiers.normalize_phone(cleaned["phone"], country or "FR")
        except ValueError as exc:
            errors["phone"] = str(exc)
    if cleaned.get("postcode") and country == "FR":
        postcode = cleaned["postcode"].replace(" ", "")
        if len(postcode) == 4 and postcode.isdigit():
            postcode = "0" + postcode  # Excel drops the leading zero of 01000…09999
        if not _FR_POSTCODE.match(postcode):
            errors["postcode"] = _("A French postcode has 5 digits, like 75011.")
        cleaned["postcode"] = postcode
    birth = cleaned.get("birth_date")
    if birth is not None:
        if not isinstance(birth, dt.date):
            errors["birth_date"] = _("Enter a date, like 31/12/1980.")
        elif birth > timezone.localdate():
            errors["birth_date"] = _("The date of birth cannot be in the future.")
        elif birth.year < 1900:
            errors["birth_date"] = _("Check the year of birth.")
    if not partial and not any(
        (cleaned.get("first_name"), cleaned.get("last_name"), cleaned.get("email"))
    ):
        errors["last_name"] = _("Give at least a name or an e-mail address.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _tag_create(association: Association, name: str) -> Tag:
    # Two requests adding the same new tag at once: the unique constraint lets one insert
    # win; the other finds the winner's row instead of failing.
    try:
        with transaction.atomic():
            return Tag.objects.create(association=association, name=name)
    except IntegrityError:
        return Tag.objects.get(association=association, name=name)


def _tags_for(association: Association, names: Iterable[str]) -> list[Tag]:
    """Tags by name, created when new; "Bénévole" and "bénévole" are the same tag.

    Matching is done on folded names in Python: SQLite's iexact ignores case for ASCII only.
    """
    existing = {fold(t.name): t for t in Tag.objects.filter(association=association)}
    tags = []
    for raw in names:
        name = " ".join(str(raw).split())[:60]
        if not name:
            continue
        if has_forbidden_characters(name):
            raise ValidationError(
                {"tags": _("This text contains characters that are not allowed.")}
            )
        tag = existing.get(fold(name))
        if tag is None:
            tag = existing[fold(name)] = _tag_create(association, name)
        if tag not in tags:
            tags.append(tag)
    return tags


@transaction.atomic
def person_create(
    *,
    association: Association,
    acting_user,
    tags: Iterable[str] = (),
    source: str = Person.Source.MANUAL,
    user=None,
    **fields,
) -> Person:
    """Create a contact; `tags` are names, created in the association when new."""
    data = person_clean(fields)
    person = Person.objects.create(association=association, source=source, user=user, **data)
    tag_objects = _tags_for(association, tags)
    if tag_objects:
        person.tags.set(tag_objects)
    audit_log(
        association=association,
        actor=acting_user,
        action="person.create",
        obj=person,
        data={"source": source},
    )
    return person


@transaction.atomic
def person_update(
    *,
    association: Association,
    acting_user,
    person: Person,
    tags: Iterable[str] | None = None,
    **fields,
) -> Person:
    person = Person.objects.select_for_update().get(pk=person.pk, association=association)
    if person.is_erased:
        raise ValidationError(_("This contact was anonymised and can no longer be edited."))
    merged = {name: getattr(person, name) for name in PERSON_FIELDS}
    merged.update(fields)
    data = person_clean(merged)
    before = snapshot(person, data.keys())
    before_tags = sorted(t.name for t in person.tags.all())
    for name, value in data.items():
        setattr(person, name, value)
    person.last_activity_at = timezone.now()
    person.save()
    changes = diff(before, snapshot(person, data.keys()), PERSON_SENSITIVE)
    if tags is not None:
        tag_objects = _tags_for(association, tags)
        person.tags.set(tag_objects)
        after_tags = sorted(t.name for t in tag_objects)
        if after_tags != before_tags:
            changes["tags"] = [before_tags, after_tags]
    if changes:
        audit_log(
            association=association,
            actor=acting_user,
            action="person.update",
            obj=person,
            changes=changes,
        )
    return person


@transaction.atomic
def persons_tag(
    *, association: Association, acting_user, persons: Iterable[Person], tag_name: str
) -> int:
    """Add one tag to many contacts (bulk action)."""
    tags = _tags_for(association, [tag_name])
    if not tags:
        raise ValidationError({"tag": _("Give the tag a name.")})
    tag = tags[0]
    ids = [p.pk for p in persons if p.association_id == association.pk]
    through = Person.tags.through
    existing = set(
        through.objects.filter(tag=tag, person_id__in=ids).values_list("person_id", flat=True)
    )
    through.objects.bulk_create(
        [through(person_id=pid, tag_id=tag.pk) for pid in ids if pid not in existing]
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="person.bulk_tag",
        object_type="tag",
        object_id=str(tag.pk),
        object_repr=tag.name,
        data={"count": len(ids) - len(existing)},
    )
    return len(ids) - len(existing)


@transaction.atomic
def consent_record(
    *,
    association: Association,
    acting_user,
    person: Person,
    topic: str,
    granted: bool,
    source: str,
    note: str = "",
    recorded_at: dt.datetime | None = None,
) -> Consent:
    if topic not in Consent.Topic.values:
        raise ValidationError({"topic": _("Unknown consent subject.")})
    if source not in Consent.Source.values:
        raise ValidationError({"source": _("Say how the answer was given.")})
    if has_forbidden_characters(note):
        raise ValidationError({"note": _("This text contains characters that are not allowed.")})
    if person.association_id != association.pk:
        raise ValidationError(_("Unknown contact."))
    if person.is_erased:
        # An answer (and its note) on an anonymised shell would bring personal data back.
        raise ValidationError(_("This contact was anonymised and can no longer be edited."))
    recorded_at = recorded_at or timezone.now()
    if recorded_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"recorded_at": _("The date cannot be in the future.")})
    consent = Consent.objects.create(
        association=association,
        person=person,
        topic=topic,
        granted=granted,
        source=source,
        note=note.strip()[:255],
        recorded_at=recorded_at,
        recorded_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    Person.objects.filter(pk=person.pk).update(last_activity_at=timezone.now())
    audit_log(
        association=association,
        actor=acting_user,
        action="consent.record",
        obj=person,
        changes={topic: [None, granted]},
        data={"source": source},
    )
    return consent


def consent_record_from_form(
    *, association: Association, person: Person, topic: str, granted: bool, note: str
) -> Consent | None:
    """A consent box on a public form. Consent is a positive act (RGPD art. 4(11)): a ticked
    box is recorded as a yes; an unticked one as a no only for someone never asked about
    `topic` before — it does not withdraw a yes given another way (paper form, event)."""
    asked = Consent.objects.filter(person=person, topic=topic).exists()
    if not granted and asked:
        return None
    return consent_record(
        association=association,
        acting_user=None,
        person=person,
        topic=topic,
        granted=granted,
        source=Consent.Source.ONLINE,
        note=note,
    )


def current_consents(person: Person) -> dict[str, Consent]:
    """The latest answer per topic."""
    latest: dict[str, Consent] = {}
    for consent in person.consents.all():  # ordered newest first
        latest.setdefault(consent.topic, consent)
    return latest


# --- Merge --------------------------------------------------------------------------------


MERGEABLE_FIELDS = PERSON_FIELDS


@transaction.atomic
def person_merge(
    *,
    association: Association,
    acting_user,
    keep: Person,
    remove: Person,
    take_from_removed: Iterable[str] = (),
) -> Person:
    """Merge the duplicate `remove` into `keep`, then delete `remove`.

    Fields listed in `take_from_removed` take the duplicate's value; empty fields of `keep`
    are filled from the duplicate. Tags are united, consents and everything other apps
    attached to the duplicate (memberships, gifts…) move to the kept contact.
    """
    if keep.pk == remove.pk:
        raise ValidationError(_("Choose two different contacts."))
    persons = {
        p.pk: p
        for p in Person.objects.select_for_update().filter(
            association=association, pk__in=[keep.pk, remove.pk]
        )
    }
    if len(persons) != 2:
        raise ValidationError(_("Unknown contact."))
    keep, remove = persons[keep.pk], persons[remove.pk]
    if keep.is_erased or remove.is_erased:
        raise ValidationError(_("An anonymised contact cannot be merged."))
    if keep.user_id and remove.user_id and keep.user_id != remove.user_id:
        raise ValidationError(
            _("These two contacts are linked to two different accounts: they are two people.")
        )
    take = set(take_from_removed) & set(MERGEABLE_FIELDS)
    before = snapshot(keep, MERGEABLE_FIELDS)
    for name in MERGEABLE_FIELDS:
        theirs = getattr(remove, name)
        if name in take or (not getattr(keep, name) and theirs):
            setattr(keep, name, theirs)
    their_notes = remove.notes.strip()
    if their_notes and their_notes not in keep.notes:
        keep.notes = f"{keep.notes}\n\n{their_notes}".strip()
    keep.user_id = keep.user_id or remove.user_id
    keep.last_activity_at = timezone.now()
    person_clean({n: getattr(keep, n) for n in PERSON_FIELDS})
    keep.tags.add(*remove.tags.all())
    _repoint_relations(keep, remove)
    removed_label, removed_uuid = str(remove), str(remove.uuid)
    remove.delete()
    keep.save()
    audit_log(
        association=association,
        actor=acting_user,
        action="person.merge",
        obj=keep,
        changes=diff(before, snapshot(keep, MERGEABLE_FIELDS), PERSON_SENSITIVE),
        data={"merged": removed_uuid, "merged_label": removed_label},
    )
    return keep


def _repoint_relations(keep: Person, remove: Person) -> None:
    """Move every row of every app that points at `remove` to `keep`.

    Generic on purpose: an app added later is covered without touching this function. When
    a uniqueness rule forbids the move (both contacts signed the same petition), the merge
    is refused with a message rather than silently losing a row.
    """
    for relation in Person._meta.related_objects:
        if relation.many_to_many:
            through = relation.through
            source = relation.field.m2m_reverse_field_name()
            through._base_manager.filter(**{source: remove.pk}).update(**{source: keep.pk})
            continue
        if relation.related_model is Person:
            continue
        field_name = relation.field.name
        try:
            with transaction.atomic():
                relation.related_model._base_manager.filter(**{field_name: remove}).update(
                    **{field_name: keep}
                )
        except IntegrityError as exc:
            raise ValidationError(
                _(
                    "These two contacts both have a record (%(what)s) that can exist only once "
                    "per person: resolve it before merging."
                )
                % {"what": relation.related_model._meta.verbose_name}
            ) from exc


# --- Erasure ------------------------------------------------------------------------------


@transaction.atomic
def person_erase(*, association: Association, acting_user, person: Person, reason: str = ""):
    """Erase a contact: every app anonymises or deletes its data through the registry.

    Records the law requires us to keep (tax receipts, accounting) stay, in the minimal form
    their app's eraser leaves. The Person row stays as an anonymous shell those records can
    still point to.
    """
    person = Person.objects.select_for_update().get(pk=person.pk, association=association)
    if person.is_erased:
        return person
    for entry in registry.entries():
        if entry.erase_person is not None:
            entry.erase_person(person)
    person.refresh_from_db()
    audit_log(
        association=association,
        actor=acting_user,
        action="person.erase",
        obj=person,
        object_repr=str(_("Anonymised contact")),
        data={"reason": reason[:255]},
    )
    return person


def anonymise_person_row(person: Person) -> None:
    """The people app's own eraser: blank every personal field, keep the row."""
    for name in PERSON_FIELDS:
        setattr(person, name, None if name == "birth_date" else "")
    person.country = "FR"
    person.user = None
    person.erased_at = timezone.now()
    person.save()
    person.tags.clear()
    Consent.objects.filter(person=person).delete()


def persons_due_for_retention(now: dt.datetime):
    """Per association, the contacts with no activity for longer than it keeps them, and
    those not to solicit any more (two appeals unanswered, people.solicitations).

    Team members are kept (their contact row belongs to their seat), and so are the contacts
    other apps hold (current members…, see PrivacyRegistry.register_retention_hold).
    """
    from essaim.core.models import RoleAssignment

    from . import solicitations

    for association in Association.objects.only("pk", "person_retention_months").iterator():
        cutoff = now - dt.timedelta(days=30 * association.person_retention_months)
        team_users = RoleAssignment.objects.filter(association=association).values("user_id")
        # Donors who left two appeals in a row unanswered are not kept either (CNIL): once
        # the last appeal is old enough and they did nothing since.
        quiet_since = now - dt.timedelta(days=solicitations.ERASE_AFTER_DAYS)
        due = (
            Person.objects.filter(association=association, erased_at__isnull=True)
            .filter(
                Q(last_activity_at__lt=cutoff)
                | Q(
                    last_activity_at__lt=quiet_since,
                    pk__in=solicitations.persons_due_for_erasure(association, now),
                )
            )
            .exclude(user_id__in=team_users)
        )
        for held in registry.retention_holds(association):
            due = due.exclude(pk__in=held)
        yield association, due


@transaction.atomic
def persons_link_account(*, user, candidates, via: str) -> list[Person]:
    """Link `user`'s account to each of `candidates` (contacts with one of the user's verified
    e-mail addresses, found by the caller) still unlinked. One activity-log line each, saying
    `via` what the link was made. Returns the contacts linked."""
    linked = []
    with scopes_disabled():
        for person in candidates:
            # update() with the condition again: a concurrent link cannot be overwritten.
            if not Person.objects.filter(pk=person.pk, user__isnull=True).update(user=user):
                continue
            person.user = user
            audit_log(
                association=person.association,
                actor=user,
                action="person.account_linked",
                obj=person,
                data={"via": via},
            )
            linked.append(person)
    return linked
