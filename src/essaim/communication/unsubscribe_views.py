"""The public links of a mailing: unsubscribe (RFC 8058), preferences, click redirects, the
open pixel; and the bounce webhook.

Unsubscribe, scanner-safe: link scanners and mail previews *open* links (GET), so a GET only
shows a page with a button and never changes anything. The button POSTs the body
`List-Unsubscribe=One-Click`, the same body a mail provider POSTs when the recipient presses
its own "unsubscribe" button (RFC 8058, without cookie or session: hence the CSRF exemption,
the signed token in the address being the credential). A POST with another body changes
nothing (400).
"""

import logging

from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_scopes import scope

from essaim.lib import ratelimit

from . import bounces, lists, tracking

logger = logging.getLogger(__name__)

# A 1×1 transparent GIF.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
MAX_WEBHOOK_BYTES = 256 * 1024


def _problem(request, problem: str):
    return render(request, "communication/unsubscribe.html", {"problem": problem}, status=400)


@csrf_exempt
@never_cache
def unsubscribe(request, token: str):
    delivery, problem = tracking.delivery_from_token(token)
    if delivery is None:
        return _problem(request, problem)
    association = delivery.association
    outcome = ""
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") != "One-Click":
            return HttpResponseBadRequest(
                "Expected the body List-Unsubscribe=One-Click (RFC 8058).",
                content_type="text/plain; charset=utf-8",
            )
        with scope(association=association):
            outcome = lists.delivery_unsubscribe(delivery=delivery)
    elif request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    context = {
        "public_association": association,
        "delivery": delivery,
        "mailing": delivery.mailing,
        "outcome": outcome,
        "token": token,
    }
    response = render(request, "communication/unsubscribe.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@csrf_exempt
@never_cache
def preferences(request, token: str):
    delivery, problem = tracking.delivery_from_token(token)
    if delivery is None:
        return _problem(request, problem)
    person = delivery.person
    association = delivery.association
    if person is None or person.is_erased:
        return _problem(request, "gone")
    saved = None
    with scope(association=association):
        if request.method == "POST":
            if request.POST.get("everything"):
                lists.unsubscribe_everything(
                    association=association, person=person, note="Preference page."
                )
                saved = "everything"
            else:
                lists.preferences_save(
                    person=person,
                    list_uuids=set(request.POST.getlist("lists")),
                    topics=set(request.POST.getlist("topics")),
                )
                saved = "saved"
        state = lists.preferences_state(person)
    return render(
        request,
        "communication/preferences.html",
        {
            "public_association": association,
            "person": person,
            "state": state,
            "saved": saved,
            "token": token,
        },
    )


def click(request, token: str):
    url = tracking.click_record(token)
    if url is None:
        raise Http404
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
def open_pixel(request, token: str):
    tracking.open_record(token)
    return HttpResponse(PIXEL, content_type="image/gif")


@csrf_exempt
@require_POST
def mail_webhook(request, token: str):
    if ratelimit.hit(request, "communication.webhook", limit=1200, period=60):
        return HttpResponse("rate limited", status=429, content_type="text/plain")
    row = bounces.webhook_settings(token)
    if row is None:
        return HttpResponse("unknown", status=404, content_type="text/plain")
    body = request.body
    if len(body) > MAX_WEBHOOK_BYTES:
        return HttpResponse("too large", status=413, content_type="text/plain")
    status, outcome = bounces.webhook_receive(row, body, request.headers)
    if status != 200:
        logger.warning("mail webhook refused: %s", outcome)
    return HttpResponse(outcome, status=status, content_type="text/plain; charset=utf-8")
