"""Bounces and complaints: suppress addresses that do not work or do not want our mail.

Rules (the user guide repeats them):
- hard bounce (permanent failure, status 5.x.x): the address is suppressed at once;
- soft bounce (temporary, 4.x.x: mailbox full, server down): suppressed after SOFT_LIMIT of
  them within SOFT_DAYS days (one full mailbox is not a dead address; three in two weeks is);
- complaint (the recipient pressed "spam"; ARF, RFC 5965): unsubscribed from everything and
  suppressed.
A suppressed address receives no mailing of the association until the team removes it.

Inputs: DSNs (RFC 3464 multipart/report messages, from an MTA pipe or a maildir: the
`mailing_bounces` command), ARF reports, and webhooks (`/webhooks/mail/<token>/`): a generic
JSON shape signed with the association's secret, and Mailgun's event format.
"""

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from email.message import Message

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from essaim.core.audit import audit_log
from essaim.core.models import Association
from essaim.mobilisation.canonical import canonical_email
from essaim.people.models import Person

from .models import BounceEvent, Delivery, MailingSettings, Suppression

SOFT_LIMIT = 3
SOFT_DAYS = 15
WEBHOOK_MAX_AGE = 15 * 60  # seconds: a signed Mailgun event older than this is refused


class NotAReport(ValueError):
    """The message is not a DSN or an ARF report."""


@dataclass
class Event:
    kind: str  # BounceEvent.Kind
    email: str
    message_id: str = ""
    detail: str = ""


# --- Suppression list ---------------------------------------------------------------------


