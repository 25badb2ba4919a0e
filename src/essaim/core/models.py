"""The tenant (Association), roles and capabilities, invitations, the audit log and the outbox.

`core` knows no domain: domain apps register into its registries (privacy, navigation).
"""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from essaim.lib import identifiers

from .capabilities import CAPABILITIES, CAPABILITY_NAMES, SENSITIVE_CAPABILITIES


class BaseModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


def _validate_rna(value: str) -> None:
    try:
        identifiers.normalize_rna(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def _validate_siren(value: str) -> None:
    try:
        identifiers.normalize_siren(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def _validate_siret(value: str) -> None:
    try:
        identifiers.normalize_siret(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def logo_upload_to(instance: "Association", filename: str) -> str:
    # A random name: the original file name may carry personal data and must not be guessable.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"associations/{instance.slug}/logo-{secrets.token_hex(6)}.{extension}"


class Association(BaseModel):
    """The tenant: one loi 1901 association. Every tenant-owned row points here."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("short name in addresses"),
        max_length=60,
        unique=True,
        help_text=_("Lower-case letters, digits and hyphens; used in web addresses."),
    )
    rna = models.CharField(
        _("RNA number"),
        max_length=10,
        blank=True,
        validators=[_validate_rna],
        help_text=_("W followed by 9 digits. Leave empty for associations in Alsace-Moselle."),
    )
    alsace_moselle = models.BooleanField(
        _("registered in Alsace-Moselle"),
        default=False,
        help_text=_("Local-law associations are registered at the tribunal judiciaire."),
    )
    siren = models.CharField(
        _("SIREN number"), max_length=9, blank=True, validators=[_validate_siren]
    )
    siret = models.CharField(
        _("SIRET number"), max_length=14, blank=True, validators=[_validate_siret]
    )
    objet = models.TextField(
        _("purpose (objet social)"),
        blank=True,
        help_text=_("As written in your statutes."),
    )
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("town"), max_length=100, blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    website = models.URLField(_("website"), blank=True)
    logo = models.ImageField(_("logo"), upload_to=logo_upload_to, blank=True)
    person_retention_months = models.PositiveSmallIntegerField(
        _("keep inactive contacts for (months)"),
        default=36,
        help_text=_(
            "Contacts with no activity for this long are anonymised automatically "
            "(CNIL: three years for prospects)."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("association")
        verbose_name_plural = _("associations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.alsace_moselle and self.rna:
            raise ValidationError(
                {"rna": _("Associations registered in Alsace-Moselle have no RNA number.")}
            )
        if self.siren and self.siret and not self.siret.startswith(self.siren):
            raise ValidationError({"siret": _("The SIRET must start with the SIREN.")})

    @property
    def full_address(self) -> str:
        parts = [self.address_line1, self.address_line2, f"{self.postcode} {self.city}".strip()]
        return ", ".join(p for p in parts if p)


class Role(BaseModel):
    """A named set of capabilities inside one association."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(_("name"), max_length=80)
    preset = models.CharField(
        max_length=20, blank=True, help_text="Bureau preset this role was created from."
    )
    can_view_members = models.BooleanField(CAPABILITIES[0].label, default=False)
    can_manage_members = models.BooleanField(CAPABILITIES[1].label, default=False)
    can_manage_finances = models.BooleanField(CAPABILITIES[2].label, default=False)
    can_issue_receipts = models.BooleanField(CAPABILITIES[3].label, default=False)
    can_run_votes = models.BooleanField(CAPABILITIES[4].label, default=False)
    can_send_mailings = models.BooleanField(CAPABILITIES[5].label, default=False)
    can_manage_volunteers = models.BooleanField(CAPABILITIES[6].label, default=False)
    can_change_settings = models.BooleanField(CAPABILITIES[7].label, default=False)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["association", "name"]
        constraints = [
            models.UniqueConstraint(fields=["association", "name"], name="role_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset(name for name in CAPABILITY_NAMES if getattr(self, name))

    @property
    def is_sensitive(self) -> bool:
        return bool(self.capabilities & SENSITIVE_CAPABILITIES)


class RoleAssignment(BaseModel):
    """A user's seat in an association: one role per user and association."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, related_name="assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")
    # When the user first held a role with a sensitive capability: the MFA grace period
    # counts from here, not from the seat's creation (a bénévole promoted to trésorier).
    sensitive_since = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team")
        constraints = [
            models.UniqueConstraint(fields=["association", "user"], name="assignment_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role}"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(BaseModel):
    """An e-mailed offer to join an association's team in a role.

    Only the SHA-256 of the token is stored: a database dump does not hand out seats.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail"))
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email

    @staticmethod
    def new_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @staticmethod
    def hash_token(token: str) -> str:
        return _hash_token(token)

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    def get_status_display(self) -> str:
        return {
            "accepted": _("accepted"),
            "revoked": _("withdrawn"),
            "expired": _("expired"),
            "pending": _("waiting for an answer"),
        }[self.status]


class AuditLog(models.Model):
    """Who did what, when, on which object; before/after values for sensitive fields.

    Written only by services (`core.audit.audit_log`). Rows are never edited, except that an
    erasure replaces the personal values of the erased person (privacy registry).
    """

    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("by"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("activity log entry")
        verbose_name_plural = _("activity log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["association", "-created_at"], name="audit_assoc_date")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class OutboxEmail(models.Model):
    """One e-mail to send, written in the same transaction as the event that caused it.

    A task delivers it and marks it sent; a crash between the two can at worst re-send the
    one message being delivered, never lose one or send a whole batch twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    to = models.EmailField(_("to"))
    from_email = models.CharField(max_length=255, blank=True)
    reply_to = models.CharField(max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    kind = models.CharField(max_length=60, blank=True, help_text="Template name, for statistics.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    # Outbox rows are read by the delivery task across associations: no scoped manager.
    objects = models.Manager()

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_status_date")]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class ScheduledJob(models.Model):
    """Last run of each periodic job, so several workers run a daily job once a day."""

    name = models.CharField(max_length=100, unique=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name
