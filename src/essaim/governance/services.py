"""Services of governance: statutes rules, bodies, assemblies, agenda, convocations,
check-in, proxies, opening and closing.

Every service takes `association=` and `acting_user=`, runs in a transaction, writes the
activity log and raises ValidationError per field on bad input.
"""

import datetime as dt
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log, diff, snapshot
from essaim.core.emails import email_enqueue
from essaim.core.models import Association
from essaim.lib.text import has_forbidden_characters
from essaim.people.models import Person

from . import selectors
from .models import (
    AgendaDocument,
    AgendaItem,
    Assembly,
    Attendance,
    Body,
    BodySeat,
    Convocation,
    Majority,
    Proxy,
    StatutesRules,
)
from .quorum import parse_share
from .tokens import presence_token

# --- Statutes rules -----------------------------------------------------------------------

RULES_FIELDS = (
    "quorum_ordinary",
    "quorum_extraordinary",
    "second_convocation_without_quorum",
    "majority_ordinary",
    "majority_ordinary_custom",
    "majority_extraordinary",
    "majority_extraordinary_custom",
    "proxies_allowed",
    "proxy_cap",
    "remote_voting_allowed",
    "notice_days",
    "weighted_votes",
)


def _share_error() -> str:
    return _("Write a share such as 1/4, 25 % or 0.25 (more than 0, at most all members).")


