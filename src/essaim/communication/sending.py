"""Sending a mailing: throttled, batched, one SMTP connection, resumable without duplicates.

Why not the outbox: a mailing's Delivery rows already are its queue (one row per recipient,
frozen at send start); copying 100,000 rendered messages into OutboxEmail would double the
writes and lose the per-association throttle. Test sends and confirmations do use the outbox.

How one run goes (`send_mailing`, from the task `tasks.mailing_run` or the command
`mailing_send`):

1. **Lease**: the run takes the association's sender lease (MailingSettings.sender_token /
   sender_until, a conditional UPDATE, LEASE_SECONDS long, renewed as it goes). One sender
   per association at a time, so the throttle (messages per minute) holds whatever the
   number of workers; a second worker gets "busy" and the periodic dispatch tries later.
2. **Recovery** (under the lease): rows another run claimed and never finished belong to a
   dead run (its lease expired, or it would still hold it). That run handled its claimed rows
   strictly in id order and marked each one sent right after the SMTP server accepted it, so
   among its leftover rows only the *first* may have been handed over: it becomes "unknown"
   (never re-sent blindly: the team decides, see mailings.deliveries_retry_unknown); the
   others were never attempted and go back to the queue.
3. **Claim** a batch: `UPDATE … SET status='claimed', claim_token=… WHERE id IN (SELECT …
   FOR UPDATE SKIP LOCKED LIMIT n)` on PostgreSQL (the plain conditional UPDATE on SQLite,
   which has one writer anyway).
4. For each row, in id order: render, hand to SMTP on the open connection, then at once one
   short autocommit UPDATE marks it sent. The window where a crash leaves a message sent but
   not marked is that single UPDATE's round trip after `sendmail` returns (≈1 ms), plus the
   DATA exchange of the message in flight: at most one message per crashed run, and it is
   the one flagged "unknown". Each message carries a stable Message-ID (<delivery uuid@host>)
   so a duplicate, if the team resends, is recognisable (and merged by many mail apps).
5. The mailing becomes "sent" when no row is waiting.
"""

import datetime as dt
import email.utils
import logging
import smtplib
import time
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Min, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override
from django_scopes import scopes_disabled

from . import personalise, tracking
from .models import Delivery, Mailing, MailingLink, MailingSettings

logger = logging.getLogger(__name__)

LEASE_SECONDS = 60
BATCH = 200


def _host() -> str:
    return urlsplit(settings.ESSAIM_BASE_URL).hostname or "essaim.localhost"


def _from_address() -> str:
    return email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@essaim.localhost"


def message_id(delivery_uuid) -> str:
    return f"<{uuid.UUID(str(delivery_uuid)).hex}@{_host()}>"


