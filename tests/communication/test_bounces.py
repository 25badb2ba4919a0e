"""Bounces (DSN, RFC 3464), complaints (ARF, RFC 5965), webhooks (generic signed, Mailgun)."""

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.communication import bounces, mailings, sending
from essaim.communication.models import BounceEvent, Delivery, Mailing, Suppression
from essaim.people import services as people_services
from tests.communication.mailing_helpers import consenting, draft

pytestmark = pytest.mark.django_db

DSN = """From: MAILER-DAEMON@mx.example.net
To: noreply@essaim.localhost
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND"

--BOUND
Content-Type: text/plain

Your message could not be delivered.

--BOUND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Fri, 27 Nov 2026 10:00:00 +0100

Final-Recipient: rfc822; {email}
Original-Recipient: rfc822;{email}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {status} mailbox problem

--BOUND
Content-Type: text/rfc822-headers

Message-ID: {message_id}
Subject: Nouvelles

--BOUND--
"""

ARF = """From: fbl@provider.example
To: abuse@essaim.localhost
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"

--ARF
Content-Type: text/plain

This is an abuse report.

--ARF
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Rcpt-To: {email}

--ARF
Content-Type: message/rfc822

From: Les Amis <noreply@essaim.localhost>
To: {email}
Message-ID: {message_id}
Subject: Nouvelles

Hello
--ARF--
"""


@pytest.fixture
def sent(association, presidente):
    with scope(association=association):
        consenting(association, 2)
        mailing = draft(association, presidente)
        Mailing.objects.filter(pk=mailing.pk).update(
            status=Mailing.Status.SCHEDULED, scheduled_at=timezone.now()
        )
        mailings.mailing_start(mailing.pk)
        sending.send_mailing(mailing.pk)
        return list(Delivery.objects.filter(mailing=mailing).order_by("id"))


def _dsn(delivery, action="failed", status="5.1.1"):
    return DSN.format(
        email=delivery.email, action=action, status=status, message_id=delivery.message_id
    )


def test_hard_bounce_suppresses_at_once(sent):
    assert bounces.report_receive(_dsn(sent[0]).encode()) == ["suppressed"]
    with scopes_disabled():
        suppression = Suppression.objects.get()
        assert suppression.email == sent[0].email
        assert suppression.reason == Suppression.Reason.HARD_BOUNCE
        assert Delivery.objects.get(pk=sent[0].pk).bounced_at is not None


def test_soft_bounces_suppress_after_three(sent):
    raw = _dsn(sent[1], action="delayed", status="4.2.2")
    assert bounces.report_receive(raw) == ["counted"]
    assert bounces.report_receive(raw) == ["counted"]
    with scopes_disabled():
        assert not Suppression.objects.exists()
    assert bounces.report_receive(raw) == ["suppressed"]
    with scopes_disabled():
        assert Suppression.objects.get().reason == Suppression.Reason.SOFT_BOUNCES


def test_old_soft_bounces_do_not_count(sent):
    raw = _dsn(sent[1], action="delayed", status="4.2.2")
    bounces.report_receive(raw)
    bounces.report_receive(raw)
    with scopes_disabled():
        BounceEvent.objects.update(received_at=timezone.now() - dt.timedelta(days=16))
    assert bounces.report_receive(raw) == ["counted"]


def test_not_a_dsn_is_refused_and_changes_nothing(sent):
    reply = "From: a@example.net\nTo: b@example.net\nSubject: Re: Nouvelles\n\nMerci !\n"
    with pytest.raises(bounces.NotAReport):
        bounces.report_receive(reply)
    with pytest.raises(CommandError):
        _command_with(reply)
    with scopes_disabled():
        assert not Suppression.objects.exists() and not BounceEvent.objects.exists()


def _command_with(raw: str):
    import io
    import sys

    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(raw.encode()))
    try:
        call_command("mailing_bounces")
    finally:
        sys.stdin = old


