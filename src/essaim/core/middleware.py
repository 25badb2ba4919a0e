"""Tenant scoping and the Content-Security-Policy header."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _
from django_scopes import scope

from .tenancy import mfa_required_now, seat_for

# Pages a holder of a sensitive role can still reach while MFA is enforced but not set up:
# the association's dashboard shows them the way to set it up.
MFA_EXEMPT_VIEWS = {"core:dashboard"}


class RejectNullBytesMiddleware:
    """A NUL byte in the address or the query string is never legitimate input.

    PostgreSQL refuses it in text and would turn a hostile `?q=%00` into a 500; forms already
    reject it in POSTed fields (Django's ProhibitNullCharactersValidator), this covers GET.
    The API answers such input itself, with its JSON 422.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            return self.get_response(request)
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            from .views import error_400

            return error_400(request)
        return self.get_response(request)


class TenantMiddleware:
    """Every URL with an `association_slug` runs inside that association's scope.

    The user must hold a seat there: otherwise 404 (never 403, so that an association's
    existence does not leak). Inside the scope, a query on a tenant-owned model that forgets
    its association raises ScopeError instead of returning another association's rows.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.seat = None
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return self.get_response(request)
        slug = match.kwargs.get("association_slug")
        if slug is None:
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        seat = seat_for(request.user, slug)
        if seat is None:
            raise Http404
        request.seat = seat
        if match.view_name not in MFA_EXEMPT_VIEWS and mfa_required_now(
            request.user, seat.assignment
        ):
            messages.warning(
                request,
                _(
                    "Your role in %(association)s gives access to personal data or money: "
                    "two-factor authentication is required. Set it up to continue."
                )
                % {"association": seat.association.name},
            )
            return redirect("mfa_index")
        with scope(association=seat.association):
            return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # A view may set a stricter or looser policy of its own (an embeddable widget).
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.ESSAIM_CSP
        response.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
        if translation.get_language():
            response.setdefault("Content-Language", translation.get_language())
        return response
