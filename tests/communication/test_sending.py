"""The sender: claims, crash recovery without duplicates, the lease, the throttle, SMTP
refusals, two workers at once."""

import datetime as dt
import smtplib
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.communication import mailings, sending
from essaim.communication.models import Delivery, Mailing, MailingSettings
from tests.communication.mailing_helpers import consenting, draft


def _started(association, user, n):
    with scope(association=association):
        consenting(association, n)
        mailing = draft(association, user)
        Mailing.objects.filter(pk=mailing.pk).update(
            status=Mailing.Status.SCHEDULED, scheduled_at=timezone.now()
        )
        mailings.mailing_start(mailing.pk)
    return mailing


def _statuses(mailing) -> dict:
    with scopes_disabled():
        rows = Delivery.objects.filter(mailing=mailing).values_list("status", flat=True)
        result: dict = {}
        for status in rows:
            result[status] = result.get(status, 0) + 1
        return result


def _dead_run(association, mailing):
    """A run claimed 6 rows, handed 3 to SMTP and was killed while handing over the 4th; its
    lease has ended."""
    with scopes_disabled():
        dead = sending.claim(mailing.pk, "deadrun", 6)
        for delivery in dead[:3]:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.SENT, sent_at=timezone.now()
            )
        Delivery.objects.filter(pk=dead[3].pk).update(status=Delivery.Status.SENDING)
        MailingSettings.objects.filter(association=association).update(
            sender_token="deadrun", sender_until=timezone.now() - dt.timedelta(seconds=1)
        )
    return dead


@pytest.mark.django_db
def test_crash_recovery_sends_the_one_in_flight_again_with_its_message_id(association, presidente):
    mailing = _started(association, presidente, 8)
    dead = _dead_run(association, mailing)
    mail.outbox.clear()
    figures = sending.send_mailing(mailing.pk)
    assert figures == {"outcome": "done", "sent": 5, "failed": 0}
    sent_to = [m.to[0] for m in mail.outbox]
    assert sorted(sent_to) == sorted(set(sent_to))  # nobody twice in this run
    assert not {d.email for d in dead[:3]} & set(sent_to)  # those sent are not sent again
    again = next(m for m in mail.outbox if m.to == [dead[3].email])
    assert again.extra_headers["Message-ID"] == sending.message_id(dead[3].uuid)
    assert _statuses(mailing) == {"sent": 8}  # every recipient has their message


@pytest.mark.django_db
def test_crash_recovery_marks_one_unknown_and_sends_the_rest_once(
    association, presidente, settings
):
    settings.ESSAIM_MAILING_RESEND_IN_FLIGHT = False  # the team decides instead
    mailing = _started(association, presidente, 8)
    with scopes_disabled():
        # A run claimed 6 rows, handed 3 to SMTP and was killed while handing over the 4th.
        dead = sending.claim(mailing.pk, "deadrun", 6)
        for delivery in dead[:3]:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.SENT, sent_at=timezone.now()
            )
        Delivery.objects.filter(pk=dead[3].pk).update(status=Delivery.Status.SENDING)
        MailingSettings.objects.filter(association=association).update(
            sender_token="deadrun", sender_until=timezone.now() + dt.timedelta(seconds=30)
        )
    mail.outbox.clear()
    # Its lease still runs: a new run waits.
    assert sending.send_mailing(mailing.pk)["outcome"] == "busy"
    with scopes_disabled():
        MailingSettings.objects.filter(association=association).update(
            sender_until=timezone.now() - dt.timedelta(seconds=1)
        )
    figures = sending.send_mailing(mailing.pk)
    assert figures == {"outcome": "done", "sent": 4, "failed": 0}
    sent_to = sorted(m.to[0] for m in mail.outbox)
    with scopes_disabled():
        unknown = Delivery.objects.get(mailing=mailing, status=Delivery.Status.UNKNOWN)
    assert unknown.pk == dead[3].pk  # the one in flight, never re-sent blindly
    assert unknown.email not in sent_to
    assert not {d.email for d in dead[:3]} & set(sent_to)  # nobody twice
    assert _statuses(mailing) == {"sent": 7, "unknown": 1}
    with scopes_disabled():
        assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.SENT
        stats = mailings.mailing_stats(mailing)
    assert stats["unknown"] == 1
    # The team decides to send it again: same Message-ID.
    with scope(association=association):
        assert (
            mailings.deliveries_retry_unknown(
                association=association, acting_user=presidente, mailing=mailing
            )
            == 1
        )
    sending.send_mailing(mailing.pk)
    assert mail.outbox[-1].to == [unknown.email]
    assert mail.outbox[-1].extra_headers["Message-ID"] == sending.message_id(unknown.uuid)
    assert _statuses(mailing) == {"sent": 8}


@pytest.mark.django_db
def test_throttle_paces_messages(association, presidente, monkeypatch):
    mailing = _started(association, presidente, 4)
    slept = []
    clock = [1000.0]
    monkeypatch.setattr(sending.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(
        sending.time, "sleep", lambda s: (slept.append(s), clock.__setitem__(0, clock[0] + s))
    )
    sending.send_mailing(mailing.pk, rate=60)  # one a second
    assert len(slept) == 3 and all(abs(s - 1.0) < 1e-6 for s in slept)


@pytest.mark.django_db
def test_refused_recipient_fails_others_go(association, presidente, monkeypatch):
    mailing = _started(association, presidente, 3)
    from django.core.mail.backends.locmem import EmailBackend

    original = EmailBackend.send_messages

    def refuse_one(self, messages):
        if messages[0].to[0] == "reader1@example.net":
            raise smtplib.SMTPRecipientsRefused({"reader1@example.net": (550, b"no such user")})
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_one)
    mail.outbox.clear()
    figures = sending.send_mailing(mailing.pk)
    assert figures["sent"] == 2 and figures["failed"] == 1
    assert _statuses(mailing) == {"sent": 2, "failed": 1}


@pytest.mark.django_db
def test_broken_connection_requeues(association, presidente, monkeypatch):
    mailing = _started(association, presidente, 3)
    from django.core.mail.backends.locmem import EmailBackend

    def broken(self, messages):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(EmailBackend, "send_messages", broken)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        sending.send_mailing(mailing.pk)
    assert _statuses(mailing) == {"queued": 3}
    with scopes_disabled():
        assert MailingSettings.objects.get(association=association).sender_token == ""


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_message_once(association, presidente):
    mailing = _started(association, presidente, 30)
    mail.outbox.clear()
    results = []

    def worker():
        try:
            results.append(sending.send_mailing(mailing.pk, batch=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Whoever did not get the lease retries, like the periodic dispatch would.
    results.append(sending.send_mailing(mailing.pk, batch=4, threads=3))
    while _statuses(mailing).get("queued"):
        results.append(sending.send_mailing(mailing.pk))
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == 30 and len(set(recipients)) == 30
    assert _statuses(mailing) == {"sent": 30}


@pytest.mark.django_db(transaction=True)
def test_threads_of_one_run_send_each_message_once(association, presidente):
    mailing = _started(association, presidente, 25)
    mail.outbox.clear()
    figures = sending.send_mailing(mailing.pk, batch=3, threads=4)
    assert figures["sent"] == 25 and figures["outcome"] == "done"
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == 25 and len(set(recipients)) == 25
    with scopes_disabled():
        assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.SENT
