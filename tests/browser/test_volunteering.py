"""Volunteering on a phone: a citizen fills her volunteer profile, finds a mission near her
postcode in the catalogue, applies (answering the mission's question) → the coordinator
accepts her from the back office → she sees it accepted in her space.

Selectors use URLs, names and classes rather than wording (translations may change it).
"""

import pytest
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect

from essaim.volunteering import services
from essaim.volunteering.models import Application, VolunteerProfile
from tests.browser.helpers import flash, submit
from tests.browser.test_contacts import PHONE, sign_in

pytestmark = pytest.mark.xdist_group("browser")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_citizen_finds_a_mission_near_her_and_is_accepted(
    browsing, association, presidente, citizen
):
    with scope(association=association):
        near = services.mission_create(
            association=association,
            acting_user=presidente,
            title="Aide aux devoirs au centre social",
            description="Accompagner des collégiens le mercredi après-midi.",
            cause="education",
            skills=["aide-devoirs"],
            postcode="75011",
            places=2,
            questions=["Quelles matières préférez-vous ?"],
        )
        services.mission_set_status(
            association=association, acting_user=presidente, mission=near, action="publish"
        )
        far = services.mission_create(
            association=association,
            acting_user=presidente,
            title="Aide aux devoirs à Marseille",
            description="Loin de Paris.",
            cause="education",
            postcode="13001",
        )
        services.mission_set_status(
            association=association, acting_user=presidente, mission=far, action="publish"
        )

    # 1. The citizen fills her volunteer profile on her phone.
    page = browsing.new_page(**PHONE)
    sign_in(browsing, page, citizen.email)
    browsing.check(page)
    page.goto("/account/volunteering/profile/")
    browsing.check(page)
    page.fill("input[name=postcode]", "75011")
    page.fill("input[name=radius_km]", "5")
    page.check("input[name=skills][value=aide-devoirs]")
    page.check("input[name=causes][value=education]")
    page.check("input[name=availability][value='7']")
    submit(page)
    expect(page).to_have_url(browsing.url("/account/volunteering/"))
    expect(flash(page)).to_be_visible()
    browsing.check(page)
    assert VolunteerProfile.objects.get(user=citizen).commune.startswith("Paris")
    # "Missions for you" shows the mission near her, not the one in Marseille.
    expect(page.locator(f"main a[href='/missions/{near.uuid}/']")).to_be_visible()
    expect(page.locator(f"main a[href='/missions/{far.uuid}/']")).to_have_count(0)

    # 2. She searches the catalogue near her postcode (no JavaScript needed: a GET form).
    page.goto("/missions/")
    browsing.check(page)
    page.fill("input[name=q]", "devoirs")
    page.fill("input[name=postcode]", "75011")
    page.locator("main form[role=search] button[type=submit]").click()
    expect(page.locator("main .mission-card")).to_have_count(1)
    browsing.check(page)
    page.locator(f"main a[href='/missions/{near.uuid}/']").click()
    browsing.check(page)

    # 3. She applies: first without consent (refused, clear error), then with it.
    page.locator(f"main a[href='/missions/{near.uuid}/apply/']").click()
    browsing.check(page)
    page.fill("textarea[name=answer_0]", "Les maths")
    submit(page)
    expect(page.locator("main .error-summary")).to_be_visible()
    browsing.check(page)
    page.check("input[name=consent]")
    submit(page)
    expect(flash(page)).to_be_visible()
    browsing.check(page)
    with scopes_disabled():
        application = Application.objects.get()
    assert application.status == "submitted" and application.consent_at

    # 4. The coordinator accepts her from the back office, on her phone too.
    team = browsing.new_page(**PHONE)
    sign_in(browsing, team, presidente.email)
    browsing.check(team)
    team.goto(f"/a/{association.slug}/volunteering/")
    browsing.check(team)
    team.locator(f"main a[href='/a/{association.slug}/volunteering/missions/{near.uuid}/']").click()
    browsing.check(team)
    detail = f"/a/{association.slug}/volunteering/applications/{application.uuid}/"
    team.locator(f"main a[href='{detail}']").click()
    expect(team.locator("main")).to_contain_text("Les maths")
    browsing.check(team)
    team.locator(f"main form[action='{detail}accept/'] button").click()
    expect(flash(team)).to_be_visible()
    browsing.check(team)

    # 5. She sees it accepted in her space.
    page.goto("/account/volunteering/")
    expect(page.locator("main .badge-accepted")).to_be_visible()
    browsing.check(page)
    page.locator(f"main a[href='/account/volunteering/applications/{application.uuid}/']").click()
    expect(page.locator("main .notice-success")).to_be_visible()
    browsing.check(page)

    # 6. The coordinator's other screens fit a phone too: the mission form and the skills.
    team.goto(f"/a/{association.slug}/volunteering/missions/new/")
    browsing.check(team)
    team.goto(f"/a/{association.slug}/volunteering/skills/")
    browsing.check(team)
