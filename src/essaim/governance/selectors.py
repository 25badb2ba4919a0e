"""Reads of governance: who may vote (and with which weight), attendance, live quorum."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from essaim.core.models import Association
from essaim.lib.text import search_terms
from essaim.members import cache as member_cache
from essaim.members import selectors as member_selectors
from essaim.members.models import MEMBER_STATUSES, Membership, MembershipType
from essaim.members.services import settings_for as membership_settings_for
from essaim.people.models import Person

from .models import Assembly, Attendance, Proxy, StatutesRules
from .quorum import QuorumStatus, quorum_status


def rules_for(association: Association) -> StatutesRules:
    """The association's statutes rules, with the law's defaults until they are filled."""
    found = StatutesRules.objects.filter(association=association).first()
    return found or StatutesRules(association=association)


def _voting_memberships(association: Association, day: dt.date) -> QuerySet[Membership]:
    approval = membership_settings_for(association).approval_required
    condition = Q()
    for status in MEMBER_STATUSES:
        condition |= member_selectors.status_filter(status, day, approval)
    return Membership.objects.filter(
        association=association,
        person_erased=False,
        membership_type__voting_rights=True,
        membership_type__voting_weight__gt=0,
    ).filter(condition)


def voting_weights(association: Association, day: dt.date | None = None) -> dict[int, int]:
    """{person id: voting weight} of the members with voting rights on `day`.

    A person with several memberships votes once, with the highest weight among them."""
    day = day or timezone.localdate()
    rows = (
        _voting_memberships(association, day)
        .values("person_id")
        .annotate(weight=Max("membership_type__voting_weight"))
    )
    return {row["person_id"]: row["weight"] for row in rows}


def voting_members(association: Association, day: dt.date | None = None) -> QuerySet[Person]:
    day = day or timezone.localdate()
    # EXISTS, not IN: the check-in list walks the contacts' name index and stops after a
    # page, instead of first collecting every member's id.
    voting = _voting_memberships(association, day).filter(person_id=OuterRef("pk"))
    return Person.objects.filter(association=association, erased_at__isnull=True).filter(
        Exists(voting)
    )


def is_voting_member(person: Person, day: dt.date | None = None) -> bool:
    day = day or timezone.localdate()
    return _voting_memberships(person.association, day).filter(person=person).exists()


def assembly_day(assembly: Assembly) -> dt.date:
    """The day whose memberships count: today until the meeting, then the meeting's day."""
    today = timezone.localdate()
    meeting_day = timezone.localdate(assembly.starts_at)
    return min(today, meeting_day)


def live_proxies(assembly: Assembly) -> QuerySet[Proxy]:
    return Proxy.objects.filter(
        association=assembly.association, assembly=assembly, revoked_at__isnull=True
    )


@dataclass(frozen=True)
class Quorum:
    status: QuorumStatus
    weighted: bool
    heads_present: int
    heads_represented: int
    heads_voters: int


def quorum_of(assembly: Assembly) -> Quorum:
    """Present + represented against the members with voting rights, by the statutes' rule.

    A member who gave a proxy and came after all counts as present, not represented: no
    vote is counted twice. Proxies of givers or held by members who no longer have voting
    rights do not count. Counted in the database (one aggregate each for the voters, the
    present and the represented): the box is polled every few seconds during check-in,
    and a large association's members are never read into Python."""
    association = assembly.association
    rules = rules_for(association)
    day = assembly_day(assembly)
    voting = _voting_memberships(association, day)
    # One row per person with their highest weight; aggregating over it makes Django wrap
    # it in a subquery.
    per_person = voting.values("person_id").annotate(weight=Max("membership_type__voting_weight"))
    present_ids = Attendance.objects.filter(association=association, assembly=assembly).values(
        "person_id"
    )
    represented_ids = (
        live_proxies(assembly)
        .filter(holder_id__in=voting.values("person_id"))
        .exclude(giver_id__in=present_ids)
        .values("giver_id")
    )

    def totals(qs) -> tuple[int, int]:
        row = qs.aggregate(heads=Count("person_id"), weights=Sum("weight"))
        heads = row["heads"] or 0
        return heads, (row["weights"] or 0) if rules.weighted_votes else heads

    heads_voters, voters = _voters_total(association, day, rules.weighted_votes, totals, per_person)
    heads_present, present = totals(per_person.filter(person_id__in=present_ids))
    heads_represented, represented = totals(per_person.filter(person_id__in=represented_ids))
    status = quorum_status(
        voters=voters,
        present=present,
        represented=represented,
        rule=rules.quorum_for(assembly.kind, assembly.convocation_number),
    )
    return Quorum(
        status=status,
        weighted=rules.weighted_votes,
        heads_present=heads_present,
        heads_represented=heads_represented,
        heads_voters=heads_voters,
    )


