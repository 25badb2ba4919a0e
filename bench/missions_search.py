"""missions_search: the public catalogue of missions at 100,000 published missions.

Quality bar (issue 5): with 100,000 published missions (500 associations) and 1,000,000
volunteer profiles in the instance, catalogue searches answer in under 200 ms of server time
on PostgreSQL (p95). The instance's page target (150 ms) is printed beside it.
Sizes: BENCH_MISSIONS, BENCH_VOLUNTEERS (defaults 100,000 and 1,000,000).
"""

import os
from urllib.parse import urlencode

from django.test import Client
from django.urls import reverse

from . import data
from .harness import Context, Result, Table, count_queries, get_ok, measure, ms, out
from .registry import register

TARGET_MS = 200.0
PAGE_TARGET_MS = 150.0

CASES = [
    ("all missions, first page", {}, False),
    ("search q=jardin", {"q": "jardin"}, False),
    ("search q=epicerie solidaire", {"q": "epicerie solidaire"}, False),
    ("near 69003 within 20 km", {"postcode": "69003", "distance": "20"}, False),
    ("near 75011, q=aide", {"postcode": "75011", "q": "aide"}, False),
    ("cause + skill", {"cause": "education", "skill": "cuisine"}, False),
    ("remote only", {"remote": "on"}, False),
    ("page 40", {"page": "40"}, False),
    ("signed-in volunteer, near 31000", {"postcode": "31000", "distance": "30"}, True),
]


def sizes() -> tuple[int, int]:
    return (
        int(os.environ.get("BENCH_MISSIONS", "100000")),
        int(os.environ.get("BENCH_VOLUNTEERS", "1000000")),
    )


@register("missions_search", target=TARGET_MS, unit="ms", description="catalogue of missions")
def missions_search(context: Context) -> Result:
    context.warn_if_not_postgresql()
    missions, volunteers = sizes()
    dataset = data.missions_dataset(missions=missions, volunteers=volunteers)
    if dataset.seconds:
        out(f"Generation: {dataset.seconds:.1f} s (reused on the next runs).")
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(dataset.volunteer_users[0])
    out(
        f"{missions:,} published missions, {volunteers:,} volunteer profiles; "
        f"{context.repeat} measured requests per case; target p95 < {TARGET_MS:.0f} ms "
        f"(page target {PAGE_TARGET_MS:.0f} ms)."
    )
    table = Table(
        [
            ("case", 34),
            ("p50 ms", -7),
            ("p95 ms", -7),
            ("target", -7),
            ("page", -6),
            ("SQL", -4),
            ("ok", 2),
        ]
    )
    table.header()
    worst, worst_case = 0.0, ""
    base = reverse("volunteering_public:catalogue")
    for label, params, logged in CASES:
        client = signed_in if logged else anonymous
        url = f"{base}?{urlencode(params)}" if params else base
        get_ok(client, url)
        timing = measure(
            lambda _i, u=url, c=client: get_ok(c, u), repeat=context.repeat, warmup=context.warmup
        )
        queries, _captured = count_queries(lambda u=url, c=client: get_ok(c, u))
        if timing.p95 > worst:
            worst, worst_case = timing.p95, label
        table.row(
            label,
            ms(timing.p50),
            ms(timing.p95),
            f"< {TARGET_MS:.0f}",
            f"{PAGE_TARGET_MS:.0f}",
            queries,
            "ok" if timing.p95 < TARGET_MS else "NO",
        )
    result = Result(
        name="missions_search", value=worst, unit="ms", target=TARGET_MS, ok=worst < TARGET_MS
    )
    result.notes.append(
        f"Worst p95: {worst:.1f} ms ({worst_case}); target < {TARGET_MS:.0f} ms (issue 5), "
        f"page target {PAGE_TARGET_MS:.0f} ms."
    )
    return result
