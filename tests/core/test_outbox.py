"""The outbox, delivered to a real SMTP server listening on 127.0.0.1."""

import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import get_connection

from essaim.core import emails
from essaim.core.models import OutboxEmail


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()


def test_invitation_reaches_a_real_smtp_server(smtp_server, association, presidente):
    email = emails.email_enqueue(
        to="karim@example.org",
        template="invitation",
        association=association,
        context={
            "inviter": "Hélène Martin",
            "role": "Trésorerie",
            "url": "https://asso.example.org/invitations/abc/",
            "message": "Bienvenue !",
            "days": 14,
        },
    )
    assert emails.outbox_deliver_one(email.pk) == "sent"
    assert emails.outbox_deliver_one(email.pk) == "skipped"  # a second run sends nothing
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["karim@example.org"]
    raw = envelope.content.decode("utf-8", "replace")
    assert "multipart/alternative" in raw and "text/html" in raw
    assert f"X-Essaim-Message: {email.uuid}" in raw
    assert "Reply-To:" not in raw or association.email in raw
    email.refresh_from_db()
    assert email.status == "sent" and email.sent_at is not None


def test_unreachable_server_is_retried_later(settings, db):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nobody listens there
    email = emails.outbox_add(to="a@example.org", subject="Bonjour", body_text="Texte")
    assert emails.outbox_deliver_one(email.pk) == "failed"
    email.refresh_from_db()
    assert email.status == "failed" and email.attempts == 1 and email.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert emails.outbox_sweep() >= 1
    email.refresh_from_db()
    assert email.status == "sent"


def test_subject_cannot_inject_headers(db, mailoutbox):
    email = emails.outbox_add(
        to="a@example.org", subject="Hi\nBcc: victim@example.org", body_text="x"
    )
    # The subject is stored as given but Django refuses newlines in headers: it fails, it
    # does not send a Bcc.
    result = emails.outbox_deliver_one(email.pk, connection=get_connection())
    assert result in ("failed", "sent")
    assert all("victim@example.org" not in m.bcc for m in mailoutbox)


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_send_once():
    # Written directly: outbox_add would hand it to the (immediate) task backend at once.
    email = OutboxEmail.objects.create(to="a@example.org", subject="Une fois", body_text="x")
    results = []

    def deliver():
        try:
            results.append(emails.outbox_deliver_one(email.pk))
        finally:
            from django.db import connection as thread_connection

            thread_connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count("sent") == 1
    assert OutboxEmail.objects.get(pk=email.pk).attempts == 1
