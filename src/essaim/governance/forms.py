import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

from .models import Assembly, AssemblyKind, Body, BodySeat, StatutesRules


def _field(name: str, **overrides):
    return StatutesRules._meta.get_field(name).formfield(**overrides)


class StatutesRulesForm(EssaimForm):
    quorum_ordinary = _field("quorum_ordinary")
    quorum_extraordinary = _field("quorum_extraordinary")
    second_convocation_without_quorum = _field("second_convocation_without_quorum")
    majority_ordinary = _field("majority_ordinary")
    majority_ordinary_custom = _field("majority_ordinary_custom")
    majority_extraordinary = _field("majority_extraordinary")
    majority_extraordinary_custom = _field("majority_extraordinary_custom")
    proxies_allowed = _field("proxies_allowed")
    proxy_cap = _field("proxy_cap")
    remote_voting_allowed = _field("remote_voting_allowed")
    notice_days = _field("notice_days")
    weighted_votes = _field("weighted_votes")


class BodyForm(EssaimForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Body.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class BodySeatForm(EssaimForm):
    person = forms.UUIDField(
        label=_("Contact"),
        widget=forms.Select(),
        help_text=_("Only your association's contacts are listed."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=BodySeat.Role.choices)
    since = forms.DateField(
        label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].widget.choices = [("", "—")] + [
            (str(p.uuid), p.full_name or str(p)) for p in people
        ]


class AssemblyForm(EssaimForm):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        initial=_("Annual general meeting"),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=AssemblyKind.choices)
    starts_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"],
    )
    mode = forms.ChoiceField(
        label=_("Where"), choices=Assembly.Mode.choices, widget=forms.RadioSelect
    )
    place = forms.CharField(
        label=_("Place"),
        max_length=300,
        required=False,
        help_text=_("Address of the meeting room (on site or hybrid)."),
    )
    online_link = forms.URLField(
        label=_("Link to join online"),
        required=False,
        assume_scheme="https",
        help_text=_("Online or hybrid: only the members convened will see it."),
    )
    convocation_number = forms.TypedChoiceField(
        label=_("Convocation"),
        coerce=int,
        choices=[(1, _("first convocation")), (2, _("second convocation"))],
        help_text=_("Second convocation: the first meeting did not reach its quorum."),
    )

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        if value and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


def default_start() -> dt.datetime:
    """In a month, at 18:30: a usual time for an association's evening meeting."""
    day = timezone.localdate() + dt.timedelta(days=30)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(18, 30)))


class AgendaItemForm(EssaimForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_resolution = forms.BooleanField(
        label=_("Resolution put to the vote"),
        required=False,
        help_text=_("Tick it when the members will vote on this point."),
    )
    document = forms.FileField(
        label=_("Document"),
        required=False,
        help_text=_("PDF, ODT or DOCX, 10 MB at most: accounts, activity report, draft text…"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.odt,.docx,application/pdf"}),
    )


class ProxyForm(EssaimForm):
    giver = forms.UUIDField(label=_("Member who cannot come"), widget=forms.Select())
    holder = forms.UUIDField(label=_("Member who will vote for them"), widget=forms.Select())

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(str(p.uuid), p.full_name or str(p)) for p in people]
        self.fields["giver"].widget.choices = choices
        self.fields["holder"].widget.choices = choices


class GiveProxyForm(EssaimForm):
    holder = forms.UUIDField(label=_("Member who will vote for you"), widget=forms.Select())

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].widget.choices = [("", "—")] + [
            (str(p.uuid), p.full_name or str(p)) for p in people
        ]
