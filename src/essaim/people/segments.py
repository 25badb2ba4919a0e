"""The registry of segment criteria: the building blocks of audiences.

Each domain app registers the criteria it knows about in its own `segments.py` (imported
from its `registrations.py`), so communication never imports the models of members,
fundraising, volunteering or mobilisation: dependencies point one way, towards `people`.

A criterion has a key ("members.status"), a label, a group (shown as a heading in the
builder), parameters (each with the form field that cleans it) and a function
`(association, params) -> Q over Person | QuerySet of Person ids`. Parameters arrive
cleaned by their form fields; a parameter with several choices means "any of them" (OR).
The function must build SQL only (no Python loop over persons): an audience is counted live.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

# Kinds of parameters and the JSON they are stored as.
CHOICE = "choice"  # one value among choices: str
MULTI = "multi"  # several values among choices, any of them: list[str]
DATE = "date"  # ISO date: "2026-01-31"
AMOUNT = "amount"  # euros, a decimal: "50.00"
TEXT = "text"  # free text: str
KINDS = (CHOICE, MULTI, DATE, AMOUNT, TEXT)

Choices = list[tuple[str, str]]


@dataclass(frozen=True)
class Param:
    name: str
    label: Any
    kind: str
    # Static choices, or a function of the association (tags, membership types, petitions…).
    choices: Choices | Callable[[Any], Choices] | None = None
    required: bool = True
    help_text: Any = ""

    def choices_for(self, association) -> Choices:
        if self.choices is None:
            return []
        if callable(self.choices):
            return [(str(value), str(label)) for value, label in self.choices(association)]
        return [(str(value), str(label)) for value, label in self.choices]

    def form_field(self, association, *, with_choices: bool = True) -> forms.Field:
        common = {"label": self.label, "required": self.required, "help_text": self.help_text}
        choices = self.choices_for(association) if with_choices else []
        if self.kind == CHOICE:
            return forms.ChoiceField(choices=choices, **common)
        if self.kind == MULTI:
            return forms.MultipleChoiceField(
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                **common,
            )
        if self.kind == DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        if self.kind == AMOUNT:
            return forms.DecimalField(
                min_value=0, max_digits=12, decimal_places=2, localize=True, **common
            )
        return forms.CharField(max_length=100, strip=True, **common)

    def to_json(self, value) -> Any:
        """A cleaned value as it is stored in the audience's definition."""
        if value in (None, "", []):
            return None
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        return str(value)

    def from_json(self, value) -> Any:
        """A stored value, typed for the criterion's function (no choice check: a deleted
        tag simply matches nobody)."""
        if value in (None, "", []):
            return [] if self.kind == MULTI else None
        if self.kind == MULTI:
            if not isinstance(value, list):
                value = [value]
            return [str(v) for v in value]
        if self.kind == DATE:
            return date.fromisoformat(str(value))
        if self.kind == AMOUNT:
            return Decimal(str(value))
        return str(value)


@dataclass(frozen=True)
class Criterion:
    key: str
    label: Any
    group: Any
    build: Callable[[Any, dict], Q | QuerySet]
    params: tuple[Param, ...] = field(default_factory=tuple)
    help_text: Any = ""
    # Excludes read naturally for some criteria ("not tagged X"), not for others.
    order: int = 100

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def clean_params(self, association, raw: dict | None, *, check_choices: bool = True) -> dict:
        """Stored (or submitted) parameters → the JSON to store. Raises ValidationError with
        a message that names the parameter. With `check_choices`, a value that is no longer
        among the choices (a deleted tag) is an error."""
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ValidationError(
                _("The parameters of “%(criterion)s” are not readable."),
                params={"criterion": self.label},
            )
        unknown = sorted(set(raw) - {p.name for p in self.params})
        if unknown:
            raise ValidationError(
                _("“%(criterion)s” has no parameter “%(name)s”."),
                params={"criterion": self.label, "name": unknown[0]},
            )
        cleaned = {}
        for param in self.params:
            value = raw.get(param.name)
            if param.kind == MULTI and value not in (None, "") and not isinstance(value, list):
                value = [value]
            if param.kind == DATE and isinstance(value, date):
                value = value.isoformat()
            if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
                value = str(value)
            form_field = param.form_field(association, with_choices=check_choices)
            if not check_choices and param.kind in (CHOICE, MULTI):
                form_field.valid_value = lambda v: True
            if isinstance(value, dict | bool):
                raise ValidationError(
                    _("“%(criterion)s”, %(param)s: this value is not valid."),
                    params={"criterion": self.label, "param": param.label},
                )
            try:
                cleaned_value = form_field.clean(value)
            except ValidationError as exc:
                if param.kind in (CHOICE, MULTI) and any(
                    e.code == "invalid_choice" for e in exc.error_list
                ):
                    raise ValidationError(
                        _(
                            "“%(criterion)s”, %(param)s: a choice no longer exists (deleted "
                            "since?). Remove it or choose again."
                        ),
                        params={"criterion": self.label, "param": param.label},
                    ) from exc
                raise ValidationError(
                    _("“%(criterion)s”, %(param)s: %(error)s"),
                    params={
                        "criterion": self.label,
                        "param": param.label,
                        "error": " ".join(str(m) for m in exc.messages),
                    },
                ) from exc
            stored = param.to_json(cleaned_value)
            if stored is not None:
                cleaned[param.name] = stored
        return cleaned

    def typed_params(self, stored: dict) -> dict:
        return {p.name: p.from_json(stored.get(p.name)) for p in self.params}

    def condition(self, association, stored: dict) -> Q:
        """The criterion as a Q over Person (one subquery at most)."""
        result = self.build(association, self.typed_params(stored))
        if isinstance(result, Q):
            return result
        return Q(pk__in=result)


