"""Audiences (saved segments over Persons), mailings and their deliveries, newsletter lists,
the association's public page and its news posts."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from essaim.core.models import Association, BaseModel

# Audiences


class Audience(BaseModel):
    """A saved segment over the association's Persons: criteria registered by the domain
    apps (people.segments), combined with AND, with excludes. Holds no personal data: the
    persons are computed live (communication.audiences.audience_persons)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=255, blank=True)
    # {"version": 1, "include": [{"criterion": key, "params": {...}}], "exclude": [...]}
    definition = models.JSONField(_("criteria"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["association", "name"], name="audience_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


# Lists and mailings


def _webhook_token() -> str:
    # A "." keeps the address out of payments' /webhooks/<slug>/<slug>/ pattern, which is
    # included first in essaim/urls.py and would otherwise answer 404 to bounce webhooks.
    return f"m.{secrets.token_hex(16)}"


def _webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class MailingSettings(models.Model):
    """Per-association settings of mailings: throttle, open tracking, the bounce webhook."""

    association = models.OneToOneField(
        Association, on_delete=models.CASCADE, related_name="mailing_settings"
    )
    messages_per_minute = models.PositiveIntegerField(
        _("messages per minute"),
        default=600,
        help_text=_(
            "The most e-mails sent in one minute. Your e-mail provider may allow fewer: "
            "ask it, a provider that refuses a surge marks your messages as spam."
        ),
    )
    track_opens = models.BooleanField(
        _("count opens"),
        default=False,
        help_text=_(
            "Adds an invisible image to each message: its loading tells who opened it and "
            "when. That is personal data about reading habits; many mail apps block the image "
            "anyway, so the figure is low and inexact. Off by default."
        ),
    )
    webhook_token = models.CharField(max_length=40, unique=True, default=_webhook_token)
    webhook_secret = models.CharField(max_length=100, default=_webhook_secret)
    # Only one worker sends an association's mail at a time, so the throttle holds whatever
    # the number of workers; the lease expires if that worker dies.
    sender_token = models.CharField(max_length=40, blank=True)
    sender_until = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("mailing settings")
        verbose_name_plural = _("mailing settings")

    def __str__(self) -> str:
        return str(self.association)


class NewsletterList(BaseModel):
    """A list people subscribe to (a newsletter, a local group's news)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=500, blank=True)
    is_public = models.BooleanField(
        _("public"),
        default=True,
        help_text=_("Anyone can subscribe from its page; otherwise only the team adds people."),
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("newsletter list")
        verbose_name_plural = _("newsletter lists")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["association", "name"], name="newsletter_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Subscription(BaseModel):
    """One person's consent to one list: pending (double opt-in not confirmed yet),
    subscribed, unsubscribed. The history of changes is in the activity log and in
    consent_note; the state is here."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for confirmation")
        SUBSCRIBED = "subscribed", _("subscribed")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")

    class Source(models.TextChoices):
        ONLINE = "online", _("online form")
        IMPORT = "import", _("import by the team")
        MANUAL = "manual", _("added by the team")
        API = "api", _("API")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    newsletter = models.ForeignKey(
        NewsletterList, on_delete=models.CASCADE, related_name="subscriptions"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="newsletter_subscriptions"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ONLINE)
    legal_basis = models.CharField(_("legal basis"), max_length=255, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "person"], name="subscription_unique")
        ]
        indexes = [models.Index(fields=["newsletter", "status"], name="subscription_status")]

    def __str__(self) -> str:
        return f"{self.person} → {self.newsletter}"


class Mailing(BaseModel):
    """One message to an audience and/or a list, written once, sent to each recipient."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        PAUSED = "paused", _("paused")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")

    class Topic(models.TextChoices):
        NEWSLETTER = "newsletter", _("contacts who agreed to receive the newsletter")
        ASSOCIATION_NEWS = (
            "association_news",
            _("contacts who agreed to receive news of the association's life"),
        )

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    audience = models.ForeignKey(
        Audience,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mailings",
        verbose_name=_("audience"),
    )
    newsletter = models.ForeignKey(
        NewsletterList,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mailings",
        verbose_name=_("newsletter list"),
    )
    topic = models.CharField(_("consent"), max_length=30, choices=Topic.choices, blank=True)
    is_appeal = models.BooleanField(_("asks for money"), default=False)
    subject = models.CharField(_("subject"), max_length=150)
    from_name = models.CharField(_("sender's name"), max_length=100)
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    body = models.TextField(_("message"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("send on"), null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    track_opens = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="mailing_due")]

    def __str__(self) -> str:
        return self.subject


class MailingLink(models.Model):
    """A link of a mailing's message, counted through /r/<token>/ (no open redirect: the
    token names this row, the address comes from here)."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="links")
    position = models.PositiveIntegerField()
    url = models.URLField(max_length=2000)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["mailing", "position"], name="mailing_link_unique")
        ]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One recipient of one mailing, frozen when sending starts: nobody twice (the two
    unique keys), each claimed before sending and marked sent as soon as SMTP accepts it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        CLAIMED = "claimed", _("about to be sent")
        SENDING = "sending", _("being handed to the mail server")
        SENT = "sent", _("sent")
        UNKNOWN = "unknown", _("unknown (the sender stopped while handing it over)")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("not sent")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="deliveries")
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mailing_deliveries",
    )
    email = models.EmailField()
    email_canonical = models.CharField(max_length=254)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=500, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["mailing", "person"], name="delivery_unique_person"),
            models.UniqueConstraint(
                fields=["mailing", "email_canonical"], name="delivery_unique_email"
            ),
        ]
        indexes = [
            models.Index(fields=["mailing", "status"], name="delivery_mailing_status"),
            models.Index(fields=["status", "claimed_at"], name="delivery_claimed"),
            models.Index(fields=["message_id"], name="delivery_message_id"),
        ]

    def __str__(self) -> str:
        return self.email


