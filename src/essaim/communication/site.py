"""The association's public page (mini-site) and its news posts: services, selectors and the
small Markdown the team writes them in.

Markdown is rendered by `render_markdown`, a deliberately small subset (paragraphs, headings,
bold, italics, links, lists, quotes): every character of the source is HTML-escaped first, so
a `<script>` typed or pasted into a post shows as text and never runs. Links keep http(s) and
mailto only.
"""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log, diff, snapshot
from essaim.core.models import Association

from .models import NewsPost, PublicPage

# --- Markdown (a safe subset) ----------------------------------------------------------------

_LINK = re.compile(r"\[([^\]\n]{1,300})\]\(((?:https?://|mailto:)[^\s)]{1,500})\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")
_AUTOLINK = re.compile(r"(?<![\"'=>])\b(https?://[^\s<]{1,500}[^\s<.,;:!?)\]'\"])")


def _inline(text: str) -> str:
    """Escaped text with links, bold and italics."""
    text = escape(text)
    links: list[str] = []

    def keep(html: str) -> str:
        links.append(html)
        return f"\x00{len(links) - 1}\x00"

    text = _LINK.sub(
        lambda m: keep(f'<a href="{m.group(2)}" rel="nofollow noopener">{m.group(1)}</a>'), text
    )
    text = _AUTOLINK.sub(
        lambda m: keep(f'<a href="{m.group(1)}" rel="nofollow noopener">{m.group(1)}</a>'), text
    )
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    text = _ITALIC.sub(r"<em>\1</em>", text)
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], text)


