"""Navigation registry: each app adds its entries; the shell shows those the role allows."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Promise
    url_name: str
    capability: str | None  # None: every team member sees it
    order: int = 100
    section: str = "main"  # "main" (daily work) or "admin" (settings)
    # View names starting with this (or with one of these) highlight the entry.
    active_prefix: str | tuple[str, ...] = ""


_items: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _items[item.key] = item


def items_for(association, capabilities: frozenset[str], current_url_name: str | None):
    result = []
    for item in sorted(_items.values(), key=lambda i: (i.section != "main", i.order)):
        if item.capability and item.capability not in capabilities:
            continue
        url = reverse(item.url_name, kwargs={"association_slug": association.slug})
        result.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "section": item.section,
                "current": bool(current_url_name)
                and (
                    current_url_name == item.url_name
                    or bool(item.active_prefix and current_url_name.startswith(item.active_prefix))
                ),
            }
        )
    return result
