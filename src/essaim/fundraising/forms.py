"""Forms of the fundraising back office: a gift (with its donor), tax receipt settings,
issuing, cancelling and the annual run. They parse and shape input; the rules are the
services' (their ValidationError is shown on the matching fields)."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import fields_for_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm
from essaim.lib.money import parse_euros
from essaim.payments.models import Payment

from .models import FiscalSettings, Gift
from .services import MAX_GIFT_CENTS

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
# What reportlab can draw on the receipt, and what a scanned signature weighs at most.
SIGNATURE_FORMATS = {"PNG", "JPEG"}
SIGNATURE_MAX_BYTES = 1024 * 1024


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AmountField(forms.CharField):
    """An amount in euros typed the French way ("12,50", "1 234,50 €") → integer cents.

    lib.money.parse_euros decides: a float-like "1e9", a negative or a zero amount, three
    decimals or an ambiguous "1.234" are refused with its message."""

    def __init__(self, *args, max_cents: int | None = None, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(*args, **kwargs)
        self.max_cents = max_cents
        # CharField's length validators would run on the cleaned value, an int.
        self.validators = []

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > 30 or "\x00" in value:
            raise forms.ValidationError(_("Give an amount in euros, for example 12,50."))
        try:
            return parse_euros(value, max_cents=self.max_cents)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            euros, cents = divmod(value, 100)
            return f"{euros},{cents:02d}" if cents else str(euros)
        return value


class GiftForm(EssaimForm):
    """The gift itself. Its donor is a contact chosen in the search (the view reads the
    `person` radio the search results carry), a new contact (NewDonorForm) or nobody."""

    anonymous = forms.BooleanField(
        label=_("Anonymous gift (no tax receipt can be issued)"),
        required=False,
        help_text=_("For example coins from a collection box: nobody to write a receipt to."),
    )
    donor_kind = forms.ChoiceField(
        label=_("The donor is"),
        choices=Gift.DonorKind.choices,
        initial=Gift.DonorKind.INDIVIDUAL,
        widget=forms.RadioSelect,
    )
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    company_siren = forms.CharField(
        label=_("Company SIREN number"),
        max_length=11,
        required=False,
        help_text=_("9 digits, printed on the company's receipt."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    company_legal_form = forms.CharField(
        label=_("Legal form"),
        max_length=60,
        required=False,
        help_text=_("SARL, SAS, SA…"),
    )
    amount_cents = AmountField(
        label=_("Amount (€)"),
        max_cents=MAX_GIFT_CENTS,
        help_text=_("For a gift in kind: its value as you estimate it. For example 50 or 12,50."),
    )
    received_on = forms.DateField(
        label=_("Date of the gift"), widget=_date_widget(), input_formats=DATE_INPUT_FORMATS
    )
    nature = forms.ChoiceField(
        label=_("Nature of the gift"), choices=Gift.Nature.choices, initial=Gift.Nature.MONEY
    )
    method = forms.ChoiceField(
        label=_("Payment method"),
        choices=[("", _("— for a gift of money —")), *Payment.Method.choices],
        required=False,
        help_text=_("For a gift of money only."),
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=140,
        required=False,
        help_text=_("Cheque number, transfer reference…"),
    )
    form = forms.ChoiceField(
        label=_("Form of the gift"), choices=Gift.Form.choices, initial=Gift.Form.MANUAL
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=255,
        required=False,
        help_text=_("What was given, for a gift in kind or waived expenses."),
    )
    note = forms.CharField(
        label=_("Note for the team"),
        max_length=255,
        required=False,
        help_text=_("Not printed on the receipt."),
    )
    # Chosen when the form is shown: the same form sent twice records one gift (and one
    # payment), not two (payments.services.payment_record).
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("received_on", timezone.localdate())
        self.initial.setdefault("idempotency_key", f"gift-form-{uuid.uuid4()}")

    def add_service_errors(self, error: ValidationError) -> None:
        """gift_record's errors on the donor or the payment concern the whole form."""
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                visible = name in self.fields and not self.fields[name].widget.is_hidden
                self.add_error(name if visible else None, messages)
        else:
            self.add_error(None, error.messages)

    def clean_company_siren(self):
        return "".join(self.cleaned_data.get("company_siren", "").split())

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("anonymous", "idempotency_key"):
            data.pop(name)
        if data["nature"] != Gift.Nature.MONEY:
            data["method"] = ""
            data["reference"] = ""
        if data["donor_kind"] != Gift.DonorKind.COMPANY:
            data["company_name"] = data["company_siren"] = data["company_legal_form"] = ""
        return data


