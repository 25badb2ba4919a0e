"""Building e-mail messages from the three templates (subject, text, HTML)."""

from dataclasses import dataclass

from django.core.mail import EmailMultiAlternatives
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import translation


@dataclass
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str


def _render_text(name: str, context: dict) -> str:
    """A plain-text template, without HTML escaping: "L'Atelier" must not reach a subject
    line or a text body as "L&#x27;Atelier"."""
    template = get_template(name)
    engine_template = getattr(template, "template", None)
    if engine_template is None:  # not the Django template engine: render as usual
        return template.render(context)
    return engine_template.render(Context(context, autoescape=False))


def render_email(template: str, context: dict, language: str | None = None) -> RenderedEmail:
    """Render `emails/<template>_subject.txt`, `_body.txt` and (if present) `_body.html`."""
    with translation.override(language or translation.get_language() or "fr"):
        subject = _render_text(f"emails/{template}_subject.txt", context)
        body_text = _render_text(f"emails/{template}_body.txt", context)
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
