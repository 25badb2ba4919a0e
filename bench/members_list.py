"""members_list: the member list, its filters and searches at 100,000 members.

Quality bar (issue 3, MISSION.md): with 100,000 members, the member list, a filtered list and
a search answer in under 150 ms of server time on PostgreSQL (p95), with a number of SQL
queries per page that does not depend on the number of rows.

The 100,000 contacts of the persons benchmark become members: 70 % paid for this year, 15 %
waiting for payment, 10 % whose membership of last year ended, 5 % resigned.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from essaim.members import services
from essaim.members.models import DuesPayment, Membership, MembershipType
from essaim.people.models import Person

from . import data
from .harness import Context, Result, Stopwatch, Table, count_queries, get_ok, measure, ms, out
from .registry import register

TARGET_MS = 150.0
TYPE_NAME = "Adhésion annuelle (bench)"


@dataclass
class Case:
    label: str
    params: dict = field(default_factory=dict)
    view: str = "members:list"
    htmx: bool = False


CASES = [
    Case("member list, first page"),
    Case("status: active", {"status": "active"}),
    Case("who hasn't paid", view="members:unpaid"),
    Case("search q=martin", {"q": "martin"}),
    Case("search q=emilie", {"q": "emilie"}),
    Case("all periods", {"period": "all"}),
    Case(
        "last year, sorted by end", {"period": str(timezone.localdate().year - 1), "order": "end"}
    ),
    Case("deep page ?page=1000", {"page": "1000"}),
    Case("live search q=martin (htmx)", {"q": "martin"}, htmx=True),
]


def ensure_memberships(association, user, seed: int) -> float:
    """Give every contact of `association` a membership; returns seconds spent (0: reused)."""
    with scope(association=association):
        mtype = MembershipType.objects.filter(association=association, name=TYPE_NAME).first()
        persons = list(
            Person.objects.filter(association=association).values_list("pk", "sort_name")
        )
        if mtype and Membership.objects.filter(association=association).count() >= len(persons):
            return 0.0
        with Stopwatch() as watch, transaction.atomic():
            Membership.objects.filter(association=association).delete()
            DuesPayment.objects.filter(association=association).delete()
            if mtype is None:
                mtype = services.membership_type_create(
                    association=association,
                    acting_user=user,
                    name=TYPE_NAME,
                    amount_cents=2000,
                    reduced_amount_cents=1000,
                )
            today = timezone.localdate()
            this_year = mtype.period_for(today)
            last_year = mtype.period_for(dt.date(today.year - 1, 6, 1))
            payment = DuesPayment.objects.create(
                association=association, amount_cents=0, method="cash", paid_on=this_year.start
            )
            rng = random.Random(seed)
            batch = []
            for person_id, sort_name in persons:
                draw = rng.random()
                period = last_year if 0.85 <= draw < 0.95 else this_year
                paid = draw < 0.70 or draw >= 0.85
                batch.append(
                    Membership(
                        association=association,
                        person_id=person_id,
                        sort_name=sort_name,
                        membership_type=mtype,
                        period_start=period.start,
                        period_end=period.end,
                        grace_until=period.end + dt.timedelta(days=30),
                        amount_due_cents=2000 if rng.random() < 0.8 else 1000,
                        payment=payment if paid else None,
                        paid_on=period.start if paid else None,
                        approved_at=timezone.now(),
                        resigned_at=timezone.now() if draw >= 0.95 else None,
                        source=Membership.Source.IMPORT,
                    )
                )
                if len(batch) >= 5000:
                    Membership.objects.bulk_create(batch)
                    batch.clear()
            Membership.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Membership._meta.db_table)
            cursor.execute(
                f"VACUUM ANALYZE {table}"
                if connection.vendor == "postgresql"
                else f"ANALYZE {table}"
            )
        return watch.seconds


def _url(slug: str, case: Case) -> str:
    url = reverse(case.view, kwargs={"association_slug": slug})
    return f"{url}?{urlencode(case.params)}" if case.params else url


@register(
    "members_list",
    target=TARGET_MS,
    unit="ms",
    description="member list, filters and searches at 100,000 members",
)
def members_list(context: Context) -> Result:
    context.warn_if_not_postgresql()
    datasets = data.persons_datasets()
    large, small = datasets.large, datasets.small
    seconds = ensure_memberships(large, datasets.user, seed=3) + ensure_memberships(
        small, datasets.user, seed=3
    )
    if seconds:
        out(f"Membership generation: {seconds:.1f} s (reused on the next runs).")
    client = Client()
    client.force_login(datasets.user)
    out(
        f"{context.repeat} measured requests per page after {context.warmup} warm-up; "
        f"target p95 < {TARGET_MS:.0f} ms; SQL queries at 100,000 and at 100 members."
    )
    table = Table(
        [
            ("page", 32),
            ("p50 ms", -7),
            ("p95 ms", -7),
            ("target", -7),
            ("SQL@100k", -8),
            ("SQL@100", -7),
            ("ok", 2),
        ]
    )
    table.header()
    worst, worst_case, constant_all = 0.0, "", True
    slow_sql: list[dict] = []
    for case in CASES:
        headers = {"HX-Request": "true"} if case.htmx else {}
        url_large, url_small = _url(large.slug, case), _url(small.slug, case)
        get_ok(client, url_large, headers=headers)
        timing = measure(
            lambda _i, u=url_large, h=headers: get_ok(client, u, headers=h),
            repeat=context.repeat,
            warmup=context.warmup,
        )
        q_large, captured = count_queries(
            lambda u=url_large, h=headers: get_ok(client, u, headers=h)
        )
        get_ok(client, url_small, headers=headers)
        q_small, _captured = count_queries(
            lambda u=url_small, h=headers: get_ok(client, u, headers=h)
        )
        constant = q_large == q_small
        constant_all &= constant
        if timing.p95 > worst:
            worst, worst_case, slow_sql = timing.p95, case.label, captured
        table.row(
            case.label,
            ms(timing.p50),
            ms(timing.p95),
            f"< {TARGET_MS:.0f}",
            q_large,
            q_small,
            "ok" if timing.p95 < TARGET_MS and constant else "NO",
        )
    ok = worst < TARGET_MS and constant_all
    result = Result(name="members_list", value=worst, unit="ms", target=TARGET_MS, ok=ok)
    result.notes.append(
        f"Worst p95: {worst:.1f} ms ({worst_case}), target < {TARGET_MS:.0f} ms; SQL queries "
        f"per page {'the same' if constant_all else 'NOT the same'} at 100 and 100,000 members."
    )
    if not ok:
        ordered = sorted(slow_sql, key=lambda q: float(q["time"] or 0), reverse=True)[:3]
        result.notes.extend(
            f"    {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}" for q in ordered
        )
    return result
