"""A mailing's message: Markdown → safe HTML, the plain-text part, personalisation fields.

The team writes Markdown (a textarea: bold, links, lists, titles). It becomes HTML through
markdown-it, then through nh3 (an allow-list sanitiser), so a pasted <script>, an onclick or
a javascript: link never reaches a recipient. The plain-text part is derived from that HTML.

Personalisation is *not* Django's template language (that would let a team member read any
variable the template context holds, or call methods): `{{ first_name }}` and the other
fields of FIELDS are substituted by one regular expression, their values HTML-escaped in the
HTML part. Any other `{{ … }}` is refused when the mailing is saved.
"""

import html
import re
from html.parser import HTMLParser

import nh3
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from markdown_it import MarkdownIt

FIELDS = {
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "full_name": gettext_lazy("first and last name"),
    "email": gettext_lazy("e-mail address"),
    "association": gettext_lazy("name of the association"),
    "unsubscribe_url": gettext_lazy("unsubscribe link"),
    "preferences_url": gettext_lazy("link to the preference page"),
}
FIELD = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
HREF_ANY = re.compile(r'href="(https?://[^"]+)"')
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "i", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable("table")


def unknown_fields(text: str) -> list[str]:
    return sorted({name for name in FIELD.findall(text or "") if name not in FIELDS})


def check_fields(**texts: str) -> dict[str, str]:
    """{field name: error} for texts using an unknown personalisation field."""
    errors = {}
    for name, text in texts.items():
        unknown = unknown_fields(text)
        if unknown:
            errors[name] = _(
                "Unknown personalisation field: %(fields)s. Available fields: %(known)s."
            ) % {
                "fields": ", ".join(f"{{{{ {f} }}}}" for f in unknown),
                "known": ", ".join(f"{{{{ {f} }}}}" for f in FIELDS),
            }
    return errors


def sanitise(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
    )


def markdown_to_html(text: str) -> str:
    """The message as safe HTML (the fields still as `{{ name }}`)."""
    return sanitise(_markdown.render(text or ""))


class _Text(HTMLParser):
    """HTML → readable plain text: paragraphs, list bullets, links as « text (address) »."""

    BLOCKS = {"p", "h1", "h2", "h3", "h4", "blockquote", "pre", "table", "ul", "ol"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.href: list[str] = []
        self.link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "tr":
            self.parts.append("\n")
        elif tag == "hr":
            self.parts.append("\n\n----------\n\n")
        elif tag == "a":
            self.href.append(dict(attrs).get("href") or "")
            self.link_text.append("")
        elif tag in {"td", "th"}:
            self.parts.append(" | ")

    def handle_endtag(self, tag):
        if tag == "a" and self.href:
            href = self.href.pop()
            shown = self.link_text.pop() if self.link_text else ""
            if href and href.removeprefix("mailto:") not in shown:
                self.parts.append(f" ({href})")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if self.link_text:
            self.link_text[-1] += data
        self.parts.append(data)


def html_to_text(body_html: str) -> str:
    parser = _Text()
    parser.feed(body_html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n\s*\n(?=- )", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def substitute(text: str, values: dict[str, str], *, escape: bool) -> str:
    """Replace each known field by its value (escaped for HTML when `escape`)."""

    def replace(match):
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = str(values[name] or "")
        return html.escape(value, quote=True) if escape else value

    return FIELD.sub(replace, text)


def person_values(person, association, **links) -> dict[str, str]:
    first = getattr(person, "first_name", "") or ""
    last = getattr(person, "last_name", "") or ""
    return {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}".strip(),
        "email": getattr(person, "email", "") or "",
        "association": association.name,
        **links,
    }
