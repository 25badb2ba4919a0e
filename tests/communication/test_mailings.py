"""Mailings: writing (validation, personalisation, sanitising), recipients, sending."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django_scopes import scope

from essaim.communication import lists, mailings, personalise, sending
from essaim.communication.models import Delivery, Mailing, MailingLink, Subscription, Suppression
from essaim.people import services as people_services
from essaim.people.models import Consent, Solicitation
from tests.communication.mailing_helpers import consenting, draft, newsletter
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoped(association):
    with scope(association=association):
        yield association


def test_unknown_field_refused(scoped, presidente):
    with pytest.raises(ValidationError) as error:
        draft(scoped, presidente, body="Bonjour {{ prenom }} {{ first_name }}")
    assert "prenom" in str(error.value.message_dict["body"])
    with pytest.raises(ValidationError) as error:
        draft(scoped, presidente, subject="Hello {{ request.user }}")
    assert "subject" in error.value.message_dict


def test_empty_subject_and_body_refused(scoped, presidente):
    with pytest.raises(ValidationError) as error:
        draft(scoped, presidente, subject="  ", body="")
    assert set(error.value.message_dict) >= {"subject", "body"}


def test_list_or_consent_required(scoped, presidente):
    with pytest.raises(ValidationError) as error:
        draft(scoped, presidente, topic="")
    assert "newsletter" in error.value.message_dict


def test_html_sanitised_and_text_part():
    html = personalise.markdown_to_html(
        '**Gras** <script>alert(1)</script> <a href="javascript:alert(1)" onclick="x">x</a>'
        "\n\n[lien](https://example.org/a)"
    )
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html
    assert "<strong>Gras</strong>" in html
    text = personalise.html_to_text(html)
    assert "lien (https://example.org/a)" in text and "<" not in text


def test_values_escaped_in_html_not_in_text(scoped, presidente):
    mailing = draft(scoped, presidente)
    person = PersonFactory(association=scoped, first_name="<b>Zoé</b> & {{ email }}")
    rendered = mailings.preview(mailing, person)
    assert "&lt;b&gt;Zoé&lt;/b&gt; &amp; {{ email }}" in rendered["html"]
    assert "<b>Zoé</b> & {{ email }}" in rendered["text"]
    assert rendered["subject"] == "Nouvelles de Les Amis du Quartier"


def test_recipients_consent_suppression_dedup(scoped, presidente):
    readers = consenting(scoped, 4)
    # One said no later, one is suppressed, one shares a mailbox with another (Gmail dots).
    people_services.consent_record(
        association=scoped,
        acting_user=None,
        person=readers[0],
        topic="newsletter",
        granted=False,
        source=Consent.Source.ONLINE,
    )
    Suppression.objects.create(
        association=scoped,
        email=readers[1].email,
        email_canonical=readers[1].email,
        reason=Suppression.Reason.HARD_BOUNCE,
    )
    twin_a = consenting(scoped, 1)[0]
    twin_a.email = "jean.dupont@gmail.com"
    twin_a.save()
    twin_b = PersonFactory(association=scoped, email="JeanDupont+asso@gmail.com")
    people_services.consent_record(
        association=scoped,
        acting_user=None,
        person=twin_b,
        topic="newsletter",
        granted=True,
        source=Consent.Source.ONLINE,
    )
    PersonFactory(association=scoped, email="")  # no e-mail: never
    mailing = draft(scoped, presidente)
    emails = sorted(e for _pk, e, _key in mailings.recipient_rows(mailing))
    assert emails == sorted([readers[2].email, readers[3].email, "jean.dupont@gmail.com"])


def test_newsletter_recipients_are_subscribers_only(scoped, presidente):
    consenting(scoped, 2)  # said yes to the topic, not subscribed to the list
    the_list = newsletter(scoped, presidente)
    subscriber = PersonFactory(association=scoped, email="abonne@example.net")
    lists.subscription_set(
        association=scoped,
        acting_user=presidente,
        person=subscriber,
        newsletter=the_list,
        subscribed=True,
        source=Subscription.Source.MANUAL,
    )
    mailing = draft(scoped, presidente, topic="", newsletter=the_list)
    assert [e for _pk, e, _k in mailings.recipient_rows(mailing)] == ["abonne@example.net"]


@pytest.mark.usefixtures("english_ui")
def test_empty_audience_refused(scoped, presidente):
    mailing = draft(scoped, presidente)
    with pytest.raises(ValidationError) as error:
        mailings.mailing_schedule(association=scoped, acting_user=presidente, mailing=mailing)
    assert "Nobody" in " ".join(error.value.messages)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DRAFT


def test_send_now_delivers_once_with_headers(
    scoped, presidente, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"
    readers = consenting(scoped, 3)
    mailing = draft(scoped, presidente)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mailings.mailing_schedule(association=scoped, acting_user=presidente, mailing=mailing)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.SENT
    assert mailing.recipients == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
    message = mail.outbox[0]
    headers = message.extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        headers["List-Unsubscribe"].startswith("<http://testserver/u/")
        or "/u/" in headers["List-Unsubscribe"]
    )
    assert "mailto:" in headers["List-Unsubscribe"]
    assert headers["Precedence"] == "bulk"
    delivery = Delivery.objects.get(mailing=mailing, email=message.to[0])
    assert headers["Message-ID"] == delivery.message_id == sending.message_id(delivery.uuid)
    html = message.alternatives[0][0]
    assert "/r/" in html and "https://example.org/marche" not in html  # tracked link
    assert "Bonjour" in message.body and "/u/" in message.body  # text part with unsubscribe
    assert MailingLink.objects.get(mailing=mailing).url == "https://example.org/marche?x=1&y=2"
    # Scheduling or running it again sends nothing more.
    with pytest.raises(ValidationError):
        mailings.mailing_schedule(association=scoped, acting_user=presidente, mailing=mailing)
    assert mailings.mailing_start(mailing.pk) is False
    assert sending.send_mailing(mailing.pk)["sent"] == 0
    assert len(mail.outbox) == 3


def test_scheduled_later_waits(scoped, presidente):
    import datetime as dt

    from django.utils import timezone

    from essaim.communication.tasks import dispatch

    consenting(scoped, 1)
    mailing = draft(scoped, presidente)
    later = timezone.now() + dt.timedelta(hours=2)
    mailings.mailing_schedule(
        association=scoped, acting_user=presidente, mailing=mailing, send_at=later
    )
    assert mailing.pk not in dispatch()
    assert mailings.mailing_start(mailing.pk) is False
    assert mailings.mailing_start(mailing.pk, now=later + dt.timedelta(seconds=1)) is True
    assert Delivery.objects.filter(mailing=mailing).count() == 1


def test_freeze_twice_creates_no_duplicate(scoped, presidente):
    from django.utils import timezone

    consenting(scoped, 3)
    mailing = draft(scoped, presidente)
    Mailing.objects.filter(pk=mailing.pk).update(
        status=Mailing.Status.SCHEDULED, scheduled_at=timezone.now()
    )
    assert mailings.mailing_start(mailing.pk) is True
    # Even forced back to scheduled, the unique keys keep one row per person and mailbox.
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SCHEDULED)
    assert mailings.mailing_start(mailing.pk) is True
    assert Delivery.objects.filter(mailing=mailing).count() == 3


def test_appeal_skips_contacts_not_to_solicit_and_records(
    scoped, presidente, django_capture_on_commit_callbacks
):
    readers = consenting(scoped, 3)
    for _i in range(2):
        Solicitation.objects.create(
            association=scoped, person=readers[0], channel="email", subject="Appel"
        )
    mailing = draft(scoped, presidente, is_appeal=True)
    assert readers[0].email not in [e for _p, e, _k in mailings.recipient_rows(mailing)]
    with django_capture_on_commit_callbacks(execute=True):
        mailings.mailing_schedule(association=scoped, acting_user=presidente, mailing=mailing)
    assert Solicitation.objects.filter(person=readers[1]).count() == 1


def test_pause_resume_cancel(scoped, presidente):
    from django.utils import timezone

    consenting(scoped, 2)
    mailing = draft(scoped, presidente)
    Mailing.objects.filter(pk=mailing.pk).update(
        status=Mailing.Status.SCHEDULED, scheduled_at=timezone.now()
    )
    mailings.mailing_start(mailing.pk)
    mailing.refresh_from_db()
    mailings.mailing_pause(association=scoped, acting_user=presidente, mailing=mailing)
    assert sending.send_mailing(mailing.pk)["outcome"] == "stopped"
    mailings.mailing_cancel(association=scoped, acting_user=presidente, mailing=mailing)
    assert set(Delivery.objects.filter(mailing=mailing).values_list("status", flat=True)) == {
        Delivery.Status.CANCELLED
    }
    with pytest.raises(ValidationError):
        mailings.mailing_resume(association=scoped, acting_user=presidente, mailing=mailing)


def test_test_send_goes_to_author_through_outbox(scoped, presidente):
    from essaim.core.models import OutboxEmail

    mailing = draft(scoped, presidente)
    address = mailings.mailing_test_send(
        association=scoped, acting_user=presidente, mailing=mailing
    )
    assert address == presidente.email
    row = OutboxEmail.objects.get(kind="mailing_test")
    assert row.subject.startswith("[Test] ") and "Hélène" in row.body_text
