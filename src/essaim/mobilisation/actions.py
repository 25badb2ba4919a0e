"""Calls to action: simple things the association asks its supporters to do, and who said
they did them.

Three kinds:

- "share": share a page (the association's, a petition, an article) through tracked links;
  counted when the person presses « I shared it ».
- "write": write to an addressee (a mayor, a company) from the association's template. The
  message is sent by the citizen from their own mailbox through a `mailto:` link, pre-filled
  and editable: Essaim sends nothing in their name. This is deliberate: a platform that sends
  mail to third parties on a form's word can be used to flood anyone's inbox, and an
  elected official gives more weight to a message from a constituent's own address. Counted
  when the person presses « I sent it ».
- "event": come to an event. Counted when the person's registration is confirmed (the
  action's page links to the event with `?src=act-<action>`).

A completion with an e-mail address is counted once per address (canonical form, like
petition signatures); without one, the public view limits completions per connection.
"""

from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from essaim.core.audit import apply_changes, audit_log
from essaim.core.models import Association
from essaim.lib import sharing
from essaim.lib.sharing import with_source
from essaim.lib.text import fold, has_forbidden_characters

from .canonical import canonical_email
from .models import ActionCompletion, CallToAction, Event, Registration
from .services import clean_source, public_email_error

PLACEHOLDERS = ("{name}", "{addressee}")


def _clean(association: Association, data: dict) -> dict:
    errors = {}
    kind = data.get("kind") or ""
    title = " ".join(str(data.get("title") or "").split())
    description = str(data.get("description") or "").strip()
    share_url = str(data.get("share_url") or "").strip()
    addressee_name = " ".join(str(data.get("addressee_name") or "").split())
    addressee_email = str(data.get("addressee_email") or "").strip()
    subject = " ".join(str(data.get("subject_template") or "").split())
    body = str(data.get("body_template") or "").strip()
    event = data.get("event")
    if kind not in CallToAction.Kind.values:
        errors["kind"] = _("Choose what the action asks people to do.")
    if not title or len(title) > 200 or has_forbidden_characters(title):
        errors["title"] = _("Give the action a title (at most 200 characters).")
    if len(description) > 10_000 or has_forbidden_characters(description):
        errors["description"] = _("The description is limited to 10,000 characters.")
    if kind == CallToAction.Kind.SHARE and share_url:
        try:
            URLValidator(schemes=["https", "http"])(share_url)
        except ValidationError:
            errors["share_url"] = _("Give the address of the page to share (https://…).")
    if kind == CallToAction.Kind.WRITE:
        if not addressee_name or len(addressee_name) > 200:
            errors["addressee_name"] = _("Say to whom people write (« Madame la Maire »…).")
        try:
            validate_email(addressee_email)
        except ValidationError:
            errors["addressee_email"] = _("Give the addressee's e-mail address.")
        if not subject or len(subject) > 200 or has_forbidden_characters(subject):
            errors["subject_template"] = _("Write the subject of the message.")
        if not body or len(body) > 5000 or has_forbidden_characters(body):
            errors["body_template"] = _("Write the message (at most 5,000 characters).")
    if kind == CallToAction.Kind.EVENT and (
        not isinstance(event, Event) or event.association_id != association.pk
    ):
        errors["event"] = _("Choose the event people are asked to come to.")
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "title": title,
        "description": description,
        "share_url": share_url if kind == CallToAction.Kind.SHARE else "",
        "addressee_name": addressee_name if kind == CallToAction.Kind.WRITE else "",
        "addressee_email": addressee_email if kind == CallToAction.Kind.WRITE else "",
        "subject_template": subject if kind == CallToAction.Kind.WRITE else "",
        "body_template": body if kind == CallToAction.Kind.WRITE else "",
        "event": event if kind == CallToAction.Kind.EVENT else None,
    }


