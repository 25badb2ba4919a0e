"""Services of governance: rules, bodies, assemblies, agenda documents, convocations,
check-in, proxies, quorum, opening and closing."""

import datetime as dt
import io
import zipfile
from fractions import Fraction

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scope

from essaim.core.models import AuditLog, OutboxEmail
from essaim.governance import counting, selectors, services
from essaim.governance.models import Attendance, Body, Convocation, Proxy
from essaim.members import services as member_services
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoped(association):
    with scope(association=association):
        yield


# --- Rules --------------------------------------------------------------------------------


def test_rules_default_to_the_law_until_filled(association, scoped):
    rules = selectors.rules_for(association)
    assert rules.pk is None
    assert rules.proxies_allowed and rules.proxy_cap is None
    assert rules.quorum_for("ordinary") is None


def test_rules_are_saved_and_logged(association, presidente, rules, scoped):
    assert rules.quorum_for("ordinary") == Fraction(1, 4)
    assert rules.quorum_for("extraordinary") == Fraction(1, 2)
    assert rules.quorum_for("ordinary", convocation=2) is None
    assert AuditLog.objects.filter(action="statutes_rules.update").exists()


def test_bad_rules_name_the_field(association, presidente, scoped):
    with pytest.raises(ValidationError) as error:
        services.statutes_rules_update(
            association=association,
            acting_user=presidente,
            quorum_ordinary="un quart",
            majority_ordinary="custom",
            majority_ordinary_custom="",
            proxy_cap=0,
            notice_days=400,
        )
    assert set(error.value.message_dict) == {
        "quorum_ordinary",
        "majority_ordinary_custom",
        "proxy_cap",
        "notice_days",
    }


def test_majorities_speak_the_counting_module(association, presidente, scoped):
    rules = services.statutes_rules_update(
        association=association,
        acting_user=presidente,
        majority_ordinary="absolute",
        majority_extraordinary="custom",
        majority_extraordinary_custom="3/4",
    )
    assert rules.majority_for("ordinary") is counting.ABSOLUTE
    custom = rules.majority_for("extraordinary")
    assert custom.fraction == Fraction(3, 4) and not custom.strict
    result = counting.yes_no([(3, "yes"), (1, "no")], rule=custom)
    assert result.adopted


# --- Bodies -------------------------------------------------------------------------------


def test_board_seats(association, presidente, person, scoped):
    board = services.body_create(
        association=association, acting_user=presidente, kind=Body.Kind.BOARD, name="CA"
    )
    seat = services.body_seat_add(
        association=association, acting_user=presidente, body=board, person=person, role="treasurer"
    )
    assert seat.get_role_display() == "treasurer" or seat.role == "treasurer"
    with pytest.raises(ValidationError):
        services.body_seat_add(
            association=association, acting_user=presidente, body=board, person=person
        )
    with pytest.raises(ValidationError):
        services.body_create(
            association=association, acting_user=presidente, kind=Body.Kind.BUREAU, name="ca"
        )
    ag = services.body_create(
        association=association,
        acting_user=presidente,
        kind=Body.Kind.GENERAL_MEETING,
        name="AG",
    )
    with pytest.raises(ValidationError):
        services.body_seat_add(
            association=association, acting_user=presidente, body=ag, person=person
        )
    services.body_seat_remove(association=association, acting_user=presidente, seat=seat)
    assert not board.seats.exists()


def test_body_seat_of_another_association_is_refused(association, presidente, other_person, scoped):
    board = services.body_create(
        association=association, acting_user=presidente, kind=Body.Kind.BOARD, name="CA"
    )
    with pytest.raises(ValidationError):
        services.body_seat_add(
            association=association, acting_user=presidente, body=board, person=other_person
        )


# --- Assemblies and agenda ----------------------------------------------------------------


def test_online_meeting_needs_rules_allowing_it(association, presidente, rules, scoped):
    fields = {
        "title": "AG en ligne",
        "kind": "ordinary",
        "starts_at": timezone.now() + dt.timedelta(days=20),
        "mode": "online",
        "online_link": "https://visio.example/ag",
    }
    with pytest.raises(ValidationError) as error:
        services.assembly_create(association=association, acting_user=presidente, **fields)
    assert "mode" in error.value.message_dict
    services.statutes_rules_update(
        association=association, acting_user=presidente, remote_voting_allowed=True
    )
    assembly = services.assembly_create(association=association, acting_user=presidente, **fields)
    assert assembly.has_online_part


