from django import forms
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

from . import personalise
from .models import Audience, Mailing, NewsletterList, Suppression


def _field_help() -> str:
    return ", ".join(f"{{{{ {name} }}}}" for name in personalise.FIELDS)


class MailingForm(EssaimForm):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    from_name = forms.CharField(
        label=_("Sender's name"),
        max_length=100,
        required=False,
        help_text=_("What recipients see as the sender; the association's name when empty."),
    )
    reply_to = forms.EmailField(
        label=_("Replies go to"),
        required=False,
        help_text=_("The association's contact address when empty."),
    )
    audience = forms.ModelChoiceField(
        label=_("Audience"),
        queryset=Audience.objects.none(),
        required=False,
        empty_label=_("All contacts"),
        to_field_name="uuid",
    )
    newsletter = forms.ModelChoiceField(
        label=_("Newsletter list"),
        queryset=NewsletterList.objects.none(),
        required=False,
        empty_label=_("— no list: use a consent below —"),
        to_field_name="uuid",
        help_text=_("Only the subscribers of the list receive it."),
    )
    topic = forms.ChoiceField(
        label=_("Or: contacts who agreed to receive"),
        choices=[("", "—"), *Mailing.Topic.choices],
        required=False,
    )
    is_appeal = forms.BooleanField(
        label=_("This mailing asks for money (an appeal for gifts)"),
        required=False,
        help_text=_(
            "Contacts who did not answer two appeals in a row are left out, and this one is "
            "noted as an appeal on each contact (CNIL rule for donor files)."
        ),
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 16, "class": "mailing-body"}),
    )

    def __init__(self, *args, association=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].queryset = Audience.objects.filter(association=association)
        self.fields["newsletter"].queryset = NewsletterList.objects.filter(
            association=association, archived_at__isnull=True
        )
        self.fields["body"].help_text = _(
            "Markdown: **bold**, *italics*, [a link](https://…), lines starting with « - » "
            "for a list, « ## » for a title. Personalisation fields: %(fields)s."
        ) % {"fields": _field_help()}


class ScheduleForm(EssaimForm):
    when = forms.ChoiceField(
        label=_("When"),
        choices=[("now", _("Now")), ("later", _("At a date and time"))],
        initial="now",
        widget=forms.RadioSelect,
    )
    send_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
    )

    def clean(self):
        data = super().clean()
        if data.get("when") == "later" and not data.get("send_at"):
            self.add_error("send_at", _("Choose the date and time of sending."))
        return data

    def service_fields(self) -> dict:
        if self.cleaned_data.get("when") == "later":
            return {"send_at": self.cleaned_data["send_at"]}
        return {"send_at": None}


class MailingSettingsForm(EssaimForm):
    messages_per_minute = forms.IntegerField(
        label=_("Messages per minute"), min_value=1, max_value=100_000
    )
    track_opens = forms.BooleanField(label=_("Count opens"), required=False)


class NewsletterForm(EssaimForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the subscription page: what people receive and how often."),
    )
    is_public = forms.BooleanField(
        label=_("Anyone can subscribe from the list's public page"), required=False, initial=True
    )


class ImportForm(EssaimForm):
    lines = forms.CharField(
        label=_("Addresses"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One per line: « e-mail » or « e-mail;first name;last name »."),
    )
    legal_basis = forms.CharField(
        label=_("How did these people agree?"),
        max_length=255,
        help_text=_(
            "Required: the proof of their consent, e.g. « paper form at the 2025 fair ». "
            "Never import addresses of people who did not ask to receive the list."
        ),
    )


class SubscribeForm(EssaimForm):
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send you a link to confirm."),
    )
    first_name = forms.CharField(
        label=_("First name (optional)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name (optional)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def service_fields(self) -> dict:
        return {k: self.cleaned_data.get(k, "") for k in ("email", "first_name", "last_name")}


class SuppressionForm(EssaimForm):
    email = forms.CharField(label=_("E-mail"), max_length=254)
    detail = forms.CharField(label=_("Why (optional)"), max_length=500, required=False)

    def service_fields(self) -> dict:
        return {
            "email": self.cleaned_data["email"],
            "detail": self.cleaned_data.get("detail", ""),
            "reason": Suppression.Reason.MANUAL,
        }
