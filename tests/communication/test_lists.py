"""Newsletter lists: public double opt-in (scanner-safe), rate limits, imports with a legal
basis, the team's pages."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from essaim.communication import lists
from essaim.communication.models import Subscription
from essaim.core.models import OutboxEmail
from essaim.people.models import Consent, Person
from tests.communication.mailing_helpers import newsletter

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@pytest.fixture
def public_list(association, presidente):
    with scope(association=association):
        return newsletter(association, presidente)


def _page(association, the_list):
    return reverse(
        "communication_public:subscribe",
        kwargs={"slug": association.slug, "list_uuid": the_list.uuid},
    )


def _confirm_link() -> str:
    row = OutboxEmail.objects.filter(kind="newsletter_confirm").latest("created_at")
    return re.search(r"http://[^\s]+/n/confirm/[^\s]+/", row.body_text).group(0)


def test_subscribe_then_confirm_with_the_button(association, public_list):
    client = Client()
    assert client.get(_page(association, public_list)).status_code == 200
    response = client.post(
        _page(association, public_list), {"email": "Nina.Roux@example.net", "first_name": "Nina"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert not Person.objects.filter(email__iexact="nina.roux@example.net").exists()
    link = _confirm_link().replace("http://127.0.0.1:8000", "")
    # A scanner opens the link: nothing recorded.
    page = client.get(link)
    assert page.status_code == 200 and b"Confirm my subscription" in page.content
    with scopes_disabled():
        assert not Subscription.objects.exists()
    page = client.post(link)
    assert b"You are subscribed" in page.content
    with scopes_disabled():
        sub = Subscription.objects.get()
        assert sub.status == Subscription.Status.SUBSCRIBED and sub.confirmed_at
        assert Consent.objects.get(person=sub.person).topic == "newsletter"
    assert b"already subscribed" in client.post(link).content
    with scopes_disabled():
        assert Subscription.objects.count() == 1


def test_forged_and_expired_confirmation(association, public_list, monkeypatch):
    import time

    client = Client()
    client.post(_page(association, public_list), {"email": "a@example.net"})
    link = _confirm_link().replace("http://127.0.0.1:8000", "")
    assert client.post(link[:-4] + "xyz/").status_code == 400
    now = time.time()
    monkeypatch.setattr("time.time", lambda: now + 8 * 86400)
    response = client.post(link)
    assert response.status_code == 400 and b"expired" in response.content
    with scopes_disabled():
        assert not Subscription.objects.exists()


def test_disposable_and_invalid_addresses(association, public_list):
    client = Client()
    response = client.post(_page(association, public_list), {"email": "x@yopmail.com"})
    assert response.status_code == 200 and b"throw-away" in response.content
    response = client.post(_page(association, public_list), {"email": "not an address"})
    assert response.status_code == 200 and b"valid e-mail" in response.content
    assert not OutboxEmail.objects.filter(kind="newsletter_confirm").exists()


def test_rate_limits(association, public_list):
    client = Client()
    for _i in range(4):
        client.post(_page(association, public_list), {"email": "same@example.net"})
    assert OutboxEmail.objects.filter(kind="newsletter_confirm").count() == lists.RATE_ADDRESS[0]
    statuses = [
        client.post(_page(association, public_list), {"email": f"p{i}@example.net"}).status_code
        for i in range(lists.RATE_IP[0])
    ]
    assert statuses[-1] == 429


def test_private_list_has_no_public_page(association, presidente):
    with scope(association=association):
        private = newsletter(association, presidente, name="Bureau", is_public=False)
    assert Client().get(_page(association, private)).status_code == 404


def test_import_needs_a_legal_basis_and_respects_unsubscriptions(
    association, presidente, public_list
):
    with scope(association=association):
        with pytest.raises(ValidationError) as error:
            lists.subscribers_import(
                association=association,
                acting_user=presidente,
                newsletter=public_list,
                lines="a@example.net",
                legal_basis="",
            )
        assert "legal_basis" in error.value.message_dict
        with pytest.raises(ValidationError):
            lists.subscribers_import(
                association=association,
                acting_user=presidente,
                newsletter=public_list,
                lines="not-an-email",
                legal_basis="paper form at the fair",
            )
        result = lists.subscribers_import(
            association=association,
            acting_user=presidente,
            newsletter=public_list,
            lines="a@example.net;Ana;Bé\nA@example.net\nb@example.net",
            legal_basis="paper form at the fair",
        )
        assert result == {"added": 2, "already": 0, "kept_out": 0}
        person = Person.objects.get(email="a@example.net")
        lists.subscription_set(
            association=association,
            acting_user=None,
            person=person,
            newsletter=public_list,
            subscribed=False,
        )
        again = lists.subscribers_import(
            association=association,
            acting_user=presidente,
            newsletter=public_list,
            lines="a@example.net\nb@example.net",
            legal_basis="paper form at the fair",
        )
        assert again == {"added": 0, "already": 1, "kept_out": 1}
        assert Subscription.objects.get(person=person).legal_basis == "paper form at the fair"


def test_team_pages(association, presidente, public_list, client_for):
    client = client_for(presidente)
    slug = association.slug
    assert (
        client.get(reverse("communication:lists", kwargs={"association_slug": slug})).status_code
        == 200
    )
    response = client.post(
        reverse("communication:list_create", kwargs={"association_slug": slug}),
        {"name": "Les bénévoles", "description": "", "is_public": "on"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("communication:list_create", kwargs={"association_slug": slug}),
        {"name": "Les bénévoles"},
    )
    assert b"already exists" in response.content
    kwargs = {"association_slug": slug, "list_uuid": public_list.uuid}
    response = client.post(
        reverse("communication:list_import", kwargs=kwargs),
        {"lines": "c@example.net", "legal_basis": "bulletin papier 2025"},
    )
    assert response.status_code == 302
    page = client.get(reverse("communication:list", kwargs=kwargs))
    assert b"c@example.net" in page.content
    assert client.get(reverse("communication:list_edit", kwargs=kwargs)).status_code == 200


def test_benevole_forbidden_outsider_404(association, public_list, benevole, outsider, client_for):
    kwargs = {"association_slug": association.slug, "list_uuid": public_list.uuid}
    assert client_for(benevole).get(reverse("communication:list", kwargs=kwargs)).status_code == 403
    assert client_for(outsider).get(reverse("communication:list", kwargs=kwargs)).status_code == 404


def test_list_page_queries_do_not_grow(
    association, presidente, public_list, client_for, django_assert_max_num_queries
):
    client = client_for(presidente)
    url = reverse(
        "communication:list",
        kwargs={"association_slug": association.slug, "list_uuid": public_list.uuid},
    )
    with scope(association=association):
        lists.subscribers_import(
            association=association,
            acting_user=presidente,
            newsletter=public_list,
            lines="\n".join(f"x{i}@example.net" for i in range(30)),
            legal_basis="paper form at the fair",
        )
    client.get(url)
    with django_assert_max_num_queries(25):
        assert client.get(url).status_code == 200
    mail.outbox.clear()