def test_assembly_fields_are_checked(association, presidente, scoped):
    with pytest.raises(ValidationError) as error:
        services.assembly_create(
            association=association,
            acting_user=presidente,
            title=" ",
            kind="weird",
            starts_at=None,
            mode="on_site",
            place="",
        )
    assert {"title", "kind", "starts_at", "place"} <= set(error.value.message_dict)


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name,content,kind",
    [
        ("comptes.pdf", b"%PDF-1.7\n...", "pdf"),
        ("rapport.docx", _docx(), "docx"),
        ("statuts.odt", _odt(), "odt"),
        # The name does not decide: a PDF called .docx is stored as a PDF.
        ("trompeur.docx", b"%PDF-1.4 x", "pdf"),
    ],
)
def test_documents_are_sniffed(association, presidente, make_assembly, scoped, name, content, kind):
    assembly = make_assembly(items=())
    item = services.agenda_item_add(
        association=association,
        acting_user=presidente,
        assembly=assembly,
        title="Comptes",
        documents=[SimpleUploadedFile(name, content, "application/octet-stream")],
    )
    document = item.documents.get()
    assert document.original_name.endswith("." + kind)
    assert document.content_type == services.DOCUMENT_TYPES[kind]
    assert services.document_bytes(document) == content


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00 an executable",
        b"<html><script>alert(1)</script></html>",
        b"PK\x03\x04 not really a zip",
        b"",
    ],
)
def test_other_files_are_refused(association, presidente, make_assembly, scoped, content):
    assembly = make_assembly(items=())
    with pytest.raises(ValidationError) as error:
        services.agenda_item_add(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            title="Pièce",
            documents=[SimpleUploadedFile("x.pdf", content, "application/pdf")],
        )
    assert "documents" in error.value.message_dict
    assert not assembly.items.exists()  # the item goes with its refused document


def test_documents_have_a_size_limit(association, presidente, make_assembly, scoped, monkeypatch):
    monkeypatch.setattr(services, "MAX_DOCUMENT_BYTES", 10)
    assembly = make_assembly(items=())
    with pytest.raises(ValidationError):
        services.agenda_item_add(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            title="Gros",
            documents=[SimpleUploadedFile("x.pdf", b"%PDF-" + b"x" * 20, "application/pdf")],
        )


# --- Convocations -------------------------------------------------------------------------


def test_convocation_once_per_voting_member(
    association, presidente, make_members, make_assembly, convene, rules
):
    with_email = make_members(3)
    without = make_members(2, email="")
    make_members(1, rights=False)  # a supporter: no voting rights, not convened
    assembly = make_assembly()
    convene(assembly)
    with scope(association=association):
        convocations = Convocation.objects.filter(assembly=assembly)
        assert convocations.count() == 5
        assert {c.person_id for c in convocations.filter(channel="email")} == {
            p.pk for p in with_email
        }
        assert {c.person_id for c in convocations.filter(channel="letter")} == {
            p.pk for p in without
        }
    assert len(mail.outbox) == 3
    assert "Assemblée générale 2026" in mail.outbox[0].subject
    assert "Rapport moral" in mail.outbox[0].body
    # Sent again (a double click, a resumed task): nobody gets a second one.
    convene(assembly)
    with scope(association=association):
        assert services.convocations_send(assembly) == 0
        assert Convocation.objects.filter(assembly=assembly).count() == 5
    assert len(mail.outbox) == 3
    # A member who joined since is convened, alone.
    make_members(1)
    convene(assembly)
    assert len(mail.outbox) == 4
    assert OutboxEmail.objects.filter(kind="assembly_convocation").count() == 4


def test_interrupted_sending_resumes(
    association, presidente, make_members, make_assembly, monkeypatch
):
    make_members(5)
    assembly = make_assembly()
    calls = {"n": 0}
    original = services._convene_one

    def flaky(assembly, person, shared):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return original(assembly, person, shared)

    monkeypatch.setattr(services, "CONVENE_CHUNK", 2)
    monkeypatch.setattr(services, "_convene_one", flaky)
    with scope(association=association):
        with pytest.raises(RuntimeError):
            services.convocations_send(assembly)
        assert Convocation.objects.filter(assembly=assembly).count() == 2  # first chunk kept
        assert OutboxEmail.objects.filter(kind="assembly_convocation").count() == 2
        assert services.convocations_send(assembly) == 3
        assert Convocation.objects.filter(assembly=assembly).count() == 5
        assert OutboxEmail.objects.filter(kind="assembly_convocation").count() == 5


def test_convening_needs_an_agenda(association, presidente, make_assembly, scoped):
    assembly = make_assembly(items=())
    with pytest.raises(ValidationError):
        services.assembly_convene(
            association=association, acting_user=presidente, assembly=assembly
        )


