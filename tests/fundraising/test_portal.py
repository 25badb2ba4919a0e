"""The donor's space: /account/receipts/, their receipts from every association, never anyone
else's."""

import io

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from pypdf import PdfReader

from essaim.core.models import AuditLog
from essaim.fundraising import services
from essaim.people import services as people_services
from tests.factories import UserFactory

PORTAL = reverse("fundraising_public:receipts")


def pdf_url(receipt):
    return reverse("fundraising_public:receipt_pdf", kwargs={"receipt_uuid": receipt.uuid})


def content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def donor_user(db):
    """The donor's account: the address the association knows them by, confirmed."""
    return UserFactory(email="emilie@example.org", first_name="Émilie", last_name="Nguyễn")


@pytest.fixture
def receipt(eligible, donor, give, tresorier):
    with scope(association=eligible):
        return services.receipt_issue(
            association=eligible, acting_user=tresorier, gifts=[give(person=donor)]
        )


def test_the_donor_finds_and_downloads_their_receipt(client_for, donor_user, receipt, donor):
    client = client_for(donor_user)
    page = client.get(PORTAL)
    text = page.content.decode()
    assert page.status_code == 200
    assert receipt.number in text and "Les Amis du Quartier" in text
    assert pdf_url(receipt) in text
    # Confirmed address = their contact record is now linked to their account, once.
    with scopes_disabled():
        donor.refresh_from_db()
        assert donor.user == donor_user
        assert AuditLog.objects.filter(action="person.account_linked").count() == 1
    client.get(PORTAL)
    with scopes_disabled():
        assert AuditLog.objects.filter(action="person.account_linked").count() == 1
    response = client.get(pdf_url(receipt))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="recu-{receipt.number}.pdf"'
    data = content(response)
    with receipt.pdf.open("rb") as stored:
        assert data == stored.read()
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Reçu au titre des dons" in text and "cinquante euros" in text


def test_anyone_else_gets_a_404(client_for, receipt, citizen, outsider, presidente, tresorier):
    for user in (citizen, outsider, presidente, tresorier):
        client = client_for(user)
        page = client.get(PORTAL)
        assert page.status_code == 200 and receipt.number not in page.content.decode()
        assert client.get(pdf_url(receipt)).status_code == 404


def test_an_unconfirmed_address_links_nothing(client_for, receipt, donor):
    stranger = UserFactory(email="someone@example.org")  # confirmed
    EmailAddress.objects.create(user=stranger, email="emilie@example.org", verified=False)
    client = client_for(stranger)
    page = client.get(PORTAL)
    assert page.status_code == 200 and receipt.number not in page.content.decode()
    assert client.get(pdf_url(receipt)).status_code == 404
    with scopes_disabled():
        donor.refresh_from_db()
        assert donor.user is None


def test_a_contact_without_receipt_is_not_linked(client_for, eligible, presidente, give):
    with scope(association=eligible):
        mere_donor = people_services.person_create(
            association=eligible, acting_user=presidente, last_name="Simple", email="s@example.org"
        )
    give(person=mere_donor)
    user = UserFactory(email="s@example.org")
    client_for(user).get(PORTAL)
    with scopes_disabled():
        mere_donor.refresh_from_db()
        assert mere_donor.user is None


def test_a_cancelled_receipt_is_listed_without_download(
    client_for, donor_user, receipt, eligible, tresorier
):
    with scope(association=eligible):
        replacement = services.receipt_cancel(
            association=eligible, acting_user=tresorier, receipt=receipt, reason="Mauvaise adresse"
        )
    client = client_for(donor_user)
    text = client.get(PORTAL).content.decode()
    assert receipt.number in text and replacement.number in text
    assert pdf_url(receipt) not in text and pdf_url(replacement) in text
    assert client.get(pdf_url(receipt)).status_code == 404
    assert client.get(pdf_url(replacement)).status_code == 200


def test_receipts_of_several_associations(
    client_for, donor_user, receipt, other_association, outsider
):
    """A donor known to two associations sees the receipts of both, by association."""
    with scope(association=other_association):
        other = people_services.person_create(
            association=other_association,
            acting_user=outsider,
            last_name="Nguyễn",
            email="emilie@example.org",
            address_line1="1 place Verte",
            city="Lyon",
        )
    with scopes_disabled():
        other_association.rna = "W691234567"
        other_association.objet = "Vélo pour tous"
        other_association.address_line1 = "2 rue du Guidon"
        other_association.city = "Lyon"
        other_association.save()
    with scope(association=other_association):
        services.fiscal_settings_update(
            association=other_association,
            acting_user=outsider,
            eligible=True,
            signatory_name="Olga Autre",
        )
        gift = services.gift_record(
            association=other_association,
            acting_user=outsider,
            person=other,
            amount_cents=1500,
            received_on=timezone.localdate(),
            method="cash",
        )
        theirs = services.receipt_issue(
            association=other_association, acting_user=outsider, gifts=[gift]
        )
    text = client_for(donor_user).get(PORTAL).content.decode()
    assert receipt.number in text and theirs.number in text
    assert "Collectif Vélo Solidaire" in text


def test_the_portal_needs_an_account(client, receipt):
    for address in (PORTAL, pdf_url(receipt)):
        response = client.get(address)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_empty_portal_says_what_to_do(client_for, citizen):
    text = client_for(citizen).get(PORTAL).content.decode()
    assert reverse("account_email") in text
