"""Petitions and their signatures.

A signature is a row of an append-only table: signing inserts a pending row, confirming
(double opt-in) flips it to confirmed. The public count is the sum of a few counter shards
per petition (PetitionCounter): each confirmation adds one to a random shard, so a surge of
confirmations spreads over SHARDS rows instead of queueing on one hot row, and the sum is
exact because each increment is in the confirmation's own transaction. A reconciliation
job recomputes the shards from the signatures (services.petition_reconcile).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from essaim.core.models import Association, BaseModel
from essaim.people.models import Person

SHARDS = 16


class Petition(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(_("address"), max_length=80)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text of the petition"))
    addressee = models.CharField(_("addressed to"), max_length=200)
    goal = models.PositiveIntegerField(_("goal (signatures)"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    ends_on = models.DateField(_("end date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["association", "slug"], name="petition_unique_slug")
        ]

    def __str__(self) -> str:
        return self.title


class PetitionCounter(models.Model):
    """One shard of a petition's count of confirmed signatures (see the module's docstring)."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="counters")
    shard = models.PositiveSmallIntegerField()
    count = models.IntegerField(default=0)

    objects = ScopedManager(association="association")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["petition", "shard"], name="petition_counter_shard")
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}/{self.shard}: {self.count}"


class SignatureInvalidation(models.Model):
    """One bulk invalidation by the team: why, by whom, how many (the audit trail)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="invalidations")
    reason = models.CharField(_("reason"), max_length=300)
    criteria = models.JSONField(default=dict, blank=True)
    signatures = models.PositiveIntegerField(default=0)  # rows invalidated
    confirmed = models.PositiveIntegerField(default=0)  # of which counted before
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reason


class Signature(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        INVALIDATED = "invalidated", _("invalidated")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    # The deduplication key (canonical.canonical_email); "~<uuid>" once the signer is erased.
    email_canonical = models.CharField(max_length=254)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    departement = models.CharField(_("département"), max_length=3, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    updates = models.BooleanField(_("agreed to receive news"), default=False)
    source = models.CharField(_("source"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    # Fraud signals, hashed with the secret key: no address in clear (CNIL).
    ip_hash = models.CharField(max_length=16, blank=True)
    subnet_hash = models.CharField(max_length=16, blank=True)
    name_folded = models.CharField(max_length=310, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # When its confirmation e-mail was queued: the worker writes them in batches
    # (services.signature_confirmations_send), so that a surge of signers costs one INSERT each.
    mailed_at = models.DateTimeField(null=True, blank=True)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invalidation = models.ForeignKey(
        SignatureInvalidation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "email_canonical"], name="signature_one_per_person"
            )
        ]
        indexes = [
            models.Index(fields=["petition", "status", "departement"], name="signature_breakdown"),
            models.Index(fields=["petition", "ip_hash"], name="signature_ip"),
            models.Index(fields=["petition", "created_at"], name="signature_created"),
            models.Index(fields=["person"], name="signature_person"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="pending", mailed_at__isnull=True),
                name="signature_to_mail",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def full_name(self) -> str:
        return str(self)


class PetitionUpdate(models.Model):
    """News of a petition sent by the team to the signers who agreed to receive it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="updates")
    subject = models.CharField(_("subject"), max_length=150)
    message = models.TextField(_("message"))
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.subject


# Events
#
# An event's places are counted in one column (Event.places_taken), moved only by conditional
# UPDATEs (`places_taken + n <= capacity`) and guarded by a check constraint: two people taking
# the last place at the same moment cannot both get it, whatever the database.


class EventSeries(models.Model):
    """Recurring events: a weekly or monthly rule that generated occurrences (each an Event
    with its own registrations)."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("every week")
        MONTHLY = "monthly", _("every month")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(_("repeats"), max_length=10, choices=Frequency.choices)
    until = models.DateField(_("until"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(association="association")

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} → {self.until}"


class Event(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        CANCELLED = "cancelled", _("cancelled")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("public")
        PRIVATE = "private", _("private (only with the link)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(_("address"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    cover_text = models.CharField(_("text for sharing"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    online = models.BooleanField(_("online event"), default=False)
    online_url = models.URLField(_("link to join"), max_length=500, blank=True)
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    places_taken = models.PositiveIntegerField(default=0)
    max_guests = models.PositiveSmallIntegerField(_("guests per registration"), default=0)
    registration_deadline = models.DateTimeField(_("registrations close at"), null=True, blank=True)
    reminder_hours = models.PositiveSmallIntegerField(_("reminder (hours before)"), default=24)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    series = models.ForeignKey(
        EventSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    sequence = models.PositiveIntegerField(default=0)  # iCalendar SEQUENCE, +1 per change
    reminded_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["association", "slug"], name="event_unique_slug"),
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True)
                | models.Q(places_taken__lte=models.F("capacity")),
                name="event_places_within_capacity",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")), name="event_ends_after"
            ),
        ]
        indexes = [
            models.Index(fields=["association", "status", "starts_at"], name="event_upcoming"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def places_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.places_taken)


class Registration(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for e-mail confirmation")
        CONFIRMED = "confirmed", _("registered")
        WAITING = "waiting", _("on the waiting list")
        CANCELLED = "cancelled", _("cancelled")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    # The deduplication key (canonical.canonical_email); "~<uuid>" once erased.
    email_canonical = models.CharField(max_length=254)
    guests = models.PositiveSmallIntegerField(_("guests"), default=0)
    news = models.BooleanField(_("agreed to receive news"), default=False)
    source = models.CharField(_("source"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)  # e-mail confirmed
    waiting_since = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "email_canonical"], name="registration_one_per_person"
            )
        ]
        indexes = [
            models.Index(fields=["event", "status", "waiting_since"], name="registration_queue"),
            models.Index(fields=["person"], name="registration_person"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def full_name(self) -> str:
        return str(self)

    @property
    def places(self) -> int:
        return 1 + self.guests


# Calls to action


class CallToAction(BaseModel):
    class Kind(models.TextChoices):
        SHARE = "share", _("share a page")
        WRITE = "write", _("write to an addressee")
        EVENT = "event", _("come to an event")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        CLOSED = "closed", _("closed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(_("address"), max_length=100)
    kind = models.CharField(_("kind of action"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what to do and why"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    share_url = models.URLField(_("page to share"), max_length=500, blank=True)
    addressee_name = models.CharField(_("addressee"), max_length=200, blank=True)
    addressee_email = models.EmailField(_("addressee's e-mail"), blank=True)
    subject_template = models.CharField(_("subject of the message"), max_length=200, blank=True)
    body_template = models.TextField(_("message"), blank=True)
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("call to action")
        verbose_name_plural = _("calls to action")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["association", "slug"], name="action_unique_slug")
        ]

    def __str__(self) -> str:
        return self.title


class ActionCompletion(models.Model):
    """Someone said they did the action (or registered to its event)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey(CallToAction, on_delete=models.CASCADE, related_name="completions")
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    email_canonical = models.CharField(max_length=254, blank=True)
    source = models.CharField(_("source"), max_length=40, blank=True)
    registration = models.ForeignKey(
        Registration, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(association="association")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "email_canonical"],
                condition=~models.Q(email_canonical=""),
                name="action_completion_once",
            )
        ]
        indexes = [models.Index(fields=["action", "created_at"], name="action_completion_at")]

    def __str__(self) -> str:
        return self.name or self.email or str(self.uuid)
