"""Audiences: the definition format, its validation, and the persons an audience holds.

A definition is JSON with a schema version:

    {"version": 1,
     "include": [{"criterion": "members.status", "params": {"statuses": ["current"]}}, …],
     "exclude": [{"criterion": "people.tags", "params": {"tags": ["12"]}}]}

The included criteria are combined with AND, a criterion's several choices with OR, and a
person matching any excluded criterion is left out. No criterion at all: every live contact.
Erased (anonymised) contacts are never in an audience.

`audience_persons(audience)` is one SQL query (criteria are subqueries), evaluated lazily and
live: mailings read it at send time.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q, QuerySet
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log, diff, snapshot
from essaim.people import segments
from essaim.people.models import Person

from .models import Audience

SCHEMA_VERSION = 1
MAX_RULES = 20


def empty_definition() -> dict:
    return {"version": SCHEMA_VERSION, "include": [], "exclude": []}


def clean_definition(association, definition, *, check_choices: bool = True) -> dict:
    """A definition as submitted (API, builder) → the normalised JSON to store.

    Raises ValidationError with every problem found (an unknown criterion, a parameter of the
    wrong type, a deleted tag when `check_choices`)."""
    if not isinstance(definition, dict):
        raise ValidationError(_("The criteria of the audience are not readable."))
    version = definition.get("version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ValidationError(
            _("This audience was saved in an unknown format (version %(version)s)."),
            params={"version": version},
        )
    unknown_keys = sorted(set(definition) - {"version", "include", "exclude"})
    if unknown_keys:
        raise ValidationError(
            _("Unknown part of the audience: “%(name)s”."), params={"name": unknown_keys[0]}
        )
    errors: list[ValidationError] = []
    cleaned = empty_definition()
    for part in ("include", "exclude"):
        rules = definition.get(part) or []
        if not isinstance(rules, list):
            errors.append(ValidationError(_("The criteria of the audience are not readable.")))
            continue
        for rule in rules:
            try:
                cleaned[part].append(_clean_rule(association, rule, check_choices))
            except ValidationError as exc:
                errors.extend(exc.error_list)
    if len(cleaned["include"]) + len(cleaned["exclude"]) > MAX_RULES:
        errors.append(
            ValidationError(
                _("An audience has at most %(max)s criteria."), params={"max": MAX_RULES}
            )
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_rule(association, rule, check_choices: bool) -> dict:
    if not isinstance(rule, dict) or not isinstance(rule.get("criterion"), str):
        raise ValidationError(_("A criterion of the audience is not readable."))
    criterion = segments.get(rule["criterion"])
    if criterion is None:
        raise ValidationError(
            _("Unknown criterion “%(key)s”."), params={"key": rule["criterion"][:60]}
        )
    params = criterion.clean_params(association, rule.get("params"), check_choices=check_choices)
    return {"criterion": criterion.key, "params": params}


def definition_problems(audience) -> list[str]:
    """What is wrong with a saved audience, in words for the team: a tag or a membership type
    deleted since, a criterion no longer known. Empty when all is well."""
    try:
        clean_definition(audience.association, audience.definition or empty_definition())
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _condition(association, rule) -> Q | None:
    criterion = segments.get(rule.get("criterion")) if isinstance(rule, dict) else None
    if criterion is None:
        return None
    try:
        params = criterion.clean_params(association, rule.get("params"), check_choices=False)
        return criterion.condition(association, params)
    except (ValidationError, ValueError, TypeError):
        return None


def definition_persons(association, definition) -> QuerySet[Person]:
    """The live persons of a definition; an unreadable definition holds nobody (its problems
    are shown by `definition_problems`, never a 500)."""
    persons = Person.objects.filter(association=association, erased_at__isnull=True)
    if not isinstance(definition, dict) or definition.get("version", SCHEMA_VERSION) != (
        SCHEMA_VERSION
    ):
        return persons.none()
    include = definition.get("include") or []
    exclude = definition.get("exclude") or []
    if not isinstance(include, list) or not isinstance(exclude, list):
        return persons.none()
    for rule in include:
        condition = _condition(association, rule)
        if condition is None:
            return persons.none()
        persons = persons.filter(condition)
    for rule in exclude:
        condition = _condition(association, rule)
        if condition is None:
            return persons.none()
        persons = persons.exclude(condition)
    return persons


def audience_persons(audience) -> QuerySet[Person]:
    """The persons of an audience, live: a lazy QuerySet, one SQL query when evaluated."""
    return definition_persons(audience.association, audience.definition or empty_definition())


def audience_count(audience) -> int:
    return audience_persons(audience).order_by().count()


def describe(definition) -> list[tuple[bool, str]]:
    """(excluded, label) of each rule, for lists and summaries."""
    described = []
    if not isinstance(definition, dict):
        return described
    for part in ("include", "exclude"):
        for rule in definition.get(part) or []:
            criterion = segments.get(rule.get("criterion")) if isinstance(rule, dict) else None
            label = str(criterion.label) if criterion else _("unknown criterion")
            described.append((part == "exclude", label))
    return described


# Services (write) and selectors (read) of the Audience model.


def _check_name(association, name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the audience a name.")})
    if len(name) > 120:
        raise ValidationError({"name": _("120 characters at most.")})
    taken = Audience.objects.filter(association=association, name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": _("Another audience already has this name.")})
    return name


def _save(audience) -> None:
    try:
        with transaction.atomic():
            audience.save()
    except IntegrityError as exc:  # the same name saved meanwhile
        raise ValidationError({"name": _("Another audience already has this name.")}) from exc


@transaction.atomic
def audience_create(
    *, association, acting_user, name: str, definition, description: str = ""
) -> Audience:
    audience = Audience(
        association=association,
        name=_check_name(association, name),
        description=(description or "").strip()[:255],
        definition=clean_definition(association, definition),
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    _save(audience)
    audit_log(
        association=association,
        actor=acting_user,
        action="audience.create",
        obj=audience,
        data={
            "criteria": len(audience.definition["include"]) + len(audience.definition["exclude"])
        },
    )
    return audience


@transaction.atomic
def audience_update(
    *, association, acting_user, audience: Audience, name: str, definition, description: str = ""
) -> Audience:
    if audience.association_id != association.pk:
        raise ValidationError(_("This audience belongs to another association."))
    before = snapshot(audience, ("name", "description", "definition"))
    audience.name = _check_name(association, name, exclude_pk=audience.pk)
    audience.description = (description or "").strip()[:255]
    audience.definition = clean_definition(association, definition)
    _save(audience)
    audit_log(
        association=association,
        actor=acting_user,
        action="audience.update",
        obj=audience,
        changes=diff(before, snapshot(audience, ("name", "description", "definition"))),
    )
    return audience


@transaction.atomic
def audience_duplicate(*, association, acting_user, audience: Audience) -> Audience:
    if audience.association_id != association.pk:
        raise ValidationError(_("This audience belongs to another association."))
    base = _("%(name)s (copy)") % {"name": audience.name}
    name, number = base[:120], 2
    while Audience.objects.filter(association=association, name__iexact=name).exists():
        name = f"{base[:112]} {number}"
        number += 1
    copy = Audience(
        association=association,
        name=name,
        description=audience.description,
        # Copied as it is: a criterion whose tag was deleted since stays visible in the copy.
        definition=audience.definition,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    _save(copy)
    audit_log(
        association=association,
        actor=acting_user,
        action="audience.duplicate",
        obj=copy,
        data={"from": str(audience.uuid)},
    )
    return copy


@transaction.atomic
def audience_delete(*, association, acting_user, audience: Audience) -> None:
    if audience.association_id != association.pk:
        raise ValidationError(_("This audience belongs to another association."))
    audit_log(association=association, actor=acting_user, action="audience.delete", obj=audience)
    try:
        with transaction.atomic():
            audience.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _("This audience is used by a mailing: it cannot be deleted. Duplicate it instead.")
        ) from exc


def audience_export_logged(*, association, acting_user, audience: Audience, fmt: str) -> None:
    """The audit row of an export of the audience's persons (their personal data leaves)."""
    audit_log(
        association=association,
        actor=acting_user,
        action="audience.export",
        obj=audience,
        data={"format": fmt, "count": audience_count(audience)},
    )


