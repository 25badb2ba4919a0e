"""What every benchmark shares: the database, timing, percentiles, the table and the JSON line.

`configure()` must run before anything imports Django models: it chooses the database
(PostgreSQL by default, SQLite only as a clearly announced fallback), sets the environment
`essaim.settings` reads, calls django.setup() and migrates.
"""

import gc
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_VAR_DIR = PROJECT_DIR / "var" / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/essaim_bench"
SQLITE_FALLBACK = BENCH_VAR_DIR / "essaim_bench.sqlite3"


def out(text: str = "") -> None:
    """Print one line now (the benchmarks run for a while: show progress as it happens)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- Database and Django ------------------------------------------------------------------


@dataclass
class Database:
    vendor: str  # "postgresql" or "sqlite"
    label: str  # what to print: server version and database name, never a password
    fallback_reason: str = ""  # why PostgreSQL was not used, when it was not

    @property
    def is_postgresql(self) -> bool:
        return self.vendor == "postgresql"


def _is_postgres_url(url: str) -> bool:
    return url.split(":", 1)[0] in {"postgres", "postgresql", "pgsql", "postgis"}


def ensure_postgres_database(url: str) -> None:
    """Create the database of `url` when it does not exist (connecting to the `postgres` db).

    Raises psycopg.OperationalError when the server cannot be reached.
    """
    import dj_database_url
    import psycopg
    from psycopg import sql

    params = dj_database_url.parse(url)
    with psycopg.connect(
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        dbname="postgres",
        connect_timeout=3,
        autocommit=True,
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [params["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["NAME"])))
            out(f"Created PostgreSQL database {params['NAME']}.")


def configure() -> Database:
    """Point essaim.settings at the benchmark database, set Django up and migrate."""
    explicit = os.environ.get("BENCH_DATABASE_URL", "").strip()
    url = explicit or DEFAULT_DATABASE_URL
    fallback_reason = ""
    if _is_postgres_url(url):
        import psycopg

        try:
            ensure_postgres_database(url)
        except psycopg.OperationalError as exc:
            reason = (str(exc).strip().splitlines() or ["unreachable"])[0]
            if explicit:
                # The user asked for this server: measuring something else would mislead.
                raise SystemExit(f"BENCH_DATABASE_URL is unreachable: {reason}") from exc
            fallback_reason = reason
            BENCH_VAR_DIR.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{SQLITE_FALLBACK}"

    os.environ["DATABASE_URL"] = url
    # The benchmark measures what a real instance runs: development settings (not the test
    # ones: no MD5 hasher, no strict templates, no locmem cache), DEBUG off.
    os.environ["ESSAIM_ENV"] = "development"
    os.environ["ESSAIM_DEBUG"] = "0"
    os.environ.setdefault("ESSAIM_VAR_DIR", str(BENCH_VAR_DIR))
    os.environ.setdefault("EMAIL_URL", "memory://")
    os.environ.setdefault("ESSAIM_LOG_LEVEL", "WARNING")
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    for host in ("testserver", "localhost", "127.0.0.1"):
        if host not in hosts:
            hosts.append(host)
    os.environ["ALLOWED_HOSTS"] = ",".join(hosts)
    os.environ["DJANGO_SETTINGS_MODULE"] = "essaim.settings"
    src = str(PROJECT_DIR / "src")
    if src not in sys.path:
        sys.path.insert(0, src)

    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)

    if connection.vendor == "postgresql":
        version = connection.cursor().connection.info.server_version
        label = (
            f"PostgreSQL {version // 10000}.{version % 10000} "
            f"({connection.settings_dict['HOST'] or 'socket'}:"
            f"{connection.settings_dict['PORT'] or 5432}/{connection.settings_dict['NAME']})"
        )
    else:
        import sqlite3

        label = f"SQLite {sqlite3.sqlite_version} ({connection.settings_dict['NAME']})"
    return Database(vendor=connection.vendor, label=label, fallback_reason=fallback_reason)


# --- Running ------------------------------------------------------------------------------


@dataclass
class Context:
    """Given to every benchmark function."""

    database: Database
    repeat: int = 30  # measured runs per case
    warmup: int = 3  # unmeasured runs first (caches, connections, template loading)

    def out(self, text: str = "") -> None:
        out(text)

    def warn_if_not_postgresql(self) -> None:
        if not self.database.is_postgresql:
            out(
                "!! Measured on SQLite: the targets are defined for PostgreSQL, so these "
                "figures are indicative only."
            )


@dataclass
class Result:
    """The verdict of one benchmark; `json_line()` is the last line it prints."""

    name: str
    value: float
    unit: str
    target: float
    ok: bool
    notes: list[str] = field(default_factory=list)  # printed before the JSON line

    def json_line(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "value": round(self.value, 1),
                "unit": self.unit,
                "target": self.target,
                "ok": bool(self.ok),
            },
            ensure_ascii=False,
        )


def failed(name: str, unit: str, target: float, error: str) -> Result:
    """The result of a benchmark that crashed: not ok, value -1 (NaN is not valid JSON)."""
    return Result(name=name, value=-1, unit=unit, target=target, ok=False, notes=[error])


# --- Timing -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between closest ranks (as numpy)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Timing:
    samples_ms: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)

    @property
    def max(self) -> float:
        return max(self.samples_ms)


def measure(function: Callable[[int], object], *, repeat: int, warmup: int) -> Timing:
    """Call `function(i)` `warmup` times unmeasured, then `repeat` times measured (ms).

    After the warm-up, what is alive is frozen out of the garbage collector, as
    `essaim/wsgi.py` does in a server process: the benchmark process also holds what the
    data generators left, which no server holds, and a full collection over it would be
    measured as a slow page.
    """
    for i in range(warmup):
        function(i)
    gc.collect()
    gc.freeze()
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        function(warmup + i)
        samples.append((time.perf_counter() - start) * 1000)
    return Timing(samples)


class Stopwatch:
    """`with Stopwatch() as sw: ...` then `sw.seconds`."""

    def __enter__(self):
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False


# --- Django helpers -----------------------------------------------------------------------


def count_queries(function: Callable[[], object]) -> tuple[int, list[dict]]:
    """How many SQL queries `function()` runs on the default database, and the queries.

    Each query is a dict with its "sql" and its "time" in seconds (as Django records them).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries), list(captured.captured_queries)


def get_ok(client, url: str, headers: dict | None = None):
    """GET `url` with the Django test client; anything but a 200 stops the benchmark.

    A redirect (to the login or MFA page) or an error page would be measured as a very fast
    "page" and hide the real figure.
    """
    response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise AssertionError(
            f"GET {url} answered {response.status_code}"
            + (f" -> {response['Location']}" if response.has_header("Location") else "")
        )
    return response


# --- Output -------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:.1f}"


class Table:
    """A plain-text table printed row by row: `Table([("URL", 40), ("p50 ms", -8)])`.

    A negative width right-aligns the column (numbers).
    """

    def __init__(self, columns: list[tuple[str, int]]):
        self.columns = columns

    def _line(self, cells) -> str:
        parts = []
        for (_title, width), cell in zip(self.columns, cells, strict=True):
            text = str(cell)
            if abs(width) < len(text):
                text = text[: abs(width) - 1] + "…"
            parts.append(text.rjust(-width) if width < 0 else text.ljust(width))
        return "  ".join(parts).rstrip()

    def header(self) -> None:
        out(self._line([title for title, _width in self.columns]))
        out(self._line(["-" * abs(width) for _title, width in self.columns]))

    def row(self, *cells) -> None:
        out(self._line(cells))