class NewDonorForm(EssaimForm):
    """A donor who is not a contact yet: what a receipt needs (name and postal address)."""

    first_name = forms.CharField(
        label=_("First name"), max_length=150, required=False, widget=forms.TextInput()
    )
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("The receipt is sent there; leave empty to post it."),
    )
    address_line1 = forms.CharField(label=_("Address"), max_length=200, required=False)
    address_line2 = forms.CharField(label=_("Address (continued)"), max_length=200, required=False)
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    city = forms.CharField(label=_("Town"), max_length=100, required=False)
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        required=False,
        initial="FR",
        help_text=_("Two-letter code: FR, BE, CH…"),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "new")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")

    def has_content(self) -> bool:
        """Anything typed in it (the country alone, prefilled, does not count)."""
        data = getattr(self, "cleaned_data", {})
        return any(v for k, v in data.items() if k != "country")

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["country"] = data.get("country") or "FR"
        return data


FISCAL_FIELDS = [
    "eligible",
    "category",
    "category_other",
    "public_utility_decree_on",
    "public_utility_gazette_on",
    "article_200",
    "article_238_bis",
    "article_978",
    "signatory_name",
    "signatory_title",
    "place",
]


class FiscalSettingsForm(EssaimForm):
    """The tax receipt settings; labels and help come from the model."""

    def __init__(self, *args, instance: FiscalSettings, **kwargs):
        if "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(instance, name) for name in FISCAL_FIELDS}
        super().__init__(*args, **kwargs)
        self.instance = instance
        fields = fields_for_model(
            FiscalSettings,
            fields=FISCAL_FIELDS,
            widgets={
                "category": forms.RadioSelect,
                "public_utility_decree_on": _date_widget(),
                "public_utility_gazette_on": _date_widget(),
            },
        )
        fields["category"].choices = [c for c in fields["category"].choices if c[0]]
        fields["category"].help_text = _("As on the official receipt model (Cerfa n° 11580*05).")
        fields["category_other"].help_text = _("Only for “Other organisation”.")
        for name in ("public_utility_decree_on", "public_utility_gazette_on"):
            fields[name].input_formats = DATE_INPUT_FORMATS
            fields[name].help_text = _("Only for an association recognised of public utility.")
        fields["signatory_name"].help_text = _("Printed under the signature of every receipt.")
        for name in FISCAL_FIELDS:
            self.fields[name] = fields[name]
        self.fields["signature"] = forms.ImageField(
            label=_("Signature (image)"),
            required=False,
            help_text=_("A PNG or JPEG image of the signature, 1 MB at most."),
            widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        )
        if instance.signature:
            self.fields["remove_signature"] = forms.BooleanField(
                label=_("Remove the current signature"), required=False
            )

    def clean_signature(self):
        upload = self.cleaned_data.get("signature")
        if not upload:
            return None
        if upload.size > SIGNATURE_MAX_BYTES:
            raise forms.ValidationError(_("The image is too large: 1 MB at most."))
        # forms.ImageField has already opened it with Pillow; it kept what it found.
        image = getattr(upload, "image", None)
        if image is None or image.format not in SIGNATURE_FORMATS:
            raise forms.ValidationError(_("Upload a PNG or JPEG image."))
        upload.seek(0)
        return upload

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in FISCAL_FIELDS}
        for name in ("category_other", "signatory_name", "signatory_title", "place"):
            data[name] = " ".join((data[name] or "").split())
        return data


class IssueForm(EssaimForm):
    send_email = forms.BooleanField(
        label=_("Send it to the donor by e-mail"), required=False, initial=True
    )


class CancelForm(EssaimForm):
    reason = forms.CharField(
        label=_("Why is this receipt cancelled?"),
        max_length=255,
        help_text=_("For example: wrong address; the cheque bounced. Kept with the receipt."),
    )
    reissue = forms.BooleanField(
        label=_("Issue a replacement receipt for the same gifts, with the donor's current details"),
        required=False,
        initial=True,
    )


class ReceiptRunForm(EssaimForm):
    year = forms.TypedChoiceField(
        label=_("Gifts of the year"),
        coerce=int,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose a year that has ended or this year.")},
    )
    send_emails = forms.BooleanField(
        label=_("Send each donor their receipt by e-mail"), required=False, initial=True
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.initial.setdefault("year", years[1] if len(years) > 1 else years[0])
