"""Members and dues: membership types (formules), memberships (adhésions), dues payments.

A member is a Person (people app) with a membership for a period. Status is computed from
dates and payments, never typed in: see `Membership.status` and `selectors.with_status`.
"""

import datetime as dt
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from essaim.core.models import Association, BaseModel
from essaim.people.models import Person

from . import periods


def default_join_fields() -> dict:
    return {"phone": "optional", "address": "optional", "birth_date": "hidden"}


def default_reminder_offsets() -> list:
    return [-30, -7, 7]


class MembershipSettings(BaseModel):
    """How an association runs its memberships (one row per association)."""

    class FieldRule(models.TextChoices):
        HIDDEN = "hidden", _("not asked")
        OPTIONAL = "optional", _("optional")
        REQUIRED = "required", _("required")

    association = models.OneToOneField(
        Association, on_delete=models.CASCADE, related_name="membership_settings"
    )
    join_enabled = models.BooleanField(_("online join form open"), default=False)
    join_intro = models.TextField(
        _("introduction of the join form"),
        blank=True,
        help_text=_("A few words to welcome new members: what joining means, what it brings."),
    )
    join_fields = models.JSONField(_("fields asked on the join form"), default=default_join_fields)
    approval_required = models.BooleanField(
        _("new members must be approved by the team"),
        default=False,
        help_text=_("Otherwise a membership becomes active as soon as the dues are paid."),
    )
    statutes_url = models.URLField(_("address of your statutes"), blank=True)
    privacy_notice = models.TextField(
        _("personal data notice"),
        blank=True,
        help_text=_("Shown on the join form. Leave empty to use Essaim's standard notice."),
    )
    payment_instructions = models.TextField(
        _("how to pay the dues"),
        blank=True,
        help_text=_("Shown after joining and in reminders: cheque to whom, IBAN for a transfer…"),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace period after the end (days)"),
        default=30,
        help_text=_("A member stays a member this long after their period ends."),
    )
    reminder_offsets = models.JSONField(
        _("renewal reminders (days from the end)"), default=default_reminder_offsets
    )
    retention_months = models.PositiveSmallIntegerField(
        _("keep former members for (months)"),
        default=12,
        help_text=_("After this many months without membership, their record is anonymised."),
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("membership settings")
        verbose_name_plural = _("membership settings")

    def __str__(self) -> str:
        return f"{self.association}"


class MembershipType(BaseModel):
    """A formule d'adhésion: what it costs, how long it lasts, what rights it gives."""

    class PriceKind(models.TextChoices):
        FREE = "free", _("free")
        FIXED = "fixed", _("fixed amount")
        SLIDING = "sliding", _("amount chosen by the member (with a minimum)")

    class PeriodKind(models.TextChoices):
        CALENDAR_YEAR = periods.CALENDAR_YEAR, _("calendar year (1 January – 31 December)")
        SEASON = periods.SEASON, _("season starting on a chosen month")
        ROLLING = periods.ROLLING, _("twelve months from the day of joining")
        LIFETIME = periods.LIFETIME, _("lifetime")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, related_name="membership_types"
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    price_kind = models.CharField(
        _("price"), max_length=10, choices=PriceKind.choices, default=PriceKind.FIXED
    )
    amount_cents = models.PositiveIntegerField(
        _("amount (cents)"), default=0, help_text=_("The fixed amount, or the suggested one.")
    )
    min_amount_cents = models.PositiveIntegerField(_("minimum amount (cents)"), default=0)
    reduced_amount_cents = models.PositiveIntegerField(
        _("reduced amount (cents)"), null=True, blank=True
    )
    reduced_label = models.CharField(
        _("who can pay the reduced amount"),
        max_length=200,
        blank=True,
        help_text=_("For example: students, job seekers, people on minimum income."),
    )
    reduced_requires_proof = models.BooleanField(_("a proof is asked"), default=True)
    period_kind = models.CharField(
        _("period"),
        max_length=16,
        choices=PeriodKind.choices,
        default=PeriodKind.CALENDAR_YEAR,
    )
    season_start_month = models.PositiveSmallIntegerField(_("month the season starts"), default=9)
    prorata = models.BooleanField(
        _("pro-rata for late joiners"),
        default=False,
        help_text=_("Someone joining in June pays 7/12 of a calendar-year amount."),
    )
    is_household = models.BooleanField(
        _("household membership"),
        default=False,
        help_text=_("One payment for several people of the same household."),
    )
    max_household_size = models.PositiveSmallIntegerField(
        _("people per household at most"), default=6
    )
    voting_rights = models.BooleanField(_("gives voting rights at general meetings"), default=True)
    voting_weight = models.PositiveSmallIntegerField(_("voting weight"), default=1)
    online = models.BooleanField(_("offered on the online join form"), default=True)
    is_active = models.BooleanField(_("still offered"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("membership type")
        verbose_name_plural = _("membership types")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["association", "name"], name="mtype_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def period_for(self, day: dt.date) -> periods.Period:
        return periods.period_for(self.period_kind, day, self.season_start_month)


class Household(BaseModel):
    """Several persons covered by one household membership and one payment."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.name


class DuesPayment(BaseModel):
    """Dues received: what they paid for (one payment may cover the memberships of a whole
    household). The money itself is the association's `payments.Payment`, linked here; a
    payment of 0 € (a free membership marked paid) has none."""

    class Method(models.TextChoices):
        CASH = "cash", _("cash")
        CHEQUE = "cheque", _("cheque")
        TRANSFER = "transfer", _("bank transfer")
        CARD = "card", _("card")
        OTHER = "other", _("other")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    method = models.CharField(_("payment method"), max_length=10, choices=Method.choices)
    paid_on = models.DateField(_("date of payment"))
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("Cheque number, transfer reference…"),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payment = models.OneToOneField(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dues_payment",
        verbose_name=_("payment"),
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("dues payment")
        verbose_name_plural = _("dues payments")
        ordering = ["-paid_on", "-id"]
        indexes = [models.Index(fields=["association", "paid_on"], name="duespay_assoc_date")]

    def __str__(self) -> str:
        return f"{self.amount_cents / 100:.2f} € ({self.get_method_display()})"


class Membership(BaseModel):
    """One person's membership for one period (an adhésion)."""

    class Status(models.TextChoices):
        # A context of their own: "active" and "expired" also qualify accounts and
        # invitations, whose French words take another gender.
        PENDING_PAYMENT = "pending_payment", pgettext_lazy("membership", "waiting for payment")
        PENDING_APPROVAL = "pending_approval", pgettext_lazy("membership", "waiting for approval")
        UPCOMING = "upcoming", pgettext_lazy("membership", "paid, starts later")
        ACTIVE = "active", pgettext_lazy("membership", "active")
        GRACE = "grace", pgettext_lazy("membership", "in grace period")
        EXPIRED = "expired", pgettext_lazy("membership", "expired")
        RESIGNED = "resigned", pgettext_lazy("membership", "resigned")
        EXCLUDED = "excluded", pgettext_lazy("membership", "excluded")

    class Rate(models.TextChoices):
        NORMAL = "normal", _("normal")
        REDUCED = "reduced", _("reduced")

    class Source(models.TextChoices):
        TEAM = "team", _("entered by the team")
        ONLINE = "online", _("online join form")
        RENEWAL = "renewal", _("renewal")
        IMPORT = "import", _("spreadsheet import")
        API = "api", _("API")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    membership_type = models.ForeignKey(
        MembershipType,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("membership type"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )
    # The person's sort key, copied (kept in step by receivers.py): the member list of a
    # 100,000-member association is read in name order from an index on this table alone.
    sort_name = models.CharField(max_length=310, editable=False, default="")
    person_erased = models.BooleanField(default=False, editable=False)
    period_start = models.DateField(_("start"))
    period_end = models.DateField(_("end"), null=True, blank=True)
    # period_end + the association's grace days, fixed when the membership is created: the
    # status filters of a 100,000-member list compare plain dates in SQL.
    grace_until = models.DateField(null=True, blank=True)
    rate = models.CharField(_("rate"), max_length=10, choices=Rate.choices, default=Rate.NORMAL)
    reduced_proof = models.CharField(_("proof of the reduced rate"), max_length=255, blank=True)
    amount_due_cents = models.PositiveIntegerField(_("dues (cents)"), default=0)
    payment = models.ForeignKey(
        DuesPayment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("payment"),
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved on"), null=True, blank=True)
    resigned_at = models.DateTimeField(_("resigned on"), null=True, blank=True)
    excluded_at = models.DateTimeField(_("excluded on"), null=True, blank=True)
    exclusion_reason = models.CharField(_("reason"), max_length=255, blank=True)
    source = models.CharField(
        _("origin"), max_length=10, choices=Source.choices, default=Source.TEAM
    )
    # When the member accepted the statutes and the personal data notice (online join).
    terms_accepted_at = models.DateTimeField(_("statutes accepted on"), null=True, blank=True)
    renewal_of = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="renewed_by"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-period_start", "-id"]
        constraints = [
            # One membership of a type per person and period: importing the same file twice,
            # or double-clicking "renew", cannot create a second one.
            models.UniqueConstraint(
                fields=["person", "membership_type", "period_start"],
                name="membership_unique_period",
            ),
        ]
        indexes = [
            models.Index(
                fields=["association", "sort_name", "id"],
                condition=models.Q(person_erased=False),
                name="membership_live_sort",
            ),
            models.Index(fields=["association", "period_end"], name="membership_assoc_end"),
            models.Index(fields=["association", "period_start"], name="membership_assoc_start"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.membership_type} {self.period.label()}"

    @property
    def period(self) -> periods.Period:
        return periods.Period(self.period_start, self.period_end)

    @property
    def is_paid(self) -> bool:
        # Free memberships get `paid_on` when created; a household member's waits for the
        # household's payment even though their own share is 0.
        return self.paid_on is not None

    def status_on(self, today: dt.date, approval_required: bool = False) -> str:
        """The status on `today`; the same rules as `selectors.with_status` in SQL."""
        if self.excluded_at:
            return self.Status.EXCLUDED
        if self.resigned_at:
            return self.Status.RESIGNED
        if not self.is_paid:
            return self.Status.PENDING_PAYMENT
        if approval_required and not self.approved_at:
            return self.Status.PENDING_APPROVAL
        if self.period_start > today:
            return self.Status.UPCOMING
        if self.period_end is None or today <= self.period_end:
            return self.Status.ACTIVE
        if self.grace_until and today <= self.grace_until:
            return self.Status.GRACE
        return self.Status.EXPIRED

    @property
    def status(self) -> str:
        annotated = getattr(self, "computed_status", None)  # selectors.with_status
        if annotated is not None:
            return annotated
        approval = getattr(self, "_approval_required", None)
        if approval is None:
            approval = MembershipSettings.objects.filter(
                association_id=self.association_id, approval_required=True
            ).exists()
        return self.status_on(timezone.localdate(), approval)

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)


# Statuses in which a person counts as a member (votes, member-only content, the card).
MEMBER_STATUSES = (Membership.Status.ACTIVE, Membership.Status.GRACE)


class ReminderLog(models.Model):
    """A renewal reminder sent, so the daily job never sends the same one twice."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="reminders")
    offset_days = models.SmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "offset_days"], name="reminder_once_per_offset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.offset_days:+d}"


def import_upload_to(instance: "ImportJob", filename: str) -> str:
    # Under imports/, which no URL serves (only media/associations/ is public, see
    # essaim/urls.py and docs/deployment.md), with a random name: the file is a member list.
    extension = "xlsx" if filename.lower().endswith((".xlsx", ".xlsm")) else "csv"
    return f"imports/{instance.association.uuid}/{secrets.token_hex(16)}.{extension}"


class ImportJob(BaseModel):
    """One spreadsheet imported into the members (see essaim.members.importing).

    The uploaded file is kept until 30 days after the import (the error report is read from
    it), then deleted with the row results by the privacy retention run; the counts stay.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("waiting for the columns to be chosen")
        ANALYSING = "analysing", _("checking the rows")
        READY = "ready", _("checked, waiting for your go")
        QUEUED = "queued", _("about to start")
        RUNNING = "running", _("importing")
        DONE = "done", _("done")
        FAILED = "failed", _("stopped by an error")

    class Duplicates(models.TextChoices):
        FILL = "fill", _("complete the existing contact (fill its empty fields only)")
        OVERWRITE = "overwrite", _("update the existing contact with the file's values")
        SKIP = "skip", _("leave the existing contact alone (skip the row)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=4)  # reading.CSV or reading.XLSX
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    sheet = models.CharField(max_length=100, blank=True)
    sheets = models.JSONField(default=list)
    header = models.JSONField(default=list)
    header_line = models.PositiveIntegerField(default=1)
    # Example values and the distinct values of each column, for the mapping screen.
    inspection = models.JSONField(default=dict)
    preset = models.CharField(max_length=20, blank=True)
    mapping = models.JSONField(default=dict)  # {"column index": field key or ""}
    options = models.JSONField(default=dict)  # membership types, duplicates, payments…
    language = models.CharField(max_length=10, default="fr")  # of the messages of the rows
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Bumped when the mapping changes: a check of an older mapping stops and is discarded.
    revision = models.PositiveIntegerField(default=0)
    total_rows = models.PositiveIntegerField(default=0)
    blank_lines = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)  # of the latest check or import
    preview_counts = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(_("file deleted on"), null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["association", "-created_at"], name="importjob_assoc")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.ANALYSING, self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)


class ImportChunk(models.Model):
    """The outcome of up to `engine.CHUNK_SIZE` rows of an import, written in the same
    transaction as their data: an interrupted import resumes after its last chunk.

    `results` is zlib-compressed JSON, one [line, outcome, label, messages, person id] per
    row: 100,000 rows take about a megabyte.
    """

    class Phase(models.TextChoices):
        PREVIEW = "preview", _("check")
        IMPORT = "import", _("import")

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    phase = models.CharField(max_length=8, choices=Phase.choices)
    number = models.PositiveIntegerField()
    first_line = models.PositiveIntegerField()
    last_line = models.PositiveIntegerField()
    counts = models.JSONField(default=dict)
    results = models.BinaryField()
    # The check's rows as read from the file (compressed JSON): the import applies them
    # without reading and checking the file a second time. Emptied once imported.
    rows = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        ordering = ["job", "phase", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "phase", "number"], name="importchunk_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_id} {self.phase} {self.number}"
