"""Filters of the SEPA direct debit screens."""

from django import template

from essaim.lib.money import format_euros

register = template.Library()


@register.filter
def euros(cents) -> str:
    """1250 → "12,50 €" (with the no-break spaces of French typography)."""
    try:
        return format_euros(int(cents or 0))
    except (TypeError, ValueError):
        return ""
