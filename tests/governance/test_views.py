"""Screens of governance: who may see them, what they do, the PDFs they give."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope
from pypdf import PdfReader

from essaim.governance import selectors, services
from essaim.governance.models import Assembly, Attendance, Proxy, StatutesRules
from essaim.governance.tokens import presence_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _url(association, name, **kwargs):
    return reverse(f"governance:{name}", kwargs={"association_slug": association.slug, **kwargs})


@pytest.fixture
def convened(association, make_members, make_assembly, convene, rules):
    members = make_members(4, address_line1="3 rue des Lilas")
    letter = make_members(
        1, email="", first_name="Odette", last_name="Papier", address_line1="8 impasse Verte"
    )
    assembly = make_assembly()
    convene(assembly)
    return assembly, members, letter[0]


def _all_urls(association, assembly, member):
    a = {"assembly_uuid": assembly.uuid}
    return [
        _url(association, "assemblies"),
        _url(association, "assembly_create"),
        _url(association, "rules"),
        _url(association, "bodies"),
        _url(association, "assembly", **a),
        _url(association, "assembly_edit", **a),
        _url(association, "convene", **a),
        _url(association, "letters", **a),
        _url(association, "signature_sheet", **a),
        _url(association, "check_in", **a),
        _url(association, "check_in_person", person_uuid=member.uuid, **a),
        _url(association, "quorum", **a),
        _url(association, "proxies", **a),
    ]


def test_without_the_capability_every_screen_is_403(
    client_for, benevole, tresorier, association, convened
):
    assembly, members, _letter = convened
    for user in (benevole, tresorier):
        client = client_for(user)
        for url in _all_urls(association, assembly, members[0]):
            assert client.get(url).status_code == 403, url
        assert (
            client.post(_url(association, "open", assembly_uuid=assembly.uuid)).status_code == 403
        )


def test_the_outsider_gets_404(client_for, outsider, other_association, association, convened):
    assembly, members, _letter = convened
    client = client_for(outsider)
    for url in _all_urls(association, assembly, members[0]):
        assert client.get(url).status_code == 404, url


def test_secretary_runs_the_meeting(client_for, secretaire, association, convened):
    assembly, _members, _letter = convened
    client = client_for(secretaire)
    response = client.get(_url(association, "assembly", assembly_uuid=assembly.uuid))
    assert response.status_code == 200
    assert b"Rapport moral" in response.content


def test_nav_entry_for_those_who_run_votes(client_for, presidente, benevole, association):
    url = _url(association, "assemblies")
    page = client_for(presidente).get(reverse("core:dashboard", args=[association.slug]))
    assert url.encode() in page.content
    page = client_for(benevole).get(reverse("core:dashboard", args=[association.slug]))
    assert url.encode() not in page.content


def test_rules_screen(client_for, presidente, association):
    client = client_for(presidente)
    url = _url(association, "rules")
    page = client.get(url)
    assert b"1/4 or 25 %" in page.content  # help text in plain words
    data = {
        "quorum_ordinary": "un quart",
        "majority_ordinary": "simple",
        "majority_extraordinary": "custom",
        "majority_extraordinary_custom": "",
        "proxies_allowed": "on",
        "notice_days": "15",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert b"Write a share such as 1/4" in response.content
    assert b"un quart" in response.content  # what was typed is kept
    data |= {"quorum_ordinary": "25 %", "majority_extraordinary_custom": "3/4", "proxy_cap": "2"}
    response = client.post(url, data)
    assert response.status_code == 302
    with scope(association=association):
        rules = StatutesRules.objects.get()
    assert rules.quorum_ordinary == "25 %" and rules.proxy_cap == 2
    assert not rules.weighted_votes


def test_create_an_assembly_and_its_agenda(client_for, presidente, association, rules):
    client = client_for(presidente)
    starts = timezone.localtime() + dt.timedelta(days=20)
    response = client.post(
        _url(association, "assembly_create"),
        {
            "title": "AG 2026",
            "kind": "ordinary",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "mode": "on_site",
            "place": "Salle des fêtes",
            "convocation_number": "1",
        },
    )
    assert response.status_code == 302
    with scope(association=association):
        assembly = Assembly.objects.get()
    assert assembly.place == "Salle des fêtes"
    add = _url(association, "agenda_add", assembly_uuid=assembly.uuid)
    response = client.post(
        add,
        {
            "title": "Comptes",
            "is_resolution": "on",
            "document": SimpleUploadedFile("comptes.pdf", b"%PDF-1.4 comptes", "application/pdf"),
        },
    )
    assert response.status_code == 302
    response = client.post(
        add,
        {"title": "Piège", "document": SimpleUploadedFile("x.pdf", b"<html>", "text/html")},
    )
    assert response.status_code == 422
    assert b"Only PDF" in response.content
    with scope(association=association):
        item = assembly.items.get()
        document = item.documents.get()
    download = client.get(
        _url(
            association,
            "document_download",
            assembly_uuid=assembly.uuid,
            document_uuid=document.uuid,
        )
    )
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content == b"%PDF-1.4 comptes"


def test_bad_assembly_form_is_kept(client_for, presidente, association):
    response = client_for(presidente).post(
        _url(association, "assembly_create"),
        {"title": "AG", "kind": "ordinary", "starts_at": "pas une date", "mode": "on_site"},
    )
    assert response.status_code == 200
    assert b"error-summary" in response.content


def test_convene_warns_when_the_notice_period_is_not_met(
    client_for, presidente, association, make_members, make_assembly, rules
):
    make_members(2)
    assembly = make_assembly(days=5)
    page = client_for(presidente).get(_url(association, "convene", assembly_uuid=assembly.uuid))
    assert b"The notice period is not met." in page.content
    with scope(association=association):
        deadline = selectors.notice_deadline(assembly)
    assert str(deadline.year).encode() in page.content
    page = client_for(presidente).get(_url(association, "assembly", assembly_uuid=assembly.uuid))
    assert b"notice-period" in page.content


def test_convene_on_time(
    client_for,
    presidente,
    association,
    make_members,
    make_assembly,
    rules,
    django_capture_on_commit_callbacks,
):
    make_members(2)
    make_members(1, email="")
    assembly = make_assembly(days=30)
    client = client_for(presidente)
    page = client.get(_url(association, "convene", assembly_uuid=assembly.uuid))
    assert b"The notice period is not met." not in page.content
    assert b"2 members will receive" in page.content
    assert b"1 member has no e-mail" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(association, "convene", assembly_uuid=assembly.uuid))
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assembly.refresh_from_db()
    assert assembly.status == Assembly.Status.CONVENED


def test_letters_pdf(client_for, presidente, association, convened):
    assembly, _members, _odette = convened
    response = client_for(presidente).get(_url(association, "letters", assembly_uuid=assembly.uuid))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1  # only Odette has no e-mail
    text = pdf_text(response.content)
    assert "Odette Papier" in text and "8 impasse Verte" in text
    assert "Assemblée générale 2026" in text and "Rapport moral" in text
    assert "proxy" in text


def test_signature_sheet_pdf(client_for, presidente, association, convened):
    assembly, members, odette = convened
    with scope(association=association):
        services.proxy_give(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            giver=odette,
            holder=members[0],
        )
    response = client_for(presidente).get(
        _url(association, "signature_sheet", assembly_uuid=assembly.uuid)
    )
    text = pdf_text(response.content)
    assert "Signature sheet" in text and "Represented by" in text
    assert "Odette Papier" in text
    assert members[0].full_name in text
    assert "5 members with voting rights" in text


def test_check_in_from_the_list_updates_the_quorum(client_for, presidente, association, convened):
    assembly, members, _odette = convened
    client = client_for(presidente)
    url = _url(association, "check_in", assembly_uuid=assembly.uuid)
    page = client.get(url, {"q": members[0].last_name})
    assert members[0].full_name.encode() in page.content
    assert b"Quorum not reached" in page.content
    for member in members[:2]:
        response = client.post(
            _url(
                association, "check_in_person", assembly_uuid=assembly.uuid, person_uuid=member.uuid
            ),
            {"next": url},
        )
        assert response.status_code == 302 and response["Location"] == url
    quorum = client.get(_url(association, "quorum", assembly_uuid=assembly.uuid))
    assert b"Quorum reached" in quorum.content  # 2 of 5 ≥ 1/4
    assert b'hx-trigger="every 5s"' in quorum.content
    htmx = client.get(url, {"q": members[1].last_name}, headers={"HX-Request": "true"})
    assert b"<html" not in htmx.content and b"present since" in htmx.content


def test_qr_check_in_page(client_for, presidente, association, convened, person):
    assembly, members, _odette = convened
    client = client_for(presidente)
    url = _url(
        association, "check_in_person", assembly_uuid=assembly.uuid, person_uuid=members[0].uuid
    )
    page = client.get(url)
    assert b"Check in" in page.content
    client.post(url, {"method": "qr"})
    with scope(association=association):
        assert Attendance.objects.get().method == "qr"
    client.post(url, {"undo": "1"})
    with scope(association=association):
        assert not Attendance.objects.exists()
    # A contact without voting rights: said plainly, and refused.
    other = _url(
        association, "check_in_person", assembly_uuid=assembly.uuid, person_uuid=person.uuid
    )
    assert b"no voting rights" in client.get(other).content
    client.post(other)
    with scope(association=association):
        assert not Attendance.objects.exists()


def test_proxies_screen_refuses_beyond_the_cap(client_for, presidente, association, convened):
    assembly, members, odette = convened
    client = client_for(presidente)
    url = _url(association, "proxies", assembly_uuid=assembly.uuid)
    for giver in (members[1], members[2]):
        response = client.post(url, {"giver": giver.uuid, "holder": members[0].uuid})
        assert response.status_code == 302
    response = client.post(url, {"giver": odette.uuid, "holder": members[0].uuid})
    assert response.status_code == 422
    assert b"already holds 2 proxies" in response.content
    with scope(association=association):
        proxy = Proxy.objects.filter(revoked_at__isnull=True).first()
    response = client.post(
        _url(association, "proxy_revoke", assembly_uuid=assembly.uuid, proxy_uuid=proxy.uuid)
    )
    assert response.status_code == 302
    response = client.post(url, {"giver": "not-a-uuid", "holder": members[0].uuid})
    assert response.status_code == 422


def test_open_and_close(client_for, presidente, association, convened):
    assembly, _members, _odette = convened
    client = client_for(presidente)
    client.post(_url(association, "open", assembly_uuid=assembly.uuid))
    assembly.refresh_from_db()
    assert assembly.status == "open" and assembly.quorum_at_opening["voters"] == 5
    response = client.post(_url(association, "open", assembly_uuid=assembly.uuid))
    assert response.status_code == 302  # a clear message, not an error page
    client.post(_url(association, "close", assembly_uuid=assembly.uuid))
    assembly.refresh_from_db()
    assert assembly.status == "closed"


def test_bodies_screens(client_for, presidente, association, person):
    client = client_for(presidente)
    response = client.post(_url(association, "bodies"), {"kind": "bureau", "name": "Bureau"})
    assert response.status_code == 302
    body_url = response["Location"]
    response = client.post(body_url, {"person": person.uuid, "role": "secretary"})
    assert response.status_code == 302
    page = client.get(body_url)
    assert person.full_name.encode() in page.content and b"secretary" in page.content
    response = client.post(
        body_url, {"person": "00000000-0000-0000-0000-000000000000", "role": "member"}
    )
    assert response.status_code == 200 and b"error-summary" in response.content


# --- Member side --------------------------------------------------------------------------


@pytest.fixture
def member_user(association, convened, citizen):
    """The citizen persona is the first convened member (their contact linked to the account)."""
    _assembly, members, _odette = convened
    with scope(association=association):
        members[0].user = citizen
        members[0].save()
    return citizen


def test_portal_shows_the_convocation_and_gives_a_proxy(
    client_for, member_user, association, convened
):
    assembly, members, _odette = convened
    client = client_for(member_user)
    page = client.get(reverse("governance_public:portal"))
    assert b"Assembl" in page.content and b"Rapport moral" in page.content
    assert b"give my proxy" in page.content.lower()
    response = client.post(
        reverse("governance_public:portal_proxy", args=[assembly.uuid]), {"holder": members[1].uuid}
    )
    assert response.status_code == 302
    with scope(association=association):
        assert Proxy.objects.get(revoked_at__isnull=True).holder == members[1]
    page = client.get(reverse("governance_public:portal"))
    assert b"You gave your proxy to" in page.content
    client.post(reverse("governance_public:portal_proxy_revoke", args=[assembly.uuid]))
    with scope(association=association):
        assert not Proxy.objects.filter(revoked_at__isnull=True).exists()


def test_portal_of_someone_not_convened(client_for, outsider, association, convened):
    assembly, members, _odette = convened
    client = client_for(outsider)
    assert b"not been convened" in client.get(reverse("governance_public:portal")).content
    response = client.post(
        reverse("governance_public:portal_proxy", args=[assembly.uuid]), {"holder": members[1].uuid}
    )
    assert response.status_code == 404


def test_portal_document_for_convened_members_only(
    client_for, member_user, outsider, presidente, association, convened
):
    assembly, _members, _odette = convened
    with scope(association=association):
        item = services.agenda_item_add(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            title="Budget",
            documents=[SimpleUploadedFile("budget.pdf", b"%PDF-1.4 budget", "application/pdf")],
        )
        document = item.documents.get()
    url = reverse("governance_public:portal_document", args=[assembly.uuid, document.uuid])
    assert client_for(member_user).get(url).content == b"%PDF-1.4 budget"
    assert client_for(outsider).get(url).status_code == 404


def test_presence_link_on_the_day_of_an_online_meeting(
    client, association, presidente, make_members, convene, rules
):
    with scope(association=association):
        services.statutes_rules_update(
            association=association, acting_user=presidente, remote_voting_allowed=True
        )
        assembly = services.assembly_create(
            association=association,
            acting_user=presidente,
            title="AG en ligne",
            kind="ordinary",
            starts_at=timezone.now() + dt.timedelta(minutes=5),
            mode="online",
            online_link="https://visio.example/ag",
        )
        services.agenda_item_add(
            association=association, acting_user=presidente, assembly=assembly, title="Comptes"
        )
    member = make_members(1)[0]
    convene(assembly)
    assert "https://visio.example/ag" in mail.outbox[0].body
    token = presence_token(assembly, member)
    assert token in mail.outbox[0].body
    url = reverse("governance_public:presence", args=[token])
    page = client.get(url)
    assert b"I am attending" in page.content
    response = client.post(url)
    assert response.status_code == 200 and b"your presence is recorded" in response.content
    with scope(association=association):
        assert Attendance.objects.get().method == "self"
    assert client.get(reverse("governance_public:presence", args=[token + "x"])).status_code == 404


def test_presence_link_before_the_day_is_refused(client, association, convened):
    assembly, members, _odette = convened
    url = reverse("governance_public:presence", args=[presence_token(assembly, members[0])])
    response = client.post(url)
    assert b"on the day of the meeting" in response.content
    with scope(association=association):
        assert not Attendance.objects.exists()