class MessageTemplate:
    """Everything about a mailing's message that is the same for every recipient, computed
    once; `render()` only substitutes the fields and the tracked links."""

    def __init__(self, mailing: Mailing):
        association = mailing.association
        self.mailing = mailing
        self.association = association
        body_html = personalise.markdown_to_html(mailing.body)
        self.text_core = personalise.html_to_text(body_html)
        self.positions = {
            link.url: link.position for link in MailingLink.objects.filter(mailing=mailing)
        }
        address = ", ".join(
            part
            for part in (
                association.address_line1,
                f"{association.postcode} {association.city}".strip(),
            )
            if part
        )
        with override(settings.LANGUAGE_CODE):
            context = {
                "association": association,
                "address": address,
                "body": "\x00BODY\x00",
                "mailing": mailing,
            }
            self.html_frame = render_to_string("emails/mailing_body.html", context)
            self.text_footer = render_to_string("emails/mailing_footer.txt", context)
        self.body_html = body_html
        self.from_email = email.utils.formataddr((mailing.from_name, _from_address()))
        self.reply_to = mailing.reply_to or association.email or ""
        list_key = mailing.newsletter.uuid if mailing.newsletter_id else association.uuid
        self.list_id = f"<{list_key.hex}.{_host()}>"
        self.unsubscribe_mailto = (
            getattr(settings, "ESSAIM_UNSUBSCRIBE_MAILTO", "") or _from_address()
        )

    def _links(self, html: str, link) -> str:
        if link is None or not self.positions:
            return html

        def replace(match):
            url = match.group(1).replace("&amp;", "&")
            position = self.positions.get(url)
            return match.group(0) if position is None else f'href="{link(position)}"'

        return personalise.HREF_ANY.sub(replace, html)

    def render(self, values: dict, *, link=None, pixel: str = "") -> dict:
        body = self._links(self.body_html, link)
        body = personalise.substitute(body, values, escape=True)
        # The frame's fields first, then the body: a value that itself looks like a field
        # ("{{ email }}" typed as a first name) is never substituted a second time.
        html = personalise.substitute(self.html_frame, values, escape=True)
        html = html.replace("\x00BODY\x00", body)
        if pixel:
            html = html.replace(
                "</body>",
                f'<img src="{pixel}" width="1" height="1" alt="" style="display:block"></body>',
            )
        text = personalise.substitute(self.text_core, values, escape=False)
        text += "\n" + personalise.substitute(self.text_footer, values, escape=False).strip() + "\n"
        subject = " ".join(
            personalise.substitute(self.mailing.subject, values, escape=False).split()
        )
        return {"subject": subject, "html": html, "text": text, "content": body}

    def message(self, delivery: Delivery, person, connection) -> EmailMultiAlternatives:
        token = tracking.unsubscribe_token(delivery.uuid)
        unsubscribe = tracking.unsubscribe_url(token)
        hex_id = delivery.uuid.hex
        values = personalise.person_values(
            person,
            self.association,
            unsubscribe_url=unsubscribe,
            preferences_url=tracking.preferences_url(token),
        )
        values["email"] = delivery.email
        rendered = self.render(
            values,
            link=lambda position: tracking.click_url(hex_id, position),
            pixel=tracking.open_url(hex_id) if self.mailing.track_opens else "",
        )
        headers = {
            "Message-ID": message_id(delivery.uuid),
            # RFC 8058: the provider POSTs "List-Unsubscribe=One-Click" to the https address.
            "List-Unsubscribe": (
                f"<{unsubscribe}>, <mailto:{self.unsubscribe_mailto}?subject=unsubscribe%20{token}>"
            ),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": self.list_id,
            "Precedence": "bulk",
            # Asks vacation responders not to answer (RFC 3834).
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "OOF, AutoReply",
            "X-Essaim-Delivery": hex_id,
        }
        message = EmailMultiAlternatives(
            subject=rendered["subject"],
            body=rendered["text"],
            from_email=self.from_email,
            to=[delivery.email],
            reply_to=[self.reply_to] if self.reply_to else None,
            headers=headers,
            connection=connection,
        )
        message.attach_alternative(rendered["html"], "text/html")
        return message


# --- Lease --------------------------------------------------------------------------------


def lease_take(association_id: int, token: str) -> bool:
    now = timezone.now()
    MailingSettings.objects.get_or_create(association_id=association_id)
    return bool(
        MailingSettings.objects.filter(association_id=association_id)
        .filter(Q(sender_until__isnull=True) | Q(sender_until__lt=now) | Q(sender_token=token))
        .update(sender_token=token, sender_until=now + dt.timedelta(seconds=LEASE_SECONDS))
    )


def lease_release(association_id: int, token: str) -> None:
    MailingSettings.objects.filter(association_id=association_id, sender_token=token).update(
        sender_token="", sender_until=None
    )


def lease_free(association_id: int) -> bool:
    return not MailingSettings.objects.filter(
        association_id=association_id, sender_until__gte=timezone.now()
    ).exists()


# --- Recovery, claims ---------------------------------------------------------------------


def recover(association_id: int, token: str) -> dict:
    """Rows claimed by runs that no longer hold the lease (see the module's docstring)."""
    stale = Delivery.objects.filter(
        association_id=association_id,
        status__in=[Delivery.Status.CLAIMED, Delivery.Status.SENDING],
    ).exclude(claim_token=token)
    firsts = list(
        stale.values("claim_token").annotate(first=Min("id")).values_list("first", flat=True)
    )
    unknown = Delivery.objects.filter(pk__in=firsts).update(
        status=Delivery.Status.UNKNOWN, error="The sender stopped while handing this message over."
    )
    requeued = stale.exclude(pk__in=firsts).update(
        status=Delivery.Status.QUEUED, claim_token="", claimed_at=None
    )
    if unknown or requeued:
        logger.warning(
            "mailings: recovered a dead run's rows: %d unknown, %d back in the queue",
            unknown,
            requeued,
        )
    return {"unknown": unknown, "requeued": requeued}


def claim(mailing_id: int, token: str, size: int) -> list[Delivery]:
    now = timezone.now()
    with transaction.atomic():
        candidates = Delivery.objects.filter(
            mailing_id=mailing_id, status=Delivery.Status.QUEUED
        ).order_by("id")
        if db_connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:size])
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.CLAIMED, claim_token=token, claimed_at=now
        )
    return list(
        Delivery.objects.filter(pk__in=ids, claim_token=token, status=Delivery.Status.CLAIMED)
        .select_related("person")
        .order_by("id")
    )


