"""The privacy registry (RGPD art. 30 register, made executable).

Each app registers, for the personal data it holds: what it is, why, on which legal basis and
for how long; how to export it for a data subject; how to erase or anonymise it; and how to
apply its retention rule. "Download my data", "erase this person" and the daily retention
task walk this registry, so a new app cannot hold personal data the three of them miss: a
test enumerates the models with personal fields and checks each one is covered here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.functional import Promise

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class PrivacyEntry:
    key: str
    label: Promise
    data: Promise  # the categories of data, in plain words
    purpose: Promise
    legal_basis: Promise
    retention: Promise
    models: tuple[str, ...] = ()  # "app_label.ModelName" holding this data
    export_user: Callable[[Any], Rows] | None = None  # account-level data of a User
    export_person: Callable[[Any], Rows] | None = None  # one association's data on a Person
    erase_person: Callable[[Any], None] | None = None  # runs inside the erasure transaction
    apply_retention: Callable[[datetime], int] | None = None  # returns rows touched
    order: int = 100  # erasers run in this order; the Person row itself goes last
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Subject:
    """Somewhere an account's owner is known as a data subject: a contact record in one
    association. `folder` names the part of the export archive (the association's slug)."""

    folder: str
    label: str
    record: Any


class PrivacyRegistry:
    def __init__(self) -> None:
        self._entries: dict[str, PrivacyEntry] = {}
        self._subject_finders: list[Callable[[Any], list[Subject]]] = []
        self._retention_holds: list[Callable[[Any], Any]] = []

    def register_retention_hold(self, hold: Callable[[Any], Any]) -> None:
        """`hold(association)` returns a values("person_id") queryset of contacts that the
        inactivity rule of the contacts entry must keep (current members, donors under a
        receipt obligation…)."""
        self._retention_holds.append(hold)

    def retention_holds(self, association) -> list:
        return [hold(association) for hold in self._retention_holds]

    def register_subject_finder(self, finder: Callable[[Any], list[Subject]]) -> None:
        """`finder(user)` lists the records (e.g. contacts) that belong to that user."""
        self._subject_finders.append(finder)

    def subjects_of(self, user) -> list[Subject]:
        return [subject for finder in self._subject_finders for subject in finder(user)]

    def register(self, entry: PrivacyEntry) -> PrivacyEntry:
        if entry.key in self._entries:
            raise ValueError(f"privacy entry {entry.key!r} registered twice")
        self._entries[entry.key] = entry
        return entry

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)

    def entries(self) -> list[PrivacyEntry]:
        return sorted(self._entries.values(), key=lambda e: (e.order, e.key))

    def covered_models(self) -> set[str]:
        return {model for entry in self._entries.values() for model in entry.models}


registry = PrivacyRegistry()