def render_markdown(source: str, *, heading_offset: int = 1) -> SafeString:
    """HTML of the Markdown subset. Headings "#" become <h2> (the page has its own <h1>)."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush() -> None:
        nonlocal list_tag
        if paragraph:
            blocks.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append(f"<{list_tag}>" + "".join(items) + f"</{list_tag}>")
            items.clear()
            list_tag = ""

    for raw in (source or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        heading = re.match(r"^(#{1,4})\s+(.*)$", stripped)
        bullet = re.match(r"^[-*+]\s+(.*)$", stripped)
        number = re.match(r"^\d{1,3}[.)]\s+(.*)$", stripped)
        if heading:
            flush()
            level = min(6, len(heading.group(1)) + heading_offset)
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif bullet or number:
            tag = "ul" if bullet else "ol"
            if paragraph or (list_tag and list_tag != tag):
                flush()
            list_tag = tag
            items.append(f"<li>{_inline((bullet or number).group(1))}</li>")
        elif stripped.startswith(">"):
            flush()
            blocks.append(f"<blockquote><p>{_inline(stripped.lstrip('> '))}</p></blockquote>")
        else:
            if items:
                flush()
            paragraph.append(stripped)
    flush()
    # Safe: every piece of text went through escape() in _inline.
    return mark_safe("\n".join(blocks))


def plain_text(source: str, limit: int = 300) -> str:
    """The Markdown as one line of plain text (descriptions, feeds' summaries)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", source or "")
    text = re.sub(r"[#*_>`]+", "", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- Public page ---------------------------------------------------------------------------

PAGE_FIELDS = (
    "presentation",
    "published",
    "show_email",
    "show_phone",
    "facebook_url",
    "instagram_url",
    "mastodon_url",
    "linkedin_url",
    "youtube_url",
)
MAX_PRESENTATION = 20000
MAX_BODY = 50000


def public_page_of(association: Association) -> PublicPage:
    """The association's page settings (unsaved defaults when never edited: unpublished)."""
    page = PublicPage.objects.filter(association=association).first()
    return page or PublicPage(association=association)


def _check_url(value: str, field: str) -> str:
    value = (value or "").strip()
    if value and not value.startswith(("https://", "http://")):
        raise ValidationError({field: _("Enter a web address starting with https://.")})
    return value


@transaction.atomic
def public_page_update(*, association: Association, acting_user, **fields) -> PublicPage:
    unknown = set(fields) - set(PAGE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown field: %(name)s.") % {"name": sorted(unknown)[0]})
    page = PublicPage.objects.select_for_update().filter(association=association).first()
    if page is None:
        page = PublicPage(association=association)
    before = snapshot(page, PAGE_FIELDS)
    for name, value in fields.items():
        if name.endswith("_url"):
            value = _check_url(value, name)
        if name == "presentation":
            value = (value or "").strip()
            if len(value) > MAX_PRESENTATION:
                raise ValidationError(
                    {"presentation": _("The presentation is too long (20,000 characters).")}
                )
        setattr(page, name, value)
    try:
        with transaction.atomic():
            page.save()
    except IntegrityError:  # created meanwhile by another request: save over it
        page = PublicPage.objects.get(association=association)
        for name, value in fields.items():
            setattr(page, name, value)
        page.save()
    changes = diff(before, snapshot(page, PAGE_FIELDS), sensitive=("published",))
    audit_log(
        association=association,
        actor=acting_user,
        action="public_page.update",
        obj=page,
        object_repr=str(association)[:255],
        changes=changes,
    )
    return page


# --- News posts ----------------------------------------------------------------------------

MAX_COVER_BYTES = 2 * 1024 * 1024
MAX_COVER_PIXELS = 6000


def validate_cover(upload) -> None:
    """A cover must really be a PNG, JPEG, GIF or WebP image (its content is read, not its
    name), 2 MB at most."""
    from PIL import Image, UnidentifiedImageError

    if (getattr(upload, "size", 0) or 0) > MAX_COVER_BYTES:
        raise ValidationError({"cover": _("The image must weigh less than 2 MB.")})
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.verify()
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            {"cover": _("This file is not an image we can read (PNG, JPEG, GIF or WebP).")}
        ) from exc
    finally:
        upload.seek(0)
    if kind not in {"PNG", "JPEG", "GIF", "WEBP"}:
        raise ValidationError({"cover": _("The image must be a PNG, JPEG, GIF or WebP file.")})
    if width > MAX_COVER_PIXELS or height > MAX_COVER_PIXELS:
        raise ValidationError({"cover": _("The image must be at most 6000 × 6000 pixels.")})


def _clean_post(association, post: NewsPost, *, title, slug, summary, body, cover_alt) -> None:
    errors = {}
    post.title = (title or "").strip()
    if not post.title:
        errors["title"] = _("Give the news a title.")
    elif len(post.title) > 200:
        errors["title"] = _("200 characters at most.")
    post.summary = (summary or "").strip()
    if len(post.summary) > 300:
        errors["summary"] = _("300 characters at most.")
    post.body = (body or "").strip()
    if not post.body:
        errors["body"] = _("Write the text of the news.")
    elif len(post.body) > MAX_BODY:
        errors["body"] = _("The text is too long (50,000 characters).")
    post.cover_alt = (cover_alt or "").strip()[:200]
    wanted = slugify(slug or "")[:100].strip("-")
    if slug and not wanted:
        errors["slug"] = _("Use letters, digits and hyphens.")
    if errors:
        raise ValidationError(errors)
    others = NewsPost.objects.filter(association=association)
    if post.pk:
        others = others.exclude(pk=post.pk)
    if wanted:
        if others.filter(slug=wanted).exists():
            raise ValidationError({"slug": _("Another news post already has this address.")})
        post.slug = wanted
    elif not post.slug:
        base = slugify(post.title)[:90].strip("-") or "news"
        candidate, number = base, 2
        while others.filter(slug=candidate).exists():
            candidate = f"{base}-{number}"
            number += 1
        post.slug = candidate


def _save_post(post: NewsPost) -> None:
    try:
        with transaction.atomic():
            post.save()
    except IntegrityError as exc:  # the same address taken meanwhile
        raise ValidationError({"slug": _("Another news post already has this address.")}) from exc


POST_FIELDS = ("title", "slug", "summary", "body", "cover_alt", "status")


@transaction.atomic
def news_create(
    *,
    association: Association,
    acting_user,
    title: str,
    body: str,
    summary: str = "",
    slug: str = "",
    cover=None,
    cover_alt: str = "",
    publish: bool = False,
) -> NewsPost:
    post = NewsPost(
        association=association,
        author=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    _clean_post(
        association, post, title=title, slug=slug, summary=summary, body=body, cover_alt=cover_alt
    )
    if cover:
        validate_cover(cover)
        post.cover = cover
    if publish:
        post.status = NewsPost.Status.PUBLISHED
        post.published_at = timezone.now()
    _save_post(post)
    audit_log(association=association, actor=acting_user, action="news.create", obj=post)
    return post


@transaction.atomic
def news_update(
    *,
    association: Association,
    acting_user,
    post: NewsPost,
    title: str,
    body: str,
    summary: str = "",
    slug: str = "",
    cover=None,
    cover_alt: str = "",
    remove_cover: bool = False,
) -> NewsPost:
    if post.association_id != association.pk:
        raise ValidationError(_("This news post belongs to another association."))
    before = snapshot(post, POST_FIELDS)
    _clean_post(
        association,
        post,
        title=title,
        slug=slug or post.slug,
        summary=summary,
        body=body,
        cover_alt=cover_alt,
    )
    old_cover = post.cover.name if post.cover else ""
    if cover:
        validate_cover(cover)
        post.cover = cover
    elif remove_cover:
        post.cover = ""
    _save_post(post)
    if old_cover and (cover or remove_cover):
        name = old_cover
        transaction.on_commit(lambda: post.cover.storage.delete(name))
    changes = diff(before, snapshot(post, POST_FIELDS))
    if cover or remove_cover:
        changes["cover"] = True
    audit_log(
        association=association, actor=acting_user, action="news.update", obj=post, changes=changes
    )
    return post


@transaction.atomic
def news_set_status(
    *, association: Association, acting_user, post: NewsPost, publish: bool
) -> NewsPost:
    if post.association_id != association.pk:
        raise ValidationError(_("This news post belongs to another association."))
    post = NewsPost.objects.select_for_update().get(pk=post.pk)
    if publish:
        post.status = NewsPost.Status.PUBLISHED
        # The first publication date stays: a correction does not push old news to the top.
        post.published_at = post.published_at or timezone.now()
    else:
        post.status = NewsPost.Status.DRAFT
    post.save(update_fields=["status", "published_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="news.publish" if publish else "news.unpublish",
        obj=post,
    )
    return post


@transaction.atomic
def news_delete(*, association: Association, acting_user, post: NewsPost) -> None:
    if post.association_id != association.pk:
        raise ValidationError(_("This news post belongs to another association."))
    audit_log(association=association, actor=acting_user, action="news.delete", obj=post)
    if post.cover:
        name, storage = post.cover.name, post.cover.storage
        transaction.on_commit(lambda: storage.delete(name))
    post.delete()


# --- Selectors -----------------------------------------------------------------------------


def news_of(association: Association) -> QuerySet[NewsPost]:
    """Every post of the association, for the team: drafts first, then the newest."""
    return NewsPost.objects.filter(association=association).order_by(
        "status", "-published_at", "-created_at", "-id"
    )


def published_news(association: Association, now: dt.datetime | None = None):
    now = now or timezone.now()
    return NewsPost.objects.filter(
        association=association, status=NewsPost.Status.PUBLISHED, published_at__lte=now
    ).order_by("-published_at", "-id")