def _mark(delivery_id: int, token: str, **fields) -> None:
    Delivery.objects.filter(pk=delivery_id, claim_token=token).update(**fields)


PERMANENT = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)


def send_mailing(
    mailing_id: int,
    *,
    connection=None,
    max_seconds: float | None = None,
    batch: int = BATCH,
    rate: int | None = None,
) -> dict:
    """Send what is queued for one mailing (see the module docstring). Returns figures:
    {"outcome": "done" | "more" | "busy" | "stopped", "sent": n, "failed": n}."""
    with scopes_disabled():
        mailing = Mailing.objects.select_related("association", "newsletter").get(pk=mailing_id)
        association_id = mailing.association_id
        token = uuid.uuid4().hex
        if not lease_take(association_id, token):
            return {"outcome": "busy", "sent": 0, "failed": 0}
        lease_until = time.monotonic() + LEASE_SECONDS
        figures = {"outcome": "done", "sent": 0, "failed": 0}
        try:
            recover(association_id, token)
            per_minute = (
                rate
                or MailingSettings.objects.get(association_id=association_id).messages_per_minute
            )
            interval = 60.0 / max(1, per_minute)
            template = MessageTemplate(mailing)
            smtp = connection or get_connection()
            smtp.open()
            started = time.monotonic()
            next_at = started
            try:
                while True:
                    status = (
                        Mailing.objects.filter(pk=mailing_id)
                        .values_list("status", flat=True)
                        .first()
                    )
                    if status != Mailing.Status.SENDING:
                        figures["outcome"] = "stopped"
                        break
                    if max_seconds is not None and time.monotonic() - started > max_seconds:
                        figures["outcome"] = "more"
                        break
                    if lease_until - time.monotonic() < LEASE_SECONDS * 0.75:
                        if not lease_take(association_id, token):
                            figures["outcome"] = "busy"
                            break
                        lease_until = time.monotonic() + LEASE_SECONDS
                    rows = claim(mailing_id, token, batch)
                    if not rows:
                        break
                    for index, delivery in enumerate(rows):
                        if time.monotonic() > lease_until - 5:
                            # Our lease is about to end: stop before another run may take
                            # over; the rest of the batch goes back by recovery.
                            Delivery.objects.filter(
                                pk__in=[d.pk for d in rows[index:]], claim_token=token
                            ).update(status=Delivery.Status.QUEUED, claim_token="", claimed_at=None)
                            break
                        now = time.monotonic()
                        if next_at > now:
                            time.sleep(next_at - now)
                        next_at = max(next_at, now) + interval
                        message = template.message(delivery, delivery.person, smtp)
                        try:
                            smtp.send_messages([message])
                        except PERMANENT as error:
                            _mark(
                                delivery.pk,
                                token,
                                status=Delivery.Status.FAILED,
                                error=str(error)[:500],
                                attempts=F("attempts") + 1,
                            )
                            figures["failed"] += 1
                            continue
                        except (smtplib.SMTPException, OSError):
                            # The connection broke before the server accepted the message:
                            # this row and the rest of the batch go back to the queue.
                            Delivery.objects.filter(
                                pk__in=[d.pk for d in rows[index:]], claim_token=token
                            ).update(
                                status=Delivery.Status.QUEUED,
                                claim_token="",
                                claimed_at=None,
                                attempts=F("attempts") + 1,
                            )
                            raise
                        _mark(
                            delivery.pk,
                            token,
                            status=Delivery.Status.SENT,
                            sent_at=timezone.now(),
                            message_id=message.extra_headers["Message-ID"],
                        )
                        figures["sent"] += 1
            finally:
                if connection is None:
                    smtp.close()
            if figures["outcome"] == "done":
                waiting = Delivery.objects.filter(
                    mailing_id=mailing_id,
                    status__in=[
                        Delivery.Status.QUEUED,
                        Delivery.Status.CLAIMED,
                        Delivery.Status.SENDING,
                    ],
                ).exists()
                if waiting:
                    figures["outcome"] = "more"
                else:
                    Mailing.objects.filter(pk=mailing_id, status=Mailing.Status.SENDING).update(
                        status=Mailing.Status.SENT, finished_at=timezone.now()
                    )
        finally:
            Delivery.objects.filter(
                mailing_id=mailing_id, claim_token=token, status=Delivery.Status.CLAIMED
            ).update(status=Delivery.Status.QUEUED, claim_token="", claimed_at=None)
            lease_release(association_id, token)
    return figures
