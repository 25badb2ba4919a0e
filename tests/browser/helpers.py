"""Small helpers shared by the browser journeys."""

import re

from essaim.core.models import OutboxEmail

PASSWORD = "Ruche-bleue-2026!"


def link_from_outbox(to: str, pattern: str) -> str:
    """The last e-mail queued for `to` must contain a link matching `pattern`; returns it."""
    emails = list(OutboxEmail.objects.filter(to__iexact=to).order_by("-created_at", "-id"))
    assert emails, f"no e-mail queued for {to}"
    for email in emails:
        match = re.search(r"https?://\S*" + pattern + r"\S*", email.body_text)
        if match:
            return match.group(0).rstrip(".,;)>\"'")
    subjects = "; ".join(e.subject for e in emails)
    raise AssertionError(f"no link matching {pattern!r} in the e-mails to {to}: {subjects}")


def submit(page, form: str = "main form") -> None:
    """Clicks the primary submit button of a form in the page content (not the top bar's)."""
    page.locator(form).locator("button[type=submit]").first.click()


def flash(page):
    """The flash messages shown at the top of the content."""
    return page.locator("main .messages")
