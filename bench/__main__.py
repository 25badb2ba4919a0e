"""`python -m bench all` runs every benchmark, `python -m bench <name> [<name>…]` some.

Options: --repeat N (measured runs per case, default 30), --warmup N (default 3), --list.
Exit status 0 when every benchmark run meets its target, 1 otherwise.
"""

import argparse
import os
import sys
import traceback

from . import harness, registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["all"], help="benchmark names, or all")
    parser.add_argument(
        "--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "30")), metavar="N"
    )
    parser.add_argument(
        "--warmup", type=int, default=int(os.environ.get("BENCH_WARMUP", "3")), metavar="N"
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    if args.list:
        for name in registry.MODULES:
            harness.out(name)
        return 0
    names = [] if args.names in ([], ["all"]) else args.names
    unknown = [name for name in names if name not in registry.MODULES]
    if unknown:
        parser.error(
            f"unknown benchmark {', '.join(unknown)}; available: {', '.join(registry.MODULES)}"
        )
    if args.repeat < 2 or args.warmup < 0:
        parser.error("--repeat must be at least 2 and --warmup at least 0")

    database = harness.configure()
    harness.out(f"Database: {database.label}")
    if database.fallback_reason:
        harness.out(
            f"!! PostgreSQL is unreachable ({database.fallback_reason}): falling back to SQLite. "
            "The targets are defined for PostgreSQL; these figures are indicative only."
        )
    context = harness.Context(database=database, repeat=args.repeat, warmup=args.warmup)

    all_ok = True
    for benchmark in registry.load(names):
        harness.out()
        harness.out(f"== {benchmark.name}: {benchmark.description}")
        try:
            result = benchmark.function(context)
        except Exception:
            harness.out(traceback.format_exc().rstrip())
            result = harness.failed(
                benchmark.name, benchmark.unit, benchmark.target, "the benchmark crashed"
            )
        for note in result.notes:
            harness.out(note)
        harness.out(result.json_line())
        all_ok = all_ok and result.ok
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
