"""Every row's outcome, in chunks: the preview (nothing written) and the import (bulk writes).

Both phases run the same code, `Importer.process`, row by row in file order:

1. the row is read and checked: a value that cannot be imported (an e-mail without @, a date
   that does not exist, an unknown membership type…) rejects the row, with the reason;
2. the person is looked for among the association's live contacts and the rows already
   read: same e-mail, or same name and date of birth, or same name and phone; a row with
   only a name matches the one contact of that name. A match is a duplicate: the file's
   policy completes the contact, updates it, or skips the row;
3. the membership (type, period from the date of joining) is created unless the person has
   one of that type for that period, and the payment recorded when the row says it is paid.

Every row ends as created, updated, skipped (duplicate or already up to date) or rejected,
and the four counts add up to the rows of the file. Running the same file again finds every
person and every membership: it changes nothing.

The import writes through the same validation as the services (`person_clean`, the
derived columns of `Person.refresh_derived`, the membership rules of `membership_create`)
but in bulk: one transaction per chunk of CHUNK_SIZE rows, which also records the chunk's
results, so an interrupted import resumes after its last complete chunk.
"""

import datetime as dt
import gc
import json
import logging
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from essaim.core.audit import audit_log
from essaim.lib import bulk
from essaim.lib.text import fold
from essaim.people import services as people_services
from essaim.people.models import Person

from .. import periods
from ..models import (
    DuesPayment,
    ImportChunk,
    ImportJob,
    Membership,
    MembershipType,
)
from . import reading, values
from .fields import BY_KEY

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
CREATED, UPDATED, SKIPPED, REJECTED = "c", "u", "s", "r"
OUTCOMES = (CREATED, UPDATED, SKIPPED, REJECTED)
COUNT_NAMES = {CREATED: "created", UPDATED: "updated", SKIPPED: "skipped", REJECTED: "rejected"}
# A job whose worker has not reported for this long is considered stopped (crash, restart):
# it may be resumed.
STALE_AFTER = dt.timedelta(minutes=10)


def is_stalled(job: ImportJob, now: dt.datetime | None = None) -> bool:
    """A running import whose worker stopped beating: it can be resumed."""
    return (
        job.status == ImportJob.Status.RUNNING
        and job.heartbeat_at is not None
        and job.heartbeat_at < (now or timezone.now()) - STALE_AFTER
    )


PERSON_TEXT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
)
UPDATABLE = (*PERSON_TEXT_FIELDS, "phone", "country", "birth_date", "notes")


class Stale(Exception):
    """The mapping changed while it was being checked: this check is obsolete."""


# --- Options ---------------------------------------------------------------------------------


@dataclass
class Options:
    default_type_id: int | None = None
    type_map: dict[str, int | None] = field(default_factory=dict)  # folded value → type id
    duplicates: str = ImportJob.Duplicates.FILL
    last_first: bool = True
    record_payments: bool = True
    default_method: str = DuesPayment.Method.OTHER
    default_start: dt.date | None = None

    @classmethod
    def from_job(cls, job: ImportJob) -> "Options":
        raw = job.options or {}
        start = raw.get("default_start")
        return cls(
            default_type_id=raw.get("default_type_id"),
            type_map=dict(raw.get("type_map") or {}),
            duplicates=raw.get("duplicates") or ImportJob.Duplicates.FILL,
            last_first=raw.get("name_order", "last_first") != "first_last",
            record_payments=bool(raw.get("record_payments", True)),
            default_method=raw.get("default_method") or DuesPayment.Method.OTHER,
            default_start=dt.date.fromisoformat(start) if start else None,
        )


# --- Rows ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class Row:
    line: int
    person: dict = field(default_factory=dict)  # cleaned person fields, non-empty only
    tags: list[str] = field(default_factory=list)
    type_id: int | None = None
    joined_on: dt.date | None = None
    amount: int | None = None
    paid: bool = False
    paid_on: dt.date | None = None
    method: str = ""
    method_note: str = ""
    reference: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    raw_label: str = ""  # the name as read, for a row rejected before it was cleaned

    @cached_property
    def label(self) -> str:
        first, last = self.person.get("first_name", ""), self.person.get("last_name", "")
        name = f"{last.upper()} {first}".strip()
        return (name or self.person.get("email", "") or self.raw_label or "—")[:80]

    @cached_property
    def name_key(self) -> str:
        first, last = self.person.get("first_name", ""), self.person.get("last_name", "")
        return fold(f"{last} {first}")[:310] if (first or last) else ""

    @cached_property
    def email_key(self) -> str:
        return fold(self.person.get("email", ""))

    @cached_property
    def address_key(self) -> tuple[str, str, str]:
        person = self.person
        return _address_key(
            person.get("address_line1", ""), person.get("postcode", ""), person.get("city", "")
        )


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def row_dump(row: Row) -> list:
    """A read row as JSON, for the import to apply what the check read."""
    if row.errors:
        return [row.line, row.errors, row.label]
    person = dict(row.person)
    if person.get("birth_date"):
        person["birth_date"] = person["birth_date"].isoformat()
    return [
        row.line,
        None,
        person,
        row.tags,
        row.type_id,
        _iso(row.joined_on),
        row.amount,
        row.paid,
        _iso(row.paid_on),
        row.method,
        row.method_note,
        row.reference,
        row.warnings,
    ]


