import re

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.urls import reverse

from essaim.accounts.models import User
from essaim.core.models import OutboxEmail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _link(email: OutboxEmail) -> str:
    match = re.search(r"https?://\S+", email.body_text)
    assert match, email.body_text
    return match.group(0).split("testserver", 1)[-1]


def test_signup_requires_email_confirmation(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "Nouvelle@Example.org",
            "password1": "une phrase de passe",
            "password2": "une phrase de passe",
        },
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "nouvelle@example.org"
    assert not EmailAddress.objects.get(user=user).verified
    # Not confirmed yet: the app is closed.
    assert client.get(reverse("core:association_create")).status_code == 302
    email = OutboxEmail.objects.get(to__iexact="nouvelle@example.org")
    link = _link(email)
    assert client.get(link).status_code == 200  # GET shows a button; scanners confirm nothing
    assert not EmailAddress.objects.get(user=user).verified
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("core:association_create")).status_code == 200


def test_signup_rejects_weak_password_and_duplicate_email(client, citizen):
    response = client.post(
        reverse("account_signup"),
        {"email": "x@example.org", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200 and not User.objects.filter(email="x@example.org").exists()
    response = client.post(
        reverse("account_signup"),
        {
            "email": citizen.email.upper(),
            "password1": "une phrase de passe",
            "password2": "une phrase de passe",
        },
    )
    assert User.objects.filter(email__iexact=citizen.email).count() == 1


def test_login_with_email_and_password(client, citizen):
    response = client.post(
        reverse("account_login"), {"login": citizen.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:account")).status_code == 200


def test_failed_logins_are_rate_limited(client, citizen):
    for _ in range(6):
        client.post(reverse("account_login"), {"login": citizen.email, "password": "wrong"})
    # The limit holds: even the right password is refused, with a message.
    response = client.post(
        reverse("account_login"), {"login": citizen.email, "password": "correct-horse-battery"}
    )
    assert response.status_code in (200, 429)
    content = response.content.decode()
    assert "Too many failed login attempts" in content or "Trop de tentatives" in content
    assert client.get(reverse("accounts:account")).status_code == 302


def test_password_reset_goes_through_the_outbox(client, citizen):
    response = client.post(reverse("account_reset_password"), {"email": citizen.email})
    assert response.status_code == 302
    email = OutboxEmail.objects.get(to=citizen.email)
    assert "/accounts/password/reset/key/" in email.body_text


def test_mfa_totp_login_needs_the_second_factor(client, citizen):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(citizen, generate_totp_secret())
    response = client.post(
        reverse("account_login"), {"login": citizen.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("accounts:account")).status_code == 302  # not signed in yet


def test_profile_update(client_for, citizen):
    client = client_for(citizen)
    response = client.post(
        reverse("accounts:account"),
        {"first_name": " Marc ", "last_name": "Petit", "language": "en"},
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.first_name == "Marc" and citizen.language == "en"
    response = client.post(
        reverse("accounts:account"), {"first_name": "M", "last_name": "P", "language": "de"}
    )
    assert response.status_code == 200
