"""Cached figures of an association's members (totals of dues, member count).

Each membership write bumps the association's version number; cached figures are keyed by
it, so they are recomputed after any change, and at most every `TIMEOUT` seconds otherwise.
The version is bumped at once and again after the commit: a figure computed from the
database between the two (before the new rows are visible) is replaced by the second bump.
"""

from django.core.cache import cache
from django.db import transaction

TIMEOUT = 300


def _version_key(association_id: int) -> str:
    return f"essaim:members:version:{association_id}"


def _bump(association_id: int) -> None:
    key = _version_key(association_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def changed(association=None, *, association_id: int | None = None) -> None:
    pk = association.pk if association is not None else association_id
    _bump(pk)
    transaction.on_commit(lambda: _bump(pk))


def cached(association, name: str, compute):
    version = cache.get(_version_key(association.pk), 0)
    key = f"essaim:members:{name}:{association.pk}:{version}"
    return cache.get_or_set(key, compute, TIMEOUT)
