from django import template
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from essaim.core.selectors import ACTION_LABELS

register = template.Library()


@register.simple_tag
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@register.simple_tag
def changes_summary(changes: dict) -> str:
    """'email: a@x → b@y; notes' — values only for fields logged with before/after."""
    if not changes:
        return ""
    parts = []
    for field, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            before, after = value
            parts.append(
                (
                    field,
                    f": {before if before not in (None, '') else '—'} → "
                    f"{after if after not in (None, '') else '—'}",
                )
            )
        else:
            parts.append((field, ""))
    return format_html_join("; ", "{}{}", parts) or _("(none)")
