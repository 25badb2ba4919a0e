"""allauth glue: its e-mails go through our outbox, its pages through our layout."""

from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation

from essaim.core.emails import outbox_add


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Same rendering as allauth (its templates, our overrides), but queued in the outbox
        # in the request's transaction instead of sent inline: a slow SMTP server does not
        # slow the sign-up page, and a failed delivery is retried.
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []) or []:
            if mimetype == "text/html":
                html = content
        body = message.body
        if message.content_subtype == "html":
            html, body = message.body, ""
        outbox_add(
            to=email,
            subject=message.subject,
            body_text=body,
            body_html=html,
            kind=template_prefix.rsplit("/", 1)[-1],
        )

    def save_user(self, request, user, form, commit=True):
        # Remember the language the person signed up in: their e-mails use it.
        user.language = (translation.get_language() or "fr")[:2]
        return super().save_user(request, user, form, commit)
