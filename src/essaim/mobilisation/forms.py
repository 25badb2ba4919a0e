from django import forms
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

HONEYPOT = "website"


class PetitionForm(EssaimForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    addressee = forms.CharField(
        label=_("Addressed to"),
        max_length=200,
        help_text=_("Who must act: « Madame la Maire de Lyon », « the regional council »…"),
    )
    text = forms.CharField(
        label=_("Text of the petition"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("What you ask for and why. Leave an empty line between paragraphs."),
    )
    goal = forms.IntegerField(
        label=_("Goal (number of signatures)"),
        min_value=0,
        max_value=100_000_000,
        initial=1000,
        required=False,
    )
    ends_on = forms.DateField(
        label=_("End date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional: signatures stop after this day."),
    )

    def service_fields(self) -> dict:
        return {**self.cleaned_data, "goal": self.cleaned_data.get("goal") or 0}


class SignForm(EssaimForm):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("We send you a link to confirm your signature. It is never shown."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    updates = forms.BooleanField(
        label=_("Send me news of this petition and of the association's campaigns"),
        required=False,
        help_text=_("You can stop at any time."),
    )
    src = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            name: data.get(name, "")
            for name in ("first_name", "last_name", "email", "postcode", "comment")
        } | {"updates": bool(data.get("updates"))}


class UpdateForm(EssaimForm):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    message = forms.CharField(
        label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8})
    )


class InvalidateForm(EssaimForm):
    kind = forms.CharField(widget=forms.HiddenInput, required=False)
    key = forms.CharField(widget=forms.HiddenInput, required=False)
    hour = forms.DateTimeField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Why are these signatures invalid?"),
        max_length=300,
        help_text=_(
            "Kept in the activity log, e.g. « 40 signatures in 5 minutes from one address »."
        ),
    )
