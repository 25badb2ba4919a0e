"""The e-mail outbox: queue in the caller's transaction, deliver from a task."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.lib.emails import build_message, render_email
from essaim.lib.text import has_forbidden_characters

from .models import Association, OutboxEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


MESSAGE_SUBJECT_MAX = 150
MESSAGE_TEXT_MAX = 5000


def check_message(subject, message) -> tuple[str, str, dict[str, str]]:
    """A subject and a text a team writes to many people (an appeal, news to signers):
    cleaned, with one translated error per faulty field ({} when both are right)."""
    subject = " ".join(str(subject or "").split())
    message = str(message or "").strip()
    errors = {}
    if not subject or len(subject) > MESSAGE_SUBJECT_MAX or has_forbidden_characters(subject):
        errors["subject"] = _("Give the e-mail a subject (at most %(limit)d characters).") % {
            "limit": MESSAGE_SUBJECT_MAX
        }
    if not message or len(message) > MESSAGE_TEXT_MAX or has_forbidden_characters(message):
        errors["message"] = _("Write the message (at most %(limit)d characters).") % {
            "limit": MESSAGE_TEXT_MAX
        }
    return subject, message, errors


def email_enqueue(
    *,
    to: str,
    template: str,
    context: dict,
    association: Association | None = None,
    language: str | None = None,
    reply_to: str = "",
    headers: dict | None = None,
) -> OutboxEmail:
    """Render an e-mail and queue it; it is sent once the caller's transaction commits."""
    rendered = render_email(template, {**context, "association": association}, language)
    return outbox_add(
        to=to,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        association=association,
        reply_to=reply_to or (association.email if association else ""),
        headers=headers,
        kind=template,
    )


def outbox_add(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    association: Association | None = None,
    reply_to: str = "",
    headers: dict | None = None,
    kind: str = "",
) -> OutboxEmail:
    email = OutboxEmail.objects.create(
        association=association,
        to=to,
        from_email=settings.DEFAULT_FROM_EMAIL,
        reply_to=reply_to,
        subject=subject[:255],
        body_text=body_text,
        body_html=body_html,
        headers=headers or {},
        kind=kind[:60],
    )
    email_id = email.pk

    def _enqueue() -> None:
        from .tasks import outbox_deliver

        outbox_deliver.enqueue(email_id=email_id)

    transaction.on_commit(_enqueue)
    return email


def outbox_deliver_one(email_id: int, connection=None) -> str:
    """Send one queued e-mail; safe to call twice (a sent row is not sent again)."""
    with transaction.atomic():
        claimed = OutboxEmail.objects.filter(
            pk=email_id, status__in=[OutboxEmail.Status.QUEUED, OutboxEmail.Status.FAILED]
        ).update(
            status=OutboxEmail.Status.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=timezone.now(),
        )
    if not claimed:
        return "skipped"
    email = OutboxEmail.objects.get(pk=email_id)
    message = build_message(
        to=email.to,
        subject=email.subject,
        body_text=email.body_text,
        body_html=email.body_html,
        from_email=email.from_email or settings.DEFAULT_FROM_EMAIL,
        reply_to=email.reply_to,
        headers={"X-Essaim-Message": str(email.uuid), **email.headers},
        connection=connection,
    )
    try:
        message.send()
    except Exception as exc:
        logger.warning("outbox: delivery of %s failed: %s", email.uuid, exc)
        OutboxEmail.objects.filter(pk=email_id).update(
            status=OutboxEmail.Status.FAILED, last_error=str(exc)[:2000]
        )
        return "failed"
    OutboxEmail.objects.filter(pk=email_id).update(
        status=OutboxEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return "sent"


def outbox_sweep(now=None) -> int:
    """Retry failed rows (with back-off) and rows a crashed worker left half-way.

    A row stuck in "sending" for 15 minutes belonged to a worker that died between handing
    the message to SMTP and marking it: it is sent again (at most once more per sweep), the
    only case where a recipient may receive a transactional e-mail twice.
    """
    now = now or timezone.now()
    stuck = OutboxEmail.objects.filter(
        status=OutboxEmail.Status.SENDING,
        last_attempt_at__lt=now - timedelta(minutes=15),
        attempts__lt=MAX_ATTEMPTS,
    ).update(status=OutboxEmail.Status.FAILED)
    retry = list(
        OutboxEmail.objects.filter(
            Q(status=OutboxEmail.Status.QUEUED, created_at__lt=now - timedelta(minutes=2))
            | Q(status=OutboxEmail.Status.FAILED, attempts__lt=MAX_ATTEMPTS)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    connection = get_connection()
    for email_id in retry:
        outbox_deliver_one(email_id, connection=connection)
    return stuck + len(retry)
