"""Forms of shifts and hours: a shift (or a weekly series), cancelling it, adding a volunteer,
declaring hours, refusing hours, the hourly rate and the period of the totals."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm
from essaim.fundraising.forms import AmountField

from .forms import DATE_INPUT_FORMATS, _date_field
from .models import VolunteeringSettings
from .reference import skill_choices

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"]


def _datetime_field(label, **kwargs):
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=DATETIME_FORMATS,
        **kwargs,
    )


class ShiftForm(EssaimForm):
    starts_at = _datetime_field(_("Start"))
    ends_at = _datetime_field(_("End"))
    capacity = forms.IntegerField(
        label=_("Places"), min_value=1, max_value=1000, initial=2, widget=forms.NumberInput
    )
    qualifications = forms.MultipleChoiceField(
        label=_("Skills required"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only volunteers whose profile has all these skills can sign up themselves; "
            "you can still add anyone."
        ),
    )
    signup_deadline = _datetime_field(
        _("Sign-ups close at"),
        required=False,
        help_text=_("Leave empty: volunteers can sign up or cancel until the start."),
    )
    location = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        help_text=_("Leave empty when it is the mission's address."),
    )
    notes = forms.CharField(
        label=_("Notes for the volunteers"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, association=None, series: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qualifications"].choices = skill_choices(association)
        if series:
            self.fields["repeat_until"] = _date_field(
                _("Repeat every week until"),
                help_text=_("Leave empty for a single shift. 53 shifts at most."),
            )

    @staticmethod
    def initial_from(shift) -> dict:
        from django.utils import timezone

        return {
            "starts_at": timezone.localtime(shift.starts_at),
            "ends_at": timezone.localtime(shift.ends_at),
            "capacity": shift.capacity,
            "qualifications": shift.qualifications,
            "signup_deadline": timezone.localtime(shift.signup_deadline)
            if shift.signup_deadline
            else None,
            "location": shift.location,
            "notes": shift.notes,
        }


class ShiftCancelForm(EssaimForm):
    reason = forms.CharField(
        label=_("Message to the volunteers signed up"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent by e-mail with the notice of cancellation."),
    )


class HoursDeclareForm(EssaimForm):
    mission = forms.ChoiceField(label=_("Mission"))
    worked_on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=DATE_INPUT_FORMATS,
    )
    hours = forms.IntegerField(label=_("Hours"), min_value=0, max_value=24, initial=0)
    minutes = forms.IntegerField(
        label=_("Minutes"), min_value=0, max_value=59, initial=0, required=False
    )
    activity = forms.CharField(
        label=_("What you did"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. sorting the collected food")}),
    )

    def __init__(self, *args, missions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.missions = {str(m.uuid): m for m in missions}
        self.fields["mission"].choices = [
            (str(m.uuid), f"{m.title} — {m.association.name}") for m in missions
        ]

    def clean(self):
        data = super().clean()
        if data.get("hours") is not None:
            data["total_minutes"] = data["hours"] * 60 + (data.get("minutes") or 0)
        return data

    def service_fields(self) -> dict:
        mission = self.missions[self.cleaned_data["mission"]]
        return {
            "association": mission.association,
            "mission": mission,
            "worked_on": self.cleaned_data["worked_on"],
            "minutes": self.cleaned_data["total_minutes"],
            "activity": self.cleaned_data["activity"],
        }


class RefuseForm(EssaimForm):
    reason = forms.CharField(
        label=_("Reason (shown to the volunteer)"),
        max_length=1000,
        required=False,
        widget=forms.TextInput,
    )


class RateForm(EssaimForm):
    volunteer_hourly_rate_cents = AmountField(
        label=_("Hourly rate for valuing volunteer hours (€)"),
        max_cents=100_000,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = VolunteeringSettings.DEFAULT_HOURLY_RATE_CENTS
        self.fields["volunteer_hourly_rate_cents"].help_text = _(
            "Used to value volunteer hours as contributions in kind (accounts 86 and 87). "
            "Many associations use the gross hourly minimum wage (SMIC, %(default)s € by "
            "default here) or the gross hourly wage of an employee doing the same work."
        ) % {"default": f"{default // 100},{default % 100:02d}"}


PERIODS = (("month", _("Month")), ("year", _("Year")), ("range", _("From … to …")))


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2999, required=False)
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12, required=False)
    start = _date_field(_("From"))
    end = _date_field(_("To"))

    def period_kwargs(self, today: dt.date) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "kind": data.get("period") or "month",
            "year": data.get("year") or today.year,
            "month": data.get("month") or today.month,
            "start": data.get("start"),
            "end": data.get("end"),
        }
