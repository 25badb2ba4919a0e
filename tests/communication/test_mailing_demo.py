"""The demo: a newsletter list with subscribers and a sent mailing with figures."""

import io

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from essaim.communication import mailings
from essaim.communication.models import Mailing, NewsletterList

pytestmark = pytest.mark.django_db


def test_demo_has_a_list_and_a_sent_mailing():
    call_command("load_demo", stdout=io.StringIO())
    with scopes_disabled():
        letter = NewsletterList.objects.get(name="La lettre du quartier")
        assert letter.subscriptions.filter(status="subscribed").count() >= 5
        sent = Mailing.objects.get(status=Mailing.Status.SENT)
        stats = mailings.mailing_stats(sent)
        assert Mailing.objects.filter(status=Mailing.Status.DRAFT).count() >= 1
    assert stats["sent"] == stats["total"] >= 5
    assert stats["clicked"] >= 1 and stats["unsubscribed"] == 1
