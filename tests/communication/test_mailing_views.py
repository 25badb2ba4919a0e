"""The mailing screens: write, preview, test, send, report; capabilities and outsiders."""

import pytest
from django.core import mail
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from essaim.communication.models import Delivery, Mailing, MailingSettings
from tests.communication.mailing_helpers import consenting, draft

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def _url(name, association, **kwargs):
    return reverse(f"communication:{name}", kwargs={"association_slug": association.slug, **kwargs})


def test_write_preview_test_send_report(
    association, presidente, client_for, django_capture_on_commit_callbacks
):
    with scope(association=association):
        readers = consenting(association, 3)
    client = client_for(presidente)
    assert b"No mailing yet" in client.get(_url("mailings", association)).content
    page = client.get(_url("mailing_create", association))
    assert page.status_code == 200 and b"{{ first_name }}" in page.content
    response = client.post(
        _url("mailing_create", association),
        {
            "subject": "Fête du quartier",
            "from_name": "Les Amis",
            "topic": "newsletter",
            "body": "Bonjour {{ prenom }}",
        },
    )
    assert response.status_code == 200 and b"Unknown personalisation field" in response.content
    assert b"Bonjour {{ prenom }}" in response.content  # what was typed is kept
    response = client.post(
        _url("mailing_create", association),
        {
            "subject": "Fête du quartier",
            "from_name": "Les Amis",
            "topic": "newsletter",
            "body": "Bonjour **{{ first_name }}** <script>x()</script>",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        mailing = Mailing.objects.get(subject="Fête du quartier")
    kwargs = {"mailing_uuid": mailing.uuid}
    detail = client.get(_url("mailing", association, **kwargs))
    assert b"3 recipients today" in detail.content
    preview = client.get(
        _url("mailing_preview", association, **kwargs) + f"?person={readers[1].uuid}"
    )
    assert f"<strong>{readers[1].first_name}</strong>".encode() in preview.content
    assert b"<script>x()" not in preview.content
    assert (
        client.get(_url("mailing_preview", association, **kwargs) + "?person=bad").status_code
        == 200
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("mailing_test", association, **kwargs))
    assert any(m.subject.startswith("[Test]") for m in mail.outbox)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("mailing_schedule", association, **kwargs), {"when": "now"})
    assert response.status_code == 302
    assert len(mail.outbox) == 3
    report = client.get(_url("mailing", association, **kwargs))
    assert b"3 of 3 messages" in report.content and b"Report" in report.content
    # Sending twice: refused, nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("mailing_schedule", association, **kwargs), {"when": "now"})
    assert len(mail.outbox) == 3
    with scopes_disabled():
        assert Delivery.objects.filter(mailing=mailing).count() == 3


def test_schedule_later_needs_a_date_and_empty_audience_refused(
    association, presidente, client_for
):
    with scope(association=association):
        mailing = draft(association, presidente)
    client = client_for(presidente)
    kwargs = {"mailing_uuid": mailing.uuid}
    response = client.post(
        _url("mailing_schedule", association, **kwargs), {"when": "later"}, follow=True
    )
    assert b"Choose the date and time" in response.content
    response = client.post(
        _url("mailing_schedule", association, **kwargs), {"when": "now"}, follow=True
    )
    assert b"Nobody would receive this mailing" in response.content
    with scopes_disabled():
        assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.DRAFT


def test_edit_only_drafts(association, presidente, client_for):
    with scope(association=association):
        mailing = draft(association, presidente)
    client = client_for(presidente)
    kwargs = {"mailing_uuid": mailing.uuid}
    response = client.post(
        _url("mailing_edit", association, **kwargs),
        {"subject": "Changé", "from_name": "X", "topic": "association_news", "body": "Texte"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENT)
    response = client.get(_url("mailing_edit", association, **kwargs))
    assert response.status_code == 302


def test_settings_page(association, presidente, client_for):
    client = client_for(presidente)
    page = client.get(_url("mailing_settings", association))
    assert b"Counting opens" in page.content and b"/webhooks/mail/m." in page.content
    client.post(
        _url("mailing_settings", association), {"messages_per_minute": "120", "track_opens": "on"}
    )
    with scopes_disabled():
        row = MailingSettings.objects.get(association=association)
    assert row.messages_per_minute == 120 and row.track_opens
    response = client.post(_url("mailing_settings", association), {"messages_per_minute": "0"})
    assert response.status_code == 200


def test_capability_and_outsider(association, presidente, benevole, outsider, client_for):
    with scope(association=association):
        mailing = draft(association, presidente)
    kwargs = {"mailing_uuid": mailing.uuid}
    assert client_for(benevole).get(_url("mailings", association)).status_code == 403
    assert (
        client_for(benevole).post(_url("mailing_schedule", association, **kwargs)).status_code
        == 403
    )
    outsider_client = client_for(outsider)
    assert outsider_client.get(_url("mailing", association, **kwargs)).status_code == 404
    assert outsider_client.post(_url("mailing_cancel", association, **kwargs)).status_code == 404


def test_outsider_own_slug_victim_uuid(
    association, presidente, other_association, outsider, client_for
):
    with scope(association=association):
        mailing = draft(association, presidente)
    url = reverse(
        "communication:mailing",
        kwargs={"association_slug": other_association.slug, "mailing_uuid": mailing.uuid},
    )
    assert client_for(outsider).get(url).status_code == 404


def test_mailing_list_queries_do_not_grow(
    association, presidente, client_for, django_assert_max_num_queries
):
    with scope(association=association):
        for i in range(12):
            draft(association, presidente, subject=f"Lettre {i}")
    client = client_for(presidente)
    client.get(_url("mailings", association))
    with django_assert_max_num_queries(20):
        response = client.get(_url("mailings", association) + "?q=Lettre")
    assert response.status_code == 200 and b"Lettre 11" in response.content
