"""The association's public page /o/<association>/ with its news, and the team's screens to
edit them (/a/<association>/site/…).

Where the blocks come from: these are views, the entry-point layer of the architecture, so
they read the other apps' selectors directly (upcoming events through
`mobilisation.events.public_events`, open campaigns through
`fundraising.campaigns.campaigns_with_progress`, open petitions through
`mobilisation.selectors.petitions_with_counts`, published missions, the join form's
settings). The communication domain code itself (`site.py`, `audiences.py`) imports none of
them: no registry of "public blocks" is needed while one page shows them.

Unpublished page or draft news: 404 to the public; the team (`can_send_mailings`) sees a
preview with a banner and a noindex tag. Public responses carry an ETag (304 on revalidation)
and a short public cache for anonymous visitors.
"""

import hashlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_scopes import scope

from essaim.core.forms import EssaimForm
from essaim.core.models import Association
from essaim.core.pagination import paginate
from essaim.core.tenancy import require, seat_for

from . import site
from .models import NewsPost

CAPABILITY = "can_send_mailings"
PUBLIC_MAX_AGE = 300


# --- Forms ---------------------------------------------------------------------------------


class PublicPageForm(EssaimForm):
    published = forms.BooleanField(
        label=gettext_lazy("Publish the page"),
        required=False,
        help_text=gettext_lazy("Unpublished, only your team sees it (as a preview)."),
    )
    presentation = forms.CharField(
        label=gettext_lazy("Presentation"),
        required=False,
        max_length=site.MAX_PRESENTATION,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "Who you are, what you do, how to help. Under the purpose of the association "
            "(objet). Simple formatting: **bold**, *italics*, lists with “- ”, links "
            "[text](https://…)."
        ),
    )
    show_email = forms.BooleanField(label=gettext_lazy("Show the contact e-mail"), required=False)
    show_phone = forms.BooleanField(label=gettext_lazy("Show the phone number"), required=False)
    facebook_url = forms.URLField(label="Facebook", required=False, assume_scheme="https")
    instagram_url = forms.URLField(label="Instagram", required=False, assume_scheme="https")
    mastodon_url = forms.URLField(label="Mastodon", required=False, assume_scheme="https")
    linkedin_url = forms.URLField(label="LinkedIn", required=False, assume_scheme="https")
    youtube_url = forms.URLField(label="YouTube", required=False, assume_scheme="https")


