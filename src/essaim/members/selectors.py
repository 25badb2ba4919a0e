"""Reads of members: statuses in SQL, the member list, who hasn't paid, totals of dues."""

import datetime as dt
import functools
import hashlib

from django.db import connections
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from essaim.core.models import Association
from essaim.core.pagination import DeferredJoinPages
from essaim.lib.text import search_terms
from essaim.people.models import Person
from essaim.people.selectors import TRIGRAM_LENGTH, matches_first

from . import cache as member_cache
from .models import MEMBER_STATUSES, DuesPayment, Membership, MembershipType
from .services import settings_for

S = Membership.Status


def status_case(today: dt.date, approval_required: bool) -> Case:
    """`Membership.status_on` written as SQL, for filters and counts over many rows."""
    whens = [
        When(excluded_at__isnull=False, then=Value(S.EXCLUDED)),
        When(resigned_at__isnull=False, then=Value(S.RESIGNED)),
        When(paid_on__isnull=True, then=Value(S.PENDING_PAYMENT)),
    ]
    if approval_required:
        whens.append(When(approved_at__isnull=True, then=Value(S.PENDING_APPROVAL)))
    whens += [
        When(period_start__gt=today, then=Value(S.UPCOMING)),
        When(Q(period_end__isnull=True) | Q(period_end__gte=today), then=Value(S.ACTIVE)),
        When(grace_until__gte=today, then=Value(S.GRACE)),
    ]
    return Case(*whens, default=Value(S.EXPIRED), output_field=CharField())


def status_filter(status: str, today: dt.date, approval_required: bool) -> Q:
    """The same statuses as plain conditions on indexed columns (no CASE in the WHERE)."""
    live = Q(excluded_at__isnull=True, resigned_at__isnull=True)
    paid = live & Q(paid_on__isnull=False)
    if approval_required:
        paid &= Q(approved_at__isnull=False)
    ended = Q(period_end__isnull=False, period_end__lt=today)
    return {
        S.EXCLUDED: Q(excluded_at__isnull=False),
        S.RESIGNED: Q(excluded_at__isnull=True, resigned_at__isnull=False),
        S.PENDING_PAYMENT: live & Q(paid_on__isnull=True),
        S.PENDING_APPROVAL: live & Q(paid_on__isnull=False, approved_at__isnull=True)
        if approval_required
        else Q(pk__in=[]),
        S.UPCOMING: paid & Q(period_start__gt=today),
        S.ACTIVE: paid & Q(period_start__lte=today) & ~ended,
        S.GRACE: paid & ended & Q(grace_until__gte=today),
        S.EXPIRED: paid & ended & Q(grace_until__lt=today),
    }.get(status, Q())


def with_status(qs: QuerySet, association: Association, today: dt.date | None = None):
    today = today or timezone.localdate()
    approval = settings_for(association).approval_required
    return qs.annotate(computed_status=status_case(today, approval))


PERIOD_CURRENT = "current"
PERIOD_ALL = "all"


def period_filter(period: str, today: dt.date) -> Q:
    """ "current": the periods covering today (and renewals paid in advance, and members in
    their grace period); "all"; or a year: memberships overlapping that calendar year."""
    if period == PERIOD_ALL:
        return Q()
    if period.isdigit() and len(period) == 4:
        year = int(period)
        return Q(period_start__lte=dt.date(year, 12, 31)) & (
            Q(period_end__isnull=True) | Q(period_end__gte=dt.date(year, 1, 1))
        )
    return Q(period_start__lte=today + dt.timedelta(days=366)) & (
        Q(period_end__isnull=True)
        | Q(grace_until__gte=today)
        | Q(paid_on__isnull=True, period_end__gte=today - dt.timedelta(days=366))
    )


SEARCH_IDS_INLINE = 5000

ORDERINGS = {
    "name": ("sort_name", "id"),
    "-name": ("-sort_name", "-id"),
    "recent": ("-created_at", "-id"),
    "end": ("period_end", "sort_name", "id"),
}


