"""The address payment services notify: POST /webhooks/<service>/<token>/.

Thin: limits, then payments.online.webhook_receive. Answers are short JSON for the service's
delivery log (Stripe shows them in its dashboard): 200 for a notification received, even
one already received or with nothing to do (otherwise the service would retry it for days);
400 for one refused (bad signature, forged, unreadable); 404 for an unknown address; 413 for
a body too large; 429 over the rate limits; 503 when the service itself cannot be reached to
confirm (the service retries later).

Rate limits (essaim.lib.ratelimit, in the shared cache):
- every request, per client address: generous (ESSAIM_WEBHOOK_RATE_LIMIT a minute), since a
  service's few addresses deliver for every association of the instance;
- unknown addresses, per client address: guessing tokens is hopeless, and stays so;
- refusals, per account (not per address: one association's wrong signing secret must not
  stop the deliveries of the others, which come from the same service addresses).
"""

import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from essaim.lib import ratelimit

from . import online
from .providers.base import MAX_WEBHOOK_BYTES

logger = logging.getLogger(__name__)

UNKNOWN_LIMIT = 60  # per client address and REFUSAL_PERIOD
REFUSAL_LIMIT = 30  # per account and REFUSAL_PERIOD
REFUSAL_PERIOD = 600


def _answer(status: int, outcome: str, detail: str = "") -> JsonResponse:
    body = {"outcome": outcome}
    if detail:
        body["detail"] = detail
    response = JsonResponse(body, status=status)
    if status == 503:
        # Expected (the service was unreachable, it will deliver again) and already logged
        # at WARNING by payments.online: Django would log every 5xx as an ERROR.
        response._has_been_logged = True
    return response


def _content_length(request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


@csrf_exempt  # the service cannot hold a CSRF token; the signature or the token decide
@require_POST
def receive(request, provider: str, token: str):
    limit = getattr(settings, "ESSAIM_WEBHOOK_RATE_LIMIT", 1200)
    if ratelimit.hit(request, "payments.webhook", limit=limit, period=60):
        return _answer(429, "rate limited")
    if ratelimit.is_limited(
        request, "payments.webhook.unknown", limit=UNKNOWN_LIMIT, period=REFUSAL_PERIOD
    ):
        return _answer(429, "rate limited")
    if _content_length(request) > MAX_WEBHOOK_BYTES:
        return _answer(413, "refused", "body too large")
    account = online.webhook_account(provider, token)
    if account is None:
        ratelimit.hit(
            request, "payments.webhook.unknown", limit=UNKNOWN_LIMIT, period=REFUSAL_PERIOD
        )
        logger.warning("payments webhook to an unknown address (%s)", provider[:20])
        return _answer(404, "unknown")
    refusals = f"account:{account.pk}"
    if ratelimit.count("payments.webhook.refused", refusals, period=REFUSAL_PERIOD) >= (
        REFUSAL_LIMIT
    ):
        return _answer(429, "rate limited")
    body = request.body
    if len(body) > MAX_WEBHOOK_BYTES:
        return _answer(413, "refused", "body too large")
    result = online.webhook_receive(account=account, body=body, headers=request.headers)
    if result.outcome == "refused":
        ratelimit.hit_identity(
            "payments.webhook.refused", refusals, limit=REFUSAL_LIMIT, period=REFUSAL_PERIOD
        )
    return _answer(result.status, result.outcome, result.detail)