class NewsForm(EssaimForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    summary = forms.CharField(
        label=gettext_lazy("Summary"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("One or two sentences shown in lists and when shared."),
    )
    body = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=site.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=gettext_lazy(
            "Simple formatting: **bold**, *italics*, “# ” for a heading, lists with “- ”, "
            "links [text](https://…)."
        ),
    )
    cover = forms.FileField(
        label=gettext_lazy("Cover image"),
        required=False,
        help_text=gettext_lazy("PNG, JPEG, GIF or WebP, 2 MB at most."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )
    cover_alt = forms.CharField(
        label=gettext_lazy("Description of the image"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For people who cannot see it: what the image shows."),
    )
    slug = forms.SlugField(
        label=gettext_lazy("Address"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("The end of the web address. Leave empty: made from the title."),
    )

    def __init__(self, *args, post: NewsPost | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if post is None:
            self.fields["publish"] = forms.BooleanField(
                label=gettext_lazy("Publish now"), required=False
            )
        elif post.cover:
            self.fields["remove_cover"] = forms.BooleanField(
                label=gettext_lazy("Remove the current image"), required=False
            )


# --- Team screens ----------------------------------------------------------------------------


def _post(association, post_uuid) -> NewsPost:
    post = get_object_or_404(NewsPost, association=association, uuid=post_uuid)
    post.association = association
    return post


def public_url(association, name: str = "site", **kwargs) -> str:
    return settings.ESSAIM_BASE_URL + reverse(
        f"communication_public:{name}", kwargs={"slug": association.slug, **kwargs}
    )


@require(CAPABILITY)
def site_edit(request, association_slug: str):
    association = request.seat.association
    page = site.public_page_of(association)
    form = PublicPageForm(
        request.POST or None, initial={name: getattr(page, name) for name in site.PAGE_FIELDS}
    )
    if request.method == "POST":
        saved = form.call_service(
            site.public_page_update, association=association, acting_user=request.user
        )
        if saved is not None:
            messages.success(
                request,
                _("The public page is published.")
                if saved.published
                else _("The public page is saved (not published: only your team sees it)."),
            )
            return redirect("communication:site", association_slug=association.slug)
    return render(
        request,
        "communication/site_edit.html",
        {
            "association": association,
            "form": form,
            "page": page,
            "public_url": public_url(association),
            "news_count": NewsPost.objects.filter(association=association).count(),
            "can_settings": request.seat.can("can_change_settings"),
        },
    )


@require(CAPABILITY)
def news_list(request, association_slug: str):
    association = request.seat.association
    page = paginate(request, site.news_of(association).select_related("author"))
    return render(
        request,
        "communication/news_list.html",
        {"association": association, "page": page, "rows": page.object_list},
    )


@require(CAPABILITY)
def news_create(request, association_slug: str):
    association = request.seat.association
    form = NewsForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        post = form.call_service(
            site.news_create, association=association, acting_user=request.user
        )
        if post is not None:
            messages.success(
                request,
                _("The news is published.")
                if post.is_published
                else _("The news is saved as a draft: check it, then publish it."),
            )
            return redirect("communication:news", association_slug=association.slug)
    return render(
        request, "communication/news_form.html", {"association": association, "form": form}
    )


@require(CAPABILITY)
def news_edit(request, association_slug: str, post_uuid):
    association = request.seat.association
    post = _post(association, post_uuid)
    form = NewsForm(
        request.POST or None,
        request.FILES or None,
        post=post,
        initial={name: getattr(post, name) for name in ("title", "summary", "body", "cover_alt")}
        | {"slug": post.slug},
    )
    if request.method == "POST":
        saved = form.call_service(
            site.news_update, association=association, acting_user=request.user, post=post
        )
        if saved is not None:
            messages.success(request, _("The news is saved."))
            return redirect("communication:news", association_slug=association.slug)
    return render(
        request,
        "communication/news_form.html",
        {
            "association": association,
            "form": form,
            "post": post,
            "post_url": public_url(association, "news_post", post_slug=post.slug),
        },
    )


@require(CAPABILITY)
@require_POST
def news_status(request, association_slug: str, post_uuid, action: str):
    association = request.seat.association
    post = _post(association, post_uuid)
    if action not in ("publish", "unpublish"):
        raise Http404
    post = site.news_set_status(
        association=association, acting_user=request.user, post=post, publish=action == "publish"
    )
    messages.success(
        request,
        _("The news is published.")
        if action == "publish"
        else _("The news is unpublished: only your team sees it."),
    )
    return redirect("communication:news", association_slug=association.slug)


@require(CAPABILITY)
def news_delete(request, association_slug: str, post_uuid):
    association = request.seat.association
    post = _post(association, post_uuid)
    if request.method == "POST":
        site.news_delete(association=association, acting_user=request.user, post=post)
        messages.success(request, _("The news is deleted."))
        return redirect("communication:news", association_slug=association.slug)
    return render(
        request, "communication/news_delete.html", {"association": association, "post": post}
    )


# --- Public pages --------------------------------------------------------------------------


def _association(slug: str) -> Association:
    association = Association.objects.filter(slug=slug).first()
    if association is None:
        raise Http404
    return association


def _is_team(request, association) -> bool:
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return False
    seat = seat_for(user, association.slug)
    return seat is not None and seat.can(CAPABILITY)


def _fingerprint(*parts) -> str:
    """An ETag from what the page shows (not from its HTML: the page carries a fresh CSRF
    token for the language switch at each request)."""
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'


def _respond(request, template: str, context: dict, *, preview: bool, etag: str):
    """ETag (304 when unchanged) and a short public cache for anonymous visitors; never
    cached for a preview or a signed-in visitor (the shell shows their menu)."""
    if preview or request.user.is_authenticated:
        response = render(request, template, context)
        patch_cache_control(response, private=True, no_store=True)
        return response
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        patch_cache_control(not_modified, public=True, max_age=PUBLIC_MAX_AGE)
        return not_modified
    response = render(request, template, context)
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


def _rows(items, *fields) -> tuple:
    return tuple(tuple(str(getattr(item, f, "")) for f in fields) for item in items)


def _blocks(association) -> dict:
    """The other apps' public items, newest or soonest first, a few of each."""
    from essaim.fundraising.campaigns import campaigns_with_progress
    from essaim.fundraising.models import Campaign
    from essaim.members.models import MembershipSettings, MembershipType
    from essaim.mobilisation.events import public_events
    from essaim.mobilisation.models import Petition
    from essaim.mobilisation.selectors import petitions_with_counts
    from essaim.volunteering.models import Mission

    today = timezone.localdate()
    campaigns = list(
        campaigns_with_progress(association)
        .filter(status=Campaign.Status.PUBLISHED)
        .exclude(starts_on__gt=today)
        .exclude(ends_on__lt=today)
        .order_by("ends_on", "-created_at")[:3]
    )
    petitions = list(
        petitions_with_counts(association)
        .filter(status=Petition.Status.OPEN)
        .exclude(ends_on__lt=today)
        .order_by("-created_at")[:3]
    )
    missions = list(
        Mission.objects.filter(association=association, status=Mission.Status.PUBLISHED)
        .only("uuid", "title", "commune", "remote", "starts_on")
        .order_by("-published_at", "-id")[:4]
    )
    join_enabled = (
        MembershipSettings.objects.filter(association=association, join_enabled=True).exists()
        and MembershipType.objects.filter(association=association).exists()
    )
    return {
        "events": list(public_events(association)[:5]),
        "campaigns": campaigns,
        "petitions": petitions,
        "missions": missions,
        "join_url": reverse("members_public:join", kwargs={"slug": association.slug})
        if join_enabled
        else "",
        "donate_url": reverse(
            "donate:page", kwargs={"slug": association.slug, "campaign_slug": campaigns[0].slug}
        )
        if campaigns
        else "",
    }


def _page_context(request, association) -> tuple[dict, bool]:
    page = site.public_page_of(association)
    preview = not page.published
    if preview and not _is_team(request, association):
        raise Http404
    return {
        "public_association": association,
        "page": page,
        "preview": preview,
        "rss_url": public_url(association, "rss"),
        "atom_url": public_url(association, "atom"),
        "ical_url": public_url(association, "ical"),
        "home_url": public_url(association),
        "og_type": "website",
        "og_image": "",
        "og_logo": "",
        "post_draft": False,
    }, preview


def site_page(request, slug: str):
    association = _association(slug)
    with scope(association=association):
        context, preview = _page_context(request, association)
        news = list(site.published_news(association)[:3])
        context.update(_blocks(association))
        context.update(
            {
                "news": news,
                "presentation_html": site.render_markdown(context["page"].presentation),
                "description": site.plain_text(
                    context["page"].presentation or association.objet or association.name, 200
                ),
                "canonical_url": public_url(association),
                "og_logo": settings.ESSAIM_BASE_URL + association.logo.url
                if association.logo
                else "",
            }
        )
        etag = _fingerprint(
            translation.get_language(),
            association.updated_at,
            context["page"].updated_at,
            _rows(news, "pk", "updated_at"),
            _rows(context["events"], "pk", "updated_at", "starts_at"),
            _rows(context["campaigns"], "pk", "updated_at", "raised", "donors"),
            _rows(context["petitions"], "pk", "updated_at", "confirmed"),
            _rows(context["missions"], "pk", "title"),
            context["join_url"],
        )
        response = _respond(
            request, "communication/public/site.html", context, preview=preview, etag=etag
        )
    return response


def news_index(request, slug: str):
    association = _association(slug)
    with scope(association=association):
        context, preview = _page_context(request, association)
        page = paginate(request, site.published_news(association), per_page=10)
        context.update(
            {
                "page_obj": page,
                "news": page.object_list,
                "canonical_url": public_url(association, "news"),
            }
        )
        etag = _fingerprint(
            translation.get_language(),
            association.updated_at,
            page.number,
            _rows(page.object_list, "pk", "updated_at"),
        )
        response = _respond(
            request, "communication/public/news_list.html", context, preview=preview, etag=etag
        )
    return response


def news_page(request, slug: str, post_slug: str):
    association = _association(slug)
    with scope(association=association):
        context, preview = _page_context(request, association)
        post = NewsPost.objects.filter(association=association, slug=post_slug).first()
        if post is None:
            raise Http404
        draft = not post.is_published or post.published_at > timezone.now()
        if draft:
            if not _is_team(request, association):
                raise Http404
            preview = True
        context.update(
            {
                "post": post,
                "post_draft": draft,
                "preview": preview,
                "body_html": site.render_markdown(post.body),
                "description": post.summary or site.plain_text(post.body, 200),
                "canonical_url": public_url(association, "news_post", post_slug=post.slug),
                "cover_url": settings.ESSAIM_BASE_URL + post.cover.url if post.cover else "",
            }
        )
        etag = _fingerprint(translation.get_language(), association.updated_at, post.updated_at)
        response = _respond(
            request, "communication/public/news_post.html", context, preview=preview, etag=etag
        )
    return response


def events_ical(request, slug: str):
    """The association's upcoming public events as an iCalendar feed (calendar apps
    subscribe to it). Only for a published page."""
    from essaim.mobilisation.events import event_ical, public_events

    association = _association(slug)
    with scope(association=association):
        if not site.public_page_of(association).published:
            raise Http404
        events = list(public_events(association)[:200])
        for event in events:
            event.association = association
        body = event_ical(events) if events else _empty_calendar(association)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{association.slug}.ics"'
    # No ETag: the file's DTSTAMP is the time it is made. A short public cache instead.
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


def _empty_calendar(association) -> bytes:
    from essaim.lib.ical import ical_calendar

    return ical_calendar([], name=association.name)
