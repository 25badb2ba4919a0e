"""Bearer-token authentication and tenant scoping for API endpoints."""

from functools import wraps

from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from essaim.core.models import RoleAssignment
from essaim.core.tenancy import mfa_required_now

from .models import ApiToken, hash_token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer essaim_…`: an active token whose creator still has a seat."""

    def authenticate(self, request, token: str):
        if not token or len(token) > 200:
            return None
        with scopes_disabled():
            api_token = (
                ApiToken.objects.select_related("association", "created_by")
                .filter(token_hash=hash_token(token), revoked_at__isnull=True)
                .first()
            )
            if api_token is None or not api_token.is_active:
                return None
            seat = (
                RoleAssignment.objects.select_related("role")
                .filter(association=api_token.association, user=api_token.created_by)
                .first()
            )
        if seat is None or not api_token.created_by.is_active:
            return None
        if mfa_required_now(api_token.created_by, seat):
            # The same rule as the web pages: a role that handles money, votes or member
            # lists works only with two-factor authentication once the grace period is over.
            raise AuthorizationError(
                message=_(
                    "The creator of this token must set up two-factor authentication "
                    "before the token can be used."
                )
            )
        api_token.effective_capabilities = frozenset(api_token.capabilities) & (
            seat.role.capabilities
        )
        now = timezone.now()
        # One write per minute at most: a busy integration must not turn every read into a
        # write on the token row.
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            with scopes_disabled():
                ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        return api_token


def tenant(capability: str):
    """Endpoint decorator: require `capability` on the token and run inside its association's
    scope (including pagination, which evaluates the queryset after the function returns)."""

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            api_token = request.auth
            if capability not in api_token.effective_capabilities:
                raise AuthorizationError(
                    message=_("This token does not have the capability %(capability)s.")
                    % {"capability": capability}
                )
            request.association = api_token.association
            with scope(association=api_token.association):
                return func(request, *args, **kwargs)

        return wrapper

    return decorator
