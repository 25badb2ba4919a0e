"""Payments: money received by an association, whatever the way it was paid.

A Payment knows nothing of what it pays for: dues, gifts and event fees point at it and react
to its changes (`signals.payment_status_changed`). It is an accounting record: once received,
its amount, date, method and reference stay for ten years (Code de commerce, art. L123-22),
even when the payer asks to be forgotten (see privacy_entries.py).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from essaim.core.models import Association, BaseModel
from essaim.lib.money import format_euros
from essaim.people.models import Person


class Payment(BaseModel):
    """One payment received (or expected) by an association."""

    class Method(models.TextChoices):
        CASH = "cash", _("cash")
        CHEQUE = "cheque", _("cheque")
        TRANSFER = "transfer", _("bank transfer")
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