def _voters_total(association, day, weighted, totals, per_person) -> tuple[int, int]:
    """The members with voting rights (and their weights), cached until the next membership
    or membership type change: the box is polled every few seconds, the roll barely moves."""
    types = MembershipType.objects.filter(association=association).aggregate(
        latest=Max("updated_at"), count=Count("id")
    )
    stamp = f"{types['latest'].timestamp() if types['latest'] else 0}-{types['count']}"
    key = f"governance-voters:{day}:{int(weighted)}:{stamp}"
    return tuple(member_cache.cached(association, key, lambda: list(totals(per_person))))


def notice_deadline(assembly: Assembly, rules: StatutesRules | None = None) -> dt.date:
    """The last day the convocation may be sent for the notice period to be met."""
    rules = rules or rules_for(assembly.association)
    return timezone.localdate(assembly.starts_at) - dt.timedelta(days=rules.notice_days)


def notice_met(assembly: Assembly, on: dt.date | None = None) -> bool:
    on = on or (
        timezone.localdate(assembly.convened_at) if assembly.convened_at else timezone.localdate()
    )
    return on <= notice_deadline(assembly)


SEARCH_IDS = 5000
# A phone shows this many names; a search finds the others.
CHECK_IN_ROWS = 100


def check_in_list(assembly: Assembly, query: str = "", limit: int = CHECK_IN_ROWS) -> list[dict]:
    """The members with voting rights for the check-in screen, searched by name, e-mail,
    phone or town; each with whether they are present and whom they gave a proxy to."""
    association = assembly.association
    persons = voting_members(association, assembly_day(assembly))
    terms = search_terms(query)
    if terms:
        # The matching contacts first (trigram index on PostgreSQL), as the member list does
        # (members.selectors.member_search): then only those are checked for voting rights.
        matching = Person.objects.filter(association=association, erased_at__isnull=True)
        for term in terms:
            matching = matching.filter(search_text__contains=term)
        ids = list(matching.order_by().values_list("pk", flat=True)[: SEARCH_IDS + 1])
        persons = persons.filter(pk__in=matching.values("pk") if len(ids) > SEARCH_IDS else ids)
    persons = list(persons.order_by("sort_name", "id")[:limit])
    ids = [p.pk for p in persons]
    present = dict(
        Attendance.objects.filter(assembly=assembly, person_id__in=ids).values_list(
            "person_id", "checked_in_at"
        )
    )
    given = {
        proxy.giver_id: proxy
        for proxy in live_proxies(assembly).filter(giver_id__in=ids).select_related("holder")
    }
    held = {}
    for holder_id in (
        live_proxies(assembly).filter(holder_id__in=ids).values_list("holder_id", flat=True)
    ):
        held[holder_id] = held.get(holder_id, 0) + 1
    return [
        {
            "person": p,
            "present_at": present.get(p.pk),
            "proxy": given.get(p.pk),
            "holds": held.get(p.pk, 0),
        }
        for p in persons
    ]


def assemblies_of(association: Association) -> QuerySet[Assembly]:
    return Assembly.objects.filter(association=association).order_by("-starts_at", "-id")
