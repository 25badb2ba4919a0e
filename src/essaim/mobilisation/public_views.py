"""A petition's public page, its embeddable widget and the confirmation link.

Not under the back office: the URL parameter is `slug`, so each view finds its association
and enters its scope itself. Works without JavaScript and on a phone.

Signing and confirming are exempt from CSRF checks: CSRF protects actions taken with a
visitor's ambient credentials (a session cookie), and neither uses any. A signature counts only
once confirmed from the e-mail (whoever sent the form), and confirming needs the signed token
of the link. Without the exemption the widget could not work: a site that frames it is another
site, whose frames get no SameSite=Lax cookie.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django_scopes import scope

from essaim.core.models import Association
from essaim.core.tenancy import seat_for
from essaim.lib import ratelimit, sharing

from . import selectors, services
from .forms import SignForm
from .models import Petition

CAPABILITY = "can_send_mailings"


# (slug, petition slug) → (read at, association, petition): a hot petition's page and form
# need not read the same two rows on every request. Copies are at most
# ESSAIM_PETITION_LOOKUP_SECONDS old: a petition closed by its team may take a signature or
# two more in that time (the service checks the copy); the views only read these objects.
_RECENT: dict[tuple[str, str], tuple[float, Association, Petition]] = {}
_RECENT_MAX = 256


def _lookup(slug: str, petition_slug: str) -> tuple[Association | None, Petition | None]:
    seconds = settings.ESSAIM_PETITION_LOOKUP_SECONDS
    now = time.monotonic()
    if seconds > 0:
        recent = _RECENT.get((slug, petition_slug))
        if recent is not None and now - recent[0] < seconds:
            return recent[1], recent[2]
    association = Association.objects.filter(slug=slug).first()
    if association is None:
        return None, None
    with scope(association=association):
        petition = Petition.objects.filter(association=association, slug=petition_slug).first()
    if petition is None:
        return association, None
    petition.association = association
    if seconds > 0:
        if len(_RECENT) >= _RECENT_MAX:
            _RECENT.clear()
        _RECENT[(slug, petition_slug)] = (now, association, petition)
    return association, petition


def _petition(slug: str, petition_slug: str, user=None) -> tuple[Association, Petition]:
    """An open or closed petition; a draft is a 404 except for its team (preview)."""
    association, petition = _lookup(slug, petition_slug)
    if petition is None:
        raise Http404
    if petition.status == Petition.Status.DRAFT:
        signed_in = getattr(user, "is_authenticated", False)
        seat = seat_for(user, association.slug) if signed_in else None
        if seat is None or not seat.can(CAPABILITY):
            raise Http404
    return association, petition


def share_links(petition: Petition) -> list[dict]:
    """Links to share the page, each with its own ?src= to count what each channel brings."""
    return sharing.share_links(
        petition.title, lambda source: services.petition_url(petition, source)
    )


def _embed_url(petition: Petition) -> str:
    return settings.ESSAIM_BASE_URL + reverse(
        "mobilisation_public:embed",
        kwargs={"slug": petition.association.slug, "petition_slug": petition.slug},
    )


def _sign(request, association, petition, form, default_source="") -> tuple[bool, int, str]:
    """Handle a posted form: (done, HTTP status, limited reason)."""
    if not form.is_valid():
        return False, 200, ""
    if form.is_bot():
        return True, 200, ""  # robots get the thank-you page; nothing is recorded
    fields = form.service_fields()
    limited = services.sign_limited(ratelimit.client_ip(request), fields["email"])
    if limited:
        return False, 429, limited
    try:
        services.signature_sign(
            association=association,
            petition=petition,
            ip=ratelimit.client_ip(request),
            source=form.cleaned_data.get("src") or request.GET.get("src", "") or default_source,
            **fields,
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return False, 200, ""
    return True, 200, ""


def _context(association, petition, form, **extra) -> dict:
    count = services.petition_count(petition)
    return {
        "public_association": association,
        "petition": petition,
        "form": form,
        "count": count,
        "percent": min(100, round(100 * count / petition.goal)) if petition.goal else None,
        "is_open": services.petition_is_open(petition),
        "preview": petition.status == Petition.Status.DRAFT,
        **extra,
    }


@csrf_exempt
def petition_page(request, slug: str, petition_slug: str):
    association, petition = _petition(slug, petition_slug, request.user)
    with scope(association=association):
        source = services.clean_source(request.GET.get("src"))
        form = None
        status, limited = 200, ""
        if services.petition_is_open(petition):
            form = SignForm(request.POST or None, initial={"src": source})
            if request.method == "POST":
                done, status, limited = _sign(request, association, petition, form)
                if done:
                    return redirect(
                        "mobilisation_public:thanks",
                        slug=association.slug,
                        petition_slug=petition.slug,
                    )
        context = _context(
            association,
            petition,
            form,
            limited=limited,
            breakdown=selectors.breakdown(petition),
            share=share_links(petition),
            share_url=services.petition_url(petition),
            embed_url=_embed_url(petition),
        )
        response = render(request, "mobilisation/public/petition.html", context, status=status)
    if petition.status != Petition.Status.OPEN:
        response["X-Robots-Tag"] = "noindex"
    return response


def _frameable(response):
    """This view only may be framed by any site (the widget): CSP frame-ancestors *, and no
    X-Frame-Options (xframe_options_exempt). Everything else stays unframeable."""
    response["Content-Security-Policy"] = settings.ESSAIM_CSP.replace(
        "frame-ancestors 'none'", "frame-ancestors *"
    )
    return response


@csrf_exempt
@xframe_options_exempt
def embed(request, slug: str, petition_slug: str):
    association, petition = _petition(slug, petition_slug, request.user)
    with scope(association=association):
        form = None
        status, limited = 200, ""
        if services.petition_is_open(petition):
            source = services.clean_source(request.GET.get("src")) or "widget"
            form = SignForm(request.POST or None, initial={"src": source})
            if request.method == "POST":
                done, status, limited = _sign(request, association, petition, form, "widget")
                if done:
                    url = reverse(
                        "mobilisation_public:thanks",
                        kwargs={"slug": association.slug, "petition_slug": petition.slug},
                    )
                    return redirect(f"{url}?{urlencode({'embed': '1'})}")
        context = _context(
            association,
            petition,
            form,
            limited=limited,
            page_url=services.petition_url(petition, "widget"),
        )
        response = render(request, "mobilisation/public/embed.html", context, status=status)
    return _frameable(response)


@xframe_options_exempt
def thanks(request, slug: str, petition_slug: str):
    association, petition = _petition(slug, petition_slug, request.user)
    embedded = request.GET.get("embed") == "1"
    with scope(association=association):
        context = _context(
            association, petition, None, embedded=embedded, share=share_links(petition)
        )
        response = render(request, "mobilisation/public/thanks.html", context)
    if embedded:
        return _frameable(response)
    response["X-Frame-Options"] = "DENY"
    return response


def count_json(request, slug: str, petition_slug: str):
    association, petition = _petition(slug, petition_slug)
    if petition.status == Petition.Status.DRAFT:
        raise Http404
    with scope(association=association):
        count = services.petition_count(petition)
    response = JsonResponse({"count": count, "goal": petition.goal, "status": petition.status})
    response["Cache-Control"] = f"public, max-age={services.count_cache_seconds()}"
    return response


@csrf_exempt
def confirm(request, token: str):
    """GET shows a button (link scanners and mail previews open links: they must not sign
    for anyone); POST confirms."""
    signature, problem = services.signature_from_token(token)
    if signature is None:
        return render(request, "mobilisation/public/confirm.html", {"problem": problem}, status=400)
    association = signature.association
    petition = signature.petition
    petition.association = association
    outcome = ""
    with scope(association=association):
        if request.method == "POST":
            outcome = services.signature_confirm(signature=signature)
        elif signature.status != signature.Status.PENDING:
            outcome = "already" if signature.status == signature.Status.CONFIRMED else "invalidated"
        context = {
            "public_association": association,
            "petition": petition,
            "signature": signature,
            "outcome": outcome,
            "count": services.petition_count(petition),
            "share": share_links(petition) if outcome in ("confirmed", "already") else [],
            "petition_url": services.petition_url(petition),
        }
        return render(request, "mobilisation/public/confirm.html", context)
