"""Tax receipts on a phone: the treasurer fills the tax receipt settings, records a cheque
from a new donor, issues the receipt and downloads it → the donor creates her account with
the address the receipt was sent to and downloads it from her space.

Visible text may still be the English source where a French translation is missing:
selectors use URLs, names and classes rather than wording.
"""

import io
import re

import pytest
from django_scopes import scope, scopes_disabled
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from essaim.fundraising.models import FiscalSettings, Gift, TaxReceipt
from tests.browser.helpers import flash, link_from_outbox, submit
from tests.browser.test_contacts import PHONE, sign_in
from tests.browser.test_first_hour import sign_up

pytestmark = pytest.mark.xdist_group("browser")

DONOR_EMAIL = "jeanne.durand@example.net"


def pdf_text(path) -> str:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_treasurer_issues_a_tax_receipt_the_donor_downloads_it(
    browsing, association, tresorier, tmp_path
):
    # What a receipt prints about the association comes from its settings (the présidente's).
    with scopes_disabled():
        association.objet = "Animer la vie du quartier Saint-Ambroise."
        association.address_line1 = "12 rue Saint-Maur"
        association.postcode = "75011"
        association.city = "Paris"
        association.save()
    signature = tmp_path / "signature.png"
    Image.new("RGB", (300, 90), "white").save(signature, format="PNG")
    space = f"/a/{association.slug}/fundraising"

    # 1. The treasurer, on her phone, fills the tax receipt settings: what is missing first.
    treasurer = browsing.new_page(**PHONE)
    sign_in(browsing, treasurer, tresorier.email)
    browsing.check(treasurer)
    treasurer.goto(f"{space}/receipts/settings/")
    expect(treasurer.locator("main .notice-warning")).to_be_visible()
    browsing.check(treasurer)
    treasurer.check("input[name=eligible]")
    treasurer.check("input[name=category][value=general_interest]")
    treasurer.fill("input[name=signatory_name]", "Karim Benali")
    treasurer.fill("input[name=signatory_title]", "Trésorier")
    treasurer.fill("input[name=place]", "Paris")
    treasurer.set_input_files("input[name=signature]", str(signature))
    submit(treasurer)
    expect(treasurer).to_have_url(browsing.url(f"{space}/receipts/settings/"))
    expect(flash(treasurer)).to_be_visible()
    expect(treasurer.locator("main .receipt-ready")).to_be_visible()
    expect(treasurer.locator("main img.signature-image")).to_be_visible()
    browsing.check(treasurer)
    with scope(association=association):
        fiscal = FiscalSettings.objects.get()
        assert fiscal.eligible and fiscal.signature

    # 2. She records a cheque from a donor who is not a contact yet. A first try with the
    #    amount typed wrong is refused, keeping what she typed.
    treasurer.goto(f"{space}/")
    expect(treasurer.locator("main .empty-state")).to_be_visible()
    browsing.check(treasurer)
    treasurer.locator(f"main a[href='{space}/new/']").first.click()
    expect(treasurer).to_have_url(browsing.url(f"{space}/new/"))
    browsing.check(treasurer)
    treasurer.locator("details.new-donor > summary").click()
    treasurer.fill("input[name=new-first_name]", "Jeanne")
    treasurer.fill("input[name=new-last_name]", "Durand")
    treasurer.fill("input[name=new-email]", DONOR_EMAIL)
    treasurer.fill("input[name=new-address_line1]", "8 rue des Lilas")
    treasurer.fill("input[name=new-postcode]", "75020")
    treasurer.fill("input[name=new-city]", "Paris")
    treasurer.fill("input[name=amount_cents]", "150,505")
    treasurer.select_option("select[name=method]", "cheque")
    treasurer.fill("input[name=reference]", "0004567")
    submit(treasurer, "main form.gift-form .form-actions")
    expect(treasurer.locator(".error-summary")).to_be_focused()
    expect(treasurer.locator("input[name=amount_cents]")).to_have_attribute("aria-invalid", "true")
    expect(treasurer.locator("input[name=new-last_name]")).to_have_value("Durand")
    browsing.check(treasurer)
    treasurer.fill("input[name=amount_cents]", "150")
    submit(treasurer, "main form.gift-form .form-actions")
    expect(treasurer).to_have_url(re.compile(rf"{space}/[0-9a-f-]{{36}}/$"))
    expect(flash(treasurer)).to_be_visible()
    browsing.check(treasurer)
    with scope(association=association):
        gift = Gift.objects.select_related("person", "payment").get()
    assert gift.amount_cents == 15000 and gift.payment.method == "cheque"
    assert gift.person.email == DONOR_EMAIL

    # 3. She issues the receipt, sent to the donor by e-mail, and downloads it.
    treasurer.locator("main form[action$='/receipt/'] button[type=submit]").click()
    expect(treasurer).to_have_url(re.compile(rf"{space}/receipts/[0-9a-f-]{{36}}/$"))
    expect(flash(treasurer)).to_be_visible()
    browsing.check(treasurer)
    with scope(association=association):
        receipt = TaxReceipt.objects.get()
    assert receipt.emailed_at is not None
    with treasurer.expect_download() as download_info:
        treasurer.locator("main a[href$='/receipt.pdf']").first.click()
    download = download_info.value
    assert download.suggested_filename == f"recu-{receipt.number}.pdf"
    team_copy = tmp_path / "team.pdf"
    download.save_as(team_copy)
    text = pdf_text(team_copy)
    assert "Reçu au titre des dons" in text
    assert "cent cinquante euros" in text
    assert receipt.number in text and "DURAND" in text and "8 rue des Lilas" in text
    # The receipt shows in the list, as a card on the phone.
    treasurer.goto(f"{space}/receipts/")
    expect(treasurer.locator("main table.receipt-table tbody tr")).to_have_count(1)
    browsing.check(treasurer)

    # 4. The donor follows the link of the e-mail, creates her account with that address
    #    and finds her receipt in her space.
    donor = browsing.new_page(**PHONE)
    portal = link_from_outbox(DONOR_EMAIL, r"/account/receipts/")
    portal_path = "/account/receipts/"
    donor.goto(browsing.url(portal))
    expect(donor).to_have_url(re.compile(r"/accounts/login/"))
    browsing.check(donor)
    donor.goto("/accounts/signup/")
    sign_up(browsing, donor, DONOR_EMAIL)
    expect(donor).to_have_url(browsing.url("/"))
    expect(donor.locator(f"main a[href='{portal_path}']")).to_be_visible()
    browsing.check(donor)
    donor.goto(browsing.url(portal))
    expect(donor.locator("main")).to_contain_text(association.name)
    expect(donor.locator("main")).to_contain_text(receipt.number)
    browsing.check(donor)
    with donor.expect_download() as download_info:
        donor.locator(f"main a[href='/account/receipts/{receipt.uuid}/receipt.pdf']").click()
    donor_copy = tmp_path / "donor.pdf"
    download_info.value.save_as(donor_copy)
    assert donor_copy.read_bytes() == team_copy.read_bytes()
