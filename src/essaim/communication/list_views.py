"""Newsletter lists: the team's pages (/a/<association>/lists/…) and the public subscription
page with its confirmation link (/n/…).

The public pages are exempt from CSRF like the petition's: they use no ambient credential
(a subscription counts only once confirmed from the e-mail, and confirming needs the signed
token of the link).
"""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_scopes import scope

from essaim.core.models import Association
from essaim.core.pagination import paginate
from essaim.core.tenancy import require
from essaim.lib import ratelimit

from . import lists
from .mailing_forms import ImportForm, NewsletterForm, SubscribeForm
from .models import NewsletterList, Subscription

CAPABILITY = "can_send_mailings"


def _newsletter(association, list_uuid) -> NewsletterList:
    return get_object_or_404(NewsletterList, association=association, uuid=list_uuid)


@require(CAPABILITY)
def list_index(request, association_slug: str):
    association = request.seat.association
    rows = (
        NewsletterList.objects.filter(association=association)
        .annotate(
            subscribers=Count(
                "subscriptions", filter=Q(subscriptions__status=Subscription.Status.SUBSCRIBED)
            )
        )
        .order_by("name", "id")
    )
    page = paginate(request, rows)
    return render(
        request,
        "communication/lists.html",
        {"association": association, "page": page, "rows": page.object_list},
    )


@require(CAPABILITY)
def list_create(request, association_slug: str):
    association = request.seat.association
    form = NewsletterForm(request.POST or None)
    if request.method == "POST":
        newsletter = form.call_service(
            lists.newsletter_create, association=association, acting_user=request.user
        )
        if newsletter is not None:
            messages.success(request, _("The list is created."))
            return redirect(
                "communication:list", association_slug=association.slug, list_uuid=newsletter.uuid
            )
    return render(
        request, "communication/list_form.html", {"association": association, "form": form}
    )


@require(CAPABILITY)
def list_edit(request, association_slug: str, list_uuid):
    association = request.seat.association
    newsletter = _newsletter(association, list_uuid)
    form = NewsletterForm(
        request.POST or None,
        initial={
            "name": newsletter.name,
            "description": newsletter.description,
            "is_public": newsletter.is_public,
        },
    )
    if request.method == "POST":
        saved = form.call_service(
            lists.newsletter_update,
            association=association,
            acting_user=request.user,
            newsletter=newsletter,
        )
        if saved is not None:
            messages.success(request, _("The list is saved."))
            return redirect(
                "communication:list", association_slug=association.slug, list_uuid=newsletter.uuid
            )
    return render(
        request,
        "communication/list_form.html",
        {"association": association, "form": form, "newsletter": newsletter},
    )


@require(CAPABILITY)
def list_detail(request, association_slug: str, list_uuid):
    association = request.seat.association
    newsletter = _newsletter(association, list_uuid)
    rows = (
        Subscription.objects.filter(newsletter=newsletter)
        .select_related("person")
        .order_by("person__sort_name", "id")
    )
    status = request.GET.get("status", "subscribed")
    if status in Subscription.Status.values:
        rows = rows.filter(status=status)
    query = " ".join(request.GET.get("q", "").split())[:100]
    if query:
        from essaim.lib.text import fold

        rows = rows.filter(person__search_text__contains=fold(query))
    counts = Subscription.objects.filter(newsletter=newsletter).aggregate(
        subscribed=Count("id", filter=Q(status=Subscription.Status.SUBSCRIBED)),
        unsubscribed=Count("id", filter=Q(status=Subscription.Status.UNSUBSCRIBED)),
    )
    page = paginate(request, rows)
    return render(
        request,
        "communication/list_detail.html",
        {
            "association": association,
            "newsletter": newsletter,
            "page": page,
            "rows": page.object_list,
            "counts": counts,
            "status": status,
            "query": query,
            "public_url": lists.subscribe_url(newsletter),
        },
    )


@require(CAPABILITY)
def list_import(request, association_slug: str, list_uuid):
    association = request.seat.association
    newsletter = _newsletter(association, list_uuid)
    form = ImportForm(request.POST or None)
    if request.method == "POST":
        result = form.call_service(
            lists.subscribers_import,
            association=association,
            acting_user=request.user,
            newsletter=newsletter,
        )
        if result is not None:
            messages.success(
                request,
                _(
                    "%(added)d subscribed, %(already)d already subscribed, %(kept_out)d left "
                    "out because they had unsubscribed."
                )
                % result,
            )
            return redirect(
                "communication:list", association_slug=association.slug, list_uuid=newsletter.uuid
            )
    return render(
        request,
        "communication/list_import.html",
        {"association": association, "form": form, "newsletter": newsletter},
    )


# --- Public -------------------------------------------------------------------------------


def _public_list(slug: str, list_uuid) -> tuple[Association, NewsletterList]:
    association = Association.objects.filter(slug=slug).first()
    if association is None:
        raise Http404
    with scope(association=association):
        newsletter = NewsletterList.objects.filter(
            association=association, uuid=list_uuid, is_public=True, archived_at__isnull=True
        ).first()
    if newsletter is None:
        raise Http404
    newsletter.association = association
    return association, newsletter


@csrf_exempt
def subscribe(request, slug: str, list_uuid):
    association, newsletter = _public_list(slug, list_uuid)
    form = SubscribeForm(request.POST or None)
    status = 200
    limited = False
    if request.method == "POST" and form.is_valid():
        if form.is_bot():
            return redirect("communication_public:subscribe_sent", slug=slug, list_uuid=list_uuid)
        if lists.subscribe_limited(ratelimit.client_ip(request)):
            limited, status = True, 429
        else:
            with scope(association=association):
                done = form.call_service(
                    lists.subscription_request, association=association, newsletter=newsletter
                )
            if done is not None:
                return redirect(
                    "communication_public:subscribe_sent", slug=slug, list_uuid=list_uuid
                )
    return render(
        request,
        "communication/list_subscribe.html",
        {
            "public_association": association,
            "newsletter": newsletter,
            "form": form,
            "limited": limited,
        },
        status=status,
    )


def subscribe_sent(request, slug: str, list_uuid):
    association, newsletter = _public_list(slug, list_uuid)
    return render(
        request,
        "communication/list_subscribe.html",
        {"public_association": association, "newsletter": newsletter, "sent": True},
    )


@csrf_exempt
def subscribe_confirm(request, token: str):
    """GET shows a button (scanners open links, they must not subscribe anyone); POST
    confirms."""
    data, newsletter, problem = lists.subscription_from_token(token)
    if data is None:
        return render(request, "communication/list_confirm.html", {"problem": problem}, status=400)
    association = newsletter.association
    outcome = ""
    if request.method == "POST":
        with scope(association=association):
            outcome = lists.subscription_confirm(data=data, newsletter=newsletter)
    return render(
        request,
        "communication/list_confirm.html",
        {
            "public_association": association,
            "newsletter": newsletter,
            "email": data["e"],
            "outcome": outcome,
        },
    )