def audiences_of(association) -> QuerySet[Audience]:
    return Audience.objects.filter(association=association).order_by("name", "id")


def rule_summary(association, rule) -> dict:
    """A rule in words for the team: {"label", "details", "problem"}. A value no longer among
    the choices (a deleted tag) is named "deleted" and the problem said."""
    criterion = segments.get(rule.get("criterion")) if isinstance(rule, dict) else None
    if criterion is None:
        return {"label": _("unknown criterion"), "details": "", "problem": True}
    params = rule.get("params") if isinstance(rule.get("params"), dict) else {}
    details, problem = [], False
    for param in criterion.params:
        value = params.get(param.name)
        if value in (None, "", []):
            continue
        if param.kind in (segments.CHOICE, segments.MULTI):
            labels = dict(param.choices_for(association))
            values = value if isinstance(value, list) else [value]
            shown = []
            for v in values:
                if str(v) in labels:
                    shown.append(labels[str(v)])
                else:
                    shown.append(_("(deleted)"))
                    problem = True
            details.append(f"{param.label} : {', '.join(shown)}")
        elif param.kind == segments.DATE:
            try:
                shown = param.from_json(value).strftime("%d/%m/%Y")
            except (TypeError, ValueError):
                shown, problem = str(value), True
            details.append(f"{param.label} : {shown}")
        elif param.kind == segments.AMOUNT:
            details.append(f"{param.label} : {str(value).replace('.', ',')} €")
        else:
            details.append(f"{param.label} : {value}")
    return {"label": str(criterion.label), "details": " · ".join(details), "problem": problem}
