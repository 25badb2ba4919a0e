"""Dashboard registry: apps add figures and "getting started" steps to the home of an
association, without core knowing them."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class Figure:
    key: str
    label: Promise
    value: Callable  # (association) -> int
    url_name: str
    capability: str | None
    order: int = 100


@dataclass(frozen=True)
class Step:
    key: str
    label: Promise
    help: Promise
    done: Callable  # (association) -> bool
    url_name: str
    capability: str | None
    order: int = 100


_figures: dict[str, Figure] = {}
_steps: dict[str, Step] = {}


def register_figure(figure: Figure) -> None:
    _figures[figure.key] = figure


def register_step(step: Step) -> None:
    _steps[step.key] = step


def _allowed(capability, capabilities) -> bool:
    return capability is None or capability in capabilities


def figures_for(association, capabilities) -> list[dict]:
    return [
        {
            "label": f.label,
            "value": f.value(association),
            "url": reverse(f.url_name, kwargs={"association_slug": association.slug}),
        }
        for f in sorted(_figures.values(), key=lambda f: f.order)
        if _allowed(f.capability, capabilities)
    ]


def steps_for(association, capabilities) -> list[dict]:
    return [
        {
            "key": s.key,
            "label": s.label,
            "help": s.help,
            "done": s.done(association),
            "url": reverse(s.url_name, kwargs={"association_slug": association.slug}),
        }
        for s in sorted(_steps.values(), key=lambda s: s.order)
        if _allowed(s.capability, capabilities)
    ]
