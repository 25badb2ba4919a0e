"""Template filters of the bank reconciliation screens."""

from django import template

from essaim.lib.money import format_euros

register = template.Library()


@register.filter
def cents(value) -> str:
    """Signed cents as euros, the French way: -2000 → "-20,00 €"."""
    if value in (None, ""):
        return ""
    return format_euros(int(value))