def test_notice_period(association, presidente, rules, make_assembly, scoped):
    late = make_assembly(days=10)
    assert not selectors.notice_met(late)
    assert selectors.notice_deadline(late) == timezone.localdate() - dt.timedelta(days=5)
    on_time = make_assembly(days=15)
    assert selectors.notice_met(on_time)


# --- Check-in, proxies, quorum ------------------------------------------------------------


@pytest.fixture
def convened(association, make_members, make_assembly, convene, rules):
    members = make_members(8)
    assembly = make_assembly()
    convene(assembly)
    return assembly, members


def _give(association, user, assembly, giver, holder):
    return services.proxy_give(
        association=association, acting_user=user, assembly=assembly, giver=giver, holder=holder
    )


def test_check_in_is_idempotent_and_for_voters_only(
    association, presidente, convened, make_members, person, scoped
):
    assembly, members = convened
    first = services.attendance_check_in(
        association=association, acting_user=presidente, assembly=assembly, person=members[0]
    )
    again = services.attendance_check_in(
        association=association, acting_user=presidente, assembly=assembly, person=members[0]
    )
    assert first.pk == again.pk
    with pytest.raises(ValidationError):
        services.attendance_check_in(
            association=association, acting_user=presidente, assembly=assembly, person=person
        )
    services.attendance_undo(
        association=association, acting_user=presidente, assembly=assembly, person=members[0]
    )
    assert not Attendance.objects.filter(assembly=assembly).exists()


def test_check_in_before_convening_is_refused(
    association, presidente, make_members, make_assembly, scoped
):
    member = make_members(1)[0]
    assembly = make_assembly()
    with pytest.raises(ValidationError):
        services.attendance_check_in(
            association=association, acting_user=presidente, assembly=assembly, person=member
        )


def test_proxy_cap_of_the_statutes(association, presidente, convened, scoped):
    assembly, m = convened
    _give(association, presidente, assembly, m[1], m[0])
    _give(association, presidente, assembly, m[2], m[0])
    with pytest.raises(ValidationError) as error:
        _give(association, presidente, assembly, m[3], m[0])
    assert "holder" in error.value.message_dict
    assert "2" in error.value.message_dict["holder"][0]
    # Revoking one frees a place.
    proxy = Proxy.objects.get(assembly=assembly, giver=m[1], revoked_at__isnull=True)
    services.proxy_revoke(association=association, acting_user=presidente, proxy=proxy)
    _give(association, presidente, assembly, m[3], m[0])
    assert selectors.live_proxies(assembly).filter(holder=m[0]).count() == 2


def test_uncapped_proxies(association, presidente, convened, scoped):
    assembly, m = convened
    services.statutes_rules_update(association=association, acting_user=presidente, proxy_cap=None)
    for giver in m[1:6]:
        _give(association, presidente, assembly, giver, m[0])
    assert selectors.live_proxies(assembly).filter(holder=m[0]).count() == 5


def test_no_chains_no_self(association, presidente, convened, scoped):
    assembly, m = convened
    _give(association, presidente, assembly, m[1], m[0])
    with pytest.raises(ValidationError) as error:  # the holder gives their own away
        _give(association, presidente, assembly, m[0], m[2])
    assert "giver" in error.value.message_dict
    with pytest.raises(ValidationError) as error:  # the giver would hold another's
        _give(association, presidente, assembly, m[3], m[1])
    assert "holder" in error.value.message_dict
    with pytest.raises(ValidationError):
        _give(association, presidente, assembly, m[4], m[4])


def test_a_new_proxy_replaces_the_earlier_one(association, presidente, convened, scoped):
    assembly, m = convened
    _give(association, presidente, assembly, m[1], m[0])
    _give(association, presidente, assembly, m[1], m[2])
    live = selectors.live_proxies(assembly).get(giver=m[1])
    assert live.holder == m[2]
    assert Proxy.objects.filter(assembly=assembly, giver=m[1]).count() == 2


def test_non_voters_neither_give_nor_hold(association, presidente, convened, make_members, scoped):
    assembly, m = convened
    supporter = make_members(1, rights=False)[0]
    with pytest.raises(ValidationError):
        _give(association, presidente, assembly, supporter, m[0])
    with pytest.raises(ValidationError):
        _give(association, presidente, assembly, m[0], supporter)


def test_proxies_not_allowed_by_statutes(association, presidente, convened, scoped):
    assembly, m = convened
    services.statutes_rules_update(
        association=association, acting_user=presidente, proxies_allowed=False
    )
    with pytest.raises(ValidationError):
        _give(association, presidente, assembly, m[1], m[0])