def test_command_reads_a_dsn_from_stdin(sent):
    _command_with(_dsn(sent[0]))
    with scopes_disabled():
        assert Suppression.objects.count() == 1


def test_arf_complaint_unsubscribes_everything_and_suppresses(sent):
    raw = ARF.format(email=sent[0].email, message_id=sent[0].message_id)
    assert bounces.report_receive(raw) == ["suppressed"]
    with scopes_disabled():
        assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT
        person = Delivery.objects.get(pk=sent[0].pk).person
        current = people_services.current_consents(person)
        assert not current["newsletter"].granted and not current["association_news"].granted
        assert Delivery.objects.get(pk=sent[0].pk).complained_at is not None


def _webhook_url(association):
    with scope(association=association):
        row = mailings.settings_for(association)
    return row, reverse("communication_public:mail_webhook", kwargs={"token": row.webhook_token})


def test_generic_webhook_signed(association, sent):
    row, url = _webhook_url(association)
    body = json.dumps({"type": "hard_bounce", "email": sent[0].email, "detail": "5.1.1"}).encode()
    signature = hmac.new(row.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    response = Client().post(
        url, body, content_type="application/json", headers={"X-Essaim-Signature": signature}
    )
    assert response.status_code == 200 and response.content == b"suppressed"
    with scopes_disabled():
        assert Suppression.objects.count() == 1


def test_webhook_bad_signature_and_bad_input(association, sent):
    _row, url = _webhook_url(association)
    body = json.dumps({"type": "hard_bounce", "email": sent[0].email}).encode()
    response = Client().post(
        url, body, content_type="application/json", headers={"X-Essaim-Signature": "0" * 64}
    )
    assert response.status_code == 403
    assert Client().post(url, b"{not json", content_type="application/json").status_code == 400
    unknown = reverse("communication_public:mail_webhook", kwargs={"token": "m.nothing"})
    assert Client().post(unknown, body, content_type="application/json").status_code == 404
    with scopes_disabled():
        assert not Suppression.objects.exists()


def test_mailgun_webhook(association, sent):
    row, url = _webhook_url(association)
    timestamp, token = str(int(time.time())), "abcdef123456"
    signature = hmac.new(
        row.webhook_secret.encode(), (timestamp + token).encode(), hashlib.sha256
    ).hexdigest()
    payload = {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": "complained",
            "recipient": sent[1].email,
            "message": {"headers": {"message-id": sent[1].message_id.strip("<>")}},
        },
    }
    response = Client().post(url, json.dumps(payload), content_type="application/json")
    assert response.status_code == 200
    with scopes_disabled():
        assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT
        assert Delivery.objects.get(pk=sent[1].pk).complained_at is not None
    payload["signature"]["signature"] = "1" * 64
    assert (
        Client().post(url, json.dumps(payload), content_type="application/json").status_code == 403
    )


def test_suppressed_address_gets_no_more_mailings(association, presidente, sent):
    bounces.report_receive(_dsn(sent[0]))
    with scope(association=association):
        mailing = draft(association, presidente, subject="Deuxième")
        emails = [e for _p, e, _k in mailings.recipient_rows(mailing)]
    assert sent[0].email not in emails and sent[1].email in emails


def test_team_removes_a_suppression(association, presidente, sent, client_for):
    bounces.report_receive(_dsn(sent[0]))
    client = client_for(presidente)
    slug = association.slug
    page = client.get(reverse("communication:suppressions", kwargs={"association_slug": slug}))
    assert sent[0].email.encode() in page.content
    with scopes_disabled():
        suppression = Suppression.objects.get()
    client.post(
        reverse(
            "communication:suppression_remove",
            kwargs={"association_slug": slug, "suppression_uuid": suppression.uuid},
        )
    )
    with scopes_disabled():
        assert not Suppression.objects.exists() and not BounceEvent.objects.exists()
    response = client.post(
        reverse("communication:suppressions", kwargs={"association_slug": slug}),
        {"email": "nope@example.net", "detail": "demande orale"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Suppression.objects.get().reason == Suppression.Reason.MANUAL
