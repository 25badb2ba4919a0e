from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def breakable(value) -> str:
    """An identifier such as "checkout.session.async_payment_succeeded", allowed to wrap
    after its dots and underscores on a phone (<wbr> adds nothing when copied)."""
    text = escape(str(value or ""))
    return mark_safe(text.replace(".", ".<wbr>").replace("_", "_<wbr>"))
