from django import template

from essaim.members.services import format_euros

register = template.Library()


@register.filter
def euros(cents) -> str:
    """1250 → "12,50"; 2000 → "20" (no currency sign: templates add " €")."""
    try:
        return format_euros(int(cents or 0))
    except (TypeError, ValueError):
        return ""


@register.filter
def month_name(number) -> str:
    """9 → "septembre" (in the current language)."""
    from django.utils.dates import MONTHS

    try:
        return str(MONTHS[int(number)])
    except (KeyError, TypeError, ValueError):
        return ""
