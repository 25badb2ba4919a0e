"""The présidente, on her phone, keeps her contacts: add, find, record a consent, erase."""

import re

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from essaim.people.models import Person
from tests.browser.helpers import flash, submit
from tests.factories import PASSWORD, PersonFactory

pytestmark = pytest.mark.xdist_group("browser")

PHONE = {"width": 360, "height": 760}


def sign_in(browsing, page, email: str) -> None:
    page.goto("/accounts/login/")
    browsing.check(page)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    submit(page)
    expect(page).to_have_url(browsing.url("/"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_presidente_adds_finds_and_erases_a_contact_on_her_phone(browsing, presidente, association):
    with scope(association=association):
        PersonFactory(association=association, first_name="Bernard", last_name="Dupont")
    page = browsing.new_page(**PHONE)
    sign_in(browsing, page, presidente.email)
    browsing.check(page)
    people_url = f"/a/{association.slug}/people/"

    # On a phone the association menu starts folded, and opens on a tap.
    page.locator(f"main a[href='/a/{association.slug}/']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(association.name)
    menu = page.locator("details.nav-toggle")
    contacts_link = menu.locator(f"a[href='{people_url}']")
    expect(menu).not_to_have_attribute("open", "")
    expect(contacts_link).to_be_hidden()
    browsing.check(page)
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    expect(contacts_link).to_be_visible()
    browsing.check(page)
    contacts_link.click()

    # The contact list, then the form: an invalid e-mail is refused, what was typed is kept.
    expect(page).to_have_url(browsing.url(people_url))
    expect(page.locator("table")).to_contain_text("Bernard")
    browsing.check(page)
    page.locator(f"main a[href='{people_url}new/']").first.click()
    expect(page).to_have_url(browsing.url(f"{people_url}new/"))
    browsing.check(page)
    page.fill("input[name=first_name]", "Émilie")
    page.fill("input[name=last_name]", "Lefèvre-Çelik")
    page.fill("input[name=email]", "emilie.lefevre@")
    page.fill("input[name=city]", "Saint-Étienne")
    submit(page)
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("input[name=email]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("input[name=first_name]")).to_have_value("Émilie")
    browsing.check(page)
    page.fill("input[name=email]", "emilie.lefevre@example.net")
    submit(page)

    # The new contact's page.
    expect(page).to_have_url(re.compile(re.escape(people_url) + r"[0-9a-f-]{36}/$"))
    expect(flash(page)).to_contain_text("Émilie")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Émilie")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lefèvre-Çelik")
    browsing.check(page)
    detail_url = page.url

    # Search without accents from the list: "emilie" finds "Émilie", not Bernard.
    page.goto(people_url)
    browsing.check(page)
    rows = page.locator("table tbody tr")
    expect(rows.filter(has_text="Bernard")).to_have_count(1)
    expect(rows.filter(has_text="Émilie")).to_have_count(1)
    page.locator("#person-q").fill("emilie")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Émilie")
    expect(page).to_have_url(re.compile(r"[?&]q=emilie"))  # the search survives a reload
    browsing.check(page)
    page.locator("#person-q").fill("lefevre celik")
    expect(rows).to_have_count(1)
    page.locator("#person-q").fill("zzz-nobody")
    expect(page.locator("#results .empty-state")).to_be_visible()
    page.locator("#person-q").fill("EMILIE")
    expect(rows).to_have_count(1)
    browsing.check(page)
    rows.first.get_by_role("link").click()
    expect(page).to_have_url(detail_url)
    browsing.check(page)

    # Record her consent to the newsletter, given on a paper form.
    page.locator("main a[href$='/consents/new/']").click()
    expect(page).to_have_url(re.compile(r"/consents/new/$"))
    browsing.check(page)
    page.select_option("select[name=topic]", "newsletter")
    page.check("input[name=granted][value='1']")
    page.select_option("select[name=source]", "paper")
    page.fill("input[name=note]", "Bulletin d'adhésion 2026, classeur bleu")
    submit(page)
    expect(page).to_have_url(detail_url)
    expect(flash(page)).to_be_visible()
    consents = page.locator("main ul.consents")
    expect(consents.locator("li").first.locator(".badge-accepted")).to_be_visible()
    browsing.check(page)

    # Erase her (RGPD right to erasure): a confirmation is asked first.
    page.locator("main a[href$='/erase/']").click()
    expect(page).to_have_url(re.compile(r"/erase/$"))
    browsing.check(page)
    page.fill("input[name=reason]", "Demande reçue par courrier le 3 mars")
    submit(page)
    expect(page.locator(".error-summary")).to_be_focused()  # the box was not ticked
    browsing.check(page)
    page.check("input[name=confirm]")
    submit(page)
    expect(page).to_have_url(browsing.url(people_url))
    expect(flash(page)).to_be_visible()
    expect(page.locator("table")).not_to_contain_text("Émilie")
    browsing.check(page)
    with scope(association=association):
        erased = Person.objects.get(uuid=detail_url.rstrip("/").rsplit("/", 1)[-1])
        assert erased.is_erased
        assert "Émilie" not in erased.first_name

    # The other screens of her menu fit the phone too (the roles table scrolls in its box).
    for path in ("team/", "roles/", "log/"):
        page.goto(f"/a/{association.slug}/{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        browsing.check(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_association_menu_is_open_on_a_wide_screen(browsing, presidente, association):
    page = browsing.new_page()
    sign_in(browsing, page, presidente.email)
    browsing.check(page)
    page.goto(f"/a/{association.slug}/")
    menu = page.locator("details.nav-toggle")
    expect(menu).to_have_attribute("open", "")
    expect(menu.locator("summary")).to_be_hidden()
    expect(menu.locator(f"a[href='/a/{association.slug}/people/']")).to_be_visible()
    browsing.check(page)
