"""Forms of campaigns: the team's campaign form, the public donation form, monthly gifts.

They parse what people type (euros with a comma, dates) and shape it for the services, which
hold the rules; a service's ValidationError is shown on the matching field.
"""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm
from essaim.lib.money import parse_euros

from .campaigns import MAX_GOAL_CENTS, MAX_SUGGESTED_CENTS
from .donations import MAX_PUBLIC_GIFT_CENTS
from .forms import DATE_INPUT_FORMATS, AmountField
from .models import Gift, GiftIntent

HONEYPOT = "website"
# Suggested amounts are separated by semicolons or spaces: a comma is the French decimal
# separator ("12,50").
_SEPARATORS = re.compile(r"[;\s/|]+")


def _date_field(label, **kwargs):
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=DATE_INPUT_FORMATS,
        **kwargs,
    )


def euros_text(cents: int) -> str:
    euros, rest = divmod(int(cents), 100)
    return f"{euros},{rest:02d}" if rest else str(euros)


class SuggestedAmountsField(forms.CharField):
    """ "20 ; 50 ; 100" (euros) → [2000, 5000, 10000]."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)
        self.validators = []

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        amounts = []
        for part in _SEPARATORS.split(value.strip()):
            if not part:
                continue
            try:
                amounts.append(parse_euros(part, max_cents=MAX_SUGGESTED_CENTS))
            except ValueError as error:
                raise forms.ValidationError(
                    _("“%(part)s”: %(error)s") % {"part": part[:20], "error": error}
                ) from error
        return amounts

    def prepare_value(self, value):
        if isinstance(value, list):
            return " ; ".join(euros_text(v) for v in value if isinstance(v, int))
        return value


class CampaignForm(EssaimForm):
    title = forms.CharField(label=_("Title"), max_length=150)
    slug = forms.SlugField(
        label=_("Address of the page"),
        max_length=80,
        help_text=_("Letters, digits and hyphens, for example toit-maison-de-quartier."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        required=False,
        help_text=_("One or two sentences, shown at the top and when the page is shared."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    story = forms.CharField(
        label=_("Story"),
        required=False,
        max_length=20000,
        help_text=_("Why you need the money, what it will pay for."),
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    goal_cents = AmountField(
        label=_("Goal (€)"),
        required=False,
        max_cents=MAX_GOAL_CENTS,
        help_text=_("For example 5 000 or 12 500,50. Leave empty for no goal."),
    )
    starts_on = _date_field(_("Start"))
    ends_on = _date_field(_("Deadline"))
    suggested_amounts = SuggestedAmountsField(
        label=_("Suggested amounts (€)"),
        required=False,
        help_text=_(
            "Separated by semicolons, for example 20 ; 50 ; 100. Donors may give any amount."
        ),
    )
    allow_monthly = forms.BooleanField(
        label=_("Offer monthly gifts"),
        required=False,
        initial=True,
        help_text=_(
            "Paid by SEPA direct debit, or by card when Stripe is set up (HelloAsso takes "
            "no monthly card payments)."
        ),
    )
    thank_you_message = forms.CharField(
        label=_("Thank-you message"),
        required=False,
        max_length=5000,
        help_text=_("Sent to each donor by e-mail and shown after the gift."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    FIELDS = (
        "title",
        "slug",
        "summary",
        "story",
        "goal_cents",
        "starts_on",
        "ends_on",
        "suggested_amounts",
        "allow_monthly",
        "thank_you_message",
    )

    @classmethod
    def initial_from(cls, campaign) -> dict:
        return {name: getattr(campaign, name) for name in cls.FIELDS}

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.FIELDS}
        for name in ("summary", "story", "thank_you_message"):
            data[name] = data[name] or ""
        data["suggested_amounts"] = data["suggested_amounts"] or []
        data["allow_monthly"] = bool(data["allow_monthly"])
        return data


class DonateForm(EssaimForm):
    """The public donation form. Works without JavaScript: the suggested amounts are radio
    buttons, "another amount" a text box read when "other" is chosen (or when filled)."""

    def __init__(
        self,
        *args,
        campaign,
        online: bool,
        sepa: bool,
        creditor=None,
        association=None,
        monthly_card: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        suggested = [a for a in campaign.suggested_amounts or [] if isinstance(a, int)]
        self.suggested = suggested
        self.fields["choice"] = forms.ChoiceField(
            label=_("Amount of your gift"),
            choices=[(str(a), euros_text(a) + " €") for a in suggested] + [("other", _("Other"))],
            required=False,
            widget=forms.RadioSelect,
        )
        self.fields["other_amount"] = forms.CharField(
            label=_("Another amount (€)"),
            required=False,
            max_length=30,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        )
        # Every month: by SEPA direct debit, or by card with Stripe (a subscription).
        # HelloAsso takes no monthly payments through its checkout intents.
        monthly_card = bool(monthly_card and online)
        if campaign.allow_monthly and (sepa or monthly_card):
            help_text = ""
            if online and not monthly_card:
                help_text = _(
                    "A monthly gift is paid by SEPA direct debit (the card is for one-off gifts)."
                )
            elif monthly_card and not sepa:
                help_text = _("A monthly gift is paid by card, online.")
            self.fields["frequency"] = forms.ChoiceField(
                label=_("I give"),
                choices=[("once", _("once")), ("monthly", _("every month"))],
                initial="once",
                widget=forms.RadioSelect,
                help_text=help_text,
            )
        methods = []
        if online:
            methods.append((GiftIntent.Method.ONLINE, _("By card, online")))
        if sepa:
            methods.append((GiftIntent.Method.SEPA_DEBIT, _("By SEPA direct debit")))
        self.fields["method"] = forms.ChoiceField(
            label=_("How do you pay?"),
            choices=methods,
            initial=methods[0][0] if len(methods) == 1 else None,
            widget=forms.RadioSelect,
        )
        self.fields["donor_kind"] = forms.ChoiceField(
            label=_("I give as"),
            choices=[
                (Gift.DonorKind.INDIVIDUAL, _("an individual")),
                (Gift.DonorKind.COMPANY, _("a company")),
            ],
            initial=Gift.DonorKind.INDIVIDUAL,
            widget=forms.RadioSelect,
        )
        self.fields["company_name"] = forms.CharField(
            label=_("Company name"), max_length=200, required=False
        )
        self.fields["company_siren"] = forms.CharField(
            label=_("SIREN number"),
            max_length=11,
            required=False,
            widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        )
        for name, label, autocomplete, required in (
            ("first_name", _("First name"), "given-name", True),
            ("last_name", _("Last name"), "family-name", True),
            ("email", _("E-mail"), "email", True),
            ("address_line1", _("Address"), "address-line1", True),
            ("address_line2", _("Address (continued)"), "address-line2", False),
            ("postcode", _("Postcode"), "postal-code", True),
            ("city", _("Town"), "address-level2", True),
        ):
            field_class = forms.EmailField if name == "email" else forms.CharField
            attrs = {"autocomplete": autocomplete}
            if name == "postcode":
                attrs["inputmode"] = "numeric"
            self.fields[name] = field_class(
                label=label,
                required=required,
                max_length=254 if name == "email" else 200,
                widget=(forms.EmailInput if name == "email" else forms.TextInput)(attrs=attrs),
            )
        if sepa:
            self.fields["iban"] = forms.CharField(
                label=_("IBAN"),
                required=False,
                max_length=50,
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                help_text=_(
                    "For a direct debit only. For example FR76 3000 6000 0112 3456 7890 189."
                ),
            )
            self.fields["account_holder"] = forms.CharField(
                label=_("Account holder"),
                required=False,
                max_length=70,
                help_text=_("For a direct debit only: the name on the account."),
            )
            self.fields["mandate_accepted"] = forms.BooleanField(
                label=_("I sign the SEPA direct debit mandate below"), required=False
            )
        self.fields["news"] = forms.BooleanField(
            label=_("I would like to receive news of %(name)s")
            % {"name": association.name if association else ""},
            required=False,
            help_text=_("You can stop at any time."),
        )
        self.fields["src"] = forms.CharField(required=False, widget=forms.HiddenInput)
        self.fields[HONEYPOT] = forms.CharField(
            label=_("Leave this field empty"),
            required=False,
            max_length=200,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )

    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("choice") or ""
        other = (cleaned.get("other_amount") or "").strip()
        amount = None
        if choice and choice != "other":
            amount = int(choice)
        elif other:
            try:
                amount = parse_euros(other, max_cents=MAX_PUBLIC_GIFT_CENTS)
            except ValueError as error:
                self.add_error("other_amount", str(error))
        else:
            self.add_error(
                "other_amount" if choice == "other" or not self.suggested else "choice",
                _("Choose or type the amount of your gift."),
            )
        cleaned["amount_cents"] = amount
        if cleaned.get("donor_kind") != Gift.DonorKind.COMPANY:
            cleaned["company_name"] = cleaned["company_siren"] = ""
        return cleaned

    def contact_fields(self) -> list:
        return [
            self[name]
            for name in (
                "first_name",
                "last_name",
                "email",
                "address_line1",
                "address_line2",
                "postcode",
                "city",
            )
        ]

    def sepa_fields(self) -> list:
        return [self[name] for name in ("iban", "account_holder") if name in self.fields]

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "amount_cents": data["amount_cents"],
            "method": data["method"],
            "monthly": data.get("frequency") == "monthly",
            "donor_kind": data["donor_kind"],
            "company_name": data.get("company_name", ""),
            "company_siren": data.get("company_siren", ""),
            "contact": {
                name: data.get(name, "")
                for name in (
                    "first_name",
                    "last_name",
                    "email",
                    "address_line1",
                    "address_line2",
                    "postcode",
                    "city",
                )
            },
            "news": bool(data.get("news")),
            "iban": data.get("iban", ""),
            "account_holder": data.get("account_holder", ""),
            "mandate_accepted": bool(data.get("mandate_accepted")),
        }

    def add_service_errors(self, error) -> None:
        if hasattr(error, "error_dict"):
            renamed = {}
            for field, messages in error.message_dict.items():
                name = "other_amount" if field == "amount" else field
                if name == "monthly":
                    name = "frequency"
                renamed[name] = messages
            for field, messages in renamed.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class MonthlyAmountForm(EssaimForm):
    amount_cents = AmountField(label=_("New monthly amount (€)"), max_cents=MAX_PUBLIC_GIFT_CENTS)


class PauseForm(EssaimForm):
    until = forms.DateField(
        label=_("Pause until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("Debits start again on that day. Leave empty to pause until resumed."),
    )


class AppealForm(EssaimForm):
    subject = forms.CharField(label=_("Subject of the e-mail"), max_length=150)
    message = forms.CharField(
        label=_("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Say why you need their help now. Essaim adds the button to give, and the link "
            "to receive no more appeals."
        ),
    )
