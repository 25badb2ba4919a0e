"""Essaim benchmarks: `make bench` (all) or `make bench B=<name>` (one).

Each benchmark is a module of this package holding one function decorated with
`@register(...)` (see `bench.registry`). The harness (`bench.harness`) configures Django on the
benchmark database, the generators (`bench.data`) build realistic French data at scale, and
every benchmark ends its output with one JSON line: {"name", "value", "unit", "target", "ok"}.

Nothing here imports Django at import time: `python -m bench` sets the environment first.
"""
