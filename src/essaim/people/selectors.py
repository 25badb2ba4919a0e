"""Reads of people: search, filters, duplicates."""

from django.db.models import Count, Prefetch, QuerySet

from essaim.core.models import Association
from essaim.lib.text import search_terms

from .models import Person, Tag

ORDERINGS = {
    "name": ("sort_name", "id"),
    "-name": ("-sort_name", "-id"),
    "recent": ("-created_at", "-id"),
    "city": ("city", "sort_name", "id"),
}


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
    for term in search_terms(query):
        qs = qs.filter(search_text__contains=term)
    if tag:
        qs = qs.filter(tags__name=tag)
    if has_email == "yes":
        qs = qs.exclude(email="")
    elif has_email == "no":
        qs = qs.filter(email="")
    return qs.order_by(*ORDERINGS.get(order, ORDERINGS["name"]))


def person_list_page(qs: QuerySet[Person]) -> QuerySet[Person]:
    """What a list page needs, in a constant number of queries whatever the page size."""
    return qs.only(
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


def tags_with_counts(association: Association) -> QuerySet[Tag]:
    return (
        Tag.objects.filter(association=association)
        .annotate(count=Count("persons"))
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
