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
