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
   dead run (its lease expired, or it would still hold it). A row is marked "sending" just
   before it is handed to SMTP and "sent" just after the server accepts it, so a leftover
   "sending" row may or may not have left (at most one per thread of the dead run). By
   default it is queued again and sent **with the same Message-ID**: SMTP itself cannot
   say whether a message whose connection broke around the final "." was taken (RFC 1047),
   and a second copy with the same Message-ID is the same message, which mail services and
   apps merge; a recipient is never left without it. With
   ESSAIM_MAILING_RESEND_IN_FLIGHT=0 it becomes "unknown" instead and the team decides
   (mailings.deliveries_retry_unknown). Leftover "claimed" rows were never handed over and
   go back to the queue.
3. **Claim** a batch: `UPDATE … SET status='claimed', claim_token=… WHERE id IN (SELECT …
   FOR UPDATE SKIP LOCKED LIMIT n)` on PostgreSQL (the plain conditional UPDATE on SQLite,
   which has one writer anyway).
4. For each row, in id order: render, mark it "sending", hand it to SMTP on the open
   connection, then at once one short autocommit UPDATE marks it sent. The window where a
   crash leaves a message accepted but not marked is that UPDATE's round trip after
   `sendmail` returns (well under 1 ms on a local database), plus the DATA exchange of the
   message in flight: at most one message per thread of a crashed run, flagged "unknown".
   Each message carries a stable Message-ID (<delivery uuid@host>) so a duplicate, if the
   team resends, is recognisable (and merged by many mail apps).
5. The mailing becomes "sent" when no row is waiting.
"""

import datetime as dt
import email.utils
import logging
import smtplib
import threading
import time
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override
from django_scopes import scopes_disabled

from . import personalise, tracking
from .models import Delivery, Mailing, MailingLink, MailingSettings

logger = logging.getLogger(__name__)

LEASE_SECONDS = 60  # default of settings.ESSAIM_MAILING_LEASE_SECONDS
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


def resend_in_flight() -> bool:
    """After a crash, send again (same Message-ID) the messages that were in flight."""
    return bool(getattr(settings, "ESSAIM_MAILING_RESEND_IN_FLIGHT", True))


def lease_seconds() -> int:
    """How long a sender's lease lasts: after a crash, the next run waits at most this."""
    return int(getattr(settings, "ESSAIM_MAILING_LEASE_SECONDS", LEASE_SECONDS))


