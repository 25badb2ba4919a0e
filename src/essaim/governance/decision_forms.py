"""Forms of consultations, decisions, digest preferences and minutes."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

from .models import Decision, DecisionAnswer, DigestPreference


def _body_choices(bodies) -> list:
    return [("", _("All members with voting rights"))] + [(str(b.uuid), b.name) for b in bodies]


class ConsultationForm(EssaimForm):
    title = forms.CharField(label=_("Question"), max_length=200)
    theme = forms.CharField(label=_("Theme"), max_length=100, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    body = forms.ChoiceField(label=_("Asked to"), required=False)
    support_threshold = forms.IntegerField(
        label=_("Supports needed"),
        required=False,
        min_value=1,
        help_text=_("A proposal with this many supports is retained. Empty: no count."),
    )
    support_share = forms.CharField(
        label=_("Or a share of the members asked"),
        max_length=20,
        required=False,
        help_text=_("For example 10 %. A proposal reaching either threshold is retained."),
    )
    ends_on = forms.DateField(
        label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, bodies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.bodies = {str(b.uuid): b for b in bodies}
        self.fields["body"].choices = _body_choices(bodies)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["body"] = self.bodies.get(data.get("body") or "")
        return data


class ProposalForm(EssaimForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Your proposal"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6})
    )


class CommentForm(EssaimForm):
    text = forms.CharField(
        label=_("Comment"), max_length=3_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    parent = forms.UUIDField(required=False, widget=forms.HiddenInput)


class AmendmentForm(EssaimForm):
    text = forms.CharField(
        label=_("The text you suggest"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    reason = forms.CharField(label=_("Why"), max_length=500, required=False)


class HideForm(EssaimForm):
    reason = forms.CharField(
        label=_("Reason (kept in the activity log)"),
        max_length=300,
        help_text=_("For example: insulting, off topic, personal data."),
    )


class DecisionForm(EssaimForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Proposal"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you propose, and why: the members answer this text."),
    )
    process = forms.ChoiceField(
        label=_("How members answer"), choices=Decision.Process.choices, widget=forms.RadioSelect
    )
    options = forms.CharField(
        label=_("Options (polls only)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One option per line."),
    )
    body = forms.ChoiceField(label=_("Decided by"), required=False)
    secret = forms.BooleanField(
        label=_("Secret answers"),
        required=False,
        help_text=_("Only the counts are shown, not who answered what."),
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"],
    )
    proposer = forms.ChoiceField(
        label=_("Proposer"),
        required=False,
        help_text=_("The member who writes the outcome at the close."),
    )

    def __init__(self, *args, bodies=(), people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.bodies = {str(b.uuid): b for b in bodies}
        self.people = {str(p.uuid): p for p in people}
        self.fields["body"].choices = _body_choices(bodies)
        self.fields["proposer"].choices = [("", "—")] + [
            (key, p.full_name or str(p)) for key, p in self.people.items()
        ]

    def clean_deadline(self):
        value = self.cleaned_data["deadline"]
        if value and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["body"] = self.bodies.get(data.get("body") or "")
        data["proposer"] = self.people.get(data.get("proposer") or "")
        data["options"] = (data.get("options") or "").splitlines()
        return data


class ConsentAnswerForm(EssaimForm):
    position = forms.ChoiceField(
        label=_("Your answer"), choices=DecisionAnswer.Position.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional, but required to block."),
    )


class PollAnswerForm(EssaimForm):
    choices = forms.TypedMultipleChoiceField(
        label=_("Your choice"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, decision: Decision, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["choices"]
        field.choices = list(enumerate(decision.options))
        if decision.process == Decision.Process.SINGLE:
            field.widget = forms.RadioSelect(choices=field.choices)
            field.label = _("Your choice (one)")


class OutcomeForm(EssaimForm):
    outcome = forms.CharField(
        label=_("Outcome"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was decided, in a few sentences, for those who did not follow."),
    )


class DigestPreferenceForm(EssaimForm):
    frequency = forms.ChoiceField(
        label=_("Summary e-mail of consultations and decisions"),
        choices=DigestPreference.Frequency.choices,
        widget=forms.RadioSelect,
    )


class MinutesForm(EssaimForm):
    chair_name = forms.CharField(label=_("Chair of the meeting"), max_length=200, required=False)
    secretary_name = forms.CharField(
        label=_("Secretary of the meeting"), max_length=200, required=False
    )
    opening_text = forms.CharField(
        label=_("Opening"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Blank lines separate paragraphs; “- ” starts a bullet; **bold**."),
    )
    closing_text = forms.CharField(
        label=_("Closing"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    correction_note = forms.CharField(
        label=_("What this version corrects"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, items=(), correction=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_keys = {}
        for index, item in enumerate(items):
            key = f"item_{index}"
            self.item_keys[key] = str(item.uuid)
            self.fields[key] = forms.CharField(
                label=item.title,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("Debates, statements; the vote's figures are added by Essaim."),
            )
        if not correction:
            del self.fields["correction_note"]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["item_texts"] = {self.item_keys[k]: data.pop(k) for k in list(self.item_keys)}
        return data
