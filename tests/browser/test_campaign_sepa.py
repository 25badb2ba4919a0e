"""A gift by SEPA direct debit, from the campaign page to the tax receipt.

A donor on her phone follows the campaign's Facebook link, gives 50 € by SEPA direct debit
(a first try with a mistyped IBAN is refused, keeping what she typed) → the treasurer
prepares the debit batch (the donor is told by e-mail), downloads the pain.008 file, marks
the batch collected once the day has come → the gift is recorded with its campaign and
source, the donor thanked → the treasurer issues the tax receipt and its PDF carries every
mandatory mention of the Cerfa 11580.

Visible text may still be the English source where a French translation is missing:
selectors use URLs, names and classes rather than wording.
"""

import re

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect

from essaim.core.models import OutboxEmail
from essaim.fundraising import campaigns
from essaim.fundraising import services as fundraising_services
from essaim.fundraising.models import Gift, GiftIntent, TaxReceipt
from essaim.payments import mandates
from essaim.payments.models import DebitBatch, Mandate, Payment
from tests.browser.helpers import flash, submit
from tests.browser.test_contacts import PHONE, sign_in
from tests.browser.test_receipts import pdf_text

pytestmark = pytest.mark.xdist_group("browser")

DONOR_EMAIL = "lucie.martin@example.net"
DONOR_IBAN = "FR76 3000 6000 0112 3456 7890 189"
ICS = "FR72ZZZ123456"


