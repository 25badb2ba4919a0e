"""The REST API under /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Every error has one shape, `{"detail": str, "errors": [{"loc", "msg", "type"}]}`; bad input
is a 422 with one item per faulty field.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.throttling import AuthRateThrottle

from .auth import TokenAuth
from .routers import association_router, person_router

api = NinjaAPI(
    title="Essaim API",
    version="1",
    description=(
        "API of Essaim, the platform for associations. Authenticate with a personal access "
        "token (Settings → API tokens): `Authorization: Bearer essaim_…`. A token belongs to "
        "one association and carries a subset of its creator's capabilities."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    throttle=[AuthRateThrottle("600/m")],
)


def _error(request, status: int, detail: str, errors=None):
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    errors = [
        {
            "loc": [str(part) for part in error.get("loc", [])],
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
