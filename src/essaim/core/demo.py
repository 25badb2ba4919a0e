"""Demo data registry: each app adds its part of the demo (`manage.py load_demo`).

Loaders run in order inside one transaction and share a dict (`context`): the first one
creates the accounts and associations the next ones fill.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoLoader:
    name: str
    load: Callable[[dict], None]
    order: int


_loaders: dict[str, DemoLoader] = {}


def register(name: str, load: Callable[[dict], None], *, order: int) -> None:
    _loaders[name] = DemoLoader(name, load, order)


def loaders() -> list[DemoLoader]:
    return sorted(_loaders.values(), key=lambda loader: loader.order)
