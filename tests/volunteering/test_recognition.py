"""Recognition: attestation, yearly statement for the Compte d'Engagement Citoyen and passeport
bénévole. Only approved hours count; another association's volunteer is a 404; a volunteer
whose account is deleted keeps an attestation issued from the contact record."""

import datetime as dt
import io
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from pypdf import PdfReader

from essaim.core.models import AuditLog
from essaim.volunteering import recognition, recognition_pdf
from essaim.volunteering.models import HoursEntry
from essaim.volunteering.reference import all_skill_labels
from tests.factories import PersonFactory, UserFactory, make_association

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

YEAR = dt.date.today().year - 1


def add_hours(association, *, minutes, day=None, status="approved", **fields):
    """Entries of 10 hours at most (the database refuses more than a day), on successive days."""
    day = day or dt.date(YEAR, 3, 14)
    with scope(association=association):
        while minutes > 0:
            chunk = min(minutes, 600)
            HoursEntry.objects.create(
                association=association,
                worked_on=day,
                minutes=chunk,
                source="declared",
                status=status,
                **fields,
            )
            minutes -= chunk
            day += dt.timedelta(days=1)


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def team_url(association, name, **kwargs):
    return reverse(f"volunteering:{name}", kwargs={"association_slug": association.slug, **kwargs})


@pytest.fixture
def lea(volunteer):
    return volunteer


@pytest.fixture
def lea_person(association, lea):
    with scope(association=association):
        return PersonFactory(
            association=association, user=lea, first_name="Léa", last_name="Bénévole"
        )


# --- Selectors and documents -------------------------------------------------------------


def test_format_minutes():
    assert recognition.format_minutes(0) == "0 h"
    assert recognition.format_minutes(125) == "2 h 05"
    assert recognition.format_minutes(12000) == "200 h"


def test_statement_counts_approved_hours_of_the_year_in_every_association(
    association, other_association, lea, make_mission
):
    mission = make_mission()
    add_hours(association, user=lea, mission=mission, minutes=120 * 60)
    add_hours(other_association, user=lea, minutes=89 * 60, day=dt.date(YEAR, 12, 1))
    add_hours(other_association, user=lea, minutes=60, day=dt.date(YEAR, 12, 31))
    # Never counted: declared, refused, another year, another volunteer.
    add_hours(association, user=lea, minutes=600, status="declared")
    add_hours(association, user=lea, minutes=600, status="refused")
    add_hours(association, user=lea, minutes=600, day=dt.date(YEAR + 1, 1, 1))
    add_hours(association, user=UserFactory(), minutes=600)

    statement = recognition.statement_for_account(lea, YEAR)

    assert [(row.association, row.minutes) for row in statement.rows] == [
        (association.name, 120 * 60),
        (other_association.name, 90 * 60),
    ]
    assert statement.total_minutes == 210 * 60
    assert statement.reaches_total and statement.reaches_one


def test_statement_200_hours_spread_thin_misses_the_100_hours_in_one_association(
    association, other_association, lea, outsider
):
    third = make_association(outsider, name="Troisième association")
    for assoc in (association, other_association, third):
        add_hours(assoc, user=lea, minutes=70 * 60)
    statement = recognition.statement_for_account(lea, YEAR)
    assert statement.reaches_total
    assert not statement.reaches_one
    assert statement.missing_one == "30 h"
    texts = [text for _reached, text in recognition_pdf.threshold_texts(statement)]
    assert "not reached (70 h at most, 30 h missing)" in texts[1]
    text = pdf_text(recognition_pdf.statement_pdf(statement))
    assert "210 h" in text and "Troisième association" in text


def test_empty_year_gives_an_empty_statement_and_a_valid_pdf(lea):
    statement = recognition.statement_for_account(lea, YEAR)
    assert statement.empty and not statement.reaches_total
    text = pdf_text(recognition_pdf.statement_pdf(statement))
    assert f"No approved volunteer hours in {YEAR}" in text
    assert "200 hours" in text  # the rule is still shown


def test_attestation_lists_missions_periods_hours_and_skills_used(
    association, presidente, lea, lea_person, make_mission, apply_to
):
    mission = make_mission(title="Soutien scolaire", skills=["aide-devoirs", "informatique"])
    apply_to(mission, lea)  # shares Léa's profile: aide-devoirs, ecoute
    add_hours(association, person=lea_person, mission=mission, minutes=90)
    add_hours(association, user=lea, mission=mission, minutes=150, day=dt.date(YEAR, 6, 2))
    add_hours(association, person=lea_person, activity="Forum des associations", minutes=60)
    add_hours(association, person=lea_person, mission=mission, minutes=999, status="refused")

    with scope(association=association):
        volunteer = recognition.volunteer_of(association, f"p{lea_person.uuid}")
        document = recognition.attestation_issue(
            association=association, acting_user=presidente, volunteer=volunteer
        )
    assert document.total_minutes == 300
    assert [(line.title, line.minutes) for line in document.lines] == [
        ("Forum des associations", 60),
        ("Soutien scolaire", 240),
    ]
    school = document.lines[1]
    assert (school.first, school.last) == (dt.date(YEAR, 3, 14), dt.date(YEAR, 6, 2))
    labels = all_skill_labels()
    # Wanted ∩ the volunteer's skills: not "informatique", which Léa does not have.
    assert school.skills == [labels["aide-devoirs"]]
    assert document.signatory_name == "Hélène Martin"
    assert document.signatory_role
    text = pdf_text(recognition_pdf.attestation_pdf(document))
    assert "Léa Bénévole" in text and "5 h" in text and "W751234567" in text
    assert document.code in text
    with scopes_disabled():
        log = AuditLog.objects.get(action="volunteer_attestation.issue")
    assert log.association == association and log.data["minutes"] == 300
    assert log.object_id == str(lea_person.uuid)