def row_load(data: list) -> Row:
    if data[1] is not None:
        row = Row(line=data[0], errors=data[1])
        row.__dict__["label"] = data[2]
        return row
    line, _e, person, tags, type_id, joined, amount, paid, paid_on = data[:9]
    method, method_note, reference, warnings = data[9:]
    if person.get("birth_date"):
        person["birth_date"] = dt.date.fromisoformat(person["birth_date"])
    return Row(
        line=line,
        person=person,
        tags=tags,
        type_id=type_id,
        joined_on=_date(joined),
        amount=amount,
        paid=paid,
        paid_on=_date(paid_on),
        method=method,
        method_note=method_note,
        reference=reference,
        warnings=warnings,
    )


@dataclass(eq=False)
class Membered:
    """What the import needs to know of a membership of a person (existing or planned)."""

    type_id: int
    start: dt.date
    end: dt.date | None
    paid: bool
    amount: int = 0
    ended: bool = False
    pk: int | None = None
    planned: Membership | None = None  # created by this import, not written yet


@dataclass(eq=False)
class State:
    """A person as the import sees it: a contact of the association or one made by a row."""

    person: Person
    line: int | None = None  # the first row of the file that is this person
    new: bool = False
    tags: set[str] = field(default_factory=set)  # folded names
    memberships: list[Membered] = field(default_factory=list)
    dirty: set[str] = field(default_factory=set)


@dataclass(eq=False)
class Plan:
    """The writes of one chunk (nothing is written in the preview)."""

    persons: list[State] = field(default_factory=list)
    updated: dict[int, State] = field(default_factory=dict)  # by id(state)
    tag_links: list[tuple[State, str]] = field(default_factory=list)  # state, tag name
    memberships: list[tuple[Membership, State]] = field(default_factory=list)
    # (payment, membership planned in this chunk or None, id of an existing membership)
    payments: list[tuple[DuesPayment, Membership | None, int | None]] = field(default_factory=list)
    # Index entries pointing at persons created in this chunk, to turn into their ids.
    pending_keys: list[tuple[dict, object, State]] = field(default_factory=list)


# --- The importer ---------------------------------------------------------------------------------


