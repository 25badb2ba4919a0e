"""audience_count: counting audiences live at 100,000 contacts.

Quality bar (brief "audiences", issue 7): an audience's count answers in under 300 ms (p95)
on PostgreSQL for an association of 100,000 contacts, whatever its criteria: every criterion
is a subquery, the whole audience is one SQL query (`communication.audiences`).

Measured in-process on `audience_count` (no HTTP: the count is what the list and the builder
pay per audience): p50 and p95 over `repeat` counts per audience after `warmup`, on the
100,000-contact association of `persons_list` (with the memberships of `members_list`). The
audiences are built unsaved: no table of the communication app is needed.
"""

from django.db import connection
from django_scopes import scope

from essaim.communication.audiences import audience_count, audience_persons, clean_definition
from essaim.communication.models import Audience
from essaim.people.models import Tag

from . import data
from .harness import Context, Result, Table, count_queries, measure, ms, out
from .members_list import ensure_memberships
from .registry import register

TARGET_MS = 300.0


def _cases(association) -> list[tuple[str, dict]]:
    tags = list(Tag.objects.filter(association=association).order_by("name")[:3])
    t = [str(tag.pk) for tag in tags]

    def rule(key, **params):
        return {"criterion": key, "params": params}

    return [
        ("every contact", {}),
        ("tagged A or B", {"include": [rule("people.tags", tags=t[:2])]}),
        ("has e-mail, not tagged C", {
            "include": [rule("people.has_email")],
            "exclude": [rule("people.tags", tags=t[2:3])],
        }),
        ("agreed to the newsletter (latest answer)", {
            "include": [rule("people.consent", topics=["newsletter"])],
        }),
        ("members today with e-mail", {
            "include": [rule("members.status", statuses=["current"]), rule("people.has_email")],
        }),
        ("former or never members", {
            "include": [rule("members.status", statuses=["lapsed", "never"])],
        }),
        ("postcode 75, 69, 13 added this year", {
            "include": [
                rule("people.postcode", prefixes="75, 69, 13"),
                rule("people.created", since="2000-01-01"),
            ],
        }),
        ("members today + newsletter − tag A − donors", {
            "include": [
                rule("members.status", statuses=["current"]),
                rule("people.consent", topics=["newsletter"]),
            ],
            "exclude": [rule("people.tags", tags=t[:1]), rule("fundraising.gave")],
        }),
    ]  # fmt: skip


@register(
    "audience_count",
    target=TARGET_MS,
    unit="ms",
    description="live count of audiences at 100,000 contacts",
)
def audience_count_bench(context: Context) -> Result:
    context.warn_if_not_postgresql()
    datasets = data.persons_datasets()
    large = datasets.large
    seconds = ensure_memberships(large, datasets.user, seed=1901)
    if datasets.seconds or seconds:
        out(f"Data generation: {datasets.seconds + seconds:.1f} s (reused on the next runs).")
    out(
        f"{context.repeat} measured counts per audience after {context.warmup} warm-up; "
        f"target p95 < {TARGET_MS:.0f} ms; {connection.vendor}."
    )
    table = Table([("audience", 44), ("count", -8), ("p50 ms", -7), ("p95 ms", -7),
                   ("SQL", -4), ("ok", 2)])  # fmt: skip
    table.header()
    worst, worst_label, all_one_query = 0.0, "", True
    with scope(association=large):
        for label, raw in _cases(large):
            definition = clean_definition(large, {"version": 1, **raw})
            audience = Audience(association=large, name=label, definition=definition)
            count = audience_count(audience)
            listed = audience_persons(audience).order_by().values_list("pk", flat=True)
            if label == "every contact" and count != len(list(listed)):
                raise AssertionError("the count differs from the persons listed")
            queries, _captured = count_queries(lambda a=audience: audience_count(a))
            timing = measure(
                lambda _i, a=audience: audience_count(a),
                repeat=context.repeat,
                warmup=context.warmup,
            )
            all_one_query &= queries <= 2  # the members criterion reads the settings once
            if timing.p95 > worst:
                worst, worst_label = timing.p95, label
            table.row(
                label,
                f"{count:,}",
                ms(timing.p50),
                ms(timing.p95),
                queries,
                "ok" if timing.p95 < TARGET_MS else "NO",
            )
    ok = worst < TARGET_MS and all_one_query
    result = Result(name="audience_count", value=worst, unit="ms", target=TARGET_MS, ok=ok)
    result.notes.append(
        f"Worst p95: {worst:.1f} ms ({worst_label}), target < {TARGET_MS:.0f} ms; "
        f"{'one count query per audience' if all_one_query else 'MORE than one query'}."
    )
    return result