class Click(models.Model):
    """One click of one recipient on one link (the time only: no address, no browser)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="clicks")
    link = models.ForeignKey(MailingLink, on_delete=models.CASCADE, related_name="click_rows")
    clicked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["link", "delivery"], name="click_link_delivery")]

    def __str__(self) -> str:
        return f"{self.link_id} {self.clicked_at}"


class Suppression(BaseModel):
    """An address the association no longer writes to: hard bounce, repeated soft bounces,
    complaint (spam button) or the team's decision."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("the address does not exist (bounce)")
        SOFT_BOUNCES = "soft_bounces", _("repeated temporary failures")
        COMPLAINT = "complaint", _("the recipient reported a message as spam")
        MANUAL = "manual", _("added by the team")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("e-mail"))
    email_canonical = models.CharField(max_length=254)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "email_canonical"], name="suppression_unique"
            )
        ]

    def __str__(self) -> str:
        return self.email


class BounceEvent(models.Model):
    """One bounce or complaint received (webhook or DSN); soft ones are counted over a
    window before the address is suppressed."""

    class Kind(models.TextChoices):
        HARD = "hard", _("permanent failure")
        SOFT = "soft", _("temporary failure")
        COMPLAINT = "complaint", _("complaint")

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    email_canonical = models.CharField(max_length=254)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    delivery = models.ForeignKey(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="bounces"
    )
    detail = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        indexes = [
            models.Index(fields=["association", "email_canonical", "kind"], name="bounce_email")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.email_canonical}"


# Public page and news


class PublicPage(BaseModel):
    """The association's public page /o/<association>/: what it shows beyond the
    association's own fields (name, logo, purpose)."""

    association = models.OneToOneField(
        Association, on_delete=models.CASCADE, related_name="public_page"
    )
    presentation = models.TextField(
        _("presentation"),
        blank=True,
        help_text=_("Who you are, what you do, how to help. Simple Markdown: **bold**, lists."),
    )
    published = models.BooleanField(_("published"), default=False)
    show_email = models.BooleanField(_("show the contact e-mail"), default=False)
    show_phone = models.BooleanField(_("show the phone number"), default=False)
    facebook_url = models.URLField(_("Facebook page"), blank=True)
    instagram_url = models.URLField(_("Instagram account"), blank=True)
    mastodon_url = models.URLField(_("Mastodon account"), blank=True)
    linkedin_url = models.URLField(_("LinkedIn page"), blank=True)
    youtube_url = models.URLField(_("YouTube channel"), blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("public page")
        verbose_name_plural = _("public pages")

    def __str__(self) -> str:
        return str(self.association)


def news_cover_upload_to(instance: "NewsPost", filename: str) -> str:
    # A random name: the original one may carry personal data and must not be guessable.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"news/{instance.association_id}/{secrets.token_hex(8)}.{extension}"


class NewsPost(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("news", "draft")
        PUBLISHED = "published", pgettext_lazy("news", "published")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=100)
    summary = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("One or two sentences shown in lists and when shared."),
    )
    body = models.TextField(_("text"), help_text=_("Simple Markdown: **bold**, *italics*, lists."))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published on"), null=True, blank=True)
    cover = models.ImageField(_("cover image"), upload_to=news_cover_upload_to, blank=True)
    cover_alt = models.CharField(
        _("description of the image"),
        max_length=200,
        blank=True,
        help_text=_("For people who cannot see it: what the image shows."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("news post")
        verbose_name_plural = _("news posts")
        ordering = ["-published_at", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["association", "slug"], name="newspost_unique_slug")
        ]
        indexes = [
            models.Index(fields=["association", "status", "-published_at"], name="newspost_public")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.published_at is not None
