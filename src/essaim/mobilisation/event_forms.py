"""Forms of events (back office and public registration) and calls to action."""

from django import forms
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

from .forms import HONEYPOT
from .models import CallToAction, Event, EventSeries

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class EventForm(EssaimForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    place = forms.CharField(
        label=_("Place (address)"),
        max_length=300,
        required=False,
        help_text=_("Shown on the public page, with a link to a map."),
    )
    online = forms.BooleanField(label=_("Online event"), required=False)
    online_url = forms.URLField(
        label=_("Link to join"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_(
            "Only registrants see it: in their confirmation e-mail and on their registration "
            "page, never on the public page."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    cover_text = forms.CharField(
        label=_("Text for sharing"),
        max_length=300,
        required=False,
        help_text=_("One or two sentences shown when the page is shared on a social network."),
    )
    capacity = forms.IntegerField(
        label=_("Places"),
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text=_("Leave empty for no limit. When it is full, people go on a waiting list."),
    )
    max_guests = forms.IntegerField(
        label=_("Guests per registration"),
        required=False,
        min_value=0,
        max_value=20,
        initial=0,
        help_text=_("0: each person registers themselves."),
    )
    registration_deadline = forms.DateTimeField(
        label=_("Registrations close at"),
        required=False,
        widget=DATETIME,
        input_formats=DATETIME_FORMATS,
        help_text=_("Optional; otherwise when the event starts."),
    )
    reminder_hours = forms.IntegerField(
        label=_("Reminder e-mail (hours before)"),
        min_value=0,
        max_value=336,
        initial=24,
        help_text=_("24: the day before. 0: no reminder."),
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=Event.Visibility.choices, initial="public"
    )

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["max_guests"] = data.get("max_guests") or 0
        data["reminder_hours"] = data.get("reminder_hours") or 0
        return data


class EventCreateForm(EventForm):
    repeat = forms.ChoiceField(
        label=_("Repeats"),
        required=False,
        choices=[("", _("does not repeat")), *EventSeries.Frequency.choices],
    )
    repeat_until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("For a series: the last day. Each date is its own event and registrations."),
    )


class EventEditForm(EventForm):
    scope = forms.ChoiceField(
        label=_("Apply the changes to"),
        required=False,
        choices=[
            ("one", _("this date only")),
            ("following", _("this date and the following ones")),
        ],
        initial="one",
        widget=forms.RadioSelect,
    )


class RegisterForm(EssaimForm):
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
        help_text=_("We send you a link to confirm your registration. It is never shown."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    guests = forms.IntegerField(
        label=_("Guests coming with you"), required=False, min_value=0, max_value=20, initial=0
    )
    news = forms.BooleanField(
        label=_("Send me news of the association"),
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

    def __init__(self, *args, event: Event, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None:
            del self.fields["email"]
        if not event.max_guests:
            del self.fields["guests"]
        else:
            self.fields["guests"].max_value = event.max_guests
            self.fields["guests"].widget.attrs["max"] = event.max_guests

    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "first_name": data.get("first_name", ""),
            "last_name": data.get("last_name", ""),
            "email": data.get("email", ""),
            "guests": data.get("guests") or 0,
            "news": bool(data.get("news")),
        }


class ActionForm(EssaimForm):
    kind = forms.ChoiceField(
        label=_("What people are asked to do"),
        choices=CallToAction.Kind.choices,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What to do and why"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    share_url = forms.URLField(
        label=_("Page to share"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("For « share a page »: leave empty to share the action's own page."),
    )
    addressee_name = forms.CharField(
        label=_("Addressee"),
        max_length=200,
        required=False,
        help_text=_("For « write to an addressee »: « Madame la Maire de Lyon »…"),
    )
    addressee_email = forms.EmailField(label=_("Addressee's e-mail"), required=False)
    subject_template = forms.CharField(
        label=_("Subject of the message"), max_length=200, required=False
    )
    body_template = forms.CharField(
        label=_("Message"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Each person may change it before sending it from their own mailbox. "
            "{name} becomes their name, {addressee} the addressee."
        ),
    )
    event = forms.ModelChoiceField(
        label=_("Event"),
        queryset=Event.objects.none(),
        required=False,
        help_text=_("For « come to an event »: it counts when the person is registered."),
    )

    def __init__(self, *args, association, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = Event.objects.filter(association=association).exclude(
            status=Event.Status.CANCELLED
        )


class CompletionForm(EssaimForm):
    name = forms.CharField(label=_("Your name (optional)"), max_length=150, required=False)
    email = forms.CharField(
        label=_("Your e-mail (optional)"),
        max_length=254,
        required=False,
        help_text=_("To count you once. It is never shown."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
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
