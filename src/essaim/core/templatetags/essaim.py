from django import template
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from essaim.core.capabilities import BY_NAME
from essaim.core.selectors import ACTION_LABELS, FIELD_LABELS

register = template.Library()


def _display(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(BY_NAME[v].label) if v in BY_NAME else str(v) for v in value)
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)


@register.simple_tag
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@register.simple_tag
def changes_summary(changes: dict) -> str:
    """'email: a@x → b@y; notes' — values only for fields logged with before/after."""
    if not changes:
        return ""
    parts = []
    for name, value in changes.items():
        field = str(FIELD_LABELS.get(name, name))
        if isinstance(value, list) and len(value) == 2:
            before, after = value
            parts.append((field, f" : {_display(before)} → {_display(after)}"))
        else:
            parts.append((field, ""))
    return format_html_join("; ", "{}{}", parts) or _("(none)")
