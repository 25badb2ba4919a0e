"""The REST API under /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Every error has one shape, `{"detail": str, "errors": [{"loc", "msg", "type"}]}`; bad input
is a 422 with one item per faulty field.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.throttling import AuthRateThrottle

from .audiences import audience_router
from .auth import TokenAuth
from .communication import mailing_router, newsletter_router
from .events import event_router
from .fundraising import campaign_router, gift_router, receipt_router
from .governance import assembly_router, vote_router
from .imports import import_router
from .members import join_router, membership_router, type_router
from .mobilisation import petition_router
from .payments import mandate_router, payment_router
from .routers import association_router, person_router
from .volunteering import (
    application_router as volunteer_application_router,
)
from .volunteering import catalogue_router, my_hours_router, my_shift_router, profile_router
from .volunteering import hours_router as volunteer_hours_router
from .volunteering import mission_router as volunteer_mission_router
from .volunteering import shift_router as volunteer_shift_router


class TokenRateThrottle(AuthRateThrottle):
    """One budget per token. Ninja's AuthRateThrottle keys on `str(request.auth)`, which for
    an ApiToken is its *name*: two associations' tokens both called "site web" would share,
    and exhaust, one budget."""

    def get_cache_key(self, request) -> str:
        api_token = getattr(request, "auth", None)
        if api_token is None:
            return super().get_cache_key(request)
        return self.cache_format % {"scope": self.scope, "ident": f"token-{api_token.uuid}"}


class EssaimAPI(NinjaAPI):
    """NinjaAPI whose 405 (a known address, another method) has the API's error shape: ninja
    answers it with a bare text/plain "Method not allowed" outside its exception handlers."""

    def _get_urls(self):
        urls = super()._get_urls()
        for pattern in urls:
            pattern.callback = self._json_not_allowed(pattern.callback)
        return urls

    def _json_not_allowed(self, view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if isinstance(response, HttpResponseNotAllowed):
                allow = response["Allow"]
                response = _error(request, 405, _("This method is not allowed here."))
                response["Allow"] = allow
            return response

        return wrapper


api = EssaimAPI(
    title="Essaim API",
    version="1",
    description=(
        "API of Essaim, the platform for associations. Authenticate with a personal access "
        "token (Settings → API tokens): `Authorization: Bearer essaim_…`. A token belongs to "
        "one association and carries a subset of its creator's capabilities."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    throttle=[TokenRateThrottle("600/m")],
)


def _error(request, status: int, detail: str, errors=None):
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


# Names of the endpoints' body parameters: ninja puts them in `loc` ("body", "payload",
# "email"), the services do not ("body", "email"). One shape for clients: the field only.
_BODY_PARAMS = {"payload"}


def _loc(loc) -> list[str]:
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] == "body" and parts[1] in _BODY_PARAMS:
        del parts[1]
    return parts


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    errors = [
        {
            "loc": _loc(error.get("loc", [])),
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "invalid")),
        }
        for error in exc.errors
    ]
    return _error(request, 422, _("The request contains invalid data."), errors)


@api.exception_handler(DjangoValidationError)
def _service_validation_error(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        errors = [
            {"loc": ["body", field], "msg": message, "type": "invalid"}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"loc": ["body"], "msg": m, "type": "invalid"} for m in exc.messages]
    return _error(request, 422, _("The request contains invalid data."), errors)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, _("You are not allowed to do this."))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, _("Missing, revoked or expired token."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, exc.status_code, str(exc.message))


api.add_router("/association", association_router)
api.add_router("/persons", person_router)
api.add_router("/membership-types", type_router)
api.add_router("/memberships", membership_router)
api.add_router("/join", join_router)
api.add_router("/member-imports", import_router)
api.add_router("/payments", payment_router)
api.add_router("/sepa-mandates", mandate_router)
api.add_router("/gifts", gift_router)
api.add_router("/tax-receipts", receipt_router)
api.add_router("/campaigns", campaign_router)
api.add_router("/assemblies", assembly_router)
api.add_router("/votes", vote_router)
api.add_router("/petitions", petition_router)
api.add_router("/events", event_router)
api.add_router("/audiences", audience_router)
api.add_router("/mailings", mailing_router)
api.add_router("/newsletter-lists", newsletter_router)
api.add_router("/volunteer-profile", profile_router)
api.add_router("/missions", volunteer_mission_router)
api.add_router("/mission-catalogue", catalogue_router)
api.add_router("/volunteer-applications", volunteer_application_router)
api.add_router("/volunteer-shifts", volunteer_shift_router)
api.add_router("/volunteer-hours", volunteer_hours_router)
api.add_router("/my-volunteer-shifts", my_shift_router)
api.add_router("/my-volunteer-hours", my_hours_router)

# Last, so that it matches only what no endpoint does: an unknown address under /api/v1/
# answers in the API's error shape, not with the HTML page of the site.
fallback_router = Router()


@fallback_router.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def _unknown(request, rest: str):
    raise Http404


api.add_router("", fallback_router)
