"""The audience builder on a phone (360 px): choose a criterion, tick a tag, watch the count
update (htmx), add it, save; then the public page at 360 and 1280 px. Screenshots go to
var/screenshots/ (looked at by a human: not asserted).

Selectors use names and URLs rather than wording (translations may change it).
"""

import pathlib

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from essaim.communication import site
from essaim.communication.models import Audience
from essaim.people.models import Tag
from tests.browser.test_contacts import PHONE, sign_in
from tests.factories import PersonFactory

pytestmark = pytest.mark.xdist_group("browser")

SHOTS = pathlib.Path("var/screenshots")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_build_an_audience_on_a_phone(browsing, association, presidente):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with scope(association=association):
        tag = Tag.objects.create(association=association, name="jardin partagé")
        for i in range(7):
            PersonFactory(association=association, last_name=f"Jardinier{i}").tags.add(tag)
        for i in range(5):
            PersonFactory(association=association, last_name=f"Voisin{i}")
        site.public_page_update(
            association=association,
            acting_user=presidente,
            presentation="Nous **animons** le quartier.\n\n- fêtes\n- jardin",
            published=True,
        )
        site.news_create(
            association=association,
            acting_user=presidente,
            title="Retour sur la fête des voisins",
            summary="Plus de 200 voisins et un grand soleil.",
            body="Merci à tous !",
            publish=True,
        )

    page = browsing.new_page(**PHONE)
    sign_in(browsing, page, presidente.email)
    browsing.check(page)
    page.goto(f"/a/{association.slug}/audiences/")
    browsing.check(page)
    page.screenshot(path=str(SHOTS / "audiences-empty-360.png"), full_page=True)
    page.locator(f"main a[href='/a/{association.slug}/audiences/new/']").first.click()
    browsing.check(page)
    count = page.locator("#audience-count .audience-count-figure strong")
    expect(count).to_have_text("13")  # 12 contacts + the présidente's own record

    page.select_option("select[name=criterion]", "people.tags")
    page.locator("button[name=action][value=choose]").click()
    browsing.check(page)
    page.check(f"input[name=p-tags][value='{tag.pk}']")
    # With JavaScript the count of the criterion being added appears without a click.
    expect(page.locator("#audience-count")).to_contain_text("7")
    page.screenshot(path=str(SHOTS / "audience-builder-360.png"), full_page=True)
    page.locator("button[name=action][value=add]").click()
    browsing.check(page)
    expect(count).to_have_text("7")

    page.fill("input[name=name]", "Jardiniers")
    page.locator("button[name=action][value=save]").click()
    browsing.check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Jardiniers")
    page.screenshot(path=str(SHOTS / "audience-detail-360.png"), full_page=True)
    with scope(association=association):
        assert Audience.objects.get().definition["include"][0]["params"] == {"tags": [str(tag.pk)]}

    # The team's screens of the public page, on the phone.
    for name, path in (
        ("site-edit", f"/a/{association.slug}/site/"),
        ("news-list", f"/a/{association.slug}/site/news/"),
        ("news-form", f"/a/{association.slug}/site/news/new/"),
    ):
        page.goto(path)
        browsing.check(page)
        page.screenshot(path=str(SHOTS / f"{name}-360.png"), full_page=True)

    # The public page, on a phone and on a laptop, for a visitor.
    visitor = browsing.new_page(**PHONE)
    visitor.goto(f"/o/{association.slug}/")
    browsing.check(visitor)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(association.name)
    visitor.screenshot(path=str(SHOTS / "site-360.png"), full_page=True)
    wide = browsing.new_page(width=1280, height=900)
    wide.goto(f"/o/{association.slug}/")
    browsing.check(wide)
    wide.screenshot(path=str(SHOTS / "site-1280.png"), full_page=True)
    wide.locator("main a[href*='/news/retour']").first.click()
    browsing.check(wide)
    wide.screenshot(path=str(SHOTS / "news-1280.png"), full_page=True)
