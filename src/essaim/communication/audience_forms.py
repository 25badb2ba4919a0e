"""Forms of the audience builder: the audience's name, and one criterion being added."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm
from essaim.people import segments

from .audiences import empty_definition

INCLUDE = "include"
EXCLUDE = "exclude"


class AudienceForm(EssaimForm):
    name = forms.CharField(
        label=_("Name of the audience"),
        max_length=120,
        help_text=_("For example: members of this year with an e-mail address."),
    )
    description = forms.CharField(label=_("Note for the team"), max_length=255, required=False)


class CriterionForm(EssaimForm):
    """The parameters of one criterion, and whether it keeps or leaves out who matches."""

    prefix = "p"

    def __init__(self, association, criterion: segments.Criterion, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        self.fields["mode"] = forms.ChoiceField(
            label=_("The contacts who match"),
            choices=[(INCLUDE, _("keep only them")), (EXCLUDE, _("leave them out"))],
            widget=forms.RadioSelect,
            initial=INCLUDE,
        )
        for param in criterion.params:
            self.fields[param.name] = param.form_field(association)

    def rule(self) -> tuple[str, dict]:
        """(part, rule) of the valid form: part is "include" or "exclude"."""
        params = {}
        for param in self.criterion.params:
            value = param.to_json(self.cleaned_data.get(param.name))
            if value is not None:
                params[param.name] = value
        return self.cleaned_data["mode"], {"criterion": self.criterion.key, "params": params}


def read_definition(raw: str | None) -> dict:
    """The definition carried by the builder's hidden field (the page works without JS:
    each button posts the whole state). Anything unreadable starts afresh."""
    try:
        definition = json.loads(raw or "")
    except (TypeError, ValueError):
        return empty_definition()
    if not isinstance(definition, dict):
        return empty_definition()
    include = definition.get("include")
    exclude = definition.get("exclude")
    return {
        "version": definition.get("version", 1),
        "include": [r for r in include if isinstance(r, dict)] if isinstance(include, list) else [],
        "exclude": [r for r in exclude if isinstance(r, dict)] if isinstance(exclude, list) else [],
    }


def criterion_choices() -> list:
    """The criteria grouped for a <select>: [(group, [(key, label), …]), …]."""
    groups: dict[str, list] = {}
    for criterion in segments.all_criteria():
        groups.setdefault(str(criterion.group), []).append((criterion.key, criterion.label))
    return list(groups.items())