_CRITERIA: dict[str, Criterion] = {}


def register(criterion: Criterion) -> Criterion:
    if criterion.key in _CRITERIA and _CRITERIA[criterion.key] is not criterion:
        raise ValueError(f"segment criterion {criterion.key!r} registered twice")
    _CRITERIA[criterion.key] = criterion
    return criterion


def get(key: str) -> Criterion | None:
    return _CRITERIA.get(key)


def all_criteria() -> list[Criterion]:
    return sorted(_CRITERIA.values(), key=lambda c: (c.order, c.key))


# The criteria of people itself: tags, consents, e-mail, postcode, creation date.


def _tag_choices(association) -> Choices:
    from .models import Tag

    return list(Tag.objects.filter(association=association).values_list("pk", "name"))


def _tagged(association, params) -> Q:
    ids = [int(v) for v in params["tags"] if str(v).isdigit()]
    from .models import Person

    return Q(
        pk__in=Person.tags.through.objects.filter(
            tag_id__in=ids, tag__association=association
        ).values("person_id")
    )


def _consent(association, params) -> QuerySet:
    """Persons whose latest answer, for one of the topics, is "agreed"."""
    from django.db.models import OuterRef, Subquery

    from .models import Consent

    topics = params["topics"]
    latest = Consent.objects.filter(
        association=association, person_id=OuterRef("person_id"), topic=OuterRef("topic")
    ).order_by("-recorded_at", "-id")
    return (
        Consent.objects.filter(association=association, topic__in=topics, granted=True)
        .filter(pk=Subquery(latest.values("pk")[:1]))
        .values("person_id")
    )


def _has_email(association, params) -> Q:
    return ~Q(email="")


def _postcode(association, params) -> Q:
    """Postcodes or départements: "75011" matches a postcode, "75" or "2A" a département."""
    condition = Q()
    for raw in params["prefixes"].replace(";", ",").replace(" ", ",").split(","):
        prefix = raw.strip().upper()
        if not prefix:
            continue
        if prefix in ("2A", "2B"):
            # Corsica: 200xx–201xx is Corse-du-Sud, 202xx–206xx Haute-Corse.
            prefixes = ("200", "201") if prefix == "2A" else ("202", "203", "204", "205", "206")
            for p in prefixes:
                condition |= Q(postcode__startswith=p)
        else:
            condition |= Q(postcode__startswith=prefix)
    return condition if condition else Q(pk__in=[])


def _created(association, params) -> Q:
    condition = Q()
    if params.get("since"):
        condition &= Q(created_at__date__gte=params["since"])
    if params.get("until"):
        condition &= Q(created_at__date__lte=params["until"])
    return condition


def _consent_topic_choices(association) -> Choices:
    from .models import Consent

    return list(Consent.Topic.choices)


PEOPLE = _("Contacts")

register(
    Criterion(
        key="people.tags",
        label=_("Tagged"),
        group=PEOPLE,
        help_text=_("Contacts with at least one of these tags."),
        params=(Param("tags", _("tags"), MULTI, choices=_tag_choices),),
        build=_tagged,
        order=10,
    )
)
register(
    Criterion(
        key="people.consent",
        label=_("Agreed to"),
        group=PEOPLE,
        help_text=_("Contacts whose latest answer is “yes” for at least one of these subjects."),
        params=(Param("topics", _("subjects"), MULTI, choices=_consent_topic_choices),),
        build=_consent,
        order=11,
    )
)
register(
    Criterion(
        key="people.has_email",
        label=_("Has an e-mail address"),
        group=PEOPLE,
        build=_has_email,
        order=12,
    )
)
register(
    Criterion(
        key="people.postcode",
        label=_("Postcode or département"),
        group=PEOPLE,
        help_text=_("One or several, separated by commas: 75011, 93, 2A."),
        params=(Param("prefixes", _("postcodes or départements"), TEXT),),
        build=_postcode,
        order=13,
    )
)
register(
    Criterion(
        key="people.created",
        label=_("Added between"),
        group=PEOPLE,
        params=(
            Param("since", _("from"), DATE, required=False),
            Param("until", _("to"), DATE, required=False),
        ),
        build=_created,
        order=14,
    )
)
