"""An event on a phone: a citizen registers with her e-mail only → opens the confirmation
e-mail's link, which shows a button (opening it registers nothing) → presses it and sees her
registration with its QR code → at the door, the secretary checks her in on her phone by
opening the QR code's address → the attendance export lists her as checked in.

Selectors use URLs, names and classes rather than wording (translations may change it).
"""

import datetime as dt
import os
import re

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect

from essaim.mobilisation import events
from essaim.mobilisation.models import Registration
from tests.browser.helpers import link_from_outbox
from tests.browser.test_contacts import PHONE, sign_in

pytestmark = pytest.mark.xdist_group("browser")

GUEST = "camille.roux@example.net"
SHOTS = os.environ.get("EVENT_SHOTS", "")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_register_confirm_check_in_and_export(
    browsing, association, presidente, secretaire, tmp_path
):
    start = timezone.localtime() + dt.timedelta(days=3)
    with scope(association=association):
        event = events.event_create(
            association=association,
            acting_user=presidente,
            title="Réunion publique : l'avenir du square",
            starts_at=start.replace(hour=18, minute=30, second=0, microsecond=0),
            ends_at=start.replace(hour=20, minute=30, second=0, microsecond=0),
            place="Salle Olympe de Gouges, 15 rue Merlin, 75011 Paris",
            description="Présentation du projet et échanges avec les habitants.",
            capacity=50,
        )
        event = events.event_set_status(
            association=association, acting_user=presidente, event=event, status="published"
        )
    page_path = f"/e/{association.slug}/{event.slug}/"

    # 1. Camille, on her phone, opens the event from a WhatsApp share link and registers.
    citizen = browsing.new_page(**PHONE)
    citizen.goto(page_path + "?src=whatsapp")
    browsing.check(citizen)
    shot(citizen, "event-public-360")
    citizen.fill("input[name=first_name]", "Camille")
    citizen.fill("input[name=last_name]", "Roux")
    citizen.fill("input[name=email]", GUEST)
    citizen.locator("form.event-form button[type=submit]").click()
    expect(citizen).to_have_url(re.compile(re.escape(browsing.url(page_path + "thanks/"))))
    browsing.check(citizen)
    with scopes_disabled():
        registration = Registration.objects.get()
    assert registration.status == "pending" and registration.source == "whatsapp"

    # 2. She opens the e-mail's link: a button; opening the page registers nothing.
    link = link_from_outbox(GUEST, "/e/confirm/")
    citizen.goto(browsing.url(link))
    browsing.check(citizen)
    registration.refresh_from_db()
    assert registration.status == "pending"
    citizen.locator("main form button[type=submit]").click()
    expect(citizen.locator("main .registration-status.notice-success")).to_be_visible()
    expect(citizen.locator("main img.event-qr")).to_be_visible()
    browsing.check(citizen)
    shot(citizen, "event-registration-360")
    registration.refresh_from_db()
    assert registration.status == "confirmed" and registration.person is not None

    # 3. At the door, the secretary scans the QR code with her phone: it checks Camille in.
    team = browsing.new_page(**PHONE)
    sign_in(browsing, team, secretaire.email)
    browsing.check(team)
    team.goto(browsing.url(events.checkin_url(registration)))
    expect(team.locator("main .checkin-result.notice-success")).to_contain_text("Camille Roux")
    browsing.check(team)
    shot(team, "event-checkin-qr-360")
    registration.refresh_from_db()
    assert registration.checked_in_at is not None
    # The list shows her present; search works.
    team.goto(f"/a/{association.slug}/events/{event.uuid}/check-in/")
    team.fill("input[name=q]", "roux")
    team.locator("main form[role=search] button[type=submit]").click()
    expect(team.locator("main .check-in-row.is-present")).to_have_count(1)
    browsing.check(team)
    shot(team, "event-checkin-list-360")

    # 4. The attendance export lists her, checked in, with her source.
    team.goto(f"/a/{association.slug}/events/{event.uuid}/")
    browsing.check(team)
    shot(team, "event-detail-360")
    with team.expect_download() as download_info:
        team.locator("main a[href$='/attendance.csv']").first.click()
    saved = tmp_path / "attendance.csv"
    download_info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    line = next(row for row in text.splitlines() if "Roux" in row)
    assert "Camille" in line and "whatsapp" in line
    assert timezone.localtime(registration.checked_in_at).strftime("%d/%m/%Y %H:%M") in line

    # The back office on a wide screen too.
    wide = browsing.new_page()
    sign_in(browsing, wide, secretaire.email)
    browsing.check(wide)
    wide.goto(f"/a/{association.slug}/events/")
    browsing.check(wide)
    shot(wide, "events-list-1280")
    wide.goto(f"/a/{association.slug}/events/{event.uuid}/registrations/")
    browsing.check(wide)
    shot(wide, "event-registrations-1280")
    wide.goto(page_path)
    browsing.check(wide)
    shot(wide, "event-public-1280")
