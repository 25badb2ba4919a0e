"""Personal data held by accounts: the login itself, its e-mail addresses, MFA, sessions."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.utils.translation import gettext_lazy as _

from essaim.core.privacy import PrivacyEntry, registry

from .models import User


def _account_export_user(user) -> list[dict]:
    return [
        {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else "",
            "email_addresses": [
                {"email": a.email, "verified": a.verified, "primary": a.primary}
                for a in EmailAddress.objects.filter(user=user)
            ],
            # The kinds of second factor only: secrets never leave the server.
            "two_factor": sorted(
                Authenticator.objects.filter(user=user).values_list("type", flat=True)
            ),
            "sessions": [
                {
                    "ip": s.ip,
                    "user_agent": s.user_agent,
                    "created_at": s.created_at.isoformat(),
                    "last_seen_at": s.last_seen_at.isoformat() if s.last_seen_at else "",
                }
                for s in UserSession.objects.filter(user=user)
            ],
        }
    ]


def _account_retention(now) -> int:
    # A sign-up whose address was never confirmed within 30 days is abandoned (or was made
    # with someone else's address): delete it rather than keep an unverified e-mail forever.
    stale = User.objects.filter(
        date_joined__lt=now - timedelta(days=30), last_login__isnull=True
    ).exclude(emailaddress__verified=True)
    deleted, _rows = stale.delete()
    return deleted


registry.register(
    PrivacyEntry(
        key="account",
        label=_("Your account"),
        data=_(
            "E-mail addresses, name, language, password hash, second factors, "
            "sessions (IP address, browser)."
        ),
        purpose=_("Signing in and securing your account."),
        legal_basis=_("Performance of the service you signed up for."),
        retention=_(
            "Until you delete your account; unconfirmed sign-ups after 30 days; "
            "sessions until they end."
        ),
        models=(
            "accounts.User",
            "account.EmailAddress",
            "mfa.Authenticator",
            "usersessions.UserSession",
        ),
        export_user=_account_export_user,
        apply_retention=_account_retention,
        order=10,
    )
)
