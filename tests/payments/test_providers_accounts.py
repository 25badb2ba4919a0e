"""Accounts at payment services: secrets encrypted at rest, validation, tenancy, housekeeping."""

import datetime as dt
import hashlib
import json
import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled
from django_scopes.exceptions import ScopeError

from essaim.core.models import AuditLog
from essaim.payments import online, selectors, tasks
from essaim.payments.crypto import Secret, decrypt, encrypt
from essaim.payments.models import ProviderAccount, WebhookDelivery

from .provider_fakes import (
    HELLOASSO_CLIENT_SECRET,
    STRIPE_SECRET_KEY,
    STRIPE_SIGNING_SECRET,
    helloasso_account,
    stripe_account,
)

pytestmark = pytest.mark.django_db


def raw_row(account) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_key, webhook_secret, webhook_token, webhook_token_digest "
            "FROM payments_provideraccount WHERE id = %s",
            [account.pk],
        )
        columns = [c[0] for c in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


def reload(account) -> ProviderAccount:
    with scopes_disabled():
        return ProviderAccount.objects.get(pk=account.pk)


# --- Secrets at rest ----------------------------------------------------------------------


def test_secrets_are_encrypted_in_the_database(association, tresorier):
    account = stripe_account(association, tresorier)
    row = raw_row(account)
    token = account.webhook_token.reveal()
    for column, plain in (
        ("secret_key", STRIPE_SECRET_KEY),
        ("webhook_secret", STRIPE_SIGNING_SECRET),
        ("webhook_token", token),
    ):
        assert row[column].startswith("fernet:"), column
        assert plain not in row[column]
        assert plain[-8:] not in row[column]
    # The token is found by its SHA-256, never by itself.
    assert row["webhook_token_digest"] == hashlib.sha256(token.encode()).hexdigest()
    loaded = reload(account)
    assert loaded.secret_key.reveal() == STRIPE_SECRET_KEY
    assert loaded.webhook_secret.reveal() == STRIPE_SIGNING_SECRET


def test_the_same_secret_is_encrypted_differently_each_time():
    assert encrypt("sk_test_same") != encrypt("sk_test_same")
    assert decrypt(encrypt("sk_test_same")) == "sk_test_same"


def test_a_secret_is_never_shown_in_full(association, tresorier, caplog):
    account = stripe_account(association, tresorier)
    loaded = reload(account)
    shown = [
        str(loaded.secret_key),
        repr(loaded.secret_key),
        loaded.secret_key.masked(),
        str(loaded),
        repr(loaded),
        f"{loaded.webhook_secret}",
    ]
    for text in shown:
        assert STRIPE_SECRET_KEY not in text and STRIPE_SIGNING_SECRET not in text
    assert loaded.secret_key.masked() == "sk_test_…0000"
    assert loaded.webhook_secret.masked().startswith("whsec_…")
    assert Secret("short").masked() == "••••"
    # Nor in the activity log, which names the settings changed.
    with scopes_disabled():
        logged = [json.dumps(row.data) + row.object_repr for row in AuditLog.objects.all()]
    assert any("secret_key" in text for text in logged)
    assert not any(STRIPE_SECRET_KEY in text or STRIPE_SIGNING_SECRET in text for text in logged)
    assert STRIPE_SECRET_KEY not in caplog.text


def test_serializing_an_account_gives_the_encrypted_form(association, tresorier):
    from django.core import serializers

    account = stripe_account(association, tresorier)
    with scopes_disabled():
        dumped = serializers.serialize("json", ProviderAccount.objects.filter(pk=account.pk))
    assert STRIPE_SECRET_KEY not in dumped
    assert "fernet:" in dumped


def test_secrets_survive_a_secret_key_rotation_with_a_fallback(association, tresorier, settings):
    account = stripe_account(association, tresorier)
    old = settings.SECRET_KEY
    with override_settings(
        SECRET_KEY="a-brand-new-secret-key-" + "x" * 40, SECRET_KEY_FALLBACKS=[old]
    ):
        assert reload(account).secret_key.reveal() == STRIPE_SECRET_KEY


def test_a_secret_from_another_secret_key_is_unreadable_not_a_crash(association, tresorier, caplog):
    account = stripe_account(association, tresorier)
    with override_settings(SECRET_KEY="another-secret-key-" + "y" * 40, SECRET_KEY_FALLBACKS=[]):
        loaded = reload(account)
        assert loaded.secret_key.unreadable
        assert not loaded.secret_key
        assert not loaded.is_configured
        with scope(association=association):
            assert selectors.providers_offered(association) == []
    assert any(
        r.levelno == logging.WARNING and "cannot be decrypted" in r.getMessage()
        for r in caplog.records
    )


# --- Settings -----------------------------------------------------------------------------


def test_an_account_is_offered_when_enabled_with_every_key(association, tresorier):
    with scope(association=association):
        assert selectors.providers_offered(association) == []
    stripe_account(association, tresorier, webhook_secret="")
    with scope(association=association):
        assert selectors.providers_offered(association) == []  # no signing secret yet
    stripe_account(association, tresorier, webhook_secret=STRIPE_SIGNING_SECRET)
    helloasso_account(association, tresorier, client_id="")
    with scope(association=association):
        assert selectors.providers_offered(association) == ["stripe"]
    helloasso_account(association, tresorier)
    with scope(association=association):
        assert selectors.providers_offered(association) == ["helloasso", "stripe"]
    stripe_account(association, tresorier, enabled=False)
    with scope(association=association):
        assert selectors.providers_offered(association) == ["helloasso"]


def test_one_account_per_service_and_association(association, tresorier):
    first = stripe_account(association, tresorier)
    again = stripe_account(association, tresorier, publishable_key="pk_test_other000000000")
    assert first.pk == again.pk
    with scope(association=association):
        assert ProviderAccount.objects.filter(association=association).count() == 1
        with pytest.raises(IntegrityError), transaction.atomic():
            ProviderAccount.objects.create(association=association, provider="stripe")


def test_an_empty_secret_keeps_the_stored_one(association, tresorier):
    account = stripe_account(association, tresorier)
    stripe_account(association, tresorier, secret_key="", webhook_secret="")
    assert reload(account).secret_key.reveal() == STRIPE_SECRET_KEY
    stripe_account(association, tresorier, secret_key="sk_test_replaced00000000")
    assert reload(account).secret_key.reveal() == "sk_test_replaced00000000"
    with scopes_disabled():
        changes = [
            row.data["changed"]
            for row in AuditLog.objects.filter(action="payment.provider_account").order_by("id")
        ]
    assert changes == [
        ["publishable_key", "secret_key", "webhook_secret"],
        ["secret_key"],
    ]


@pytest.mark.parametrize(
    ("provider", "fields", "field"),
    [
        ("stripe", {"secret_key": "pk_test_not_a_secret_key"}, "secret_key"),
        ("stripe", {"webhook_secret": "sk_test_wrong_box_000"}, "webhook_secret"),
        ("stripe", {"publishable_key": "sk_test_secret_in_public_box"}, "publishable_key"),
        ("stripe", {"secret_key": "sk_test_with space"}, "secret_key"),
        ("stripe", {"secret_key": "sk_test_\x00nul"}, "secret_key"),
        ("stripe", {"organization_slug": "les-amis"}, "organization_slug"),
        ("helloasso", {"webhook_secret": "whsec_x"}, "webhook_secret"),
        ("helloasso", {"organization_slug": "Les Amis"}, "organization_slug"),
        ("helloasso", {"client_id": "x" * 300}, "client_id"),
        ("paypal", {}, "provider"),
    ],
)
def test_settings_of_the_wrong_shape_are_refused(association, tresorier, provider, fields, field):
    with scope(association=association), pytest.raises(ValidationError) as error:
        online.provider_account_save(
            association=association, acting_user=tresorier, provider=provider, **fields
        )
    assert field in error.value.message_dict
    with scope(association=association):
        assert not ProviderAccount.objects.filter(association=association).exists()


@pytest.mark.parametrize(
    ("url", "production", "ok"),
    [
        ("", True, True),
        ("https://api.stripe.com", True, True),
        ("https://api.stripe.com/", True, True),
        ("http://api.stripe.com", True, False),
        ("https://evil.example.org", True, False),
        ("https://api.stripe.com.evil.example.org", True, False),
        ("http://127.0.0.1:8765", True, False),
        ("http://127.0.0.1:8765", False, True),
        ("http://localhost:8765", False, True),
        ("http://10.0.0.5", False, False),
        ("http://169.254.169.254/latest", False, False),
        ("file:///etc/passwd", False, False),
    ],
)
def test_the_api_address_cannot_send_the_secret_elsewhere(
    association, tresorier, settings, url, production, ok
):
    settings.PRODUCTION = production
    save = lambda: stripe_account(association, tresorier, base_url=url)  # noqa: E731
    if ok:
        assert save().api_base_url == url
    else:
        with pytest.raises(ValidationError) as error:
            save()
        assert "api_base_url" in error.value.message_dict


def test_the_api_address_defaults_to_the_real_service(association, tresorier):
    assert stripe_account(association, tresorier).api_base == "https://api.stripe.com"
    assert helloasso_account(association, tresorier).api_base == "https://api.helloasso.com"


# --- Tenancy ------------------------------------------------------------------------------


def test_accounts_and_deliveries_cannot_be_read_outside_a_scope(association, tresorier):
    stripe_account(association, tresorier)
    with pytest.raises(ScopeError):
        list(ProviderAccount.objects.all())
    with pytest.raises(ScopeError):
        list(WebhookDelivery.objects.all())


def test_another_associations_account_is_invisible(
    association, tresorier, other_association, outsider
):
    theirs = stripe_account(other_association, outsider)
    with scope(association=association), translation.override("en"):
        assert selectors.provider_accounts_for(association) == []
        assert selectors.providers_offered(association) == []
        with pytest.raises(ValidationError, match="not set up"):
            online.checkout_start(
                association=association,
                acting_user=tresorier,
                provider="stripe",
                amount_cents=1000,
                description="Don",
                return_url="https://asso.example.org/ok",
                cancel_url="https://asso.example.org/ko",
                idempotency_key="gift:1",
            )
        with pytest.raises(ProviderAccount.DoesNotExist):
            online.provider_account_rotate_webhook_token(
                association=association, acting_user=tresorier, account=theirs
            )


# --- Housekeeping -------------------------------------------------------------------------


def test_old_delivery_records_are_purged(association, tresorier):
    account = stripe_account(association, tresorier)
    now = timezone.now()
    with scope(association=association):
        for days, event_id in ((tasks.DELIVERY_RETENTION_DAYS + 1, "evt_old"), (10, "evt_new")):
            WebhookDelivery.objects.create(
                association=association,
                account=account,
                provider="stripe",
                event_id=event_id,
                outcome="processed",
                received_at=now - dt.timedelta(days=days),
                last_received_at=now - dt.timedelta(days=days),
            )
    assert tasks.webhook_deliveries_purge.call() == 1
    with scope(association=association):
        assert list(
            WebhookDelivery.objects.filter(association=association).values_list(
                "event_id", flat=True
            )
        ) == ["evt_new"]


def test_delivery_records_hold_no_personal_data():
    """What a payer could be recognised by stays out of this table (CNIL: minimisation)."""
    names = {f.name for f in WebhookDelivery._meta.get_fields()}
    assert not names & {"body", "payload", "email", "payer_email", "payer_name", "ip", "headers"}


def test_the_helloasso_secret_is_masked_too(association, tresorier):
    account = helloasso_account(association, tresorier)
    assert HELLOASSO_CLIENT_SECRET not in str(reload(account).secret_key)
