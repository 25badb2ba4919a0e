"""Reads of people: search, filters, duplicates."""

from django.core import signing
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django_scopes import scopes_disabled

from essaim.core.models import Association
from essaim.core.pagination import DeferredJoinPages
from essaim.lib.text import search_terms, uuid_or_none

from .models import Person, Tag

ORDERINGS = {
    "name": ("sort_name", "id"),
    "-name": ("-sort_name", "-id"),
    "recent": ("-created_at", "-id"),
    "city": ("city", "sort_name", "id"),
}

# pg_trgm indexes need three characters: a shorter term cannot use the trigram index.
TRIGRAM_LENGTH = 3


def matches_first(ordering: tuple[str, ...]) -> tuple:
    """The same ordering, in a form no index provides (see person_search)."""
    first, *rest = ordering
    descending = first.startswith("-")
    key = Coalesce(F(first.lstrip("-")), F(first.lstrip("-")))  # NOT NULL column: same order
    return (key.desc() if descending else key.asc(), *rest)


def person_search(
    *,
    association: Association,
    query: str = "",
    tag: str = "",
    has_email: str = "",
    include_erased: bool = False,
    order: str = "name",
) -> QuerySet[Person]:
    """Contacts of `association` matching every word of `query`, accents and case ignored.

    Each word must appear somewhere in the folded name, e-mail, phone, town or postcode:
    "emilie quartier" finds Émilie Le Goff living in "Quartier-Neuf".
    """
    qs = Person.objects.filter(association=association)
    if not include_erased:
        qs = qs.filter(erased_at__isnull=True)
    terms = search_terms(query)
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    if tag:
        # The tag's association too: the unique (association, name) index finds the one tag,
        # instead of every association's tag of that name and all their links.
        qs = qs.filter(tags__association=association, tags__name=tag)
    if has_email == "yes":
        qs = qs.exclude(email="")
    elif has_email == "no":
        qs = qs.filter(email="")
    ordering = ORDERINGS.get(order, ORDERINGS["name"])
    if any(len(term) >= TRIGRAM_LENGTH for term in terms):
        # Walking the name index until 50 rows match costs as much as the rows *before* the
        # matches: "martin" walks every name from A to M (90 ms at 100,000 contacts on
        # PostgreSQL, whose planner assumes matches spread evenly; 170 ms on SQLite).
        # Ordering by an expression makes the database find the matches first (PostgreSQL:
        # with the trigram index of migration 0002; SQLite: one plain scan) and sort only
        # them. Shorter terms match nearly everyone and cannot use trigrams: the walk stops
        # early for them, so they keep it.
        ordering = matches_first(ordering)
    return qs.order_by(*ordering)


def person_list_page(qs: QuerySet[Person]) -> DeferredJoinPages:
    """What a list page needs, in a constant number of queries whatever the page size."""
    return DeferredJoinPages(
        qs.only(
            "uuid",
            "association_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "postcode",
            "city",
            "erased_at",
            "sort_name",
            "created_at",
        ).prefetch_related(Prefetch("tags", queryset=Tag.objects.only("name").order_by("name")))
    )


def tags_with_counts(association: Association) -> QuerySet[Tag]:
    # One count per tag from the tag_id index of the link table (index-only), rather than a
    # join and GROUP BY over every link of the association (27 ms -> 8 ms at 56,000 links).
    links = (
        Person.tags.through.objects.filter(tag_id=OuterRef("pk"))
        .order_by()
        .values("tag_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        Tag.objects.filter(association=association)
        .annotate(count=Coalesce(Subquery(links, output_field=IntegerField()), 0))
        .order_by("name")
    )


def duplicate_groups(association: Association, limit: int = 50) -> list[dict]:
    """Likely duplicates: same e-mail, or same name and date of birth, or same full name.

    Returns groups of at least two live contacts, strongest evidence first.
    """
    live = Person.objects.filter(association=association, erased_at__isnull=True)
    groups: list[dict] = []
    seen: set[frozenset[int]] = set()

    def add(reason: str, filters: list[dict]) -> None:
        for flt in filters:
            if len(groups) >= limit:
                return
            members = list(live.filter(**flt).order_by("created_at", "id")[:10])
            key = frozenset(p.pk for p in members)
            if len(members) > 1 and key not in seen:
                seen.add(key)
                groups.append({"reason": reason, "persons": members})

    by_email = (
        live.exclude(email_folded="")
        .values("email_folded")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("email_folded")[:limit]
    )
    add("email", [{"email_folded": row["email_folded"]} for row in by_email])
    by_birth = (
        live.exclude(birth_date=None)
        .exclude(sort_name="")
        .values("sort_name", "birth_date")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("sort_name")[:limit]
    )
    add(
        "name_birth",
        [{"sort_name": r["sort_name"], "birth_date": r["birth_date"]} for r in by_birth],
    )
    by_name = (
        live.exclude(sort_name="")
        .exclude(first_name="")
        .exclude(last_name="")
        .values("sort_name")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("sort_name")[:limit]
    )
    add("name", [{"sort_name": r["sort_name"]} for r in by_name])
    return groups


PICKER_MATCHES = 10


def person_matches(association: Association, query: str, limit: int = PICKER_MATCHES) -> list:
    """The first contacts matching what is typed in a contact picker (donor, debtor): only
    the columns the picker shows."""
    if not search_terms(query):
        return []
    return list(
        person_search(association=association, query=query).only(
            "uuid", "first_name", "last_name", "email", "postcode", "city", "sort_name"
        )[:limit]
    )


def live_person(association: Association, value) -> Person | None:
    """The association's contact whose uuid is `value` (a picker's choice), unless erased."""
    person_uuid = uuid_or_none(value)
    if person_uuid is None:
        return None
    return Person.objects.filter(
        association=association, uuid=person_uuid, erased_at__isnull=True
    ).first()


def person_link_token(person: Person, *, salt: str) -> str:
    """A signed token naming a contact, for the links of e-mails that act on them without a
    login ("stop these e-mails"); no expiry: an old e-mail still works. One salt per use."""
    return signing.Signer(salt=salt).sign_object(str(person.uuid), compress=True)


def person_from_link_token(token: str, *, salt: str) -> Person | None:
    """The (not erased) contact a person_link_token names, in any association; None for a
    forged or foreign token."""
    try:
        person_uuid = signing.Signer(salt=salt).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    with scopes_disabled():
        return (
            Person.objects.select_related("association")
            .filter(uuid=person_uuid, erased_at__isnull=True)
            .first()
        )