class Importer:
    def __init__(self, job: ImportJob, *, write: bool):
        self.job = job
        self.write = write
        self.association = job.association
        self.acting_user = job.created_by
        self.options = Options.from_job(job)
        self.columns = {
            int(index): key for index, key in (job.mapping or {}).items() if key in BY_KEY
        }
        self.width = len(job.header)
        self.label_columns = [
            index
            for key in ("last_name", "first_name", "full_name", "email")
            for index, mapped in sorted(self.columns.items())
            if mapped == key
        ][:2]
        self.types = {t.pk: t for t in MembershipType.objects.filter(association=self.association)}
        self.types_by_name = {fold(t.name): t.pk for t in self.types.values()}
        self.today = timezone.localdate()
        self.now = timezone.now()
        # The check never writes: its memberships and payments need no identifiers.
        self.no_uuid = {} if write else {"uuid": None}
        self.periods: dict[tuple[int, dt.date], periods.Period] = {}
        self.labels: dict[tuple[int, dt.date], str] = {}
        self.default_start = self.options.default_start or self.today
        from ..services import settings_for

        self.grace_days = settings_for(self.association).grace_days
        self.note = _("Imported from %(file)s") % {"file": job.original_name}
        # Translated once: a gettext call per row costs a second per 100,000 rows.
        self.text = {
            "membership": _("%(membership)s."),
            "membership_paid": _("%(membership)s, paid %(amount)s € on %(date)s."),
            "same_row": _("Same person as row %(line)d (%(reason)s)."),
            "known": _("Already in your contacts: %(name)s (%(reason)s)."),
            "email": _("same e-mail address"),
            "name_birth": _("same name and date of birth"),
            "name_phone": _("same name and phone"),
            "name_address": _("same name and address"),
            "name": _("same name"),
            "up_to_date": _("Already up to date."),
            # "Field: message" (French puts a space before the colon).
            "field_error": _("%(field)s: %(error)s"),
        }
        self.states: dict[int, State] = {}  # contacts loaded for the current chunk, by id
        self.lines: dict[int, int] = {}  # contact id → first row of the file that is them
        self.by_email: dict[str, object] = {}
        self.by_name_birth: dict[tuple[str, dt.date], object] = {}
        self.by_name_phone: dict[tuple[str, str], object] = {}
        self.by_name: dict[str, object] = {}
        # Without this key, re-importing "Jean Martin, 3 rue des Lilas" (no e-mail, no
        # phone) would create him again whenever the association has two Jean Martin.
        self.by_name_address: dict[tuple, object] = {}
        self.epoch = None
        self._index_contacts()

    # --- Index of the association's contacts ---

    _AMBIGUOUS = -1

    def _add_keys(
        self, ref, *, email: str, name: str, birth, phone: str, address=None, plan=None
    ) -> None:
        """Index a person under its keys; `ref` is a contact id or, for a person not written
        yet, its State (then noted in `plan` to become an id once written)."""
        entries = []
        if email:
            entries.append((self.by_email, email))
        if name:
            if birth:
                entries.append((self.by_name_birth, (name, birth)))
            if phone:
                entries.append((self.by_name_phone, (name, phone)))
            if address and any(address):
                entries.append((self.by_name_address, (name, *address)))
        for index, key in entries:
            if key not in index:
                index[key] = ref
                if plan is not None and isinstance(ref, State):
                    plan.pending_keys.append((index, key, ref))
        if name:
            known = self.by_name.get(name)
            if known is None:
                self.by_name[name] = ref
                if plan is not None and isinstance(ref, State):
                    plan.pending_keys.append((self.by_name, name, ref))
            elif known is not ref and known != ref:
                self.by_name[name] = self._AMBIGUOUS

    def _index_contacts(self) -> None:
        """Every live contact's keys (e-mail, name, birth date, phone), from one query."""
        rows = (
            Person.objects.filter(association=self.association, erased_at__isnull=True)
            .order_by()
            .values_list(
                "pk",
                "email_folded",
                "sort_name",
                "birth_date",
                "phone",
                "address_line1",
                "postcode",
                "city",
            )
        )
        for pk, email, sort_name, birth, phone, line1, postcode, city in rows.iterator(
            chunk_size=5000
        ):
            name = sort_name if sort_name and sort_name != email else ""
            self._add_keys(
                pk,
                email=email,
                name=name,
                birth=birth,
                phone=phone,
                address=_address_key(line1, postcode, city) if line1 or postcode or city else None,
            )

    def _candidates(self, row: Row):
        """(contact id or State, how) for each key of the row found in the index, strongest
        evidence first."""
        person = row.person
        name = row.name_key
        email = row.email_key
        birth = person.get("birth_date")
        phone = person.get("phone")
        if email and email in self.by_email:
            yield self.by_email[email], "email"
        if not name:
            return
        if birth and (name, birth) in self.by_name_birth:
            yield self.by_name_birth[name, birth], "name_birth"
        if phone and (name, phone) in self.by_name_phone:
            yield self.by_name_phone[name, phone], "name_phone"
        address = row.address_key
        if any(address):
            found = self.by_name_address.get((name, *address))
            if found is not None:
                yield found, "name_address"
        elif not (email or birth or phone):
            # A row with nothing but a name is the one contact of that name, if there is one.
            found = self.by_name.get(name)
            if found is not None and found != self._AMBIGUOUS:
                yield found, "name"

    def _match(self, row: Row) -> tuple[State | None, str]:
        """The person this row is and why, or (None, "")."""
        for ref, how in self._candidates(row):
            if isinstance(ref, int) and ref not in self.states:
                continue  # erased or deleted since the index was read
            state = self._state(ref)
            if not self._conflicts(state.person, row, how):
                return state, how
        return None, ""

    def _conflicts(self, person: Person, row: Row, how: str) -> bool:
        """Two different people behind one key.

        A family shares one e-mail address (a parent registers the children): same address
        but another first name and not the same date of birth is another person. Behind the
        same name (a father and his son at the same address): different e-mail addresses or
        different dates of birth.
        """
        email = row.email_key
        birth = row.person.get("birth_date")
        if how == "email":
            first = fold(row.person.get("first_name", ""))
            theirs = fold(person.first_name)
            return bool(
                first and theirs and first != theirs and not (birth and birth == person.birth_date)
            )
        return bool(
            (email and person.email_folded and email != person.email_folded)
            or (birth and person.birth_date and birth != person.birth_date)
        )

    def _load_states(self, ids: set[int]) -> None:
        """The contacts matched by a chunk's rows, their tags and memberships: three queries."""
        missing = [pk for pk in ids if pk not in self.states]
        if not missing:
            return
        for person in Person.objects.filter(association=self.association, pk__in=missing):
            self.states[person.pk] = State(person=person, line=self.lines.get(person.pk))
        through = Person.tags.through
        for person_id, name in through.objects.filter(person_id__in=missing).values_list(
            "person_id", "tag__name"
        ):
            self.states[person_id].tags.add(fold(name))
        memberships = (
            Membership.objects.filter(association=self.association, person_id__in=missing)
            .order_by()
            .values_list(
                "pk",
                "person_id",
                "membership_type_id",
                "period_start",
                "period_end",
                "paid_on",
                "amount_due_cents",
                "resigned_at",
                "excluded_at",
            )
        )
        for pk, person_id, type_id, start, end, paid_on, amount, resigned, excluded in memberships:
            self.states[person_id].memberships.append(
                Membered(
                    type_id=type_id,
                    start=start,
                    end=end,
                    paid=paid_on is not None,
                    amount=amount,
                    ended=bool(resigned or excluded),
                    pk=pk,
                )
            )

    def _state(self, ref) -> State:
        return ref if isinstance(ref, State) else self.states[ref]

    # --- Reading a row ---

    def read(self, line: int, cells: list) -> Row:
        """The row's values, cleaned and checked; problems go to `row.errors`."""
        row = Row(line=line)
        row.raw_label = " ".join(
            values.text(cells[index]).split("\n")[0][:40]
            for index in self.label_columns
            if index < len(cells) and cells[index] not in (None, "")
        )
        if len(cells) > self.width and any(c not in (None, "") for c in cells[self.width :]):
            row.errors.append(
                _(
                    "This row has %(count)d values but the file has %(columns)d columns: a "
                    "separator inside a value, or a value in a column without title?"
                )
                % {"count": len(cells), "columns": self.width}
            )
            return row
        if any(self._merged_rows(cell) for cell in cells):
            # Checked on every cell, mapped or not: rows swallowed by an ignored column
            # would otherwise disappear without a word.
            row.errors.append(
                _(
                    'A quote (") opens a value of this row and is not closed where the value '
                    "ends: the rows after it were read into it. Remove that quote from the "
                    "file and import those rows again."
                )
            )
            return row
        raw: dict[str, list] = {}
        for index, key in self.columns.items():
            value = cells[index] if index < len(cells) else None
            if value is None or value == "":
                continue
            raw.setdefault(key, []).append((index, value))
        self._read_person(row, raw)
        self._read_membership(row, raw)
        return row

    def _merged_rows(self, cell) -> bool:
        """A CSV value holding a line break followed by separators is the rest of the file
        (or the rows up to the next quote) read into one value."""
        if cell.__class__ is not str or "\n" not in cell:
            return False
        if len(cell) > 10_000:
            return True
        delimiter = self.job.delimiter
        return bool(delimiter) and cell.split("\n", 1)[1].count(delimiter) >= 2

    def _error(self, row: Row, key: str, message: str) -> None:
        row.errors.append(self.text["field_error"] % {"field": BY_KEY[key].label, "error": message})

    def _read_person(self, row: Row, raw: dict) -> None:
        data: dict = {}
        notes: list[str] = []

        def one(key):
            return raw[key][0][1]

        for key in ("first_name", "last_name", "email", "address_line2", "city", "postcode"):
            if key in raw:
                data[key] = values.text(one(key))
        if "full_name" in raw:
            data["first_name"], data["last_name"] = values.split_full_name(
                values.text(one("full_name")), last_first=self.options.last_first
            )
        if "address_line1" in raw:
            lines = values.multiline_text(one("address_line1")).split("\n")
            data["address_line1"] = lines[0]
            if len(lines) > 1 and not data.get("address_line2"):
                data["address_line2"] = ", ".join(lines[1:])
        if "email" in data:
            data["email"] = data["email"].removeprefix("mailto:").strip("<> ")
        if "country" in raw:
            try:
                data["country"] = values.parse_country(one("country"))
            except ValueError as exc:
                self._error(row, "country", str(exc))
        if "birth_date" in raw:
            try:
                data["birth_date"] = values.parse_date(one("birth_date"), epoch=self.epoch)
            except ValueError as exc:
                self._error(row, "birth_date", str(exc))
        if "phone" in raw:
            numbers = [n for _i, cell in raw["phone"] for n in values.split_phones(cell)]
            if numbers:
                data["phone"] = numbers[0]
            if numbers[1:]:
                notes.append(_("Other phone: %(numbers)s") % {"numbers": ", ".join(numbers[1:])})
        for index, cell in raw.get("notes", []):
            text = values.multiline_text(cell)
            several = len(raw["notes"]) > 1
            notes.append(
                self.text["field_error"] % {"field": self.job.header[index], "error": text}
                if several
                else text
            )
        if notes:
            data["notes"] = "\n".join(notes)
        for _i, cell in raw.get("tags", []):
            row.tags.extend(values.split_tags(cell))
        data = {k: v for k, v in data.items() if v not in ("", None)}
        given_country = "country" in data
        try:
            # The country decides how phones and postcodes are read (France by default).
            cleaned = people_services.person_clean({"country": "FR", **data}, partial=True)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                label = BY_KEY[key].label if key in BY_KEY else key
                row.errors.extend(
                    self.text["field_error"] % {"field": label, "error": m} for m in messages
                )
            return
        if not given_country:
            cleaned.pop("country", None)
        row.person = {k: v for k, v in cleaned.items() if v not in ("", None)}
        if not (
            row.person.get("first_name") or row.person.get("last_name") or row.person.get("email")
        ):
            row.errors.append(_("No name and no e-mail address: the row cannot be a contact."))

    def _read_membership(self, row: Row, raw: dict) -> None:
        def one(key):
            return raw[key][0][1]

        if "membership_type" in raw:
            name = values.text(one("membership_type"))
            folded = fold(name)
            if folded in self.options.type_map:
                row.type_id = self.options.type_map[folded]
            elif folded in self.types_by_name:
                row.type_id = self.types_by_name[folded]
            else:
                self._error(
                    row,
                    "membership_type",
                    _(
                        "“%(name)s” is not one of your membership types: choose the matching "
                        "type on the column screen, or create it first."
                    )
                    % {"name": name[:60]},
                )
        else:
            row.type_id = self.options.default_type_id
        if row.type_id is not None and row.type_id not in self.types:
            row.type_id = None
        if "joined_on" in raw:
            try:
                row.joined_on = values.parse_date(one("joined_on"), epoch=self.epoch)
            except ValueError as exc:
                self._error(row, "joined_on", str(exc))
        for key in ("amount", "discount"):
            if key not in raw:
                continue
            try:
                amount = values.parse_amount(one(key))
            except ValueError as exc:
                self._error(row, key, str(exc))
                continue
            if key == "amount":
                row.amount = amount
            elif amount and row.amount is not None:
                row.amount = max(0, row.amount - amount)
        if "payment_method" in raw:
            row.method, row.method_note = values.parse_method(one("payment_method"))
            if row.method_note:
                row.warnings.append(
                    _("Payment method “%(method)s” recorded as “other”.")
                    % {"method": row.method_note[:40]}
                )
        if "payment_reference" in raw:
            row.reference = values.text(one("payment_reference"))[:100]
        if "paid" in raw:
            try:
                status, paid_on = values.parse_paid(one("paid"), epoch=self.epoch)
            except ValueError as exc:
                self._error(row, "paid", str(exc))
                return
            if status == values.CANCELLED:
                row.errors.append(
                    _("Order “%(status)s”: no dues were received, the row is not imported.")
                    % {"status": values.text(one("paid"))[:40]}
                )
                return
            row.paid, row.paid_on = status == values.PAID, paid_on
        elif "paid" not in self.columns.values():
            # Without a "paid" column, a row that says how it was paid was paid.
            row.paid = bool(row.method)
        if row.paid:
            paid_on = row.paid_on or row.joined_on or self.today
            if paid_on > self.today:
                self._error(
                    row,
                    "paid",
                    _("The date of payment %(date)s is in the future.")
                    % {"date": paid_on.strftime("%d/%m/%Y")},
                )
            row.paid_on = min(paid_on, self.today)

    # --- Deciding ---

    def _describe_match(self, state: State, how: str) -> str:
        if state.line is not None:
            return self.text["same_row"] % {"line": state.line, "reason": self.text[how]}
        return self.text["known"] % {"name": str(state.person)[:80], "reason": self.text[how]}

    def decide(self, row: Row, plan: Plan) -> tuple[str, list[str], State | None]:
        """The row's outcome, its messages and the person it is; the writes go to `plan`."""
        if row.errors:
            return REJECTED, row.errors, None
        state, how = self._match(row)
        if state is None:
            return self._create(row, plan)
        matched = self._describe_match(state, how)
        if self.options.duplicates == ImportJob.Duplicates.SKIP:
            return SKIPPED, [matched], state
        messages = []
        changed = self._update_fields(state, row, plan)
        if changed:
            plan.updated[id(state)] = state
            messages.append(
                _("Contact updated: %(fields)s.")
                % {"fields": ", ".join(str(BY_KEY[f].label).lower() for f in changed)}
            )
        if self._add_tags(state, row, plan):
            messages.append(_("Tags added."))
        messages.extend(self._plan_membership(state, row, plan))
        if not messages:
            return SKIPPED, [matched, self.text["up_to_date"]], state
        if state.line is None:
            state.line = row.line
            if state.person.pk:
                self.lines[state.person.pk] = row.line
        return UPDATED, [matched, *messages, *row.warnings], state

    def _create(self, row: Row, plan: Plan) -> tuple[str, list[str], State]:
        person = bulk.new(
            Person,
            association_id=self.association.pk,
            source=Person.Source.IMPORT,
            last_activity_at=self.now,
            **self.no_uuid,
            **row.person,
        )
        person.refresh_derived()
        state = State(person=person, line=row.line, new=True)
        plan.persons.append(state)
        self._add_keys(
            state,
            email=person.email_folded,
            name=row.name_key,
            birth=person.birth_date,
            phone=person.phone,
            address=row.address_key,
            plan=plan,
        )
        self._add_tags(state, row, plan)
        return CREATED, [*self._plan_membership(state, row, plan), *row.warnings], state

    def _update_fields(self, state: State, row: Row, plan: Plan) -> list[str]:
        """Apply the row to a known person by the file's policy; the fields changed."""
        person = state.person
        overwrite = self.options.duplicates == ImportJob.Duplicates.OVERWRITE
        changed = []
        for key in UPDATABLE:
            if key not in row.person:
                continue
            new, current = row.person[key], getattr(person, key)
            if key == "notes":
                # Notes are never lost: "overwrite" adds the file's notes after the others.
                if new in (current or "") or (current and not overwrite):
                    continue
                person.notes = f"{current}\n\n{new}".strip() if current else new
            elif key == "country":
                if not overwrite or new == current:
                    continue  # "FR" is the default, not an empty field to fill
                person.country = new
            else:
                if new == current or (current and not overwrite):
                    continue
                if key == "email":
                    taken = self.by_email.get(fold(new))
                    if taken is not None and taken is not state and taken != person.pk:
                        continue  # another contact has this address
                setattr(person, key, new)
            changed.append(key)
        if changed:
            person.refresh_derived()
            state.dirty.update(changed)
            ref = person.pk or state
            self._add_keys(
                ref,
                email=person.email_folded,
                name=person.sort_name if (person.first_name or person.last_name) else "",
                birth=person.birth_date,
                phone=person.phone,
                address=_address_key(person.address_line1, person.postcode, person.city),
                plan=plan,
            )
        return changed

    def _add_tags(self, state: State, row: Row, plan: Plan) -> bool:
        added = False
        for name in row.tags:
            folded = fold(name)
            if folded and folded not in state.tags:
                state.tags.add(folded)
                plan.tag_links.append((state, name))
                added = True
        return added

    def _plan_membership(self, state: State, row: Row, plan: Plan) -> list[str]:
        if row.type_id is None:
            return []
        mtype = self.types[row.type_id]
        start_on = row.joined_on or self.default_start
        period = self.periods.get((mtype.pk, start_on))
        if period is None:
            period = self.periods[mtype.pk, start_on] = mtype.period_for(start_on)
        for existing in state.memberships:
            if existing.type_id != mtype.pk:
                continue
            if existing.start != period.start and not periods.Period(
                existing.start, existing.end
            ).contains(start_on):
                continue
            if row.paid and self.options.record_payments and not (existing.paid or existing.ended):
                existing.paid = True
                self._plan_payment(row, plan, existing.amount, existing.planned, existing.pk)
                return [_("Payment recorded for %(period)s.") % {"period": period.label()}]
            return []
        rate = Membership.Rate.NORMAL
        if mtype.price_kind == MembershipType.PriceKind.FREE:
            amount = 0
        elif row.amount is not None:
            amount = row.amount
            if amount == mtype.reduced_amount_cents:
                rate = Membership.Rate.REDUCED
        else:
            from ..services import dues_for

            try:
                amount = dues_for(mtype, period=period, joined=max(start_on, period.start))
            except ValidationError:
                amount = mtype.amount_cents
        # As membership_create: nothing to pay is paid from the start.
        free = amount == 0
        membership = bulk.new(
            Membership,
            association_id=self.association.pk,
            membership_type_id=mtype.pk,
            period_start=period.start,
            period_end=period.end,
            grace_until=period.end + dt.timedelta(days=self.grace_days) if period.end else None,
            rate=rate,
            amount_due_cents=amount,
            paid_on=period.start if free else None,
            approved_at=self.now,
            source=Membership.Source.IMPORT,
            **self.no_uuid,
        )
        paid = free or (row.paid and self.options.record_payments)
        state.memberships.append(
            Membered(
                type_id=mtype.pk,
                start=period.start,
                end=period.end,
                paid=paid,
                amount=amount,
                planned=membership,
            )
        )
        plan.memberships.append((membership, state))
        label = self.labels.get((mtype.pk, period.start))
        if label is None:
            label = self.labels[mtype.pk, period.start] = f"{mtype.name} {period.label()}"
        if paid and not free:
            payment = self._plan_payment(row, plan, amount, membership, None)
            return [
                self.text["membership_paid"]
                % {
                    "membership": label,
                    "amount": _euros(payment.amount_cents),
                    "date": payment.paid_on.strftime("%d/%m/%Y"),
                }
            ]
        return [self.text["membership"] % {"membership": label}]

    def _plan_payment(self, row: Row, plan: Plan, due: int, planned, membership_id):
        payment = bulk.new(
            DuesPayment,
            association_id=self.association.pk,
            **self.no_uuid,
            amount_cents=row.amount if row.amount is not None else due,
            method=row.method or self.options.default_method,
            paid_on=row.paid_on or self.today,
            reference=row.reference,
            note=(row.method_note or self.note)[:255],
            recorded_by_id=self.acting_user.pk if self.acting_user else None,
        )
        plan.payments.append((payment, planned, membership_id))
        return payment

    # --- Writing ---

    def apply(self, plan: Plan) -> None:
        """The chunk's writes, in bulk (inside the chunk's transaction)."""
        now = timezone.now()
        bulk.insert([s.person for s in plan.persons], now=now)
        for index, key, state in plan.pending_keys:
            if index.get(key) is state:
                index[key] = state.person.pk
        if plan.updated:
            for state in plan.updated.values():
                state.person.updated_at = now
                state.person.last_activity_at = now
            fields = set().union(*(s.dirty for s in plan.updated.values()))
            derived = {"search_text", "sort_name", "email_folded", "updated_at"}
            Person.objects.bulk_update(
                [s.person for s in plan.updated.values()],
                sorted(fields | derived | {"last_activity_at"}),
                batch_size=500,
            )
            for state in plan.updated.values():
                # receivers.follow_person_name, which bulk_update does not trigger.
                Membership._base_manager.filter(person_id=state.person.pk).exclude(
                    sort_name=state.person.sort_name
                ).update(sort_name=state.person.sort_name)
        if plan.tag_links:
            names = sorted({name for _state, name in plan.tag_links}, key=fold)
            tags = {fold(t.name): t.pk for t in people_services._tags_for(self.association, names)}
            through = Person.tags.through
            through.objects.bulk_create(
                [
                    through(person_id=state.person.pk, tag_id=tags[fold(name)])
                    for state, name in plan.tag_links
                ],
                batch_size=1000,
                ignore_conflicts=True,
            )
        self._ledger(plan)  # the dues payments' money first: they are inserted with it
        bulk.insert([p for p, _m, _id in plan.payments], now=now)
        for payment, planned, _id in plan.payments:
            if planned is not None:
                planned.payment_id, planned.paid_on = payment.pk, payment.paid_on
        for membership, state in plan.memberships:
            membership.person_id = state.person.pk
            membership.sort_name = state.person.sort_name
        bulk.insert([m for m, _s in plan.memberships], now=now)
        for membership, state in plan.memberships:
            for membered in state.memberships:
                if membered.planned is membership:
                    membered.pk, membered.planned = membership.pk, None
        paid_existing = [(payment, pk) for payment, _p, pk in plan.payments if pk is not None]
        for payment, pk in paid_existing:
            Membership.objects.filter(
                association=self.association, pk=pk, paid_on__isnull=True
            ).update(payment=payment, paid_on=payment.paid_on)
        # Existing contacts that got a membership or a payment were active today.
        active = {s.person.pk for _m, s in plan.memberships if not s.new}
        active -= {s.person.pk for s in plan.updated.values()}
        if active:
            Person.objects.filter(pk__in=active).update(last_activity_at=now)
        if paid_existing:
            Person.objects.filter(
                pk__in=Membership.objects.filter(pk__in=[pk for _p, pk in paid_existing]).values(
                    "person_id"
                )
            ).update(last_activity_at=now)
        if plan.memberships or plan.payments:
            from .. import cache as member_cache

            member_cache.changed(self.association)

    def _ledger(self, plan: Plan) -> None:
        """The money of the chunk's dues payments in the association's ledger (payments app),
        in one insert, before the dues payments themselves (each of more than 0 € is
        inserted with its Payment: no second pass over them)."""
        from essaim.payments import services as payment_services

        today = timezone.localdate()
        dues = [
            (payment, planned, pk)
            for payment, planned, pk in plan.payments
            if payment.amount_cents > 0 and payment.paid_on <= today
        ]
        if not dues:
            return
        # The payer: the person of the membership paid (new ones are inserted by now).
        new_payers = {id(membership): state.person.pk for membership, state in plan.memberships}
        payers = dict(
            Membership.objects.filter(pk__in=[pk for _p, _m, pk in dues if pk]).values_list(
                "pk", "person_id"
            )
        )
        ledger = payment_services.payment_record_many(
            association=self.association,
            acting_user=self.acting_user,
            rows=[
                {
                    "amount_cents": payment.amount_cents,
                    "method": payment.method,
                    "paid_on": payment.paid_on,
                    "person_id": new_payers.get(id(planned))
                    if planned is not None
                    else payers.get(pk),
                    "reference": payment.reference,
                    "note": payment.note,
                }
                for payment, planned, pk in dues
            ],
        )
        for (payment, _planned, _pk), money in zip(dues, ledger, strict=True):
            payment.payment_id = money.pk

    # --- Running ---

    def process(self, phase: str, *, revision: int | None = None) -> dict:
        """Handle every row of the file; returns the counts of the phase.

        The import applies the rows as the check read them (stored with its chunks); it reads
        the file again only when those are missing.
        """
        # The cyclic garbage collector walks every live object again and again while
        # 100,000 rows' worth of them accumulate in the index (a third of the time at
        # 100,000 rows). What is made here holds no reference cycles: reference counting
        # frees it; the collector runs again afterwards.
        enabled = gc.isenabled()
        gc.disable()
        try:
            with _large_page_cache(self.write):
                return self._process(phase, revision)
        finally:
            if enabled:
                gc.enable()

    def _process(self, phase: str, revision: int | None) -> dict:
        counts = _empty_counts()
        done = set()
        for chunk in ImportChunk.objects.filter(job=self.job, phase=phase).only("number", "counts"):
            done.add(chunk.number)
            _add_counts(counts, chunk.counts)
        checked = self._checked_chunks() if phase == ImportChunk.Phase.IMPORT else None
        if checked is not None:
            for number, pk in checked:
                if number in done:
                    continue
                blob = ImportChunk.objects.filter(pk=pk).values_list("rows", flat=True).get()
                rows = [row_load(r) for r in unpack(blob)]
                self._check_types(rows)
                _add_counts(counts, self._chunk(phase, number, rows, revision))
                self._progress(counts)
            counts["blank_lines"] = self.job.preview_counts.get("blank_lines", 0)
            return counts
        table = reading.open_table(
            read_file(self.job),
            sheet=self.job.sheet,
            encoding=self.job.encoding,
            delimiter=self.job.delimiter,
        )
        self.epoch = table.epoch
        number, batch, blank = 0, [], 0
        for line, cells in reading.data_rows(table, self.job.header_line):
            if not cells:
                blank += 1
                continue
            batch.append((line, cells))
            if len(batch) >= CHUNK_SIZE:
                if number not in done:
                    rows = [self.read(line, cells) for line, cells in batch]
                    _add_counts(counts, self._chunk(phase, number, rows, revision))
                    self._progress(counts)
                number, batch = number + 1, []
        if batch and number not in done:
            rows = [self.read(line, cells) for line, cells in batch]
            _add_counts(counts, self._chunk(phase, number, rows, revision))
        counts["blank_lines"] = blank
        return counts

    def _progress(self, counts: dict) -> None:
        ImportJob.objects.filter(pk=self.job.pk).update(
            processed_rows=counts["rows"], heartbeat_at=timezone.now()
        )

    def _checked_chunks(self) -> list[tuple[int, int]] | None:
        """(number, id) of the check's chunks, if all of them kept their rows."""
        chunks = list(
            ImportChunk.objects.filter(job=self.job, phase=ImportChunk.Phase.PREVIEW)
            .exclude(rows=b"")
            .order_by("number")
            .values_list("number", "pk", "counts")
        )
        rows = sum(counts.get("rows", 0) for _n, _pk, counts in chunks)
        numbers = [number for number, _pk, _c in chunks]
        if not chunks or numbers != list(range(len(chunks))):
            return None
        if rows != self.job.preview_counts.get("rows"):
            return None
        return [(number, pk) for number, pk, _c in chunks]

    def _check_types(self, rows: list[Row]) -> None:
        for row in rows:
            if row.type_id is not None and row.type_id not in self.types:
                row.errors.append(
                    _("Its membership type was deleted after the check: check the file again.")
                )

    def _chunk(self, phase: str, number: int, rows: list[Row], revision: int | None) -> dict:
        matched = set()
        for row in rows:
            if not row.errors:
                matched.update(ref for ref, _how in self._candidates(row) if isinstance(ref, int))
        self._load_states(matched)
        plan = Plan()
        decided = [(row, *self.decide(row, plan)) for row in rows]
        counts = _empty_counts()
        results = []
        for row, outcome, messages, state in decided:
            label = row.label if state is None or state.new else str(state.person)[:80]
            results.append([row.line, outcome, label, [str(m) for m in messages], None])
            counts[COUNT_NAMES[outcome]] += 1
        counts["rows"] = len(rows)
        counts["memberships"] = len(plan.memberships)
        counts["payments"] = len(plan.payments)
        checked = b""
        if phase == ImportChunk.Phase.PREVIEW:
            checked = pack([row_dump(row) for row in rows])
        with transaction.atomic():
            if revision is not None:
                current = ImportJob.objects.filter(pk=self.job.pk).values_list(
                    "revision", flat=True
                )
                if current.first() != revision:
                    raise Stale
            if self.write:
                self.apply(plan)
            for result, (_row, _o, _m, state) in zip(results, decided, strict=True):
                result[4] = state.person.pk if state is not None else None
            ImportChunk.objects.create(
                association=self.association,
                job=self.job,
                phase=phase,
                number=number,
                first_line=rows[0].line,
                last_line=rows[-1].line,
                counts=counts,
                results=pack(results),
                rows=checked,
            )
        if self.write:
            # The contacts of this chunk are in the database now: later rows that are the
            # same people find them by id, and memory stays flat over 100,000 rows.
            for state in self.states.values():
                if state.line is not None:
                    self.lines[state.person.pk] = state.line
            for state in plan.persons:
                self.lines[state.person.pk] = state.line
            self.states.clear()
        return counts


