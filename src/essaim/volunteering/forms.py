"""Forms of volunteering: the volunteer profile, the mission form, applying, messages, search."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

from .models import Mission
from .reference import CAUSES, LANGUAGES, SLOTS, mask_from_slots, skill_choices, slots_from_mask

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]


def _date_field(label, **kwargs):
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=DATE_INPUT_FORMATS,
        **kwargs,
    )


def _add_commune_field(form, label) -> None:
    """A choice of commune when the postcode (typed or saved) covers several: the page is
    shown again after a first save, no JavaScript needed."""
    from django.core.exceptions import ValidationError

    from . import places

    postcode = (form.data.get("postcode") if form.is_bound else None) or form.initial.get(
        "postcode"
    )
    try:
        communes = places.communes_for(postcode) if postcode else ()
    except ValidationError:
        communes = ()
    if len(communes) > 1:
        # A plain field with a list: a commune of the previous postcode is ignored (the
        # service takes the first commune), not refused.
        form.fields["insee"] = forms.CharField(
            label=label,
            required=False,
            max_length=5,
            widget=forms.Select(
                choices=[("", _("Choose your commune"))] + [(c.insee, c.name) for c in communes]
            ),
        )


class CommuneMixin:
    @property
    def commune_field(self):
        """The bound commune field, or None when the postcode has one commune."""
        return self["insee"] if "insee" in self.fields else None


def _clean_insee(form) -> str:
    value = form.cleaned_data.get("insee") or ""
    return value


def _postcode_field(label, **kwargs):
    return forms.CharField(
        label=label,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
        **kwargs,
    )


class ProfileForm(CommuneMixin, EssaimForm):
    skills = forms.MultipleChoiceField(
        label=_("My skills"), required=False, widget=forms.CheckboxSelectMultiple
    )
    causes = forms.MultipleChoiceField(
        label=_("Causes I care about"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=CAUSES,
    )
    availability = forms.MultipleChoiceField(
        label=_("When I am free (each week)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=SLOTS,
    )
    postcode = _postcode_field(_("My postcode"), required=False)
    radius_km = forms.IntegerField(
        label=_("How far I can go (km)"), min_value=0, max_value=200, initial=10
    )
    remote_ok = forms.BooleanField(label=_("I welcome remote missions"), required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages I speak"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=LANGUAGES,
    )
    about = forms.CharField(
        label=_("A few words about me"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .reference import all_skill_labels

        self.fields["skills"].choices = sorted(all_skill_labels().items(), key=lambda c: c[1])
        _add_commune_field(self, _("My commune"))

    @staticmethod
    def initial_from(profile) -> dict:
        if profile is None:
            return {"radius_km": 10}
        return {
            "skills": profile.skills,
            "causes": profile.causes,
            "availability": slots_from_mask(profile.availability),
            "postcode": profile.postcode,
            "insee": profile.insee,
            "radius_km": profile.radius_km,
            "remote_ok": profile.remote_ok,
            "languages": profile.languages,
            "about": profile.about,
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["availability"] = mask_from_slots(data["availability"])
        data["insee"] = _clean_insee(self)
        return data


class MissionForm(CommuneMixin, EssaimForm):
    title = forms.CharField(label=_("Title"), max_length=150)
    description = forms.CharField(
        label=_("Description"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    cause = forms.ChoiceField(label=_("Cause"), choices=CAUSES)
    skills = forms.MultipleChoiceField(
        label=_("Skills wanted"), required=False, widget=forms.CheckboxSelectMultiple
    )
    remote = forms.BooleanField(label=_("Can be done remotely"), required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    postcode = _postcode_field(
        _("Postcode"), required=False, help_text=_("Where the mission takes place.")
    )
    kind = forms.ChoiceField(label=_("One-off or recurring"), choices=Mission.Kind.choices)
    starts_on = _date_field(_("Start"))
    ends_on = _date_field(_("End"))
    time_commitment = forms.CharField(
        label=_("Time commitment"),
        max_length=150,
        required=False,
        help_text=_("For example: 2 hours a week, one Saturday."),
    )
    availability = forms.MultipleChoiceField(
        label=_("When (leave empty if flexible)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=SLOTS,
    )
    places = forms.IntegerField(label=_("Places"), min_value=1, max_value=10_000, initial=1)
    min_age = forms.IntegerField(label=_("Minimum age"), min_value=0, max_value=99, required=False)
    documents = forms.CharField(
        label=_("Documents asked"),
        max_length=300,
        required=False,
        help_text=_("For example: extrait de casier judiciaire, driving licence."),
    )
    questions = forms.CharField(
        label=_("Questions for applicants (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=150, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)

    def __init__(self, *args, association, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skills"].choices = skill_choices(association)
        _add_commune_field(self, _("Commune"))

    @staticmethod
    def initial_from(mission: Mission) -> dict:
        return {
            "title": mission.title,
            "description": mission.description,
            "cause": mission.cause,
            "skills": mission.skills,
            "remote": mission.remote,
            "address": mission.address,
            "postcode": mission.postcode,
            "insee": mission.insee,
            "kind": mission.kind,
            "starts_on": mission.starts_on,
            "ends_on": mission.ends_on,
            "time_commitment": mission.time_commitment,
            "availability": slots_from_mask(mission.availability),
            "places": mission.places,
            "min_age": mission.min_age,
            "documents": mission.documents,
            "questions": "\n".join(mission.questions),
            "contact_name": mission.contact_name,
            "contact_email": mission.contact_email,
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["availability"] = mask_from_slots(data["availability"])
        data["questions"] = [
            line.strip() for line in data["questions"].splitlines() if line.strip()
        ]
        data["insee"] = _clean_insee(self)
        return data


class SkillForm(EssaimForm):
    label = forms.CharField(label=_("New skill"), max_length=80)


class ApplyForm(EssaimForm):
    motivation = forms.CharField(
        label=_("A message for the association (optional)"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree to share my volunteer profile (name, e-mail, skills, availability, "
            "commune, languages) with this association for this application."
        ),
        required=False,
    )

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(mission.questions)
        for index, question in enumerate(self.questions):
            self.fields[f"answer_{index}"] = forms.CharField(
                label=question, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
            )

    def service_fields(self) -> dict:
        return {
            "answers": [self.cleaned_data[f"answer_{i}"] for i in range(len(self.questions))],
            "motivation": self.cleaned_data["motivation"],
            "consent": self.cleaned_data["consent"],
        }


class MessageForm(EssaimForm):
    body = forms.CharField(
        label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    cause = forms.ChoiceField(
        label=_("Cause"), required=False, choices=[("", _("All causes")), *CAUSES]
    )
    skill = forms.ChoiceField(label=_("Skill"), required=False)
    date = _date_field(_("Available on"))
    remote = forms.BooleanField(label=_("Remote only"), required=False)
    postcode = forms.CharField(
        label=_("Near the postcode"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    distance = forms.TypedChoiceField(
        label=_("Within"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "30 km"),
            ("5", "5 km"),
            ("10", "10 km"),
            ("20", "20 km"),
            ("50", "50 km"),
            ("100", "100 km"),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[("score", _("Match")), ("distance", _("Distance")), ("recent", _("Most recent"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .reference import all_skill_labels

        self.fields["skill"].choices = [
            ("", _("All skills")),
            *sorted(all_skill_labels().items(), key=lambda c: c[1]),
        ]

    def clean_date(self):
        value = self.cleaned_data.get("date")
        if value and not dt.date(2000, 1, 1) <= value <= dt.date(2100, 1, 1):
            raise forms.ValidationError(_("Give a date between 2000 and 2100."))
        return value