def test_verification_token_cannot_be_altered(association, presidente, lea, lea_person, client):
    add_hours(association, person=lea_person, minutes=600)
    with scope(association=association):
        document = recognition.attestation_issue(
            association=association,
            acting_user=presidente,
            volunteer=recognition.volunteer_of(association, f"p{lea_person.uuid}"),
        )
    assert recognition.attestation_verify(document.token)["hours"] == "10 h"
    response = client.get(urlsplit(document.verify_url).path)
    assert response.status_code == 200
    assert "Léa Bénévole" in response.text and document.code in response.text
    forged = reverse(
        "volunteering_public:attestation_verify", kwargs={"token": document.token[:-3] + "abc"}
    )
    assert client.get(forged).status_code == 404
    assert recognition.attestation_verify("garbage") is None
    # Signed, but of an association that no longer exists; or of another shape.
    from django.core import signing

    gone = ["0" * 32, "Léa", 60, 0, "", "", "20260101"]
    assert recognition.attestation_verify(signing.dumps(gone, salt=recognition.TOKEN_SALT)) is None
    odd = {"n": "Léa"}
    assert recognition.attestation_verify(signing.dumps(odd, salt=recognition.TOKEN_SALT)) is None
    assert len(document.token) < 200  # it goes into a QR code


def test_passport_lists_skills_and_missions_of_every_association(
    association, other_association, lea, make_mission
):
    mission = make_mission(title="Écoute téléphonique", skills=["ecoute", "juridique"])
    add_hours(association, user=lea, mission=mission, minutes=240)
    add_hours(other_association, user=lea, activity="Maraude", minutes=180)
    add_hours(other_association, user=lea, activity="Maraude", minutes=60, status="declared")
    passport = recognition.passport_issue(user=lea)
    labels = all_skill_labels()
    assert passport.skills == [labels["aide-devoirs"], labels["ecoute"]]
    assert {(line.association, line.title, line.minutes) for line in passport.lines} == {
        (association.name, "Écoute téléphonique", 240),
        (other_association.name, "Maraude", 180),
    }
    listening = next(line for line in passport.lines if line.minutes == 240)
    assert listening.skills == [labels["ecoute"]]
    assert passport.total_hours == "7 h"
    text = pdf_text(recognition_pdf.passport_pdf(passport))
    assert "Écoute téléphonique" in text and "Maraude" in text and "7 h" in text


# --- Team pages -----------------------------------------------------------------------------


def test_coordinator_lists_volunteers_and_downloads_attestation_and_statement(
    client_for, association, presidente, lea, lea_person
):
    add_hours(association, person=lea_person, minutes=101 * 60)
    add_hours(association, user=lea, minutes=60)  # merged with the contact of the account
    client = client_for(presidente)
    listing = client.get(team_url(association, "recognition") + f"?year={YEAR}")
    assert listing.status_code == 200
    assert listing.text.count("Léa Bénévole") == 1 and "102 h" in listing.text
    key = f"p{lea_person.uuid}"
    page = client.get(team_url(association, "recognition_volunteer", volunteer_key=key))
    assert page.status_code == 200
    page = client.get(
        team_url(association, "recognition_volunteer", volunteer_key=key) + f"?year={YEAR}"
    )
    assert "At least 100 hours in one association: reached" in page.text
    pdf = client.get(team_url(association, "recognition_attestation", volunteer_key=key))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "Léa Bénévole" in pdf_text(pdf.content)
    statement = client.get(
        team_url(association, "recognition_statement", volunteer_key=key, year=YEAR)
    )
    assert statement.status_code == 200
    assert "102 h" in pdf_text(statement.content)
    bad_year = client.get(
        team_url(association, "recognition_statement", volunteer_key=key, year=1999)
    )
    assert bad_year.status_code == 404


def test_empty_list_and_search(client_for, association, presidente, lea, lea_person):
    client = client_for(presidente)
    response = client.get(team_url(association, "recognition"))
    assert response.status_code == 200 and "No approved volunteer hours" in response.text
    add_hours(association, person=lea_person, minutes=60, day=dt.date.today())
    assert "Léa" in client.get(team_url(association, "recognition") + "?q=bénév").text
    assert "Léa" not in client.get(team_url(association, "recognition") + "?q=zzz").text
    # A bad year falls back to this year, never a 500.
    assert client.get(team_url(association, "recognition") + "?year=abc").status_code == 200