@contextmanager
def _large_page_cache(write: bool):
    """SQLite keeps 2 MB of the database in memory by default: inserting 100,000 contacts
    into indexes keyed by random UUIDs then reads the same pages from disk again and again.
    64 MB for the time of the import (PostgreSQL has its own shared buffers)."""
    if not write or connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -65536")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def pack(data) -> bytes:
    return zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), 6)


def unpack(blob) -> list:
    return json.loads(zlib.decompress(bytes(blob)))


def _address_key(line1: str, postcode: str, city: str) -> tuple[str, str, str]:
    return fold(line1), postcode.replace(" ", ""), fold(city)


def _euros(cents: int) -> str:
    from ..services import format_euros

    return format_euros(cents)


def _empty_counts() -> dict:
    return {
        "rows": 0,
        "created": 0,
        "updated": 0,
        "skipped": 0,
        "rejected": 0,
        "memberships": 0,
        "payments": 0,
    }


def _add_counts(total: dict, more: dict) -> None:
    for key, value in more.items():
        if key != "blank_lines":
            total[key] = total.get(key, 0) + value


def read_file(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def decode_results_blob(blob) -> list[list]:
    """[line, outcome, label, messages, person id] for each row of a chunk."""
    return unpack(blob)


# --- Entry points of the tasks -------------------------------------------------------------------


def analyse(job_id: int, revision: int) -> str:
    """The preview: every row's outcome, nothing written. Starts over each time."""
    now = timezone.now()
    # Claimed like an import: a second run of the same task (tasks may run twice) leaves
    # the check to the first, unless the first stopped reporting.
    claimed = (
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.ANALYSING, revision=revision)
        .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - STALE_AFTER))
        .update(processed_rows=0, heartbeat_at=now)
    )
    if not claimed:
        return "obsolete"
    job = ImportJob.objects.select_related("association", "created_by").get(pk=job_id)
    with translation.override(job.language):
        ImportChunk.objects.filter(job=job, phase=ImportChunk.Phase.PREVIEW).delete()
        try:
            counts = Importer(job, write=False).process(
                ImportChunk.Phase.PREVIEW, revision=revision
            )
        except Stale:
            return "obsolete"
        except reading.FileRefused as exc:
            ImportJob.objects.filter(pk=job.pk, revision=revision).update(
                status=ImportJob.Status.DRAFT, error=str(exc)
            )
            return "refused"
        except Exception:
            # Back to the columns screen with a message: the treasurer can try again.
            logger.exception("check of import %s failed", job.uuid)
            ImportJob.objects.filter(pk=job.pk, revision=revision).update(
                status=ImportJob.Status.DRAFT,
                error=_(
                    "The check stopped on an unexpected error. Try again; if it happens "
                    "again, send the file to the people who run Essaim for you."
                ),
            )
            return "failed"
    ImportJob.objects.filter(pk=job.pk, revision=revision).update(
        status=ImportJob.Status.READY,
        counts=counts,
        preview_counts=counts,
        processed_rows=counts["rows"],
        blank_lines=counts["blank_lines"],
        analysed_at=timezone.now(),
        error="",
    )
    return "ready"


