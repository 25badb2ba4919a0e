"""Building e-mail messages from the three templates (subject, text, HTML)."""

from dataclasses import dataclass

from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation


@dataclass
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str


def render_email(template: str, context: dict, language: str | None = None) -> RenderedEmail:
    """Render `emails/<template>_subject.txt`, `_body.txt` and (if present) `_body.html`."""
    with translation.override(language or translation.get_language() or "fr"):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        body_text = render_to_string(f"emails/{template}_body.txt", context)
        try:
            body_html = render_to_string(f"emails/{template}_body.html", context)
        except TemplateDoesNotExist:
            body_html = ""
    # A subject is one line: a newline in it would let a template inject headers.
    subject = " ".join(subject.split())
    return RenderedEmail(subject=subject, body_text=body_text.strip() + "\n", body_html=body_html)


def build_message(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    from_email: str,
    reply_to: str = "",
    headers: dict | None = None,
    connection=None,
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body=body_text,
        from_email=from_email,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers=headers or {},
        connection=connection,
    )
    if body_html:
        message.attach_alternative(body_html, "text/html")
    return message