def _set_up(association, presidente, tresorier):
    """What the team did before: the association's details, receipts, the creditor
    settings and a published campaign."""
    with scopes_disabled():
        association.rna = "W751234567"
        association.objet = "Animer la vie du quartier Saint-Ambroise et aider ses habitants."
        association.address_line1 = "12 rue Saint-Maur"
        association.postcode = "75011"
        association.city = "Paris"
        association.save()
    with scope(association=association):
        fundraising_services.fiscal_settings_update(
            association=association,
            acting_user=presidente,
            eligible=True,
            signatory_name="Karim Benali",
            signatory_title="Trésorier",
            place="Paris",
        )
        mandates.creditor_settings_save(
            association=association,
            acting_user=tresorier,
            creditor_name="Les Amis du Quartier",
            creditor_id=ICS,
            iban="FR1420041010050500013M02606",
            prenotification_days=2,
        )
        campaign = campaigns.campaign_create(
            association=association,
            acting_user=tresorier,
            slug="toiture",
            title="Un toit pour la maison de quartier",
            summary="La toiture fuit : aidez-nous à la refaire avant l'hiver.",
            goal_cents=1_000_000,
            suggested_amounts=[2000, 5000, 10000],
        )
        campaigns.campaign_publish(
            association=association, acting_user=tresorier, campaign=campaign
        )
    return campaign


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_donor_gives_by_direct_debit_and_gets_her_tax_receipt(
    browsing, association, presidente, tresorier, tmp_path
):
    campaign = _set_up(association, presidente, tresorier)
    page_path = f"/d/{association.slug}/{campaign.slug}/"

    # 1. The donor opens the Facebook share link on her phone and gives 50 € by direct debit.
    donor = browsing.new_page(**PHONE)
    donor.goto(browsing.url(f"{page_path}?src=facebook"))
    expect(donor.locator("main progress")).to_be_visible()
    browsing.check(donor)
    donor.locator("label[for$='choice_1']").click()  # 50 €, the second suggested amount
    donor.check("input[name=method][value=sepa_debit]")
    donor.fill("input[name=first_name]", "Lucie")
    donor.fill("input[name=last_name]", "Martin")
    donor.fill("input[name=email]", DONOR_EMAIL)
    donor.fill("input[name=address_line1]", "8 rue des Lilas")
    donor.fill("input[name=postcode]", "75020")
    donor.fill("input[name=city]", "Paris")
    donor.fill("input[name=iban]", "FR76 3000 6000 0112 3456 7890 180")  # one digit wrong
    donor.fill("input[name=account_holder]", "Lucie Martin")
    donor.check("input[name=mandate_accepted]")
    submit(donor, "main form:has(input[name=iban])")
    expect(donor.locator(".error-summary")).to_be_visible()
    expect(donor.locator("input[name=iban]")).to_have_attribute("aria-invalid", "true")
    expect(donor.locator("input[name=last_name]")).to_have_value("Martin")
    browsing.check(donor)
    with scope(association=association):
        assert not Mandate.objects.exists() and not GiftIntent.objects.exists()
    donor.fill("input[name=iban]", DONOR_IBAN)
    if not donor.locator("input[name=mandate_accepted]").is_checked():
        donor.check("input[name=mandate_accepted]")
    submit(donor, "main form:has(input[name=iban])")
    expect(donor).to_have_url(re.compile(rf"{page_path}thanks/"))
    browsing.check(donor)
    with scope(association=association):
        intent = GiftIntent.objects.select_related("mandate").get()
        assert intent.status == GiftIntent.Status.PENDING and intent.amount_cents == 5000
        assert intent.source == "facebook" and intent.mandate.kind == Mandate.Kind.ONE_OFF
        rum = intent.mandate.rum
    assert OutboxEmail.objects.filter(to=DONOR_EMAIL).exists()  # the mandate's reference

    # 2. The treasurer prepares the debit batch: the gift is due, the donor is told.
    treasurer = browsing.new_page()
    sign_in(browsing, treasurer, tresorier.email)
    browsing.check(treasurer)
    sepa = f"/a/{association.slug}/payments/sepa"
    treasurer.goto(browsing.url(f"{sepa}/batches/new/"))
    browsing.check(treasurer)
    submit(treasurer, "main form.filters")  # the first possible day, proposed by the form
    expect(treasurer.locator("main input[name=debit]")).to_have_count(1)
    expect(treasurer.locator("main input[name=debit]")).to_be_checked()
    browsing.check(treasurer)
    before = OutboxEmail.objects.filter(to=DONOR_EMAIL).count()
    submit(treasurer, "main form:has(input[name=debit])")
    expect(treasurer).to_have_url(re.compile(rf"{sepa}/batches/[0-9a-f-]{{36}}/$"))
    browsing.check(treasurer)
    assert OutboxEmail.objects.filter(to=DONOR_EMAIL).count() == before + 1  # pre-notification
    with scope(association=association):
        batch = DebitBatch.objects.get()

    # 3. She downloads the pain.008 file for the bank.
    with treasurer.expect_download() as download_info:
        treasurer.locator("main a[href$='/pain008.xml']").click()
    xml = tmp_path / "remise.xml"
    download_info.value.save_as(xml)
    content = xml.read_text(encoding="utf-8")
    assert "pain.008.001" in content and rum in content and ICS in content
    assert "<SeqTp>OOFF</SeqTp>" in content and 'Ccy="EUR">50.00<' in content
    assert "FR7630006000011234567890189" in content

    # 4. The day of collection comes; the money is on the statement: she marks it collected.
    with scope(association=association):
        DebitBatch.objects.filter(pk=batch.pk).update(collection_date=timezone.localdate())
    treasurer.reload()
    browsing.check(treasurer)
    submit(treasurer, "main form[action$='/collected/']")
    expect(flash(treasurer)).to_be_visible()
    browsing.check(treasurer)
    with scope(association=association):
        gift = Gift.objects.select_related("payment", "campaign").get()
        assert gift.payment.status == Payment.Status.SUCCEEDED
        assert gift.payment.method == Payment.Method.SEPA_DEBIT
        assert gift.campaign == campaign and gift.source == "facebook"
        assert GiftIntent.objects.get().status == GiftIntent.Status.PAID
    assert OutboxEmail.objects.filter(to=DONOR_EMAIL, kind="gift_thanks").count() == 1

    # 5. The campaign's page counts the gift; the treasurer issues the tax receipt.
    treasurer.goto(browsing.url(page_path))
    expect(treasurer.locator("main")).to_contain_text("50,00")
    browsing.check(treasurer)
    space = f"/a/{association.slug}/fundraising"
    treasurer.goto(browsing.url(f"{space}/{gift.uuid}/"))
    browsing.check(treasurer)
    treasurer.locator("main form[action$='/receipt/'] button[type=submit]").click()
    expect(treasurer).to_have_url(re.compile(rf"{space}/receipts/[0-9a-f-]{{36}}/$"))
    browsing.check(treasurer)
    with scope(association=association):
        receipt = TaxReceipt.objects.get()
    with treasurer.expect_download() as download_info:
        treasurer.locator("main a[href$='/receipt.pdf']").first.click()
    pdf = tmp_path / "recu.pdf"
    download_info.value.save_as(pdf)
    text = " ".join(pdf_text(pdf).split())
    # Every mandatory mention (MISSION.md, Cerfa 11580*05).
    for mention in (
        "Reçu au titre des dons",
        "11580",
        receipt.number,
        "Les Amis du Quartier",
        "W751234567",
        "12 rue Saint-Maur",
        "Animer la vie du quartier",
        "MARTIN",
        "Lucie",
        "8 rue des Lilas",
        "75020",
        "50,00",
        "cinquante euros",
        "200",
        "Karim Benali",
    ):
        assert mention in text, mention
    assert re.search(r"[Pp]rélèvement", text)
    assert gift.received_on.strftime("%d/%m/%Y") in text