def claim(job_id: int) -> ImportJob | None:
    """Take the job for this worker: queued, failed, or running without news for a while
    (its worker died). One conditional UPDATE: two workers cannot both take it."""
    now = timezone.now()
    claimable = Q(status=ImportJob.Status.QUEUED) | Q(
        status=ImportJob.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(claimable)
        .update(status=ImportJob.Status.RUNNING, heartbeat_at=now, error="")
    )
    if not claimed:
        return None
    return ImportJob.objects.select_related("association", "created_by").get(pk=job_id)


def execute(job_id: int) -> str:
    """The import itself; resumes after the last complete chunk when run again."""
    job = claim(job_id)
    if job is None:
        return "not claimed"
    if job.started_at is None:
        ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now())
    with translation.override(job.language):
        try:
            counts = Importer(job, write=True).process(ImportChunk.Phase.IMPORT)
        except Exception as exc:
            logger.exception("import %s failed", job.uuid)
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.FAILED,
                error=str(exc)[:2000]
                if isinstance(exc, reading.FileRefused)
                else _(
                    "An unexpected error stopped the import. The rows already imported are "
                    "kept; resume it to import the others."
                ),
            )
            return "failed"
        with transaction.atomic():
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.DONE,
                counts=counts,
                processed_rows=counts["rows"],
                blank_lines=counts["blank_lines"],
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )
            # Imported: the rows as the check read them are not needed any more.
            ImportChunk.objects.filter(job=job, phase=ImportChunk.Phase.PREVIEW).update(rows=b"")
            audit_log(
                association=job.association,
                actor=job.created_by,
                action="membership.import",
                obj=job,
                object_repr=job.original_name[:255],
                data=dict(counts),
            )
    return "done"


def summary(counts: dict) -> str:
    return ngettext(
        "%(rows)d row: %(created)d created, %(updated)d updated, %(skipped)d skipped, "
        "%(rejected)d rejected.",
        "%(rows)d rows: %(created)d created, %(updated)d updated, %(skipped)d skipped, "
        "%(rejected)d rejected.",
        counts.get("rows", 0),
    ) % {key: counts.get(key, 0) for key in ("rows", "created", "updated", "skipped", "rejected")}