def member_search(
    *,
    association: Association,
    query: str = "",
    status: str = "",
    type_uuid: str = "",
    period: str = PERIOD_CURRENT,
    unpaid: bool = False,
    tag: str = "",
    order: str = "name",
    today: dt.date | None = None,
) -> QuerySet[Membership]:
    """Memberships of `association` for the list pages, with their status."""
    today = today or timezone.localdate()
    approval = settings_for(association).approval_required
    qs = Membership.objects.filter(association=association, person_erased=False)
    qs = qs.filter(period_filter(period or PERIOD_CURRENT, today))
    terms = search_terms(query)
    if terms:
        # The matching contacts first (trigram index on PostgreSQL), then their memberships:
        # a join would sort every membership before filtering.
        matching = Person.objects.filter(association=association)
        for term in terms:
            matching = matching.filter(search_text__contains=term)
        # Up to SEARCH_IDS_INLINE matches, their ids are read first and written into the
        # query: the planner then knows how few rows it joins (with a subquery it guessed,
        # and on 100,000 members sometimes sorted them all before filtering: 300 ms).
        ids = list(matching.order_by().values_list("pk", flat=True)[: SEARCH_IDS_INLINE + 1])
        if len(ids) > SEARCH_IDS_INLINE:
            qs = qs.filter(person_id__in=matching.values("pk"))
        elif connections[qs.db].vendor == "postgresql":
            # One array parameter rather than thousands of placeholders (which cost more to
            # build and parse than the query takes to run).
            qs = qs.filter(person_id__in=RawSQL("SELECT unnest(%s::bigint[])", (ids,)))
        else:
            qs = qs.filter(person_id__in=ids)
    if status in S.values:
        qs = qs.filter(status_filter(status, today, approval))
    if type_uuid:
        qs = qs.filter(membership_type__uuid=type_uuid)
    if unpaid:
        qs = qs.filter(status_filter(S.PENDING_PAYMENT, today, approval))
    if tag:
        qs = qs.filter(person__tags__association=association, person__tags__name=tag)
    ordering = ORDERINGS.get(order, ORDERINGS["name"])
    if any(len(term) >= TRIGRAM_LENGTH for term in terms):
        # As for contacts (people.selectors.person_search): find the few matches first,
        # then sort them, rather than walk the name index until enough of them turn up.
        ordering = matches_first(ordering)
    return qs.annotate(computed_status=status_case(today, approval)).order_by(*ordering)


def member_list_page(
    qs: QuerySet[Membership], association: Association, *, cache_count: bool = False
) -> DeferredJoinPages:
    """The list's pages: ids first (deep pages stay cheap), then those rows with what the
    template reads, in a constant number of queries.

    With `cache_count` (filters on the memberships' own columns only: no words searched, no
    tag), the number of rows is cached until the next membership write (members.cache):
    counting 70,000 active members takes a scan of the table, paging through them need not
    repeat it.
    """
    count = None
    if cache_count:
        sql, params = qs.order_by().values("pk").query.sql_with_params()
        digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:32]
        count = functools.partial(
            member_cache.cached, association, f"list-count:{digest}", qs.order_by().count
        )
    return DeferredJoinPages(
        qs.select_related("person", "membership_type", "household").prefetch_related(
            "person__tags"
        ),
        count=count,
    )


def memberships_of(person) -> QuerySet[Membership]:
    """A person's membership history, newest first."""
    association = person.association
    return with_status(
        Membership.objects.filter(association=association, person=person).select_related(
            "membership_type", "payment", "household"
        ),
        association,
    ).order_by("-period_start", "-id")


def is_member(person, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    approval = settings_for(person.association).approval_required
    return (
        Membership.objects.filter(association=person.association, person=person)
        .filter(status_filter(S.ACTIVE, today, approval) | status_filter(S.GRACE, today, approval))
        .exists()
    )


def member_count(association: Association, today: dt.date | None = None) -> int:
    """Persons who are members today (active or in grace); cached (members.cache)."""
    today = today or timezone.localdate()
    return member_cache.cached(
        association, f"count:{today}", lambda: _member_count(association, today)
    )


def _member_count(association: Association, today: dt.date) -> int:
    approval = settings_for(association).approval_required
    condition = Q()
    for status in MEMBER_STATUSES:
        condition |= status_filter(status, today, approval)
    return (
        Membership.objects.filter(association=association)
        .filter(condition)
        .values("person_id")
        .distinct()
        .count()
    )


def dues_totals(association: Association, year: int) -> dict:
    """The year's dues: expected (memberships starting that year), received (payments dated
    that year), outstanding; cached (members.cache)."""
    return member_cache.cached(
        association, f"totals:{year}", lambda: _dues_totals(association, year)
    )


def dues_totals_per_type(association: Association, year: int) -> list:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return list(
        MembershipType.objects.filter(association=association)
        .annotate(
            members=Count("memberships", filter=Q(memberships__period_start__range=(start, end))),
            due=Sum(
                "memberships__amount_due_cents",
                filter=Q(memberships__period_start__range=(start, end)),
            ),
        )
        .order_by("position", "name")
    )


def _dues_totals(association: Association, year: int) -> dict:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    started = Membership.objects.filter(
        association=association,
        period_start__range=(start, end),
        excluded_at__isnull=True,
    )
    expected = started.exclude(resigned_at__isnull=False, paid_on__isnull=True).aggregate(
        total=Sum("amount_due_cents"), count=Count("id")
    )
    outstanding = started.filter(paid_on__isnull=True, resigned_at__isnull=True).aggregate(
        total=Sum("amount_due_cents"), count=Count("id")
    )
    received = DuesPayment.objects.filter(
        association=association, paid_on__range=(start, end)
    ).aggregate(total=Sum("amount_cents"), count=Count("id"))
    return {
        "year": year,
        "expected_cents": expected["total"] or 0,
        "memberships": expected["count"] or 0,
        "received_cents": received["total"] or 0,
        "payments": received["count"] or 0,
        "outstanding_cents": outstanding["total"] or 0,
        "unpaid": outstanding["count"] or 0,
    }


def types_of(association: Association, include_inactive: bool = True) -> QuerySet:
    qs = MembershipType.objects.filter(association=association)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    in_use = Membership.objects.filter(membership_type=OuterRef("pk"))
    return qs.annotate(in_use=Exists(in_use)).order_by("position", "name")
