"""Forms of the member-facing pages: the join form, the portal's contact details, resigning."""

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

from . import join
from .forms import EurosField
from .models import Membership, MembershipSettings, MembershipType

DATE_INPUT = {
    "widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    "input_formats": ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"],
}
# How many other people of a household the form has lines for, at most: a no-JavaScript
# form cannot add lines on demand, and larger households are rare (the team adds them).
MAX_HOUSEHOLD_LINES = 7
HONEYPOT = "website"


def _contact_fields(form: forms.Form, rules: dict[str, str] | None = None) -> None:
    """Adds the contact fields; `rules` ("hidden"/"optional"/"required") of the association
    decide the phone, the address and the birth date (None: all of them, optional)."""
    rules = rules or dict.fromkeys(join.RULE_FIELDS, "optional")
    form.fields["first_name"] = forms.CharField(
        label=_("First name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    form.fields["last_name"] = forms.CharField(
        label=_("Last name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    form.fields["email"] = forms.EmailField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    if rules["phone"] != "hidden":
        form.fields["phone"] = forms.CharField(
            label=_("Phone"),
            max_length=30,
            required=rules["phone"] == "required",
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        )
    if rules["address"] != "hidden":
        required = rules["address"] == "required"
        form.fields["address_line1"] = forms.CharField(
            label=_("Address"),
            max_length=200,
            required=required,
            widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
        )
        form.fields["address_line2"] = forms.CharField(
            label=_("Address (continued)"),
            max_length=200,
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
        )
        form.fields["postcode"] = forms.CharField(
            label=_("Postcode"),
            max_length=10,
            required=required,
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
        )
        form.fields["city"] = forms.CharField(
            label=_("Town"),
            max_length=100,
            required=required,
            widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
        )
    if rules["birth_date"] != "hidden":
        form.fields["birth_date"] = forms.DateField(
            label=_("Date of birth"),
            required=rules["birth_date"] == "required",
            widget=forms.DateInput(
                attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"
            ),
            input_formats=DATE_INPUT["input_formats"],
        )


class JoinForm(EssaimForm):
    """The public join form; its fields follow the association's settings and types."""

    def __init__(
        self,
        *args,
        association,
        member_settings: MembershipSettings,
        types: list[MembershipType],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.association = association
        self.types = {str(t.uuid): t for t in types}
        self.rules = join.join_rules(member_settings)
        self.fields["membership_type"] = forms.ChoiceField(
            label=_("Membership type"),
            choices=[(key, t.name) for key, t in self.types.items()],
            widget=forms.RadioSelect,
        )
        if len(types) == 1:
            self.initial.setdefault("membership_type", next(iter(self.types)))
        with_reduced = [
            t
            for t in types
            if t.reduced_amount_cents is not None and t.price_kind != MembershipType.PriceKind.FREE
        ]
        if with_reduced:
            self.fields["reduced"] = forms.BooleanField(
                label=_("I pay the reduced rate"), required=False
            )
            if any(t.reduced_requires_proof for t in with_reduced):
                self.fields["reduced_proof"] = forms.CharField(
                    label=_("Proof of the reduced rate"),
                    required=False,
                    max_length=255,
                    help_text=_(
                        "Say which proof you can show (student card, certificate…). "
                        "Do not send a copy: the association may ask to see it."
                    ),
                )
        self.sliding = [t for t in types if t.price_kind == MembershipType.PriceKind.SLIDING]
        if self.sliding:
            self.fields["chosen_amount"] = EurosField(
                label=_("Amount you choose (€)"),
                required=False,
                help_text=_("Leave empty to pay the suggested amount."),
            )
        _contact_fields(self, self.rules)
        if self.rules["address"] == "hidden":
            self.fields["email"].required = True
        else:
            self.fields["email"].help_text = _(
                "No e-mail address? Give your postal address: the association will write to you."
            )
        household_sizes = [t.max_household_size for t in types if t.is_household]
        self.household_lines = min(max(household_sizes, default=1) - 1, MAX_HOUSEHOLD_LINES)
        for index in range(self.household_lines):
            prefix = f"household_{index}_"
            self.fields[prefix + "first_name"] = forms.CharField(
                label=_("First name"), max_length=150, required=False
            )
            self.fields[prefix + "last_name"] = forms.CharField(
                label=_("Last name"), max_length=150, required=False
            )
            self.fields[prefix + "email"] = forms.EmailField(
                label=_("E-mail (optional)"), max_length=254, required=False
            )
        self.fields["newsletter"] = forms.BooleanField(
            label=_("I would like to receive the newsletter of %(name)s")
            % {"name": association.name},
            required=False,
            help_text=_("You can unsubscribe at any time."),
        )
        self.fields["accept_statutes"] = forms.BooleanField(
            label=_("I have read and accept the statutes of %(name)s") % {"name": association.name},
        )
        if member_settings.statutes_url:
            self.fields["accept_statutes"].help_text = format_html(
                '<a href="{}" target="_blank" rel="noopener">{}</a>',
                member_settings.statutes_url,
                _("Read the statutes (opens in a new tab)"),
            )
        else:
            self.fields["accept_statutes"].help_text = _(
                "Ask the association for a copy if you have not read them."
            )
        self.fields["accept_privacy"] = forms.BooleanField(
            label=_("I have read the personal data notice above"),
        )
        # A field people never see (hidden by CSS, out of the tab order): robots that fill
        # every field give themselves away.
        self.fields[HONEYPOT] = forms.CharField(
            label=_("Leave this field empty"),
            required=False,
            max_length=200,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )

    # --- Groups of fields for the template --------------------------------------------

    def type_options(self) -> list[dict]:
        field = self["membership_type"]
        options = []
        for radio in field:
            mtype = self.types[str(radio.data["value"])]
            options.append(
                {
                    "radio": radio,
                    "type": mtype,
                    "price": join.price_text(mtype),
                    "period": join.period_text(mtype),
                }
            )
        return options

    def _bound(self, names) -> list:
        return [self[name] for name in names if name in self.fields]

    def dues_fields(self) -> list:
        return self._bound(("reduced", "reduced_proof", "chosen_amount"))

    def contact_fields(self) -> list:
        return self._bound(
            (
                "first_name",
                "last_name",
                "email",
                "phone",
                "address_line1",
                "address_line2",
                "postcode",
                "city",
                "birth_date",
            )
        )

    def household_rows(self) -> list[list]:
        return [
            self._bound(
                (
                    f"household_{i}_first_name",
                    f"household_{i}_last_name",
                    f"household_{i}_email",
                )
            )
            for i in range(self.household_lines)
        ]

    def household_used(self) -> bool:
        return any(
            self.data.get(f"household_{i}_{name}")
            for i in range(self.household_lines)
            for name in ("first_name", "last_name", "email")
        )

    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))

    # --- What the service needs -------------------------------------------------------

    def chosen_type(self) -> MembershipType | None:
        return self.types.get(self.cleaned_data.get("membership_type") or "")

    def service_fields(self) -> dict:
        data = self.cleaned_data
        contact = {
            name: data.get(name)
            for name in self.fields
            if name in join.ALWAYS_ASKED
            or any(name in names for names in join.RULE_FIELDS.values())
        }
        household = [
            {name: data.get(f"household_{i}_{name}") or "" for name in join.HOUSEHOLD_FIELDS}
            for i in range(self.household_lines)
        ]
        return {
            "membership_type": self.chosen_type(),
            "contact": contact,
            "household": household,
            "rate": Membership.Rate.REDUCED if data.get("reduced") else Membership.Rate.NORMAL,
            "chosen_amount_cents": data.get("chosen_amount"),
            "reduced_proof": data.get("reduced_proof") or "",
            "newsletter": bool(data.get("newsletter")),
            "statutes_accepted": bool(data.get("accept_statutes")),
            "privacy_accepted": bool(data.get("accept_privacy")),
        }

    def add_service_errors(self, error) -> None:
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                if name == "household":
                    self.add_error(None, messages)
                else:
                    self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class ContactDetailsForm(EssaimForm):
    """A member updates their own contact record (never the team's notes or tags)."""

    def __init__(self, *args, person, **kwargs):
        if "initial" not in kwargs:
            kwargs["initial"] = {
                name: getattr(person, name)
                for name in (
                    "first_name",
                    "last_name",
                    "email",
                    "phone",
                    "address_line1",
                    "address_line2",
                    "postcode",
                    "city",
                    "birth_date",
                )
            }
        super().__init__(*args, **kwargs)
        _contact_fields(self)
        # An old record may lack a name (a contact known by e-mail only): the service asks
        # for a name or an e-mail address, not both names.
        self.fields["first_name"].required = False
        self.fields["last_name"].required = False
        self.fields["email"].help_text = _(
            "The association writes to you here. Your sign-in address does not change."
        )

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


class ResignForm(EssaimForm):
    confirm = forms.BooleanField(
        label=_("I confirm that I want to end this membership."),
    )
    reason = forms.CharField(
        label=_("Why are you leaving? (optional)"),
        required=False,
        max_length=255,
        help_text=_("Only the association's team reads it."),
    )
