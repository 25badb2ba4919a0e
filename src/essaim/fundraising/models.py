"""Fundraising: gifts (dons) and French tax receipts (reçus fiscaux).

A Gift is what a donor gave: money (linked to the Payment that brought it), goods or services
(en nature), or volunteer expenses the volunteer chose not to be paid back (abandon de frais).
A TaxReceipt is the legal document the association issues for one gift or for a donor's
year: numbered in order without gaps per association and year, frozen as a PDF whose SHA-256
is stored, never edited: a mistake is corrected by cancelling it and issuing a replacement,
and both stay.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from essaim.core.models import Association, BaseModel
from essaim.lib.money import format_euros
from essaim.payments.models import Mandate, Payment
from essaim.people.models import Person


class OrganismCategory(models.TextChoices):
    """The boxes of the Cerfa n° 11580*05 ("Bénéficiaire des versements")."""

    PUBLIC_UTILITY = (
        "public_utility",
        _("Association or foundation recognised as being of public utility"),
    )
    GENERAL_INTEREST = "general_interest", _("Charity or organisation of general interest")
    ALSACE_MOSELLE = (
        "alsace_moselle",
        _(
            "Religious or charitable association of Alsace-Moselle whose mission is recognised "
            "of public utility"
        ),
    )
    FOOD_AID = (
        "food_aid",
        _(
            "Association providing free meals or care to people in difficulty, or helping them "
            "find housing"
        ),
    )
    CULTURAL = (
        "cultural",
        _(
            "Organisation whose main activity is presenting live performances, films or "
            "contemporary art exhibitions to the public"
        ),
    )
    OTHER = "other", _("Other organisation")


class FiscalSettings(BaseModel):
    """Whether and how an association issues tax receipts (one row per association)."""

    association = models.OneToOneField(
        Association, on_delete=models.CASCADE, related_name="fiscal_settings"
    )
    eligible = models.BooleanField(
        _("the association may issue tax receipts"),
        default=False,
        help_text=_(
            "Only organisations of general interest may: non-profit, managed without "
            "personal interest, not working for a small circle of people. Issuing receipts "
            "without the right is fined (CGI art. 1740 A)."
        ),
    )
    category = models.CharField(
        _("kind of organisation"),
        max_length=20,
        choices=OrganismCategory.choices,
        default=OrganismCategory.GENERAL_INTEREST,
    )
    category_other = models.CharField(_("other kind: which"), max_length=200, blank=True)
    public_utility_decree_on = models.DateField(
        _("date of the decree of public utility"), null=True, blank=True
    )
    public_utility_gazette_on = models.DateField(
        _("published in the Journal officiel on"), null=True, blank=True
    )
    # The articles of the Code général des impôts the receipts certify.
    article_200 = models.BooleanField(_("article 200 (income tax)"), default=True)
    article_238_bis = models.BooleanField(_("article 238 bis (companies)"), default=True)
    article_978 = models.BooleanField(_("article 978 (property wealth tax)"), default=False)
    signatory_name = models.CharField(_("name of the signatory"), max_length=200, blank=True)
    signatory_title = models.CharField(
        _("title of the signatory"),
        max_length=100,
        blank=True,
        help_text=_("For example: Présidente, Trésorier."),
    )
    signature = models.ImageField(
        _("signature (image)"),
        upload_to="fiscal/signatures/",
        blank=True,
        help_text=_("A PNG or JPEG image of the signature, printed on every receipt."),
    )
    place = models.CharField(
        _("place of issue"),
        max_length=100,
        blank=True,
        help_text=_("The town printed before the date (“Fait à …”)."),
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("tax receipt settings")
        verbose_name_plural = _("tax receipt settings")

    def __str__(self) -> str:
        return str(self.association)

    @property
    def articles(self) -> list[str]:
        return [
            label
            for enabled, label in (
                (self.article_200, "200"),
                (self.article_238_bis, "238 bis"),
                (self.article_978, "978"),
            )
            if enabled
        ]


class Gift(BaseModel):
    """One gift to the association."""

    class Nature(models.TextChoices):
        MONEY = "money", _("money")
        IN_KIND = "in_kind", _("goods or services (in kind)")
        EXPENSES = "expenses", _("volunteer expenses waived")
        SECURITIES = "securities", _("listed shares")

    class Form(models.TextChoices):
        MANUAL = "manual", _("declaration of manual gift")
        NOTARIAL = "notarial", _("notarial deed")
        PRIVATE_DEED = "private_deed", _("private deed")
        OTHER = "other", _("other")

    class DonorKind(models.TextChoices):
        INDIVIDUAL = "individual", _("individual")
        COMPANY = "company", _("company")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gifts",
        verbose_name=_("donor"),
    )
    donor_kind = models.CharField(
        _("donor"), max_length=10, choices=DonorKind.choices, default=DonorKind.INDIVIDUAL
    )
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    company_siren = models.CharField(_("company SIREN"), max_length=9, blank=True)
    company_legal_form = models.CharField(_("legal form"), max_length=60, blank=True)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    received_on = models.DateField(_("date of the gift"))
    nature = models.CharField(
        _("nature of the gift"), max_length=10, choices=Nature.choices, default=Nature.MONEY
    )
    form = models.CharField(
        _("form of the gift"), max_length=12, choices=Form.choices, default=Form.MANUAL
    )
    # The money of the gift (nature "money"): its method is printed on the receipt.
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gift",
        verbose_name=_("payment"),
    )
    description = models.CharField(
        _("description"),
        max_length=255,
        blank=True,
        help_text=_("What was given, for a gift in kind or waived expenses."),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    campaign = models.ForeignKey(
        "Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gifts",
        verbose_name=_("campaign"),
    )
    # The share link that brought the gift (?src=…): newsletter, facebook, qr-flyer…
    source = models.CharField(_("source"), max_length=40, blank=True)
    recurring = models.ForeignKey(
        "RecurringGift",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gifts",
        verbose_name=_("monthly gift"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="gift_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["association", "received_on"], name="gift_assoc_date"),
            models.Index(fields=["association", "person", "received_on"], name="gift_assoc_person"),
        ]

    def __str__(self) -> str:
        return f"{format_euros(self.amount_cents)} ({self.get_nature_display()})"


class Campaign(BaseModel):
    """A fundraising campaign (campagne de dons): a goal and a public page to give.

    Its page is /d/<association>/<slug>/; share links add ?src=<source> so the team sees which
    channel brought which gifts (Gift.source). What it raised is the sum of its gifts.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("campaign", "draft")
        PUBLISHED = "published", pgettext_lazy("campaign", "published")
        CLOSED = "closed", pgettext_lazy("campaign", "closed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(_("address of the page"), max_length=80)
    title = models.CharField(_("title"), max_length=150)
    summary = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("One or two sentences, shown at the top and when the page is shared."),
    )
    story = models.TextField(_("story"), blank=True, help_text=_("Why you need the money."))
    goal_cents = models.PositiveIntegerField(_("goal (cents)"), null=True, blank=True)
    starts_on = models.DateField(_("start"), null=True, blank=True)
    ends_on = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # Amounts offered on the donation form, in cents, in the order shown.
    suggested_amounts = models.JSONField(_("suggested amounts"), default=list, blank=True)
    allow_monthly = models.BooleanField(_("offer monthly gifts"), default=True)
    thank_you_message = models.TextField(
        _("thank-you message"),
        blank=True,
        help_text=_("Sent to each donor by e-mail and shown after the gift."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("fundraising campaign")
        verbose_name_plural = _("fundraising campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["association", "slug"], name="campaign_unique_slug"),
            models.CheckConstraint(
                condition=models.Q(goal_cents__isnull=True) | models.Q(goal_cents__gt=0),
                name="campaign_goal_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RecurringGift(BaseModel):
    """A donor's promise to give every month (don mensuel), by SEPA direct debit or by card
    through Stripe (a Stripe subscription, `provider_reference`).

    Each month's debit is one Payment whose idempotency key is `recurring:<uuid>:<YYYY-MM>`;
    when it is collected, it becomes a Gift. Paused: no debit until `paused_until` (or until
    resumed); cancelled: never again.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("recurring gift", "active")
        PAUSED = "paused", pgettext_lazy("recurring gift", "paused")
        CANCELLED = "cancelled", pgettext_lazy("recurring gift", "cancelled")

    class Method(models.TextChoices):
        SEPA_DEBIT = "sepa_debit", _("SEPA direct debit")
        CARD_ONLINE = "card_online", _("card, online (Stripe)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recurring_gifts",
        verbose_name=_("donor"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recurring_gifts",
        verbose_name=_("campaign"),
    )
    amount_cents = models.PositiveIntegerField(_("monthly amount (cents)"))
    method = models.CharField(
        _("payment method"), max_length=12, choices=Method.choices, default=Method.SEPA_DEBIT
    )
    mandate = models.ForeignKey(
        Mandate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recurring_gifts",
        verbose_name=_("SEPA mandate"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    started_on = models.DateField(_("first month"))
    paused_until = models.DateField(_("paused until"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled on"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=40, blank=True)
    # Debits refused or returned in a row (reset by a debit collected, or by resuming): at 2,
    # the gift is paused and the team sees why (recurring.FAILURES_BEFORE_PAUSE).
    failed_debits = models.PositiveSmallIntegerField(_("failed debits in a row"), default=0)
    # By card: the payment service's subscription (a Stripe sub_… id), known once the donor
    # went through the checkout; and the time of the last change of it we applied (ours or
    # the service's), so that an older notification delivered late changes nothing.
    provider_reference = models.CharField(
        _("subscription at the payment service"), max_length=255, blank=True
    )
    provider_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("monthly gift")
        verbose_name_plural = _("monthly gifts")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="recurringgift_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(status="cancelled", cancelled_at__isnull=False)
                | ~models.Q(status="cancelled"),
                name="recurringgift_cancelled_at",
            ),
            models.UniqueConstraint(
                fields=["association", "provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="recurringgift_provider_reference_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["association", "status"], name="recurringgift_assoc_status"),
        ]

    def __str__(self) -> str:
        return f"{format_euros(self.amount_cents)} / mois"


class GiftIntent(BaseModel):
    """A gift promised on a campaign's form and not paid yet (don en attente de paiement).

    Online: the donor is sent to the payment service; SEPA: a mandate is signed and the
    debit waits for the next batch (its Payment's idempotency key is `intent:<uuid>`). When
    the payment succeeds the Gift is recorded (`gift`) and the thank-you e-mail sent; a
    failed or abandoned payment leaves no gift.
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("gift intent", "waiting for payment")
        PAID = "paid", pgettext_lazy("gift intent", "paid")
        FAILED = "failed", pgettext_lazy("gift intent", "failed")
        CANCELLED = "cancelled", pgettext_lazy("gift intent", "cancelled")

    class Method(models.TextChoices):
        ONLINE = "online", _("card, online")
        SEPA_DEBIT = "sepa_debit", _("SEPA direct debit")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intents",
        verbose_name=_("campaign"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gift_intents",
        verbose_name=_("donor"),
    )
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    monthly = models.BooleanField(_("every month"), default=False)
    method = models.CharField(_("payment method"), max_length=12, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    donor_kind = models.CharField(
        _("donor"),
        max_length=10,
        choices=Gift.DonorKind.choices,
        default=Gift.DonorKind.INDIVIDUAL,
    )
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    company_siren = models.CharField(_("company SIREN"), max_length=9, blank=True)
    source = models.CharField(_("source"), max_length=40, blank=True)
    payment = models.OneToOneField(
        Payment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gift_intent",
        verbose_name=_("payment"),
    )
    mandate = models.ForeignKey(
        Mandate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gift_intents",
        verbose_name=_("SEPA mandate"),
    )
    recurring = models.OneToOneField(
        RecurringGift,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intent",
        verbose_name=_("monthly gift"),
    )
    gift = models.OneToOneField(
        Gift,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intent",
        verbose_name=_("gift"),
    )
    thanked_at = models.DateTimeField(_("thanked on"), null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("gift waiting for payment")
        verbose_name_plural = _("gifts waiting for payment")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="giftintent_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return format_euros(self.amount_cents)


class ReceiptCounter(models.Model):
    """The last receipt number of an association for a year: locked while a number is taken,
    so that numbers follow each other without gaps even when two treasurers issue at once."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    objects = ScopedManager(association="association")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["association", "year"], name="receiptcounter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


def receipt_upload_to(instance: "TaxReceipt", filename: str) -> str:
    return f"receipts/{instance.association_id}/{instance.year}/{instance.uuid}.pdf"


class TaxReceipt(BaseModel):
    """A tax receipt: frozen once issued (its PDF and the PDF's SHA-256)."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("for one gift")
        ANNUAL = "annual", _("annual, for all the gifts of the year")

    class Status(models.TextChoices):
        VALID = "valid", pgettext_lazy("receipt", "valid")
        CANCELLED = "cancelled", pgettext_lazy("receipt", "cancelled")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("receipt number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    donor_kind = models.CharField(_("donor"), max_length=10, choices=Gift.DonorKind.choices)
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tax_receipts",
        verbose_name=_("donor"),
    )
    gifts = models.ManyToManyField(Gift, related_name="receipts", verbose_name=_("gifts"))
    # What the receipt says, copied when issued: the contact may change later, the receipt not.
    donor = models.JSONField(_("donor as printed"), default=dict)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    first_gift_on = models.DateField(_("first gift"))
    last_gift_on = models.DateField(_("last gift"))
    issued_at = models.DateTimeField(_("issued on"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pdf = models.FileField(_("PDF"), upload_to=receipt_upload_to, max_length=255)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.VALID
    )
    cancelled_at = models.DateTimeField(_("cancelled on"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=255, blank=True)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )
    emailed_at = models.DateTimeField(_("sent by e-mail on"), null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("tax receipt")
        verbose_name_plural = _("tax receipts")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "year", "sequence"], name="taxreceipt_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="taxreceipt_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["association", "person", "year"], name="taxreceipt_person"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_valid(self) -> bool:
        return self.status == self.Status.VALID


class ReceiptRun(BaseModel):
    """The annual receipts of a year, issued in the background for every donor."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("about to start")
        RUNNING = "running", _("issuing")
        DONE = "done", _("done")
        FAILED = "failed", _("stopped by an error")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year of the gifts"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    send_emails = models.BooleanField(_("send each donor their receipt by e-mail"), default=True)
    total = models.PositiveIntegerField(_("donors"), default=0)
    processed = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(_("receipts issued"), default=0)
    # [{"person": uuid or "", "donor": name, "reason": text}] for the donors left without
    # a receipt, so the treasurer can complete them and run again.
    skipped = models.JSONField(default=list)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("annual receipts run")
        verbose_name_plural = _("annual receipts runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One run at a time per association, decided by the database (two treasurers
            # clicking together get one run).
            models.UniqueConstraint(
                fields=["association"],
                condition=models.Q(status__in=["queued", "running"]),
                name="receiptrun_one_working",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}"

    @property
    def percent(self) -> int:
        return min(100, self.processed * 100 // self.total) if self.total else 0

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
