"""Payments: money received by an association, whatever the way it was paid.

A Payment knows nothing of what it pays for: dues, gifts and event fees point at it and react
to its changes (`signals.payment_status_changed`). It is an accounting record: once received,
its amount, date, method and reference stay for ten years (Code de commerce, art. L123-22),
even when the payer asks to be forgotten (see privacy_entries.py).
"""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from essaim.core.models import Association, BaseModel
from essaim.lib.money import format_euros
from essaim.people.models import Person

from .crypto import EncryptedSecretField, Secret


class Payment(BaseModel):
    """One payment received (or expected) by an association."""

    class Method(models.TextChoices):
        CASH = "cash", _("cash")
        CHEQUE = "cheque", _("cheque")
        TRANSFER = "transfer", _("bank transfer")
        CARD = "card", _("card (payment terminal)")
        CARD_ONLINE = "card_online", _("card (online)")
        SEPA_DEBIT = "sepa_debit", _("SEPA direct debit")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        # A context of their own: the same English words qualify memberships, imports and
        # e-mails, whose French words take another gender ("reçu", "échoué", "annulé").
        PENDING = "pending", pgettext_lazy("payment", "waiting")
        SUCCEEDED = "succeeded", pgettext_lazy("payment", "received")
        FAILED = "failed", pgettext_lazy("payment", "failed")
        REFUNDED = "refunded", pgettext_lazy("payment", "refunded")
        CANCELLED = "cancelled", pgettext_lazy("payment", "cancelled")

    class Provider(models.TextChoices):
        MANUAL = "", _("entered by the team")
        STRIPE = "stripe", "Stripe"
        HELLOASSO = "helloasso", "HelloAsso"
        SEPA = "sepa", _("SEPA direct debit file")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    method = models.CharField(_("payment method"), max_length=12, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # The day the money was received (the accounting date); empty while it is awaited.
    paid_on = models.DateField(_("date of payment"), null=True, blank=True)
    # When the current status happened (the provider's event time when it gives one): an
    # event older than this one arrives late and is ignored (services.payment_update_status).
    status_changed_at = models.DateTimeField(_("status changed on"), default=timezone.now)
    status_reason = models.CharField(
        _("reason"),
        max_length=255,
        blank=True,
        help_text=_("Why the payment failed or was refunded: bank reject code, bounced cheque…"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("payer"),
    )
    # The payer's name as it was when paying: the contact may be changed, merged or erased.
    payer_name = models.CharField(_("payer's name"), max_length=200, blank=True)
    provider = models.CharField(
        _("payment service"),
        max_length=12,
        choices=Provider.choices,
        default=Provider.MANUAL,
        blank=True,
    )
    # The provider's own id of the payment (Stripe PaymentIntent, HelloAsso payment id, SEPA
    # end-to-end id): the same webhook delivered ten times finds the payment it created.
    provider_reference = models.CharField(
        _("reference at the payment service"), max_length=255, blank=True
    )
    # Chosen by the caller before it records (a form's hidden token, a checkout id): a
    # double click or a retried request returns the first payment instead of a second one.
    idempotency_key = models.CharField(max_length=255, blank=True)
    reference = models.CharField(
        _("reference"),
        max_length=140,  # the length of a SEPA remittance information (Ustrd)
        blank=True,
        help_text=_("Cheque number, transfer reference…"),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="payment_amount_positive"
            ),
            # Money is euros (DESIGN.md); another currency needs conversion rules first.
            models.CheckConstraint(condition=models.Q(currency="EUR"), name="payment_currency_eur"),
            # Received money has a date; awaited money has none yet.
            models.CheckConstraint(
                condition=(
                    models.Q(status="pending", paid_on__isnull=True)
                    | models.Q(status__in=["succeeded", "refunded"], paid_on__isnull=False)
                    | models.Q(status__in=["failed", "cancelled"])
                ),
                name="payment_paid_on_status",
            ),
            models.UniqueConstraint(
                fields=["association", "provider", "provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="payment_unique_provider_ref",
            ),
            models.UniqueConstraint(
                fields=["association", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="payment_unique_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["association", "paid_on"], name="payment_assoc_paid_on"),
            models.Index(fields=["association", "created_at"], name="payment_assoc_created"),
        ]

    def __str__(self) -> str:
        # No payer name: this is what the activity log copies (core.audit.audit_log).
        return f"{format_euros(self.amount_cents)} ({self.get_method_display()})"

    @property
    def is_received(self) -> bool:
        return self.status == self.Status.SUCCEEDED


class ProviderAccount(BaseModel):
    """An association's account at an online payment service (Stripe, HelloAsso).

    One per association and service. The service is offered to payers when the account is
    enabled and its keys are set (`is_configured`). Secrets are encrypted at rest (see
    crypto.py); the webhook token makes the address the service notifies unguessable and
    tells which association a notification is for.
    """

    class Provider(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        HELLOASSO = "helloasso", "HelloAsso"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(_("payment service"), max_length=12, choices=Provider.choices)
    enabled = models.BooleanField(
        _("offered to payers"),
        default=True,
        help_text=_("Untick to stop offering this service without losing its settings."),
    )
    # Stripe: the publishable key is public by design (it is sent to browsers).
    publishable_key = models.CharField(_("publishable key"), max_length=255, blank=True)
    # HelloAsso: the association's slug in its HelloAsso addresses, and its API client id.
    organization_slug = models.CharField(
        _("organization slug at HelloAsso"), max_length=100, blank=True
    )
    client_id = models.CharField(_("API client id"), max_length=255, blank=True)
    # Stripe secret key (sk_…, or a restricted key rk_…) or HelloAsso client secret.
    secret_key = EncryptedSecretField(_("secret key"), blank=True)
    # Stripe's signing secret of the webhook endpoint (whsec_…); HelloAsso signs nothing.
    webhook_secret = EncryptedSecretField(_("webhook signing secret"), blank=True)
    # In the notification address; only its SHA-256 is searchable (webhook_token_digest),
    # so the address cannot be read from the database either.
    webhook_token = EncryptedSecretField(blank=True)
    webhook_token_digest = models.CharField(max_length=64, unique=True, editable=False)
    # Empty: the service's real address. Tests point it at a fake server on 127.0.0.1; in
    # production only https and the service's own hosts are accepted (providers.base).
    api_base_url = models.URLField(_("API address"), max_length=200, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("payment service account")
        verbose_name_plural = _("payment service accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["association", "provider"], name="provideraccount_one_per_provider"
            )
        ]

    def __str__(self) -> str:
        # Never a key: this is what logs and the activity log show.
        return self.get_provider_display()

    @staticmethod
    def token_digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def rotate_webhook_token(self) -> str:
        """A new notification address (the old one stops working once saved)."""
        token = secrets.token_urlsafe(32)
        self.webhook_token = Secret(token)
        self.webhook_token_digest = self.token_digest(token)
        return token

    def save(self, *args, **kwargs):
        if not self.webhook_token_digest:
            self.rotate_webhook_token()
        super().save(*args, **kwargs)

    @property
    def api_base(self) -> str:
        from .providers import get

        return (self.api_base_url or get(self.provider).default_api_base_url).rstrip("/")

    @property
    def is_configured(self) -> bool:
        """Every key the service needs is set (and readable with this server's SECRET_KEY)."""
        from .providers import get

        return get(self.provider).is_configured(self)

    @property
    def is_active(self) -> bool:
        return self.enabled and self.is_configured

    def webhook_path(self) -> str:
        return reverse(
            "payments:webhook",
            kwargs={"provider": self.provider, "token": self.webhook_token.reveal()},
        )

    def webhook_url(self) -> str:
        """The address to paste in the service's settings (Stripe: Developers > Webhooks;
        HelloAsso: Mon compte > Intégrations et API)."""
        return settings.ESSAIM_BASE_URL + self.webhook_path()


class WebhookDelivery(models.Model):
    """One notification received from a payment service, as the treasurer may review it.

    Holds no personal data on purpose: the service's event id and type, what Essaim did
    with it, the payment it touched. Not the body (payer's e-mail, name, address): the
    payment keeps what accounting needs. The event id is unique per account: a notification
    delivered again (services deliver at least once, and retry for days) is recognised
    before anything is done, and counted in `attempts`.
    """

    class Outcome(models.TextChoices):
        PROCESSED = "processed", _("processed")
        IGNORED = "ignored", _("nothing to do")
        REFUSED = "refused", _("refused")

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="deliveries"
    )
    provider = models.CharField(_("payment service"), max_length=12)
    event_id = models.CharField(_("event"), max_length=255, blank=True)
    event_type = models.CharField(_("type of event"), max_length=100, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    # Why it was ignored or refused, in a few words (never a secret nor a payer's detail).
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempts = models.PositiveIntegerField(_("deliveries"), default=1)
    received_at = models.DateTimeField(_("received on"), default=timezone.now)
    last_received_at = models.DateTimeField(_("last received on"), default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("payment service notification")
        verbose_name_plural = _("payment service notifications")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "event_id"],
                condition=~models.Q(event_id=""),
                name="webhookdelivery_unique_event",
            )
        ]
        indexes = [
            models.Index(fields=["association", "received_at"], name="webhookdelivery_assoc_recv"),
            models.Index(fields=["received_at"], name="webhookdelivery_received"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}".strip()


# --- SEPA direct debit --------------------------------------------------------------------


class CreditorSettings(BaseModel):
    """How an association collects SEPA direct debits: the name and account its debtors see,
    its creditor identifier (ICS, given by its bank), and how many days ahead debtors are told
    of a debit (pre-notification: 14 calendar days in the SEPA rulebook, unless the mandate
    says otherwise; Essaim accepts 1 to 14)."""

    association = models.OneToOneField(
        Association, on_delete=models.CASCADE, related_name="sepa_creditor"
    )
    creditor_name = models.CharField(_("creditor's name"), max_length=70)
    creditor_id = models.CharField(_("SEPA creditor identifier (ICS)"), max_length=35)
    # The association's own account: not a person's, stored in clear.
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    prenotification_days = models.PositiveSmallIntegerField(
        _("pre-notification (days)"),
        default=14,
        help_text=_("Days between the notice sent to the debtor and the debit (1 to 14)."),
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("SEPA creditor settings")
        verbose_name_plural = _("SEPA creditor settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(prenotification_days__gte=1, prenotification_days__lte=14),
                name="creditorsettings_prenotification_1_14",
            )
        ]

    def __str__(self) -> str:
        return f"{self.creditor_name} ({self.creditor_id})"


class Mandate(BaseModel):
    """A SEPA direct debit mandate signed by a debtor: the association may debit this account.

    The IBAN is a person's bank details: encrypted at rest (crypto.py), the last four
    characters kept in clear for screens. The reference (RUM) is unique per association and
    never holds any part of the IBAN (sepa.rum_generate). A recurring mandate unused for 36
    months lapses (SEPA rulebook); a revoked or lapsed mandate is never debited again.
    """

    class Kind(models.TextChoices):
        ONE_OFF = "one_off", _("one-off")
        RECURRING = "recurring", _("recurring")

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("mandate", "active")
        REVOKED = "revoked", pgettext_lazy("mandate", "revoked")
        LAPSED = "lapsed", pgettext_lazy("mandate", "lapsed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sepa_mandates",
        verbose_name=_("debtor"),
    )
    # The account holder's name as signed: the contact may change, merge or be erased.
    debtor_name = models.CharField(_("account holder"), max_length=70, blank=True)
    iban = EncryptedSecretField(_("IBAN"), blank=True)
    iban_last4 = models.CharField(_("end of the IBAN"), max_length=4, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    rum = models.CharField(_("mandate reference (RUM)"), max_length=35)
    signed_on = models.DateField(_("signed on"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    revoked_at = models.DateTimeField(_("revoked on"), null=True, blank=True)
    last_used_on = models.DateField(_("last collection"), null=True, blank=True)
    # The first debit of a recurring mandate is sent as FRST, the following ones as RCUR.
    first_collection_done = models.BooleanField(_("first collection sent"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("SEPA mandate")
        verbose_name_plural = _("SEPA mandates")
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["association", "rum"], name="mandate_unique_rum"),
            models.CheckConstraint(
                condition=models.Q(status="revoked", revoked_at__isnull=False)
                | ~models.Q(status="revoked"),
                name="mandate_revoked_at",
            ),
        ]

    def __str__(self) -> str:
        # No name nor IBAN: this is what the activity log copies.
        return self.rum

    @property
    def iban_masked(self) -> str:
        return f"…{self.iban_last4}" if self.iban_last4 else ""


def debit_batch_upload_to(instance: "DebitBatch", filename: str) -> str:
    return f"sepa/{instance.association_id}/{instance.uuid}.xml"


class DebitBatch(BaseModel):
    """A pain.008 file of direct debits for one collection day, as sent to the bank: frozen
    once built (its XML and the XML's SHA-256)."""

    class Status(models.TextChoices):
        EXPORTED = "exported", pgettext_lazy("debit batch", "sent to the bank")
        COLLECTED = "collected", pgettext_lazy("debit batch", "collected")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    collection_date = models.DateField(_("day of collection"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.EXPORTED
    )
    file = models.FileField(_("pain.008 file"), upload_to=debit_batch_upload_to, max_length=255)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    count = models.PositiveIntegerField(_("number of debits"))
    total_cents = models.PositiveBigIntegerField(_("total (cents)"))
    collected_at = models.DateTimeField(_("collected on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("direct debit batch")
        verbose_name_plural = _("direct debit batches")
        ordering = ["-collection_date", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.collection_date.isoformat()} ({self.count}, {format_euros(self.total_cents)})"
        )


class DirectDebit(BaseModel):
    """One debit of a batch: which mandate, which payment, with which sequence type."""

    class SequenceType(models.TextChoices):
        FRST = "FRST", _("first of a series")
        RCUR = "RCUR", _("recurring")
        OOFF = "OOFF", _("one-off")

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(DebitBatch, on_delete=models.CASCADE, related_name="debits")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="debits")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="sepa_debit")
    sequence_type = models.CharField(_("sequence type"), max_length=4, choices=SequenceType.choices)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    end_to_end_id = models.CharField(_("end-to-end reference"), max_length=35)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("direct debit")
        verbose_name_plural = _("direct debits")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "end_to_end_id"], name="directdebit_unique_e2e"
            ),
            models.UniqueConstraint(fields=["batch", "mandate"], name="directdebit_one_per_batch"),
        ]

    def __str__(self) -> str:
        return self.end_to_end_id


# --- Bank statements and reconciliation -----------------------------------------------------


def bank_statement_upload_to(instance: "BankStatement", filename: str) -> str:
    return f"bank_statements/{instance.association_id}/{instance.uuid}.csv"


class BankStatement(BaseModel):
    """A bank statement (CSV export) the treasurer imported, to match its lines with payments.

    The uploaded file is kept only while it is checked (DRAFT): once imported its lines hold
    what accounting needs, and the file, which names every payer, is deleted. Its SHA-256
    stays, to say "this file was already imported".
    """

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("bank statement", "being checked")
        IMPORTED = "imported", pgettext_lazy("bank statement", "imported")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(
        _("file"), upload_to=bank_statement_upload_to, max_length=255, blank=True
    )
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    # How the file was read (bank_statements.read_statement): encoding, separator, the line
    # of the column titles and what each column is ({"date": 0, "amount": 3, …}).
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    header_line = models.PositiveIntegerField(default=0)
    mapping = models.JSONField(default=dict, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported on"), null=True, blank=True)
    lines_total = models.PositiveIntegerField(_("rows"), default=0)
    lines_imported = models.PositiveIntegerField(_("new operations"), default=0)
    lines_duplicate = models.PositiveIntegerField(_("operations already known"), default=0)
    lines_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["association", "sha256"], name="bankstatement_assoc_sha"),
        ]

    def __str__(self) -> str:
        return self.file_name


class BankLine(BaseModel):
    """One operation of a bank statement: money in (amount > 0) or out (amount < 0).

    `fingerprint` identifies the operation whatever file it came from (date, amount, label,
    reference and its rank among identical operations of the same day), so importing the
    same statement twice, or two overlapping months, adds each operation once. A line is
    matched to at most one payment and a payment to at most one line: the database says so
    (`bankline_one_per_payment`), not only the code.
    """

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", pgettext_lazy("bank line", "to match")
        MATCHED = "matched", pgettext_lazy("bank line", "matched")
        IGNORED = "ignored", pgettext_lazy("bank line", "ignored")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    booked_on = models.DateField(_("date"))
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    label = models.CharField(_("label"), max_length=500, blank=True)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)
    # fold(label, counterparty, reference): accent- and case-insensitive search.
    search_text = models.TextField(editable=False, default="")
    fingerprint = models.CharField(max_length=64, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UNMATCHED
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_lines",
        verbose_name=_("payment"),
    )
    # The payment was recorded from this line (not matched with an existing one): undoing
    # the match cancels it.
    payment_created = models.BooleanField(default=False)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    matched_at = models.DateTimeField(_("matched on"), null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("bank operation")
        verbose_name_plural = _("bank operations")
        ordering = ["-booked_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "fingerprint"], name="bankline_unique_fingerprint"
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=models.Q(payment__isnull=False),
                name="bankline_one_per_payment",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="matched", payment__isnull=False)
                    | (~models.Q(status="matched") & models.Q(payment__isnull=True))
                ),
                name="bankline_matched_has_payment",
            ),
            models.CheckConstraint(
                condition=~models.Q(amount_cents=0), name="bankline_amount_not_zero"
            ),
        ]
        indexes = [
            models.Index(fields=["association", "status", "booked_on"], name="bankline_assoc_st"),
            models.Index(fields=["association", "booked_on"], name="bankline_assoc_booked"),
            models.Index(fields=["association", "amount_cents"], name="bankline_assoc_amount"),
        ]

    def __str__(self) -> str:
        # No label: it names the payer, and this is what the activity log copies.
        return f"{self.booked_on.isoformat()} {format_euros(self.amount_cents)}"

    @property
    def is_credit(self) -> bool:
        return self.amount_cents > 0
