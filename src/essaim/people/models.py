"""Person: one contact record per association.

Members, donors, volunteers, signers and voters are all Persons: the other apps add their
roles by pointing here, so a person appears once in an association whatever they do in it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from essaim.core.models import Association, BaseModel
from essaim.lib.identifiers import format_phone
from essaim.lib.text import fold


class Tag(BaseModel):
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=60)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["association", "name"], name="tag_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Person(BaseModel):
    class Source(models.TextChoices):
        MANUAL = "manual", _("entered by the team")
        IMPORT = "import", _("spreadsheet import")
        ONLINE = "online", _("online form")
        API = "api", _("API")
        ACCOUNT = "account", _("account")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="persons",
        verbose_name=_("account"),
    )
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("town"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="persons", verbose_name=_("tags"))
    source = models.CharField(
        _("origin"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )

    # Derived columns, kept by save(): folded text for accent-insensitive search on every
    # database, and the sort key ("le goff emilie") the list is ordered and indexed by.
    search_text = models.TextField(editable=False, default="")
    sort_name = models.CharField(max_length=310, editable=False, default="")
    email_folded = models.CharField(max_length=254, editable=False, default="", db_index=True)

    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    erased_at = models.DateTimeField(_("anonymised on"), null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["sort_name", "id"]
        indexes = [
            # Lists show live contacts only: partial, so a page, a deep page (ids read from
            # the index alone) and the count of the list need no table access.
            models.Index(
                fields=["association", "sort_name", "id"],
                condition=models.Q(erased_at__isnull=True),
                name="person_live_sort",
            ),
            models.Index(fields=["association", "email_folded"], name="person_assoc_email"),
            models.Index(fields=["association", "-created_at"], name="person_assoc_created"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or str(_("(no name)"))

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    def refresh_derived(self) -> None:
        self.sort_name = fold(f"{self.last_name} {self.first_name}")[:310] or fold(self.email)
        self.email_folded = fold(self.email)[:254]
        self.search_text = " ".join(
            part
            for part in (
                fold(self.first_name),
                fold(self.last_name),
                self.email_folded,
                self.phone.lstrip("+"),
                "0" + self.phone[3:] if self.phone.startswith("+33") else "",
                fold(self.city),
                self.postcode,
            )
            if part
        )

    def save(self, *args, **kwargs):
        self.refresh_derived()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {
                "search_text",
                "sort_name",
                "email_folded",
            }
        super().save(*args, **kwargs)


class Consent(models.Model):
    """One recorded answer of a person to one consent question, with when and how.

    Rows are never updated: a change of mind is a new row, so the history is the proof the
    CNIL asks for. The current answer is the latest row per topic.
    """

    class Topic(models.TextChoices):
        NEWSLETTER = "newsletter", _("receive the newsletter")
        ASSOCIATION_NEWS = "association_news", _("receive news of the association's life")
        PHOTOS = "photos", _("appear in photos and videos")
        SMS = "sms", _("receive text messages")
        NETWORK_SHARING = "network_sharing", _("share my details with the network")

    class Source(models.TextChoices):
        ONLINE = "online", _("online form")
        PAPER = "paper", _("paper form")
        PHONE = "phone", _("by phone")
        IN_PERSON = "in_person", _("in person")
        IMPORT = "import", _("spreadsheet import")
        EMAIL = "email", _("by e-mail")

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    topic = models.CharField(_("subject"), max_length=30, choices=Topic.choices)
    granted = models.BooleanField(_("agreed"))
    recorded_at = models.DateTimeField(_("date"), default=timezone.now)
    source = models.CharField(_("how"), max_length=12, choices=Source.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["person", "topic", "-recorded_at"], name="consent_latest")]

    def __str__(self) -> str:
        return f"{self.person} {self.topic}={self.granted}"


class Solicitation(models.Model):
    """One time the association asked a contact for money (an appeal by e-mail, a letter, a
    call). A gift (or the team noting an answer) answers every open solicitation of the
    contact. Two in a row without an answer: the contact is no longer solicited (CNIL, donor
    data) and, some time later, their record is due for erasure."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        POST = "post", _("letter")
        PHONE = "phone", _("phone call")
        OTHER = "other", _("other")

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="solicitations", verbose_name=_("contact")
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    subject = models.CharField(_("about"), max_length=200)
    sent_at = models.DateTimeField(_("sent on"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("solicitation")
        verbose_name_plural = _("solicitations")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(
                fields=["association", "person"],
                condition=models.Q(answered_at__isnull=True),
                name="solicitation_open",
            ),
        ]

    def __str__(self) -> str:
        return self.subject
