"""Panels other apps add to a contact's page (memberships, gifts, missions…).

people cannot import the apps built on it; they register a panel here instead.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PersonPanel:
    key: str
    template: str
    context: Callable  # (request, person) -> dict, or None to hide the panel
    capability: str | None = "can_view_members"
    order: int = 100


_panels: dict[str, PersonPanel] = {}


def register(panel: PersonPanel) -> None:
    _panels[panel.key] = panel


def panels_for(request, person) -> list[dict]:
    seat = request.seat
    result = []
    for panel in sorted(_panels.values(), key=lambda p: p.order):
        if panel.capability and not seat.can(panel.capability):
            continue
        context = panel.context(request, person)
        if context is not None:
            result.append({"key": panel.key, "template": panel.template, "context": context})
    return result
