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
