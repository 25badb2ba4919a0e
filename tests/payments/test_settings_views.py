"""Back office of online payments: access by capability, keys never shown back, an empty
secret kept, hostile input refused, the notification address changed, notifications listed."""

import pytest
from django.urls import reverse
from django_scopes import scope

from essaim.core.models import AuditLog
from essaim.payments import online
from essaim.payments.models import Payment, ProviderAccount, WebhookDelivery

SK = "sk_test_51AbCdEfGhIjKlMnOpQrStUvWxYz0123456789secretZZ42"
WHSEC = "whsec_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
HA_SECRET = "HelloAssoClientSecret0123456789abcdefXY"


def url(association, name="online"):
    return reverse(f"payments_admin:{name}", kwargs={"association_slug": association.slug})


def account(association, provider="stripe"):
    with scope(association=association):
        return ProviderAccount.objects.get(association=association, provider=provider)


@pytest.fixture
def stripe(association, presidente):
    with scope(association=association):
        return online.provider_account_save(
            association=association,
            acting_user=presidente,
            provider="stripe",
            publishable_key="pk_test_publicKey1234",
            secret_key=SK,
            webhook_secret=WHSEC,
        )


def stripe_post(**fields):
    data = {
        "stripe-enabled": "on",
        "stripe-publishable_key": "pk_test_publicKey1234",
        "stripe-secret_key": "",
        "stripe-webhook_secret": "",
        "stripe-api_base_url": "",
    }
    data.update({f"stripe-{name}": value for name, value in fields.items()})
    return data


@pytest.mark.parametrize(
    "user_fixture,status", [("presidente", 200), ("tresorier", 200), ("benevole", 403)]
)
def test_access_by_capability(request, client_for, association, user_fixture, status):
    client = client_for(request.getfixturevalue(user_fixture))
    assert client.get(url(association)).status_code == status
    response = client.post(url(association, "stripe_save"), stripe_post())
    assert response.status_code == (302 if status == 200 else 403)


def test_a_member_of_another_association_gets_404(
    client_for, outsider, other_association, association, stripe
):
    client = client_for(outsider)
    for name in ("online", "stripe_save", "helloasso_save", "stripe_rotate", "helloasso_rotate"):
        assert client.get(url(association, name)).status_code == 404
        assert (
            client.post(url(association, name), {"stripe-rotate-confirm": "on"}).status_code == 404
        )
    # Nothing of the victim's account changed.
    assert account(association).webhook_url() == stripe.webhook_url()


def test_the_navigation_shows_the_page_to_the_treasurer_only(
    client_for, association, tresorier, benevole
):
    target = url(association)
    assert (
        target
        in client_for(tresorier)
        .get(reverse("core:dashboard", kwargs={"association_slug": association.slug}))
        .content.decode()
    )
    assert (
        target
        not in client_for(benevole)
        .get(reverse("core:dashboard", kwargs={"association_slug": association.slug}))
        .content.decode()
    )


def test_the_page_never_shows_a_secret(client_for, association, tresorier, stripe):
    # <wbr>: event names may wrap on a phone.
    html = client_for(tresorier).get(url(association)).content.decode().replace("<wbr>", "")
    assert SK not in html and WHSEC not in html
    assert "sk_test_…ZZ42" in html  # masked: the kind of key and its last four characters
    assert "pk_test_publicKey1234" in html  # the publishable key is public by design
    assert stripe.webhook_url() in html
    assert "checkout.session.completed" in html and "charge.refunded" in html
    assert "Paiement en ligne" in html


def test_saving_keys_then_an_empty_secret_keeps_the_stored_one(client_for, association, tresorier):
    client = client_for(tresorier)
    response = client.post(
        url(association, "stripe_save"), stripe_post(secret_key=SK, webhook_secret=WHSEC)
    )
    assert response.status_code == 302
    saved = account(association)
    assert saved.secret_key.reveal() == SK and saved.webhook_secret.reveal() == WHSEC
    assert saved.is_active
    response = client.post(
        url(association, "stripe_save"), stripe_post(publishable_key="pk_test_otherKey5678")
    )
    assert response.status_code == 302
    saved = account(association)
    assert saved.publishable_key == "pk_test_otherKey5678"
    assert saved.secret_key.reveal() == SK and saved.webhook_secret.reveal() == WHSEC
    html = client.get(url(association)).content.decode()
    assert "Les réglages de Stripe sont enregistrés." in html
    assert SK not in html and WHSEC not in html
    with scope(association=association):
        log = AuditLog.objects.filter(association=association, action="payment.provider_account")
        assert SK not in str(list(log.values_list("data", flat=True)))