def _unique_slug(association: Association, title: str) -> str:
    base = slugify(fold(title))[:70] or "action"
    slug, n = base, 1
    while CallToAction.objects.filter(association=association, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def action_create(*, association: Association, acting_user, **fields) -> CallToAction:
    data = _clean(association, fields)
    action = CallToAction.objects.create(
        association=association,
        slug=_unique_slug(association, data["title"]),
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        **data,
    )
    audit_log(association=association, actor=acting_user, action="action.create", obj=action)
    return action


@transaction.atomic
def action_update(
    *, association: Association, acting_user, action: CallToAction, **fields
) -> CallToAction:
    fields.setdefault("kind", action.kind)
    data = _clean(association, fields)
    if data["kind"] != action.kind and action.completions.exists():
        raise ValidationError({"kind": _("People already did this action: its kind stays.")})
    changes = apply_changes(action, data)
    if changes:
        action.save()
        audit_log(
            association=association,
            actor=acting_user,
            action="action.update",
            obj=action,
            changes=changes,
        )
    return action


@transaction.atomic
def action_set_status(
    *, association: Association, acting_user, action: CallToAction, status: str
) -> CallToAction:
    if status not in (CallToAction.Status.PUBLISHED, CallToAction.Status.CLOSED):
        raise ValidationError(_("Unknown action."))
    if action.status == status:
        return action
    action.status = status
    action.save(update_fields=["status", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="action.publish" if status == CallToAction.Status.PUBLISHED else "action.close",
        obj=action,
    )
    return action


def action_url(action: CallToAction, source: str = "") -> str:
    url = settings.ESSAIM_BASE_URL + reverse(
        "mobilisation_public:action",
        kwargs={"slug": action.association.slug, "action_slug": action.slug},
    )
    return f"{url}?src={source}" if source else url


def action_source(action: CallToAction) -> str:
    """The ?src= an event registration carries when it comes from this action."""
    return f"act-{action.slug}"[:40]


def message_for(action: CallToAction, name: str = "") -> tuple[str, str]:
    """The subject and body of a "write" action with its placeholders filled."""
    values = {"{name}": name.strip() or "…", "{addressee}": action.addressee_name}
    subject, body = action.subject_template, action.body_template
    for key, value in values.items():
        subject, body = subject.replace(key, value), body.replace(key, value)
    return subject, body


def mailto_link(action: CallToAction, subject: str, body: str) -> str:
    return (
        f"mailto:{action.addressee_email}?subject={quote(subject, safe='')}"
        f"&body={quote(body, safe='')}"
    )


def completion_record(
    *,
    association: Association,
    action: CallToAction,
    name: str = "",
    email: str = "",
    source: str = "",
) -> tuple[str, ActionCompletion | None]:
    """Someone says they did the action: ("recorded", completion) or ("already", None) when
    the same address said so before (the public page answers the same thanks)."""
    if action.association_id != association.pk or action.status != CallToAction.Status.PUBLISHED:
        raise ValidationError(_("This action is not open."))
    if action.kind == CallToAction.Kind.EVENT:
        raise ValidationError(_("Register to the event: that is how this action counts."))
    name = " ".join(str(name or "").split())
    email = str(email or "").strip()
    errors = {}
    if len(name) > 150 or has_forbidden_characters(name):
        errors["name"] = _("The name is limited to 150 characters.")
    if email and (error := public_email_error(email)):
        errors["email"] = error
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            completion = ActionCompletion.objects.create(
                association=association,
                action=action,
                name=name,
                email=email,
                email_canonical=canonical_email(email) if email else "",
                source=clean_source(source),
            )
    except IntegrityError:
        return "already", None
    return "recorded", completion


def completion_from_registration(*, registration: Registration) -> ActionCompletion | None:
    """A registration that came from an "event" action (its source is the action's) counts
    as a completion of it, once per registration address."""
    slug = registration.source.removeprefix("act-")
    action = CallToAction.objects.filter(
        association_id=registration.association_id,
        kind=CallToAction.Kind.EVENT,
        event_id=registration.event_id,
        slug__startswith=slug,
    ).first()
    if action is None or action_source(action) != registration.source:
        return None
    try:
        with transaction.atomic():
            return ActionCompletion.objects.create(
                association_id=registration.association_id,
                action=action,
                name=registration.full_name[:150],
                email=registration.email,
                email_canonical=registration.email_canonical,
                source="event",
                registration=registration,
                person=registration.person,
            )
    except IntegrityError:
        return None


def actions_with_counts(association: Association):
    return CallToAction.objects.filter(association=association).annotate(done=Count("completions"))


def completion_count(action: CallToAction) -> int:
    return ActionCompletion.objects.filter(action=action).count()


def share_links(action: CallToAction) -> list[dict]:
    """Share links with one ?src= per channel. A "share" action shares its page to share
    (or its own page); the others share the action's page."""
    target = action.share_url or action_url(action)
    return sharing.share_links(action.title, lambda source: with_source(target, source))


def export_logged(*, association: Association, acting_user, action: CallToAction) -> None:
    audit_log(association=association, actor=acting_user, action="action.export", obj=action)


def public_action(slug: str, action_slug: str):
    """(association, action) for a public page; None when unknown or a draft."""
    with scopes_disabled():
        action = (
            CallToAction.objects.select_related("association", "event")
            .filter(association__slug=slug, slug=action_slug)
            .first()
        )
    return action
