"""Petitions on a phone: a citizen signs on her phone → opens the link of the confirmation
e-mail, which shows a confirm button (opening it confirms nothing) → presses it, and the
counter shows her signature → the secretary, who runs the association's campaigns, downloads
the PDF to deliver to the addressee.

Visible text may still be the English source where a French translation is missing:
selectors use URLs, names and classes rather than wording.
"""

import io
import re

import pytest
from django_scopes import scope
from playwright.sync_api import expect
from pypdf import PdfReader

from essaim.mobilisation import services
from essaim.mobilisation.models import Petition, Signature
from tests.browser.helpers import link_from_outbox
from tests.browser.test_contacts import PHONE, sign_in

pytestmark = pytest.mark.xdist_group("browser")

SIGNER = "camille.roux@example.net"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_citizen_signs_confirms_and_the_team_delivers_the_pdf(
    browsing, association, presidente, secretaire, tmp_path
):
    with scope(association=association):
        petition = services.petition_create(
            association=association,
            acting_user=presidente,
            title="Sauvons le square Saint-Ambroise",
            addressee="Madame la Maire du 11e arrondissement",
            text="Nous demandons que le square reste un jardin ouvert à tous.",
            goal=200,
        )
        services.petition_set_status(
            association=association,
            acting_user=presidente,
            petition=petition,
            status=Petition.Status.OPEN,
        )
    page_path = f"/p/{association.slug}/{petition.slug}/"

    # 1. Camille, on her phone, opens the petition from a Facebook share link and signs.
    citizen = browsing.new_page(**PHONE)
    citizen.goto(page_path + "?src=facebook")
    browsing.check(citizen)
    expect(citizen.locator(".petition-count-number").first).to_have_text("0")
    expect(citizen.locator("input[name=updates]")).not_to_be_checked()
    citizen.fill("input[name=first_name]", "Camille")
    citizen.fill("input[name=last_name]", "Roux")
    citizen.fill("input[name=email]", SIGNER)
    citizen.fill("input[name=postcode]", "75011")
    citizen.check("input[name=updates]")
    citizen.locator("form.petition-form button[type=submit]").click()
    # The browser keeps the form's #sign anchor through the redirect.
    expect(citizen).to_have_url(re.compile(re.escape(browsing.url(page_path + "thanks/"))))
    browsing.check(citizen)
    with scope(association=association):
        signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING and signature.source == "facebook"

    # 2. She opens the e-mail's link: a page with a button; opening it confirms nothing.
    link = link_from_outbox(SIGNER, "/p/confirm/")
    citizen.goto(browsing.url(link))
    browsing.check(citizen)
    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING
    citizen.locator("main form button[type=submit]").click()
    expect(citizen.locator(".confirm-done")).to_be_visible()
    browsing.check(citizen)
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED and signature.person is not None

    # 3. The petition's counter shows her signature.
    citizen.goto(page_path)
    expect(citizen.locator(".petition-count-number").first).to_have_text("1")
    expect(citizen.locator(".petition-breakdown")).to_contain_text("Paris")
    browsing.check(citizen)

    # 4. The secretary finds the petition in the back office and downloads the PDF.
    team = browsing.new_page(**PHONE)
    sign_in(browsing, team, secretaire.email)
    browsing.check(team)
    team.goto(f"/a/{association.slug}/petitions/")
    browsing.check(team)
    team.locator(f"main a[href$='/petitions/{petition.uuid}/']").first.click()
    expect(team.locator("main .petition-count-number")).to_have_text("1")
    browsing.check(team)
    with team.expect_download() as download_info:
        team.locator("main a[href$='/petition.pdf']").click()
    saved = tmp_path / "petition.pdf"
    download_info.value.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert petition.title in text and "Camille Roux" in text and "75011" in text
    assert SIGNER not in text
    # The back office on a wide screen too.
    wide = browsing.new_page()
    sign_in(browsing, wide, secretaire.email)
    browsing.check(wide)
    wide.goto(f"/a/{association.slug}/petitions/{petition.uuid}/")
    browsing.check(wide)
    wide.goto(f"/a/{association.slug}/petitions/{petition.uuid}/fraud/")
    browsing.check(wide)
    wide.goto(page_path + "embed/")
    browsing.check(wide)