def test_disabling_keeps_the_keys(client_for, association, tresorier, stripe):
    data = stripe_post()
    del data["stripe-enabled"]
    assert client_for(tresorier).post(url(association, "stripe_save"), data).status_code == 302
    saved = account(association)
    assert not saved.enabled and saved.secret_key.reveal() == SK


def test_helloasso_settings(client_for, association, tresorier):
    client = client_for(tresorier)
    response = client.post(
        url(association, "helloasso_save"),
        {
            "helloasso-enabled": "on",
            "helloasso-organization_slug": "amis-du-quartier",
            "helloasso-client_id": "client1234",
            "helloasso-secret_key": HA_SECRET,
            "helloasso-api_base_url": "",
        },
    )
    assert response.status_code == 302
    saved = account(association, "helloasso")
    assert saved.organization_slug == "amis-du-quartier" and saved.secret_key.reveal() == HA_SECRET
    html = client.get(url(association)).content.decode()
    assert HA_SECRET not in html and saved.webhook_url() in html


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"secret_key": "pk_test_wrongBox12345678"}, "secret_key"),
        ({"secret_key": "sk_test_\x00abc"}, "secret_key"),
        ({"publishable_key": "pk_test_" + "x" * 5000}, "publishable_key"),
        ({"webhook_secret": "whsec_ab cd"}, "webhook_secret"),
        ({"api_base_url": "https://evil.example.org"}, "api_base_url"),
        ({"api_base_url": "http://\x00"}, "api_base_url"),
    ],
)
def test_hostile_input_is_refused_in_french(
    client_for, association, tresorier, stripe, fields, field
):
    response = client_for(tresorier).post(url(association, "stripe_save"), stripe_post(**fields))
    assert response.status_code == 200
    html = response.content.decode()
    assert "error-summary" in html and f'href="#id_stripe-{field}"' in html
    assert "The form contains" not in html  # French, not English
    assert SK not in html and "\x00" not in html
    saved = account(association)
    assert saved.secret_key.reveal() == SK and saved.api_base_url == ""


def test_an_http_api_address_is_refused_in_production(client_for, association, tresorier, settings):
    settings.PRODUCTION = True
    response = client_for(tresorier).post(
        url(association, "stripe_save"), stripe_post(api_base_url="http://127.0.0.1:8765")
    )
    assert response.status_code == 200
    assert "https" in response.content.decode()
    with scope(association=association):
        assert not ProviderAccount.objects.filter(association=association).exists()


def test_rotating_changes_the_address_after_confirmation(
    client_for, association, tresorier, stripe
):
    client = client_for(tresorier)
    before = stripe.webhook_url()
    assert client.get(url(association, "stripe_rotate")).status_code == 405
    # Without the confirmation box: nothing changes.
    response = client.post(url(association, "stripe_rotate"), follow=True)
    assert account(association).webhook_url() == before
    assert "Cochez la case" in response.content.decode()
    response = client.post(
        url(association, "stripe_rotate"), {"stripe-rotate-confirm": "on"}, follow=True
    )
    after = account(association).webhook_url()
    assert after != before
    html = response.content.decode()
    assert after in html and before not in html
    # The old address is dead: the webhook view no longer knows its token.
    old_path = "/" + before.split("/", 3)[3]
    assert client.post(old_path, b"{}", content_type="application/json").status_code == 404


def test_rotating_without_an_account_is_404(client_for, association, tresorier):
    response = client_for(tresorier).post(
        url(association, "helloasso_rotate"), {"helloasso-rotate-confirm": "on"}
    )
    assert response.status_code == 404


def test_the_last_50_notifications_are_listed(client_for, association, tresorier, stripe, person):
    with scope(association=association):
        payment = Payment.objects.create(
            association=association,
            amount_cents=2500,
            method=Payment.Method.CARD_ONLINE,
            person=person,
        )
        for number in range(55):
            WebhookDelivery.objects.create(
                association=association,
                account=stripe,
                provider="stripe",
                event_id=f"evt_{number:03}",
                event_type="checkout.session.completed" if number == 54 else "customer.created",
                outcome=WebhookDelivery.Outcome.PROCESSED
                if number == 54
                else WebhookDelivery.Outcome.IGNORED,
                payment=payment if number == 54 else None,
            )
    html = client_for(tresorier).get(url(association)).content.decode()
    assert html.count('data-label="Type d\'événement"') == 50
    assert "evt_" not in html  # the event id means nothing to a treasurer
    assert "traitée" in html and "rien à faire" in html
    assert "25,00" in html
    assert (
        reverse(
            "people:detail",
            kwargs={"association_slug": association.slug, "person_uuid": person.uuid},
        )
        in html
    )
