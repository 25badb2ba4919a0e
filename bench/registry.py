"""The list of benchmarks and the decorator that registers them.

To add a benchmark:
1. write `bench/<name>.py` with one function decorated `@register("<name>", target=…, unit=…)`
   that takes a `bench.harness.Context` and returns a `bench.harness.Result`;
2. add "<name>" to MODULES below (the order of `make bench`).

Benchmark modules may import Django models at the top: they are imported after django.setup().
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass

# In the order `make bench` runs them.
MODULES: tuple[str, ...] = (
    "persons_list",
    "members_list",
    "members_import",
    "receipts_pdf",
    "webhooks_replay",
    "votes_count",
    "votes_cast",
    "petition_sign",
    "mailing_send",
    "missions_search",
    "missions_for_you",
    "governance_checkin",
    "audience_count",
)


@dataclass(frozen=True)
class Benchmark:
    name: str
    function: Callable
    target: float
    unit: str
    description: str


BENCHMARKS: dict[str, Benchmark] = {}


def register(name: str, *, target: float, unit: str, description: str = ""):
    """Register the decorated function as benchmark `name` (value compared with `target`)."""

    def decorator(function):
        if name in BENCHMARKS and BENCHMARKS[name].function is not function:
            raise ValueError(f"benchmark {name!r} registered twice")
        doc = (function.__doc__ or "").strip().splitlines()
        BENCHMARKS[name] = Benchmark(
            name=name,
            function=function,
            target=target,
            unit=unit,
            description=description or (doc[0] if doc else ""),
        )
        return function

    return decorator


def load(names: list[str] | None = None) -> list[Benchmark]:
    """Import the benchmark modules (all, or those named) and return their benchmarks."""
    wanted = names or list(MODULES)
    unknown = [name for name in wanted if name not in MODULES]
    if unknown:
        raise LookupError(
            f"unknown benchmark {', '.join(unknown)}; available: {', '.join(MODULES)}"
        )
    for module in wanted:
        importlib.import_module(f"bench.{module}")
    return [BENCHMARKS[name] for name in wanted]