def test_list_query_count_does_not_grow_with_volunteers(
    client_for, association, presidente, django_assert_max_num_queries
):
    for index in range(25):
        with scope(association=association):
            person = PersonFactory(association=association, first_name=f"P{index}")
        add_hours(association, person=person, minutes=60 + index)
    client = client_for(presidente)
    with django_assert_max_num_queries(15):
        assert client.get(team_url(association, "recognition") + "?year=all").status_code == 200


def test_another_associations_volunteer_is_404(
    client_for, association, presidente, other_association, outsider, other_person
):
    add_hours(other_association, person=other_person, minutes=600)
    client = client_for(presidente)
    key = f"p{other_person.uuid}"
    for name in ("recognition_volunteer", "recognition_attestation"):
        assert client.get(team_url(association, name, volunteer_key=key)).status_code == 404
    for key in ("u999999", "pnot-a-uuid", "x1", f"u{outsider.pk}"):
        url = team_url(association, "recognition_attestation", volunteer_key=key)
        assert client.get(url).status_code == 404
    # And the outsider cannot open the association's pages at all.
    assert client_for(outsider).get(team_url(association, "recognition")).status_code == 404


def test_team_member_without_capability_is_refused(client_for, association, benevole):
    assert client_for(benevole).get(team_url(association, "recognition")).status_code == 403


def test_deleted_account_attestation_still_issued_from_contact_record(
    client_for, association, presidente, lea, lea_person
):
    add_hours(association, user=lea, person=lea_person, minutes=300)
    lea.delete()
    lea_person.refresh_from_db()
    assert lea_person.user_id is None
    client = client_for(presidente)
    listing = client.get(team_url(association, "recognition") + "?year=all")
    assert "Léa Bénévole" in listing.text
    response = client.get(
        team_url(association, "recognition_attestation", volunteer_key=f"p{lea_person.uuid}")
    )
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Léa Bénévole" in text and "5 h" in text


# --- The volunteer's own space ---------------------------------------------------------------


def test_volunteer_downloads_own_documents(
    client_for, association, other_association, lea, make_mission
):
    add_hours(association, user=lea, mission=make_mission(), minutes=120)
    client = client_for(lea)
    page = client.get(reverse("volunteering_public:recognition") + f"?year={YEAR}")
    assert page.status_code == 200
    assert association.name in page.text and other_association.name not in page.text
    assert "not reached (2 h" in page.text
    attestation = client.get(
        reverse("volunteering_public:attestation", kwargs={"association_uuid": association.uuid})
    )
    assert attestation.status_code == 200
    text = pdf_text(attestation.content)
    assert "Léa Bénévole" in text and "Issued at the volunteer's request" in text
    # No hours with the other association: no attestation from it.
    assert (
        client.get(
            reverse(
                "volunteering_public:attestation",
                kwargs={"association_uuid": other_association.uuid},
            )
        ).status_code
        == 404
    )
    statement = client.get(reverse("volunteering_public:statement", kwargs={"year": YEAR}))
    assert statement.status_code == 200 and "2 h" in pdf_text(statement.content)
    passport = client.get(reverse("volunteering_public:passport"))
    assert passport.status_code == 200
    assert all_skill_labels()["aide-devoirs"] in pdf_text(passport.content)
    with scopes_disabled():
        actions = set(AuditLog.objects.filter(actor=lea).values_list("action", flat=True))
    assert {
        "volunteer_attestation.issue",
        "volunteer_statement.issue",
        "volunteer_passport.issue",
    } <= actions


def test_volunteer_with_no_hours_sees_empty_states(client_for, citizen):
    client = client_for(citizen)
    page = client.get(reverse("volunteering_public:recognition"))
    assert page.status_code == 200
    assert "No approved hours yet" in page.text
    assert "No approved volunteer hours in" in page.text
    statement = client.get(
        reverse("volunteering_public:statement", kwargs={"year": dt.date.today().year})
    )
    assert statement.status_code == 200
    assert (
        client.get(reverse("volunteering_public:statement", kwargs={"year": 3000})).status_code
        == 404
    )
    assert client.get(reverse("volunteering_public:passport")).status_code == 200


def test_anonymous_visitor_must_sign_in(client):
    response = client.get(reverse("volunteering_public:recognition"))
    assert response.status_code == 302


def test_volunteer_known_only_by_account(client_for, association, presidente, lea, make_mission):
    """Hours logged on an account without a contact record: the account is the volunteer."""
    add_hours(association, user=lea, mission=make_mission(), minutes=90)
    client = client_for(presidente)
    listing = client.get(team_url(association, "recognition") + "?year=all")
    assert f"/recognition/u{lea.pk}/" in listing.text
    response = client.get(
        team_url(association, "recognition_attestation", volunteer_key=f"u{lea.pk}")
    )
    assert response.status_code == 200 and "1 h 30" in pdf_text(response.content)
    # An account with no hours in this association is not a volunteer of it.
    stranger = UserFactory()
    url = team_url(association, "recognition_volunteer", volunteer_key=f"u{stranger.pk}")
    assert client.get(url).status_code == 404
