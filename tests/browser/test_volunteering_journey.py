"""The whole volunteering journey of issue 5, on a phone: a citizen searches missions near her
postcode → applies → the coordinator accepts → she signs up for a shift → the coordinator
marks her present, which approves the shift's hours, and approves the hours she declared →
she downloads her attestation de bénévolat
(a PDF with her name and her hours) and sees her hours for the Compte d'Engagement Citoyen.
The coordinator finds her among the volunteers with approved hours, and the mission in the
funnels.

Selectors use URLs, names and classes rather than wording (translations may change it).
"""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect
from pypdf import PdfReader

from essaim.volunteering import services, shifts
from essaim.volunteering.models import Application, HoursEntry, Shift, ShiftSignup
from tests.browser.helpers import flash, submit
from tests.browser.test_contacts import PHONE, sign_in

pytestmark = pytest.mark.xdist_group("browser")


def _download(page, locator) -> bytes:
    with page.expect_download() as info:
        locator.click()
    return Path(info.value.path()).read_bytes()


def _pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())  # a table cell may wrap a title onto two lines


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_from_search_to_attestation(browsing, association, presidente, citizen):
    with scope(association=association):
        mission = services.mission_create(
            association=association,
            acting_user=presidente,
            title="Distribution alimentaire du jeudi",
            description="Accueillir et servir les familles à l'épicerie solidaire.",
            cause="solidarite",
            skills=["distribution", "accueil"],
            postcode="75011",
            places=5,
        )
        services.mission_set_status(
            association=association, acting_user=presidente, mission=mission, action="publish"
        )
        starts = timezone.now() + dt.timedelta(days=2)
        shift = shifts.shift_create(
            association=association,
            acting_user=presidente,
            mission=mission,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3, minutes=30),
            capacity=4,
        )
    mission_path = f"/missions/{mission.uuid}/"
    team_base = f"/a/{association.slug}/volunteering"

    # 1. The citizen searches missions near her postcode, on her phone.
    page = browsing.new_page(**PHONE)
    sign_in(browsing, page, citizen.email)
    browsing.check(page)
    page.goto("/missions/")
    browsing.check(page)
    page.fill("input[name=q]", "distribution")
    page.fill("input[name=postcode]", "75011")
    page.locator("main form[role=search] button[type=submit]").click()
    expect(page.locator("main .mission-card")).to_have_count(1)
    browsing.check(page)
    page.locator(f"main a[href='{mission_path}']").click()
    browsing.check(page)

    # 2. She applies.
    page.locator(f"main a[href='{mission_path}apply/']").click()
    browsing.check(page)
    page.check("input[name=consent]")
    submit(page)
    expect(flash(page)).to_be_visible()
    browsing.check(page)
    with scopes_disabled():
        application = Application.objects.get(mission=mission, user=citizen)

    # 3. The coordinator accepts her application.
    team = browsing.new_page(**PHONE)
    sign_in(browsing, team, presidente.email)
    browsing.check(team)
    detail = f"{team_base}/applications/{application.uuid}/"
    team.goto(detail)
    browsing.check(team)
    team.locator(f"main form[action='{detail}accept/'] button").click()
    expect(flash(team)).to_be_visible()
    browsing.check(team)
    with scopes_disabled():
        assert Application.objects.get(pk=application.pk).status == "accepted"

    # 4. She signs up for the shift from her space.
    page.goto("/account/volunteering/shifts/")
    browsing.check(page)
    sign_up = f"/account/volunteering/shifts/{shift.uuid}/sign-up/"
    page.locator(f"main form[action='{sign_up}'] button[type=submit]").click()
    expect(flash(page)).to_be_visible()
    browsing.check(page)
    with scopes_disabled():
        signup = ShiftSignup.objects.get(shift=shift, user=citizen)
        assert signup.status == "signed_up"
        # The day of the shift comes and goes.
        past = timezone.now() - dt.timedelta(days=1)
        Shift.objects.filter(pk=shift.pk).update(
            starts_at=past, ends_at=past + dt.timedelta(hours=3, minutes=30), signup_deadline=None
        )

    # 5. The coordinator marks her present: her hours are recorded and approved.
    team.goto(f"{team_base}/shifts/{shift.uuid}/")
    browsing.check(team)
    present = f"{team_base}/signups/{signup.uuid}/attended/"
    team.locator(f"main form[action='{present}'] button[type=submit]").click()
    expect(flash(team)).to_be_visible()
    browsing.check(team)
    with scopes_disabled():
        entry = HoursEntry.objects.get(user=citizen)
    assert (entry.status, entry.minutes) == ("approved", 210)

    # 6. She also declares the hour and a half she spent sorting food; the coordinator
    # approves it from the list of hours to approve.
    page.goto("/account/volunteering/hours/")
    browsing.check(page)
    page.select_option("select[name=mission]", str(mission.uuid))
    page.fill("input[name=hours]", "1")
    page.fill("input[name=minutes]", "30")
    page.fill("input[name=activity]", "Tri des denrées")
    submit(page)
    expect(flash(page)).to_be_visible()
    browsing.check(page)
    with scopes_disabled():
        declared = HoursEntry.objects.get(user=citizen, status="declared")
    team.goto(f"{team_base}/hours/?status=declared")
    browsing.check(team)
    approve = f"{team_base}/hours/{declared.uuid}/approve/"
    team.locator(f"main form[action='{approve}'] button[type=submit]").click()
    expect(flash(team)).to_be_visible()
    browsing.check(team)
    with scopes_disabled():
        assert HoursEntry.objects.get(pk=declared.pk).status == "approved"

    # 7. She downloads her attestation from her space: a PDF with her name and hours.
    page.goto("/account/volunteering/")
    browsing.check(page)
    page.locator("main a[href='/account/volunteering/recognition/']").click()
    browsing.check(page)
    expect(page.locator("main")).to_contain_text(association.name)
    attestation = f"/account/volunteering/recognition/attestation-{association.uuid}.pdf"
    text = _pdf_text(_download(page, page.locator(f"main a[href='{attestation}']")))
    assert "Marc Petit" in text
    assert "Distribution alimentaire du jeudi" in text and "5 h" in text  # 3 h 30 + 1 h 30
    # Her yearly statement for the CEC, as a PDF too.
    year = timezone.localdate(past).year
    statement = page.locator(
        f"main a[href='/account/volunteering/recognition/statement-{year}.pdf']"
    )
    assert "5 h" in _pdf_text(_download(page, statement))
    passport = page.locator("main a[href='/account/volunteering/recognition/passport.pdf']")
    assert "Distribution alimentaire du jeudi" in _pdf_text(_download(page, passport))

    # 8. The coordinator finds her among the volunteers with approved hours and issues an
    # attestation too; the funnels count the application and the acceptance.
    team.goto(f"{team_base}/recognition/")
    browsing.check(team)
    team.locator("main table a").first.click()
    browsing.check(team)
    issued = team.locator("main a[href$='/attestation.pdf']").first
    assert "Marc Petit" in _pdf_text(_download(team, issued))
    team.goto(f"{team_base}/funnels/")
    browsing.check(team)
    expect(team.locator("main table").first).to_contain_text(mission.title)
