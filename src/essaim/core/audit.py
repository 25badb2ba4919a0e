"""The activity log. Services call `audit_log` inside their transaction."""

from collections.abc import Iterable
from typing import Any

from django.db import models

from .models import Association, AuditLog


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields`, JSON-ready, to compare before and after a change."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def diff(
    before: dict[str, Any], after: dict[str, Any], sensitive: Iterable[str] = ()
) -> dict[str, Any]:
    """Changed fields: `[before, after]` for sensitive fields, `True` for the others.

    Non-sensitive changes are recorded by name only: the log says *that* the notes changed,
    without copying personal free text into a second place the privacy registry must scrub.
    """
    sensitive = set(sensitive)
    changes: dict[str, Any] = {}
    for name in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = [old, new] if name in sensitive else True
    return changes


def apply_changes(obj: models.Model, data: dict[str, Any], *, values: bool = True) -> dict:
    """Set on `obj` each field of `data` whose value differs; returns the changes for
    `audit_log`: `[before, after]` as text, or `[None, None]` (values=False) when the values
    are long texts or private and only the names of the changed fields are logged."""
    changes: dict[str, Any] = {}
    for name, value in data.items():
        before = getattr(obj, name)
        if before != value:
            changes[name] = [str(before), str(value)] if values else [None, None]
            setattr(obj, name, value)
    return changes


def audit_log(
    *,
    association: Association | None,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> AuditLog:
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(getattr(obj, "uuid", None) or obj.pk)
        object_repr = object_repr or str(obj)[:255]
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        association=association,
        actor=actor_user,
        actor_label=(actor_user.email if actor_user else str(actor or "système"))[:255],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
        data={k: _jsonable(v) for k, v in (data or {}).items()},
    )
