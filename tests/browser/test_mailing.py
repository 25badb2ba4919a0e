"""Mailings in a browser: the présidente builds an audience, writes a mailing and sends it
(the worker runs in-process: the test task backend runs the sending task at commit); a
reader opens the unsubscribe link of the message she received: the page shows a button
(a link scanner opening it changes nothing), pressing it unsubscribes her. And a mail
provider's RFC 8058 one-click POST unsubscribes without any page.

Selectors use names, values and URLs rather than wording (translations may change it).
"""

import pathlib
import re

import pytest
from django.core import mail
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect

from essaim.communication.models import Delivery, Mailing
from essaim.people import services as people_services
from essaim.people.models import Consent, Tag
from tests.browser.helpers import submit
from tests.browser.test_contacts import PHONE, sign_in
from tests.factories import PersonFactory

pytestmark = pytest.mark.xdist_group("browser")

SHOTS = pathlib.Path("var/screenshots")


def _readers(association, n=3):
    tag = Tag.objects.create(association=association, name="lecteurs")
    readers = []
    for i in range(n):
        person = PersonFactory(
            association=association, first_name=f"Lectrice{i}", email=f"lectrice{i}@example.net"
        )
        person.tags.add(tag)
        people_services.consent_record(
            association=association, acting_user=None, person=person, topic="newsletter",
            granted=True, source=Consent.Source.PAPER,
        )  # fmt: skip
        readers.append(person)
    # Tagged but never agreed: must not receive it.
    PersonFactory(association=association, email="pas-daccord@example.net").tags.add(tag)
    return tag, readers


def _unsubscribe_url(message) -> str:
    header = message.extra_headers["List-Unsubscribe"]
    return re.search(r"<(https?://[^>]+/u/[^>]+/)>", header).group(1)


def _newsletter_granted(person) -> bool:
    with scopes_disabled():
        return people_services.current_consents(person)["newsletter"].granted


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_build_an_audience_send_a_mailing_and_unsubscribe(browsing, association, presidente):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with scope(association=association):
        tag, readers = _readers(association)
    slug = association.slug

    # 1. The audience, with the builder.
    page = browsing.new_page(width=1280, height=900)
    sign_in(browsing, page, presidente.email)
    browsing.check(page)
    page.goto(f"/a/{slug}/audiences/new/")
    browsing.check(page)
    page.select_option("select[name=criterion]", "people.tags")
    page.locator("button[name=action][value=choose]").click()
    browsing.check(page)
    page.check(f"input[name=p-tags][value='{tag.pk}']")
    page.locator("button[name=action][value=add]").click()
    browsing.check(page)
    page.fill("input[name=name]", "Lecteurs")
    page.locator("button[name=action][value=save]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lecteurs")
    browsing.check(page)

    # 2. The mailing: written, previewed, sent now.
    page.goto(f"/a/{slug}/mailings/")
    browsing.check(page)
    page.screenshot(path=str(SHOTS / "mailings-empty-1280.png"), full_page=True)
    page.locator(f"main a[href='/a/{slug}/mailings/new/']").first.click()
    browsing.check(page)
    page.select_option("select[name=audience]", label="Lecteurs")
    page.select_option("select[name=topic]", "newsletter")
    page.fill("input[name=subject]", "La lettre de {{ association }}")
    page.fill(
        "textarea[name=body]",
        "Bonjour {{ first_name }},\n\nLa **fête** a lieu samedi : [le programme](https://example.org/fete).",
    )
    page.screenshot(path=str(SHOTS / "mailing-form-1280.png"), full_page=True)
    submit(page, "main form.mailing-form")
    expect(page.locator("main form[action$='/schedule/']")).to_be_visible()
    browsing.check(page)
    page.screenshot(path=str(SHOTS / "mailing-draft-1280.png"), full_page=True)
    page.locator("main a[href$='/preview/']").first.click()
    expect(page.locator("main .mailing-preview-body strong")).to_have_text("fête")
    browsing.check(page)
    page.go_back()
    browsing.check(page)
    mail.outbox.clear()
    page.locator("main form[action$='/schedule/'] button[type=submit]").click()
    expect(page.locator("main progress")).to_be_visible()
    browsing.check(page)
    page.screenshot(path=str(SHOTS / "mailing-report-1280.png"), full_page=True)
    with scopes_disabled():
        mailing = Mailing.objects.get()
        assert mailing.status == Mailing.Status.SENT
        assert Delivery.objects.filter(mailing=mailing, status="sent").count() == 3
    received = {m.to[0]: m for m in mail.outbox}
    assert sorted(received) == sorted(r.email for r in readers)

    # 3. A reader opens the unsubscribe link of her message on her phone.
    message = received[readers[0].email]
    assert message.subject == f"La lettre de {association.name}"
    url = _unsubscribe_url(message)
    assert url in message.body  # also in the text part
    reader = browsing.new_page(**PHONE)
    reader.goto(browsing.url(url))
    browsing.check(reader)
    reader.screenshot(path=str(SHOTS / "unsubscribe-360.png"), full_page=True)
    assert _newsletter_granted(readers[0])  # opening the link changed nothing
    reader.locator("main form button[type=submit]").first.click()
    expect(reader.locator("main .notice-success")).to_be_visible()
    browsing.check(reader)
    assert not _newsletter_granted(readers[0])
    assert _newsletter_granted(readers[1])
    reader.locator("main a[href*='/preferences/']").click()
    browsing.check(reader)
    reader.screenshot(path=str(SHOTS / "preferences-360.png"), full_page=True)

    # The report counts it.
    page.reload()
    browsing.check(page)
    with scopes_disabled():
        assert Delivery.objects.filter(mailing=mailing, unsubscribed_at__isnull=False).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_one_click_post_unsubscribes(browsing, association, presidente):
    from essaim.communication import mailings

    with scope(association=association):
        _tag, readers = _readers(association, 1)
        mailing = mailings.mailing_create(
            association=association, acting_user=presidente, subject="Lettre",
            body="Bonjour {{ first_name }}", topic="newsletter",
        )  # fmt: skip
        mailings.mailing_schedule(association=association, acting_user=presidente, mailing=mailing)
    message = mail.outbox[-1]
    url = browsing.url(_unsubscribe_url(message))
    page = browsing.new_page(**PHONE)
    # What Gmail or Yahoo does when she presses their "unsubscribe" button: no cookie, no page.
    wrong = page.request.post(url, form={"List-Unsubscribe": "Please"})
    assert wrong.status == 400 and _newsletter_granted(readers[0])
    response = page.request.post(url, form={"List-Unsubscribe": "One-Click"})
    assert response.status == 200
    assert not _newsletter_granted(readers[0])