@transaction.atomic
def statutes_rules_update(*, association: Association, acting_user, **fields) -> StatutesRules:
    """Record what the statutes say about general meetings."""
    unknown = set(fields) - set(RULES_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    errors = {}
    for name in ("quorum_ordinary", "quorum_extraordinary"):
        if fields.get(name):
            try:
                parse_share(fields[name])
            except ValueError:
                errors[name] = _share_error()
    for kind in ("ordinary", "extraordinary"):
        choice = fields.get(f"majority_{kind}")
        custom = fields.get(f"majority_{kind}_custom", "")
        if choice == Majority.CUSTOM:
            if not custom:
                errors[f"majority_{kind}_custom"] = _("Write the share your statutes require.")
            else:
                try:
                    parse_share(custom)
                except ValueError:
                    errors[f"majority_{kind}_custom"] = _share_error()
    cap = fields.get("proxy_cap")
    if cap is not None and not 1 <= int(cap) <= 1000:
        errors["proxy_cap"] = _("Between 1 and 1000, or empty for no limit.")
    if "notice_days" in fields and not 0 <= int(fields["notice_days"]) <= 365:
        errors["notice_days"] = _("Between 0 and 365 days.")
    if errors:
        raise ValidationError(errors)
    rules = StatutesRules.objects.select_for_update().filter(association=association).first()
    if rules is None:
        rules = StatutesRules(association=association)
    before = snapshot(rules, fields.keys())
    for name, value in fields.items():
        setattr(rules, name, value)
    rules.save()
    changes = diff(before, snapshot(rules, fields.keys()), fields.keys())
    if changes:
        audit_log(
            association=association,
            actor=acting_user,
            action="statutes_rules.update",
            obj=rules,
            object_repr=str(_("Statutes rules")),
            changes=changes,
        )
    return rules


# --- Bodies -------------------------------------------------------------------------------


@transaction.atomic
def body_create(
    *, association: Association, acting_user, kind: str, name: str, description: str = ""
) -> Body:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the body a name.")})
    if kind not in Body.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of body.")})
    if Body.objects.filter(association=association, name__iexact=name).exists():
        raise ValidationError({"name": _("A body already has this name.")})
    body = Body.objects.create(
        association=association, kind=kind, name=name, description=description
    )
    audit_log(association=association, actor=acting_user, action="body.create", obj=body)
    return body


@transaction.atomic
def body_seat_add(
    *,
    association: Association,
    acting_user,
    body: Body,
    person: Person,
    role: str = BodySeat.Role.MEMBER,
    since: dt.date | None = None,
) -> BodySeat:
    if person.association_id != association.pk or body.association_id != association.pk:
        raise ValidationError({"person": _("This contact is not in your association.")})
    if body.kind == Body.Kind.GENERAL_MEETING:
        raise ValidationError(
            {"person": _("The general meeting's members are the members with voting rights.")}
        )
    if role not in BodySeat.Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    if BodySeat.objects.filter(body=body, person=person).exists():
        raise ValidationError({"person": _("This contact already sits on this body.")})
    seat = BodySeat.objects.create(
        association=association, body=body, person=person, role=role, since=since
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="body.seat_add",
        obj=body,
        data={"role": role, "person": str(person.uuid)},
    )
    return seat


@transaction.atomic
def body_seat_remove(*, association: Association, acting_user, seat: BodySeat) -> None:
    body = seat.body
    audit_log(
        association=association,
        actor=acting_user,
        action="body.seat_remove",
        obj=body,
        data={"role": seat.role, "person": str(seat.person.uuid)},
    )
    seat.delete()


# --- Assemblies ---------------------------------------------------------------------------

ASSEMBLY_FIELDS = (
    "kind",
    "title",
    "starts_at",
    "mode",
    "place",
    "online_link",
    "convocation_number",
)


def _check_assembly(association: Association, fields: dict) -> None:
    errors = {}
    title = (fields.get("title") or "").strip()
    if "title" in fields and not title:
        errors["title"] = _("Give the meeting a title, for example “Annual general meeting”.")
    if has_forbidden_characters(title) or has_forbidden_characters(fields.get("place") or ""):
        errors["title"] = _("This text contains characters that are not allowed.")
    mode = fields.get("mode", Assembly.Mode.ON_SITE)
    if mode not in Assembly.Mode.values:
        errors["mode"] = _("Choose where the meeting takes place.")
    elif mode != Assembly.Mode.ONLINE and "place" in fields and not fields.get("place"):
        errors["place"] = _("Give the address of the meeting.")
    elif mode != Assembly.Mode.ON_SITE:
        if "online_link" in fields and not fields.get("online_link"):
            errors["online_link"] = _("Give the link members will use to join.")
        if not selectors.rules_for(association).remote_voting_allowed:
            errors["mode"] = _(
                "Your statutes rules do not allow remote participation: change them first "
                "(Governance → Statutes rules) if your statutes allow it."
            )
    starts_at = fields.get("starts_at")
    if "starts_at" in fields and (starts_at is None or timezone.is_naive(starts_at)):
        errors["starts_at"] = _("Give the date and time of the meeting.")
    if "kind" in fields and fields["kind"] not in ("ordinary", "extraordinary"):
        errors["kind"] = _("Choose ordinary or extraordinary.")
    if "convocation_number" in fields and fields["convocation_number"] not in (1, 2):
        errors["convocation_number"] = _("First or second convocation.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def assembly_create(*, association: Association, acting_user, **fields) -> Assembly:
    """A general meeting, being prepared (nobody is convened yet)."""
    unknown = set(fields) - set(ASSEMBLY_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    fields.setdefault("mode", Assembly.Mode.ON_SITE)
    fields.setdefault("place", "")
    _check_assembly(association, {"title": "", "starts_at": None, **fields})
    assembly = Assembly.objects.create(
        association=association,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        **{**fields, "title": fields["title"].strip()},
    )
    audit_log(association=association, actor=acting_user, action="assembly.create", obj=assembly)
    return assembly


def _lock(assembly: Assembly) -> Assembly:
    """The assembly's row, locked: proxies, check-ins and status changes of one meeting
    run one at a time (PostgreSQL; SQLite's writers are serialised anyway)."""
    return Assembly.objects.select_for_update().get(pk=assembly.pk)


@transaction.atomic
def assembly_update(*, association: Association, acting_user, assembly: Assembly, **fields):
    unknown = set(fields) - set(ASSEMBLY_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    assembly = _lock(assembly)
    if assembly.status == Assembly.Status.CLOSED:
        raise ValidationError(_("This meeting is closed: it can no longer be changed."))
    merged = {name: getattr(assembly, name) for name in ASSEMBLY_FIELDS} | fields
    _check_assembly(association, merged)
    before = snapshot(assembly, fields.keys())
    for name, value in fields.items():
        setattr(assembly, name, value.strip() if isinstance(value, str) else value)
    assembly.save()
    changes = diff(before, snapshot(assembly, fields.keys()), ("starts_at", "mode", "kind"))
    if changes:
        audit_log(
            association=association,
            actor=acting_user,
            action="assembly.update",
            obj=assembly,
            changes=changes,
        )
    return assembly


# --- Agenda -------------------------------------------------------------------------------

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "odt": "application/vnd.oasis.opendocument.text",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def sniff_document(head: bytes, data_file) -> str | None:
    """The document's kind from its content (not its name): "pdf", "odt", "docx" or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        data_file.seek(0)
        with zipfile.ZipFile(data_file) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].strip()
                if mimetype == DOCUMENT_TYPES["odt"].encode():
                    return "odt"
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return "docx"
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return None
    finally:
        data_file.seek(0)
    return None


@transaction.atomic
def agenda_item_add(
    *,
    association: Association,
    acting_user,
    assembly: Assembly,
    title: str,
    description: str = "",
    is_resolution: bool = False,
    documents=(),
) -> AgendaItem:
    assembly = _lock(assembly)
    if assembly.status in (Assembly.Status.OPEN, Assembly.Status.CLOSED):
        raise ValidationError(_("The meeting has started: its agenda can no longer change."))
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the agenda item a title.")})
    if has_forbidden_characters(title) or has_forbidden_characters(description or ""):
        raise ValidationError({"title": _("This text contains characters that are not allowed.")})
    position = (
        AgendaItem.objects.filter(assembly=assembly).aggregate(top=Max("position"))["top"] or 0
    ) + 1
    item = AgendaItem.objects.create(
        association=association,
        assembly=assembly,
        position=position,
        title=title,
        description=description or "",
        is_resolution=is_resolution,
    )
    for upload in documents:
        agenda_document_add(
            association=association, acting_user=acting_user, item=item, upload=upload
        )
    audit_log(
        association=association,
        actor=acting_user,
        action="assembly.agenda_add",
        obj=assembly,
        data={"item": title},
    )
    return item


@transaction.atomic
def agenda_document_add(*, association: Association, acting_user, item: AgendaItem, upload):
    """Attach a PDF, ODT or DOCX file (10 MB at most) to an agenda item; its content is
    checked, not its name, so a renamed program or page cannot pass for a document."""
    size = getattr(upload, "size", 0) or 0
    if size > MAX_DOCUMENT_BYTES:
        raise ValidationError({"documents": _("A document may weigh 10 MB at most.")})
    if size == 0:
        raise ValidationError({"documents": _("This file is empty.")})
    upload.seek(0)
    head = upload.read(8)
    kind = sniff_document(head, upload)
    if kind is None:
        raise ValidationError(
            {
                "documents": _(
                    "Only PDF, OpenDocument text (ODT) and Word (DOCX) files are accepted."
                )
            }
        )
    name = (getattr(upload, "name", "") or "document").rsplit("/", 1)[-1][:200]
    base = name.rsplit(".", 1)[0] if "." in name else name
    document = AgendaDocument(
        association=association,
        item=item,
        original_name=f"{base}.{kind}",
        content_type=DOCUMENT_TYPES[kind],
        size=size,
    )
    upload.seek(0)
    document.file.save(f"document.{kind}", upload, save=False)
    document.save()
    audit_log(
        association=association,
        actor=acting_user,
        action="assembly.document_add",
        obj=item.assembly,
        data={"document": document.original_name},
    )
    return document


@transaction.atomic
def agenda_item_delete(*, association: Association, acting_user, item: AgendaItem) -> None:
    assembly = _lock(item.assembly)
    if assembly.status != Assembly.Status.DRAFT:
        raise ValidationError(
            _("The members have been convened with this agenda: it can no longer lose an item.")
        )
    for document in item.documents.all():
        document.file.delete(save=False)
    audit_log(
        association=association,
        actor=acting_user,
        action="assembly.agenda_delete",
        obj=assembly,
        data={"item": item.title},
    )
    item.delete()


# --- Convocations -------------------------------------------------------------------------

CONVENE_CHUNK = 100


@transaction.atomic
def assembly_convene(*, association: Association, acting_user, assembly: Assembly) -> Assembly:
    """Convene the members with voting rights: one convocation each, by e-mail, or by letter
    for those without one (the team prints `letters.pdf`). The e-mails go out in the
    background (`tasks.convocations_send`), resumably and never twice."""
    assembly = _lock(assembly)
    if assembly.status in (Assembly.Status.OPEN, Assembly.Status.CLOSED):
        raise ValidationError(_("This meeting has started: it is too late to convene it."))
    if not assembly.items.exists():
        raise ValidationError(_("Write the agenda first: the convocation must list it."))
    first_time = assembly.status == Assembly.Status.DRAFT
    if first_time:
        assembly.status = Assembly.Status.CONVENED
        assembly.convened_at = timezone.now()
        assembly.save(update_fields=["status", "convened_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="assembly.convene",
        obj=assembly,
        data={"notice_met": selectors.notice_met(assembly), "again": not first_time},
    )
    assembly_id = assembly.pk

    def _enqueue() -> None:
        from .tasks import convocations_send

        convocations_send.enqueue(assembly_id=assembly_id)

    transaction.on_commit(_enqueue)
    return assembly


def convocations_send(assembly: Assembly) -> int:
    """Create the missing convocations, CONVENE_CHUNK members per transaction, each e-mail
    queued in the same transaction as its convocation row. Run again after a crash (or when
    new members joined), it convenes only those who were not: the unique (assembly, person)
    makes a second convocation impossible. Returns the number of members convened now."""
    association = assembly.association
    shared = convocation_shared_context(assembly)
    done = 0
    while True:
        already = Convocation.objects.filter(assembly=assembly).values("person_id")
        batch = list(
            selectors.voting_members(association, selectors.assembly_day(assembly))
            .exclude(pk__in=already)
            .order_by("pk")[:CONVENE_CHUNK]
        )
        if not batch:
            return done
        with transaction.atomic():
            for person in batch:
                done += _convene_one(assembly, person, shared)


def _convene_one(assembly: Assembly, person: Person, shared: dict) -> int:
    association = assembly.association
    try:
        with transaction.atomic():
            convocation = Convocation.objects.create(
                association=association,
                assembly=assembly,
                person=person,
                channel=Convocation.Channel.EMAIL if person.email else Convocation.Channel.LETTER,
            )
            if person.email:
                convocation.outbox_email = email_enqueue(
                    to=person.email,
                    template="assembly_convocation",
                    context=convocation_context(assembly, person, shared),
                    association=association,
                )
                convocation.save(update_fields=["outbox_email"])
    except IntegrityError:  # convened meanwhile by another run
        return 0
    return 1


def convocation_shared_context(assembly: Assembly) -> dict:
    """What every member's convocation says alike, read once per sending."""
    return {
        "assembly": assembly,
        "items": list(assembly.items.prefetch_related("documents")),
        "rules": selectors.rules_for(assembly.association),
        "portal_url": settings.ESSAIM_BASE_URL + reverse("governance_public:portal"),
        "starts_at": timezone.localtime(assembly.starts_at),
    }


def convocation_context(assembly: Assembly, person: Person, shared: dict | None = None) -> dict:
    base = settings.ESSAIM_BASE_URL
    return {
        **(shared or convocation_shared_context(assembly)),
        "person": person,
        "presence_url": base
        + reverse("governance_public:presence", kwargs={"token": presence_token(assembly, person)})
        if assembly.has_online_part
        else "",
    }


# --- Check-in -----------------------------------------------------------------------------


def _can_check_in(assembly: Assembly) -> None:
    if assembly.status == Assembly.Status.CLOSED:
        raise ValidationError(_("This meeting is closed."))
    if assembly.status == Assembly.Status.DRAFT:
        raise ValidationError(_("Convene the members before checking them in."))


@transaction.atomic
def attendance_check_in(
    *,
    association: Association,
    acting_user,
    assembly: Assembly,
    person: Person,
    method: str = Attendance.Method.TEAM,
) -> Attendance:
    """Record that a member with voting rights is present; a second check-in of the same
    member returns the first one (two volunteers at the door, a QR code scanned twice)."""
    assembly = _lock(assembly)
    _can_check_in(assembly)
    if person.association_id != association.pk or not selectors.is_voting_member(
        person, selectors.assembly_day(assembly)
    ):
        raise ValidationError({"person": _("This person has no voting rights in this meeting.")})
    existing = Attendance.objects.filter(assembly=assembly, person=person).first()
    if existing is not None:
        return existing
    attendance = Attendance.objects.create(
        association=association,
        assembly=assembly,
        person=person,
        method=method,
        checked_in_at=timezone.now(),
        checked_in_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    # A member who gave a proxy and came after all votes themselves: before the opening the
    # proxy is revoked (its holder gets the place back); once open, proxies are frozen and
    # the quorum and the votes leave out the proxy of a giver who is present.
    revoked = 0
    if not assembly.proxies_frozen:
        now = timezone.now()
        revoked = (
            selectors.live_proxies(assembly)
            .filter(giver=person)
            .update(revoked_at=now, updated_at=now)
        )
    audit_log(
        association=association,
        actor=acting_user,
        action="assembly.check_in",
        obj=assembly,
        data={"person": str(person.uuid), "method": method, "proxy_revoked": bool(revoked)},
    )
    return attendance


@transaction.atomic
def attendance_undo(*, association: Association, acting_user, assembly: Assembly, person: Person):
    """A member checked in by mistake (the wrong line tapped)."""
    assembly = _lock(assembly)
    _can_check_in(assembly)
    deleted, _rows = Attendance.objects.filter(assembly=assembly, person=person).delete()
    if deleted:
        audit_log(
            association=association,
            actor=acting_user,
            action="assembly.check_in_undo",
            obj=assembly,
            data={"person": str(person.uuid)},
        )


# --- Proxies ------------------------------------------------------------------------------


@transaction.atomic
def proxy_give(
    *, association: Association, acting_user, assembly: Assembly, giver: Person, holder: Person
) -> Proxy:
    """`giver` asks `holder` to vote for them.

    Rules: both have voting rights; proxies allowed by the statutes; at most the statutes'
    cap per holder (enforced by the unique (assembly, holder, slot) too: two members
    racing for a holder's last place, one wins, the other is refused); no chains: a member
    who gave their proxy cannot hold others', and one who holds proxies cannot give
    theirs (revoke or hand back the proxies first); giving a new proxy replaces one given
    earlier; nothing changes once the meeting is open."""
    assembly = _lock(assembly)
    rules = selectors.rules_for(association)
    if assembly.proxies_frozen:
        raise ValidationError(_("The meeting has opened: proxies can no longer change."))
    if not rules.proxies_allowed:
        raise ValidationError(_("Your statutes do not allow proxies."))
    if giver.pk == holder.pk:
        raise ValidationError({"holder": _("A member cannot give their proxy to themselves.")})
    day = selectors.assembly_day(assembly)
    for field, person in (("giver", giver), ("holder", holder)):
        if person.association_id != association.pk or not selectors.is_voting_member(person, day):
            raise ValidationError({field: _("This person has no voting rights in this meeting.")})
    live = selectors.live_proxies(assembly)
    if live.filter(holder=giver).exists():
        raise ValidationError(
            {
                "giver": _(
                    "This member holds proxies of other members: they cannot give their own "
                    "vote away (the others would lose theirs). Revoke those proxies first."
                )
            }
        )
    if live.filter(giver=holder).exists():
        raise ValidationError(
            {"holder": _("This member has given their own proxy: they cannot hold others'.")}
        )
    if Attendance.objects.filter(assembly=assembly, person=giver).exists():
        raise ValidationError({"giver": _("This member is present: they vote themselves.")})
    # A new proxy replaces the giver's earlier one.
    now = timezone.now()
    earlier = list(live.filter(giver=giver))
    if earlier:
        live.filter(giver=giver).update(revoked_at=now, updated_at=now)
    taken = set(live.filter(holder=holder).values_list("slot", flat=True))
    cap = rules.proxy_cap
    free = [s for s in range(1, (cap or len(taken) + 1) + 1) if s not in taken]
    if not free:
        raise ValidationError(
            {
                "holder": _(
                    "This member already holds %(cap)d proxies, the most your statutes allow."
                )
                % {"cap": cap}
            }
        )
    try:
        with transaction.atomic():
            proxy = Proxy.objects.create(
                association=association,
                assembly=assembly,
                giver=giver,
                holder=holder,
                slot=free[0],
                created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:
        # Another proxy took that place (or this member's proxy was given) at the same moment.
        raise ValidationError(
            {"holder": _("This member's proxies changed meanwhile: try again.")}
        ) from exc
    audit_log(
        association=association,
        actor=acting_user,
        action="proxy.give",
        obj=assembly,
        data={"giver": str(giver.uuid), "holder": str(holder.uuid), "replaces": len(earlier)},
    )
    return proxy


@transaction.atomic
def proxy_revoke(*, association: Association, acting_user, proxy: Proxy) -> Proxy:
    assembly = _lock(proxy.assembly)
    if assembly.proxies_frozen:
        raise ValidationError(_("The meeting has opened: proxies can no longer change."))
    proxy = Proxy.objects.select_for_update().get(pk=proxy.pk)
    if proxy.revoked_at is not None:
        return proxy
    proxy.revoked_at = timezone.now()
    proxy.save(update_fields=["revoked_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="proxy.revoke",
        obj=assembly,
        data={"giver": str(proxy.giver.uuid), "holder": str(proxy.holder.uuid)},
    )
    return proxy


# --- Opening and closing ------------------------------------------------------------------


@transaction.atomic
def assembly_open(*, association: Association, acting_user, assembly: Assembly) -> Assembly:
    """Open the session: proxies are frozen; the quorum at this moment is recorded."""
    assembly = _lock(assembly)
    if assembly.status != Assembly.Status.CONVENED:
        raise ValidationError(
            _("Only a convened meeting can open.")
            if assembly.status == Assembly.Status.DRAFT
            else _("This meeting has already opened.")
        )
    quorum = selectors.quorum_of(assembly)
    assembly.status = Assembly.Status.OPEN
    assembly.opened_at = timezone.now()
    assembly.quorum_at_opening = quorum.status.as_dict() | {"weighted": quorum.weighted}
    assembly.save(update_fields=["status", "opened_at", "quorum_at_opening", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="assembly.open",
        obj=assembly,
        data=assembly.quorum_at_opening,
    )
    return assembly


@transaction.atomic
def assembly_close(*, association: Association, acting_user, assembly: Assembly) -> Assembly:
    assembly = _lock(assembly)
    if assembly.status != Assembly.Status.OPEN:
        raise ValidationError(_("Only a meeting in session can be closed."))
    assembly.status = Assembly.Status.CLOSED
    assembly.closed_at = timezone.now()
    assembly.save(update_fields=["status", "closed_at", "updated_at"])
    audit_log(association=association, actor=acting_user, action="assembly.close", obj=assembly)
    return assembly


def document_bytes(document: AgendaDocument) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()
