"""The membership card (PDF with a QR code) and its public verification page."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope
from pypdf import PdfReader

from essaim.members import card, services
from essaim.members.models import Membership
from essaim.members.tokens import card_token, card_uuid, renewal_token
from essaim.people import services as people_services

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def member(association, presidente, annual, make_person):
    person = make_person(
        first_name="Émilie",
        last_name="Le Goff",
        email="emilie@example.net",
        phone="0612345678",
        address_line1="3 rue Oberkampf",
        postcode="75011",
        city="Paris",
    )
    with scope(association=association):
        membership = services.membership_create(
            association=association, acting_user=presidente, person=person, membership_type=annual
        )
        services.dues_payment_record(
            association=association, acting_user=presidente, memberships=[membership], method="cash"
        )
        membership.refresh_from_db()
    return membership


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def verify_url(token: str) -> str:
    return reverse("members_public:verify", kwargs={"token": token})


def test_card_pdf_has_the_member_the_association_and_the_qr(association, member, settings):
    settings.ESSAIM_BASE_URL = "https://asso.example.org"
    with scope(association=association):
        m = Membership.objects.select_related("association", "person", "membership_type").get(
            pk=member.pk
        )
        data = card.membership_card_pdf(m)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in ("Émilie Le Goff", "Les Amis du Quartier", "Adhésion annuelle"):
        assert expected in text
    year = timezone.localdate().year
    assert f"31/12/{year}" in text
    # The QR code holds the absolute verification URL with the card's signed token.
    url = card.verification_url(m)
    assert url == "https://asso.example.org" + verify_url(card_token(m))
    assert card_uuid(url.rstrip("/").rsplit("/", 1)[1]) == str(m.uuid)
    # …and the image in the PDF is exactly the QR code of that URL.
    images = PdfReader(io.BytesIO(data)).pages[0].images
    expected = card.qr_image(url).convert("L")
    found = [img.image.convert("L") for img in images if img.image.size == expected.size]
    assert found and found[0].tobytes() == expected.tobytes()


def test_card_with_a_logo_and_a_long_name(association, presidente, annual, make_person, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "#0f4c81").save(buffer, "PNG")
    association.logo = SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")
    association.save()
    person = make_person(
        first_name="Marie-Bernadette Anne-Sophie", last_name="de La Tour d'Auvergne-Lauraguais"
    )
    with scope(association=association):
        m = services.membership_create(
            association=association, acting_user=presidente, person=person, membership_type=annual
        )
        data = card.membership_card_pdf(m)
    assert data.startswith(b"%PDF-") and len(PdfReader(io.BytesIO(data)).pages[0].images) == 2


def test_verify_shows_only_name_association_and_validity(client, member):
    response = client.get(verify_url(card_token(member)))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Émilie Le Goff" in content and "Les Amis du Quartier" in content
    assert "Valid membership" in content
    assert '<meta name="robots" content="noindex">' in content
    assert response["X-Robots-Tag"].startswith("noindex")
    # Nothing else about the person.
    for private in (
        "emilie@example.net",
        "Oberkampf",
        "75011",
        "06 12",
        "Adhésion annuelle",
        "20 €",
    ):
        assert private not in content.split("<main")[1]


@pytest.mark.parametrize(
    "make_token",
    [
        lambda m: "not-a-token",
        lambda m: card_token(m)[:-2] + ("AA" if not card_token(m).endswith("AA") else "BB"),
        lambda m: renewal_token(m),  # signed, but for another purpose
        lambda m: "x" * 5000,
        lambda m: "%00",
    ],
)
def test_forged_or_altered_token_is_not_valid(client, member, make_token):
    response = client.get(verify_url(make_token(member)))
    assert response.status_code in (400, 404)
    if response.status_code == 404:
        assert "This card is not valid" in response.content.decode()
        assert "Émilie" not in response.content.decode()


def test_verify_says_when_a_membership_is_not_valid(client, association, presidente, member):
    with scope(association=association):
        Membership.objects.filter(pk=member.pk).update(
            period_start=dt.date(2020, 1, 1),
            period_end=dt.date(2020, 12, 31),
            grace_until=dt.date(2021, 1, 30),
        )
    content = client.get(verify_url(card_token(member))).content.decode()
    assert "Not a valid membership today" in content and "2020" in content
    with scope(association=association):
        Membership.objects.filter(pk=member.pk).update(period_end=None)
        services.membership_resign(
            association=association, acting_user=presidente, membership=member
        )
    content = client.get(verify_url(card_token(member))).content.decode()
    assert "Not a valid membership today" in content and "ended" in content


def test_erased_member_card_is_not_valid(client, association, presidente, member):
    with scope(association=association):
        people_services.person_erase(
            association=association, acting_user=presidente, person=member.person
        )
    response = client.get(verify_url(card_token(member)))
    assert response.status_code == 404


# --- Back office ------------------------------------------------------------------------


def team_card_url(association, membership):
    return reverse(
        "members:card",
        kwargs={"association_slug": association.slug, "membership_uuid": membership.uuid},
    )


def test_team_downloads_the_card_from_the_detail_page(client_for, presidente, association, member):
    client = client_for(presidente)
    detail = client.get(
        reverse(
            "members:detail",
            kwargs={"association_slug": association.slug, "membership_uuid": member.uuid},
        )
    ).content.decode()
    assert team_card_url(association, member) in detail
    response = client.get(team_card_url(association, member))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "Émilie Le Goff" in pdf_text(response.content)


def test_team_card_rights(client_for, benevole, outsider, association, member, presidente, annual):
    assert client_for(benevole).get(team_card_url(association, member)).status_code == 403
    assert client_for(outsider).get(team_card_url(association, member)).status_code == 404
    assert Client().get(team_card_url(association, member)).status_code == 302  # sign in first
    # No card for a membership waiting for payment.
    with scope(association=association):
        unpaid = services.membership_create(
            association=association,
            acting_user=presidente,
            person=member.person,
            membership_type=annual,
            start_on=dt.date(timezone.localdate().year + 1, 1, 1),
        )
    assert client_for(presidente).get(team_card_url(association, unpaid)).status_code == 404