def test_opening_freezes_proxies_and_records_the_quorum(association, presidente, convened, scoped):
    assembly, m = convened
    proxy = _give(association, presidente, assembly, m[1], m[0])
    services.attendance_check_in(
        association=association, acting_user=presidente, assembly=assembly, person=m[0]
    )
    assembly = services.assembly_open(
        association=association, acting_user=presidente, assembly=assembly
    )
    assert assembly.quorum_at_opening["present"] == 1
    assert assembly.quorum_at_opening["represented"] == 1
    assert assembly.quorum_at_opening["reached"] is True  # 2 of 8 = 1/4
    with pytest.raises(ValidationError):
        services.proxy_revoke(association=association, acting_user=presidente, proxy=proxy)
    with pytest.raises(ValidationError):
        _give(association, presidente, assembly, m[2], m[0])
    with pytest.raises(ValidationError):
        services.assembly_open(association=association, acting_user=presidente, assembly=assembly)
    # Latecomers still check in while the meeting is in session.
    services.attendance_check_in(
        association=association, acting_user=presidente, assembly=assembly, person=m[3]
    )
    assembly = services.assembly_close(
        association=association, acting_user=presidente, assembly=assembly
    )
    with pytest.raises(ValidationError):
        services.attendance_check_in(
            association=association, acting_user=presidente, assembly=assembly, person=m[4]
        )


def test_quorum_counts_present_and_represented_once(association, presidente, convened, scoped):
    assembly, m = convened
    _give(association, presidente, assembly, m[1], m[0])
    _give(association, presidente, assembly, m[2], m[0])
    quorum = selectors.quorum_of(assembly)
    assert (quorum.status.present, quorum.status.represented) == (0, 2)
    assert quorum.status.required == 2 and quorum.status.reached
    # A giver comes after all, before the opening: their proxy is revoked, they vote.
    services.attendance_check_in(
        association=association, acting_user=presidente, assembly=assembly, person=m[1]
    )
    assert not selectors.live_proxies(assembly).filter(giver=m[1]).exists()
    quorum = selectors.quorum_of(assembly)
    assert (quorum.status.present, quorum.status.represented) == (1, 1)
    # Another one comes once the meeting is open: the proxy stays (frozen) but counts once.
    services.assembly_open(association=association, acting_user=presidente, assembly=assembly)
    services.attendance_check_in(
        association=association, acting_user=presidente, assembly=assembly, person=m[2]
    )
    assert selectors.live_proxies(assembly).filter(giver=m[2]).exists()
    quorum = selectors.quorum_of(assembly)
    assert (quorum.status.present, quorum.status.represented) == (2, 0)


def test_weighted_quorum(association, presidente, make_members, make_assembly, convene, scoped):
    services.statutes_rules_update(
        association=association, acting_user=presidente, quorum_ordinary="1/2", weighted_votes=True
    )
    founders = make_members(2, weight=3)
    others = make_members(4)
    assembly = make_assembly()
    convene(assembly)
    services.attendance_check_in(
        association=association, acting_user=presidente, assembly=assembly, person=founders[0]
    )
    _give(association, presidente, assembly, founders[1], others[0])
    quorum = selectors.quorum_of(assembly)
    assert quorum.weighted
    assert quorum.status.voters == 10
    assert (quorum.status.present, quorum.status.represented) == (3, 3)
    assert quorum.status.reached  # 6 of 10 ≥ 1/2
    services.statutes_rules_update(
        association=association, acting_user=presidente, weighted_votes=False
    )
    quorum = selectors.quorum_of(assembly)
    assert (quorum.status.voters, quorum.status.present, quorum.status.represented) == (6, 1, 1)
    assert not quorum.status.reached


def test_a_member_with_two_memberships_votes_once(association, presidente, make_members, scoped):
    person = make_members(1, weight=1)[0]
    other_type = member_services.membership_type_create(
        association=association,
        acting_user=presidente,
        name="Fondateur",
        price_kind="free",
        voting_weight=2,
    )
    member_services.membership_create(
        association=association, acting_user=presidente, person=person, membership_type=other_type
    )
    assert selectors.voting_weights(association) == {person.pk: 2}


def test_unpaid_members_do_not_vote(association, presidente, scoped):
    paying = member_services.membership_type_create(
        association=association, acting_user=presidente, name="Payante", amount_cents=2000
    )
    person = PersonFactory(association=association)
    member_services.membership_create(
        association=association, acting_user=presidente, person=person, membership_type=paying
    )
    assert not selectors.is_voting_member(person)
