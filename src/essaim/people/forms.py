from django import forms
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

from .models import Consent, Person


class PersonForm(EssaimForm):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Leave empty for people without e-mail: they get letters instead."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
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
        initial="FR",
        help_text=_("Two-letter code: FR, BE, CH…"),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"],
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separated by commas, e.g. bureau, quartier nord."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only what the association needs: the person can read these notes."),
    )

    def __init__(self, *args, instance: Person | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            initial = {name: getattr(instance, name) for name in self.base_fields if name != "tags"}
            initial["tags"] = ", ".join(t.name for t in instance.tags.all())
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["tags"] = [t for t in (s.strip() for s in data.pop("tags", "").split(",")) if t]
        return data


class ConsentForm(EssaimForm):
    topic = forms.ChoiceField(label=_("Subject"), choices=Consent.Topic.choices)
    granted = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("1", _("agrees")), ("0", _("refuses"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    source = forms.ChoiceField(label=_("How was it given?"), choices=Consent.Source.choices)
    note = forms.CharField(
        label=_("Note (e.g. where the paper form is filed)"), required=False, max_length=255
    )


class EraseForm(EssaimForm):
    confirm = forms.BooleanField(
        label=_("I understand that this contact's personal data will be erased for good."),
    )
    reason = forms.CharField(
        label=_("Reason (kept in the activity log)"),
        required=False,
        max_length=255,
        help_text=_("For example: request of the person received by e-mail on 3 March."),
    )


class MergeForm(EssaimForm):
    """One radio per field that differs: keep this contact's value or take the other's."""

    def __init__(self, *args, keep: Person, other: Person, fields, **kwargs):
        super().__init__(*args, **kwargs)
        self.differences = []
        for name, label in fields:
            mine, theirs = getattr(keep, name), getattr(other, name)
            if mine == theirs or not theirs:
                continue
            self.fields[f"take_{name}"] = forms.ChoiceField(
                label=label,
                choices=[("keep", mine or "—"), ("other", theirs)],
                initial="keep" if mine else "other",
                widget=forms.RadioSelect,
            )
            self.differences.append(name)

    def taken_fields(self) -> list[str]:
        return [n for n in self.differences if self.cleaned_data.get(f"take_{n}") == "other"]


class BulkActionForm(EssaimForm):
    action = forms.ChoiceField(
        label=_("With the selected contacts"),
        choices=[("tag", _("Add a tag")), ("export", _("Export to a spreadsheet"))],
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=60)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "tag" and not (cleaned.get("tag") or "").strip():
            self.add_error("tag", _("Give the tag to add."))
        return cleaned
