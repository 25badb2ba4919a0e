"""Join online: a visitor joins on her phone → the treasurer records the dues → the new
member signs up with the same address, downloads her card, and its QR code verifies.

Visible text may still be the English source where a French translation is missing:
selectors use URLs, names and classes rather than wording.
"""

import io
import re

import pytest
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect
from pypdf import PdfReader

from essaim.members import card, services
from essaim.members.models import Membership
from tests.browser.helpers import flash, link_from_outbox, submit
from tests.browser.test_contacts import PHONE, sign_in
from tests.browser.test_first_hour import sign_up

pytestmark = pytest.mark.xdist_group("browser")

EMAIL = "emilie.legoff@example.net"
PAY = "Chèque à l'ordre des Amis du Quartier, à déposer au local."


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_visitor_joins_treasurer_records_dues_member_downloads_card(
    browsing, association, presidente, tresorier, tmp_path
):
    with scope(association=association):
        annual = services.membership_type_create(
            association=association,
            acting_user=presidente,
            name="Adhésion annuelle",
            amount_cents=2000,
            reduced_amount_cents=1000,
            reduced_label="étudiants",
        )
        services.membership_settings_update(
            association=association,
            acting_user=presidente,
            join_enabled=True,
            join_intro="Rejoignez les voisins qui font vivre le quartier.",
            payment_instructions=PAY,
        )
    join_path = f"/m/{association.slug}/join/"

    # 1. The visitor, on her phone, opens the join form. A first try without ticking the
    #    statutes is refused with what she typed kept.
    visitor = browsing.new_page(**PHONE)
    visitor.goto(join_path)
    expect(visitor.get_by_role("heading", level=1)).to_contain_text(association.name)
    expect(visitor.locator("main")).to_contain_text("Adhésion annuelle")
    expect(visitor.locator("input[name=newsletter]")).not_to_be_checked()
    browsing.check(visitor)
    visitor.locator(f"input[name=membership_type][value='{annual.uuid}']").check()
    visitor.fill("input[name=first_name]", "Émilie")
    visitor.fill("input[name=last_name]", "Le Goff")
    visitor.fill("input[name=email]", EMAIL)
    visitor.fill("input[name=phone]", "06 12 34 56 78")
    visitor.check("input[name=accept_privacy]")
    submit(visitor)
    expect(visitor.locator(".error-summary")).to_be_visible()
    expect(visitor.locator(".error-summary")).to_be_focused()
    expect(visitor.locator("input[name=last_name]")).to_have_value("Le Goff")
    expect(visitor.locator("input[name=accept_statutes]")).to_have_attribute("aria-invalid", "true")
    browsing.check(visitor)
    visitor.check("input[name=accept_statutes]")
    visitor.check("input[name=newsletter]")
    submit(visitor)

    # The thank-you page: what happens next and how to pay.
    expect(visitor).to_have_url(browsing.url(f"/m/{association.slug}/join/thanks/"))
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Émilie")
    expect(visitor.locator("main")).to_contain_text(PAY)
    expect(visitor.locator("main")).to_contain_text("20")
    browsing.check(visitor)
    with scopes_disabled():
        membership = Membership.objects.select_related("person").get(association=association)
    assert membership.person.email == EMAIL and membership.paid_on is None

    # 2. The treasurer records the dues from the membership's page.
    treasurer = browsing.new_page()
    sign_in(browsing, treasurer, tresorier.email)
    browsing.check(treasurer)
    treasurer.goto(f"/a/{association.slug}/members/unpaid/")
    row = treasurer.locator("main table tbody tr").filter(has_text="Le Goff")
    expect(row).to_be_visible()
    browsing.check(treasurer)
    detail_path = f"/a/{association.slug}/members/{membership.uuid}/"
    row.locator(f"a[href='{detail_path}']").first.click()
    expect(treasurer).to_have_url(browsing.url(detail_path))
    card_path = f"{detail_path}card.pdf"
    expect(treasurer.locator(f"main a[href='{card_path}']")).to_have_count(0)
    browsing.check(treasurer)
    pay_form = "main form[action$='/pay/']"
    treasurer.select_option(f"{pay_form} select[name=method]", "cheque")
    treasurer.fill(f"{pay_form} input[name=reference]", "0001234")
    submit(treasurer, pay_form)
    expect(treasurer).to_have_url(browsing.url(detail_path))
    expect(flash(treasurer)).to_be_visible()
    expect(treasurer.locator(".page-header .badge")).to_have_class(re.compile("badge-active"))
    # The team can now print the card too.
    expect(treasurer.locator(f"main a[href='{card_path}']")).to_be_visible()
    browsing.check(treasurer)

    # 3. The member creates her account from the link in the confirmation e-mail, with the
    #    same address; confirming it links her to her membership.
    member = browsing.new_page(**PHONE)
    member.goto(browsing.url(link_from_outbox(EMAIL, r"/accounts/signup/")))
    sign_up(browsing, member, EMAIL)
    expect(member).to_have_url(browsing.url("/account/memberships/"))
    expect(member.locator("main")).to_contain_text(association.name)
    expect(member.locator("main .badge-active")).to_be_visible()
    browsing.check(member)

    # She downloads her card: a PDF with her name, whose QR code holds the verification URL.
    card_link = member.locator(f"main a[href='/account/memberships/{membership.uuid}/card.pdf']")
    with member.expect_download() as download_info:
        card_link.click()
    pdf_path = tmp_path / "carte.pdf"
    download_info.value.save_as(pdf_path)
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF-")
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert "Émilie Le Goff" in page.extract_text()
    with scopes_disabled():
        membership = Membership.objects.select_related("association", "person").get(
            pk=membership.pk
        )
    url = card.verification_url(membership)
    expected = card.qr_image(url).convert("L")
    qr = [i.image.convert("L") for i in page.images if i.image.size == expected.size]
    assert qr and qr[0].tobytes() == expected.tobytes()

    # 4. Whoever scans the QR code sees that the membership is valid, and nothing more.
    scanner = browsing.new_page(**PHONE)
    scanner.goto(browsing.url(url))
    expect(scanner.locator("main .verify-valid")).to_be_visible()
    expect(scanner.locator("main")).to_contain_text("Émilie Le Goff")
    expect(scanner.locator("main")).to_contain_text(association.name)
    expect(scanner.locator("main")).not_to_contain_text(EMAIL)
    expect(scanner.locator("meta[name=robots]")).to_have_attribute("content", "noindex")
    browsing.check(scanner)

    # A forged code says the card is not valid.
    forged = browsing.url(url[:-3] + "xx/")
    scanner.goto(forged)
    expect(scanner.locator("main .verify-invalid")).to_be_visible()
    browsing.check(scanner)
    # Its 404 status (wanted: the page is an answer "no such card") shows in the console.
    browsing.errors = [e for e in browsing.errors if not (forged in e and "404" in e)]