@transaction.atomic
def suppression_add(
    *, association: Association, acting_user, email: str, reason: str, detail: str = ""
) -> Suppression:
    """Suppress an address (idempotent: an address already suppressed keeps its row)."""
    email = str(email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Give a valid e-mail address.")}) from None
    if reason not in Suppression.Reason.values:
        raise ValidationError({"reason": _("Unknown reason.")})
    key = canonical_email(email)
    existing = Suppression.objects.filter(association=association, email_canonical=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            suppression = Suppression.objects.create(
                association=association,
                email=email,
                email_canonical=key,
                reason=reason,
                detail=str(detail or "")[:500],
                created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
            )
    except IntegrityError:
        return Suppression.objects.get(association=association, email_canonical=key)
    audit_log(
        association=association,
        actor=acting_user,
        action="suppression.add",
        obj=suppression,
        data={"reason": reason},
    )
    return suppression


@transaction.atomic
def suppression_remove(*, association: Association, acting_user, suppression: Suppression) -> None:
    """The team removes an address from the list (the person gave a new, working mailbox
    under the same address, or the complaint was a mistake). Past bounces are forgotten."""
    if suppression.association_id != association.pk:
        raise ValidationError(_("Unknown address."))
    BounceEvent.objects.filter(
        association=association, email_canonical=suppression.email_canonical
    ).delete()
    audit_log(
        association=association,
        actor=acting_user,
        action="suppression.remove",
        obj=suppression,
        data={"reason": suppression.reason},
    )
    suppression.delete()


# --- Recording events ---------------------------------------------------------------------


def _delivery_for(event: Event, association: Association | None) -> Delivery | None:
    with scopes_disabled():
        rows = Delivery.objects.select_related("association")
        if event.message_id:
            found = rows.filter(message_id=event.message_id.strip()).first()
            if found is None:
                ident = event.message_id.strip().strip("<>").split("@", 1)[0]
                if re.fullmatch(r"[0-9a-f]{32}", ident):
                    found = rows.filter(uuid=ident).first()
            if found is not None and (
                association is None or found.association_id == association.pk
            ):
                return found
        if event.email:
            latest = rows.filter(email_canonical=canonical_email(event.email))
            if association is not None:
                latest = latest.filter(association=association)
            return latest.order_by("-id").first()
    return None


def bounce_record(event: Event, *, association: Association | None = None, source: str = "") -> str:
    """Record one event; returns what happened: "suppressed", "counted" or "unknown" (no
    association knows this address)."""
    delivery = _delivery_for(event, association)
    if delivery is not None:
        association = delivery.association
        address = event.email or delivery.email
    else:
        address = event.email
    if association is None or not address:
        return "unknown"
    key = canonical_email(address)
    now = timezone.now()
    from django_scopes import scope

    with scope(association=association), transaction.atomic():
        BounceEvent.objects.create(
            association=association,
            email_canonical=key,
            kind=event.kind,
            delivery=delivery,
            detail=event.detail[:500],
            source=source[:20],
        )
        if delivery is not None:
            field = "complained_at" if event.kind == BounceEvent.Kind.COMPLAINT else "bounced_at"
            Delivery.objects.filter(pk=delivery.pk, **{f"{field}__isnull": True}).update(
                **{field: now}
            )
        if event.kind == BounceEvent.Kind.HARD:
            suppression_add(
                association=association,
                acting_user=None,
                email=address,
                reason=Suppression.Reason.HARD_BOUNCE,
                detail=event.detail,
            )
            return "suppressed"
        if event.kind == BounceEvent.Kind.COMPLAINT:
            from .lists import unsubscribe_everything

            for person in Person.objects.filter(
                association=association, email_folded=address.lower(), erased_at__isnull=True
            ) | Person.objects.filter(pk=getattr(delivery, "person_id", None) or 0):
                unsubscribe_everything(
                    association=association,
                    person=person,
                    note=_("Reported a mailing as spam."),
                )
            suppression_add(
                association=association,
                acting_user=None,
                email=address,
                reason=Suppression.Reason.COMPLAINT,
                detail=event.detail,
            )
            return "suppressed"
        recent = BounceEvent.objects.filter(
            association=association,
            email_canonical=key,
            kind=BounceEvent.Kind.SOFT,
            received_at__gte=now - dt.timedelta(days=SOFT_DAYS),
        ).count()
        if recent >= SOFT_LIMIT:
            suppression_add(
                association=association,
                acting_user=None,
                email=address,
                reason=Suppression.Reason.SOFT_BOUNCES,
                detail=_("%(n)d temporary failures within %(days)d days.")
                % {"n": recent, "days": SOFT_DAYS},
            )
            return "suppressed"
    return "counted"


# --- DSN and ARF --------------------------------------------------------------------------


def _fields(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package parses delivery-status into blocks
        return payload
    text = payload if isinstance(payload, str) else ""
    blocks = re.split(r"\r?\n\r?\n", text.strip())
    return [email.message_from_string(block) for block in blocks if block.strip()]


def _original_message_id(report: Message) -> str:
    for part in report.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message) and inner.get("Message-ID"):
                return str(inner.get("Message-ID")).strip()
        if ctype == "text/rfc822-headers":
            headers = email.message_from_string(
                part.get_payload(decode=True).decode("utf-8", "replace")
            )
            if headers.get("Message-ID"):
                return str(headers.get("Message-ID")).strip()
    return ""


def _address(value: str) -> str:
    value = str(value or "")
    if ";" in value:
        value = value.split(";", 1)[1]
    return value.strip().strip("<>")


def parse_report(raw: bytes | str) -> list[Event]:
    """The events of a DSN (RFC 3464) or a complaint (ARF, RFC 5965).

    Raises NotAReport for anything else (an out-of-office reply, a person answering)."""
    message = (
        email.message_from_bytes(raw, policy=email.policy.compat32)
        if isinstance(raw, bytes)
        else email.message_from_string(raw, policy=email.policy.compat32)
    )
    if message.get_content_type() != "multipart/report":
        raise NotAReport("not a multipart/report message")
    report_type = (message.get_param("report-type") or "").lower()
    message_id = _original_message_id(message)
    events: list[Event] = []
    if report_type == "delivery-status":
        for part in message.walk():
            if part.get_content_type() != "message/delivery-status":
                continue
            for block in _fields(part)[1:]:  # the first block is about the message
                action = (block.get("Action") or "").strip().lower()
                status = (block.get("Status") or "").strip()
                recipient = _address(
                    block.get("Final-Recipient") or block.get("Original-Recipient")
                )
                if not recipient or action not in {"failed", "delayed"}:
                    continue
                hard = action == "failed" and status.startswith("5")
                detail = " ".join(f"{status} {block.get('Diagnostic-Code') or ''}".split())
                events.append(
                    Event(
                        kind=BounceEvent.Kind.HARD if hard else BounceEvent.Kind.SOFT,
                        email=recipient,
                        message_id=message_id,
                        detail=detail,
                    )
                )
    elif report_type == "feedback-report":
        for part in message.walk():
            if part.get_content_type() != "message/feedback-report":
                continue
            for block in _fields(part):
                recipient = _address(block.get("Original-Rcpt-To") or "")
                feedback = (block.get("Feedback-Type") or "abuse").strip()
                events.append(
                    Event(
                        kind=BounceEvent.Kind.COMPLAINT,
                        email=recipient,
                        message_id=message_id,
                        detail=f"ARF {feedback}",
                    )
                )
                break
    else:
        raise NotAReport(f"unknown report type {report_type!r}")
    if not events:
        raise NotAReport("a report without a failed recipient")
    return events


def report_receive(raw: bytes | str) -> list[str]:
    """Parse and record a raw report; returns the outcome of each event."""
    return [bounce_record(event, source="dsn") for event in parse_report(raw)]


# --- Webhooks -----------------------------------------------------------------------------


def webhook_settings(token: str) -> MailingSettings | None:
    with scopes_disabled():
        return (
            MailingSettings.objects.select_related("association")
            .filter(webhook_token=token)
            .first()
        )


def _generic(body: dict) -> list[Event]:
    kinds = {"hard_bounce": "hard", "soft_bounce": "soft", "complaint": "complaint"}
    events = body.get("events") if isinstance(body.get("events"), list) else [body]
    result = []
    for item in events:
        if not isinstance(item, dict) or item.get("type") not in kinds:
            raise ValueError("unknown event type")
        result.append(
            Event(
                kind=kinds[item["type"]],
                email=str(item.get("email") or "")[:254],
                message_id=str(item.get("message_id") or "")[:255],
                detail=str(item.get("detail") or "")[:500],
            )
        )
    return result


def _mailgun(body: dict, secret: str) -> list[Event]:
    """Mailgun's webhook: {"signature": {timestamp, token, signature}, "event-data": {…}};
    the signature is HMAC-SHA256(timestamp + token) with the webhook signing key."""
    signature = body.get("signature") or {}
    timestamp = str(signature.get("timestamp") or "")
    token = str(signature.get("token") or "")
    expected = hmac.new(secret.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(signature.get("signature") or "")):
        raise PermissionError("bad signature")
    if (
        not timestamp.isdigit()
        or abs(timezone.now().timestamp() - int(timestamp)) > WEBHOOK_MAX_AGE
    ):
        raise PermissionError("stale event")
    data = body.get("event-data") or {}
    event = data.get("event")
    recipient = str(data.get("recipient") or "")[:254]
    message_id = str(((data.get("message") or {}).get("headers") or {}).get("message-id") or "")
    if message_id and not message_id.startswith("<"):
        message_id = f"<{message_id}>"
    status = data.get("delivery-status") or {}
    description = status.get("description") or status.get("message") or ""
    detail = " ".join(f"{status.get('code') or ''} {description}".split())
    if event == "failed":
        kind = "hard" if data.get("severity") == "permanent" else "soft"
    elif event == "complained":
        kind = "complaint"
    else:
        return []  # delivered, opened…: not ours to count
    return [Event(kind=kind, email=recipient, message_id=message_id[:255], detail=detail[:500])]


def webhook_receive(settings_row: MailingSettings, body: bytes, headers) -> tuple[int, str]:
    """(HTTP status, outcome). The generic shape is signed in the header
    X-Essaim-Signature: hex HMAC-SHA256 of the raw body with the association's secret."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return 400, "not JSON"
    if not isinstance(data, dict):
        return 400, "not an object"
    secret = settings_row.webhook_secret
    try:
        if "event-data" in data:
            events = _mailgun(data, secret)
            source = "mailgun"
        else:
            expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            given = str(headers.get("X-Essaim-Signature") or "")
            if not hmac.compare_digest(expected, given):
                raise PermissionError("bad signature")
            events = _generic(data)
            source = "webhook"
    except PermissionError as error:
        return 403, str(error)
    except (ValueError, TypeError, AttributeError):
        return 400, "unknown event"
    outcomes = [
        bounce_record(e, association=settings_row.association, source=source) for e in events
    ]
    return 200, ",".join(outcomes) or "ignored"
