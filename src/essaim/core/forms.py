from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .capabilities import CAPABILITIES
from .models import Association, Role


class EssaimForm(forms.Form):
    """Base form: CSS hooks for errors and required fields."""

    error_css_class = "has-error"
    required_css_class = "is-required"

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ValidationError on the matching fields (or on the form)."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)

    def service_fields(self) -> dict:
        """The keyword arguments the form gives its service (forms override it)."""
        return dict(self.cleaned_data)

    def call_service(self, service, **kwargs):
        """`service(**kwargs, **service_fields())` if the form is valid; the service's
        ValidationError is shown on the form. Returns what the service returned, or None."""
        if not self.is_valid():
            return None
        try:
            return service(**kwargs, **self.service_fields())
        except ValidationError as error:
            self.add_service_errors(error)
            return None


class AssociationForm(EssaimForm):
    name = forms.CharField(label=_("Name of the association"), max_length=200)
    rna = forms.CharField(
        label=_("RNA number"),
        max_length=14,
        required=False,
        help_text=_(
            "On your receipt of declaration from the prefecture: W followed by 9 digits. "
            "Leave empty if you are registered in Alsace-Moselle."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "W751234567"}),
    )
    alsace_moselle = forms.BooleanField(
        label=_("Registered in Alsace-Moselle (local law, no RNA number)"), required=False
    )
    siren = forms.CharField(
        label=_("SIREN number"),
        max_length=11,
        required=False,
        help_text=_("9 digits, if the association has one (employer, grants, VAT)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    siret = forms.CharField(
        label=_("SIRET number"),
        max_length=17,
        required=False,
        help_text=_("14 digits: the SIREN followed by the establishment number."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    objet = forms.CharField(
        label=_("Purpose (objet social)"),
        required=False,
        help_text=_("As written in your statutes. It appears on your public page."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    address_line1 = forms.CharField(label=_("Address"), max_length=200, required=False)
    address_line2 = forms.CharField(label=_("Address (continued)"), max_length=200, required=False)
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    city = forms.CharField(label=_("Town"), max_length=100, required=False)
    email = forms.EmailField(label=_("Contact e-mail"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    logo = forms.ImageField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG, GIF or WebP, 2 MB at most."),
    )

    def __init__(self, *args, instance: Association | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                name: getattr(instance, name) for name in self.base_fields if name != "logo"
            }
        super().__init__(*args, **kwargs)
        self.instance = instance
        if instance is not None:
            self.fields["remove_logo"] = forms.BooleanField(
                label=_("Remove the current logo"), required=False
            )
            self.fields["person_retention_months"] = forms.IntegerField(
                label=_("Keep inactive contacts for (months)"),
                min_value=1,
                max_value=120,
                initial=instance.person_retention_months,
                help_text=Association._meta.get_field("person_retention_months").help_text,
            )

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in {"logo", "remove_logo"}}
        return data


class RoleForm(EssaimForm):
    name = forms.CharField(label=_("Name of the role"), max_length=80)
    capabilities = forms.MultipleChoiceField(
        label=_("What this role can do"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(c.name, c.label) for c in CAPABILITIES],
    )

    def __init__(self, *args, instance: Role | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {"name": instance.name, "capabilities": instance.capabilities}
        super().__init__(*args, **kwargs)
        self.fields["capabilities"].choices = [
            (c.name, f"{c.label} — {c.help_text}") for c in CAPABILITIES
        ]


class InvitationForm(EssaimForm):
    email = forms.EmailField(
        label=_("E-mail address of the person to invite"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none(), empty_label=None)
    message = forms.CharField(
        label=_("Personal message (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, association: Association, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.filter(association=association).order_by("name")


class ChangeRoleForm(EssaimForm):
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none(), empty_label=None)

    def __init__(self, *args, association: Association, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.filter(association=association).order_by("name")