def lease_take(association_id: int, token: str) -> bool:
    now = timezone.now()
    MailingSettings.objects.get_or_create(association_id=association_id)
    return bool(
        MailingSettings.objects.filter(association_id=association_id)
        .filter(Q(sender_until__isnull=True) | Q(sender_until__lt=now) | Q(sender_token=token))
        .update(sender_token=token, sender_until=now + dt.timedelta(seconds=lease_seconds()))
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
    """Rows claimed by runs that no longer hold the lease (see the module's docstring):
    "sending" ones (being handed over when the run died) become "unknown", "claimed" ones
    (never handed over) go back to the queue."""
    stale = Delivery.objects.filter(association_id=association_id).exclude(
        claim_token__startswith=token
    )
    in_flight = stale.filter(status=Delivery.Status.SENDING)
    unknown = resent = 0
    if resend_in_flight():
        resent = in_flight.update(
            status=Delivery.Status.QUEUED,
            claim_token="",
            claimed_at=None,
            error="In flight when the sender stopped: sent again with the same Message-ID.",
        )
    else:
        unknown = in_flight.update(
            status=Delivery.Status.UNKNOWN,
            error="The sender stopped while handing this message over.",
        )
    requeued = stale.filter(status=Delivery.Status.CLAIMED).update(
        status=Delivery.Status.QUEUED, claim_token="", claimed_at=None
    )
    if unknown or resent or requeued:
        logger.warning(
            "mailings: recovered a dead run's rows: %d in flight sent again, %d unknown, "
            "%d back in the queue",
            resent,
            unknown,
            requeued,
        )
    return {"unknown": unknown, "resent": resent, "requeued": requeued}


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


class _Lease:
    """The run's lease, shared by its threads: renewed by whichever thread sees it age."""

    def __init__(self, association_id: int, token: str):
        self.association_id = association_id
        self.token = token
        self.seconds = lease_seconds()
        self.until = time.monotonic() + self.seconds
        self.lost = False
        self.lock = threading.Lock()

    def keep(self) -> bool:
        """False when the lease is lost (or about to end and could not be renewed)."""
        with self.lock:
            if self.lost:
                return False
            if self.until - time.monotonic() < self.seconds * 0.75:
                if not lease_take(self.association_id, self.token):
                    self.lost = True
                    return False
                self.until = time.monotonic() + self.seconds
            return True

    def ending(self) -> bool:
        return time.monotonic() > self.until - 5


class _Pacer:
    """The association's throttle, shared by the run's threads."""

    def __init__(self, per_minute: int):
        self.interval = 60.0 / max(1, per_minute)
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            at = max(self.next_at, now)
            self.next_at = at + self.interval
        if at > now:
            time.sleep(at - now)


def _requeue(ids: list[int], token: str, **extra) -> None:
    Delivery.objects.filter(pk__in=ids, claim_token=token).update(
        status=Delivery.Status.QUEUED, claim_token="", claimed_at=None, **extra
    )


def _send_loop(mailing_id, token, template, lease, pacer, connection, batch, deadline) -> dict:
    """One thread of a run: claim a batch, send it in id order, mark each row sent at once."""
    figures = {"outcome": "done", "sent": 0, "failed": 0}
    smtp = connection or get_connection()
    smtp.open()
    postgres = db_connection.vendor == "postgresql"
    if postgres:
        # Marking a row sent must not wait for a disk flush (3 ms a message here, the
        # slowest step). A crash of the *worker* loses nothing: the commit is in the
        # server's memory. Only a crash of the database server itself within ~0.6 s
        # (3 × wal_writer_delay) could forget a few "sent" marks, whose recipients would
        # then be re-sent: a risk we take for bulk mail, not for money.
        with db_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
    try:
        while True:
            status = Mailing.objects.filter(pk=mailing_id).values_list("status", flat=True).first()
            if status != Mailing.Status.SENDING:
                figures["outcome"] = "stopped"
                break
            if deadline is not None and time.monotonic() > deadline:
                figures["outcome"] = "more"
                break
            if not lease.keep():
                figures["outcome"] = "busy"
                break
            rows = claim(mailing_id, token, batch)
            if not rows:
                break
            for index, delivery in enumerate(rows):
                if lease.ending() and not lease.keep():
                    # Our lease is ending: stop before another run may take over.
                    _requeue([d.pk for d in rows[index:]], token)
                    figures["outcome"] = "busy"
                    return figures
                pacer.wait()
                message = template.message(delivery, delivery.person, smtp)
                # From here until the row is marked sent, its fate is uncertain if we die.
                _mark(delivery.pk, token, status=Delivery.Status.SENDING)
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
                    # The connection broke before the server accepted the message: this
                    # row and the rest of the batch go back to the queue.
                    _requeue([d.pk for d in rows[index:]], token, attempts=F("attempts") + 1)
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
        if postgres:
            with db_connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
    return figures


def _thread(results: list, index: int, *args) -> None:
    try:
        with scopes_disabled():
            results[index] = _send_loop(*args)
    except Exception as error:  # re-raised by the run once every thread is done
        results[index] = error
    finally:
        db_connection.close()


def send_mailing(
    mailing_id: int,
    *,
    connection=None,
    max_seconds: float | None = None,
    batch: int = BATCH,
    rate: int | None = None,
    threads: int = 1,
) -> dict:
    """Send what is queued for one mailing (see the module docstring), on `threads` SMTP
    connections at once (each thread claims its own batches, so each has at most one
    message in flight). Returns {"outcome": "done" | "more" | "busy" | "stopped",
    "sent": n, "failed": n}."""
    with scopes_disabled():
        mailing = Mailing.objects.select_related("association", "newsletter").get(pk=mailing_id)
        association_id = mailing.association_id
        token = uuid.uuid4().hex[:24]
        if not lease_take(association_id, token):
            return {"outcome": "busy", "sent": 0, "failed": 0}
        lease = _Lease(association_id, token)
        try:
            recover(association_id, token)
            per_minute = (
                rate
                or MailingSettings.objects.get(association_id=association_id).messages_per_minute
            )
            pacer = _Pacer(per_minute)
            template = MessageTemplate(mailing)
            deadline = time.monotonic() + max_seconds if max_seconds is not None else None
            if threads <= 1 or connection is not None:
                parts = [
                    _send_loop(
                        mailing_id,
                        f"{token}-0",
                        template,
                        lease,
                        pacer,
                        connection,
                        batch,
                        deadline,
                    )
                ]
            else:
                parts: list = [None] * threads
                workers = [
                    threading.Thread(
                        target=_thread,
                        args=(
                            parts,
                            i,
                            mailing_id,
                            f"{token}-{i}",
                            template,
                            lease,
                            pacer,
                            None,
                            batch,
                            deadline,
                        ),
                    )
                    for i in range(threads)
                ]
                for worker in workers:
                    worker.start()
                for worker in workers:
                    worker.join()
                for part in parts:
                    if isinstance(part, Exception):
                        raise part
            figures = {
                "outcome": "done",
                "sent": sum(p["sent"] for p in parts),
                "failed": sum(p["failed"] for p in parts),
            }
            for outcome in ("busy", "stopped", "more"):
                if any(p["outcome"] == outcome for p in parts):
                    figures["outcome"] = outcome
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
                mailing_id=mailing_id,
                claim_token__startswith=token,
                status=Delivery.Status.CLAIMED,
            ).update(status=Delivery.Status.QUEUED, claim_token="", claimed_at=None)
            lease_release(association_id, token)
    return figures
