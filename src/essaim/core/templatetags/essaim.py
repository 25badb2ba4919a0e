from django import template
from django.utils import formats, translation
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


@register.filter
def long_date(value) -> str:
    """A date in words: "1er septembre 2026" in French (the first of the month is "1er"),
    "1 September 2026" in English."""
    if not value:
        return ""
    text = formats.date_format(value, "j F Y")
    if value.day == 1 and (translation.get_language() or "").startswith("fr"):
        text = "1er" + text[1:]
    return text
