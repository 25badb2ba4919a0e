"""Minutes (procès-verbal): generated figures, draft editing, freezing with the PDF and its
SHA-256, corrected versions, and the screens (team and convened members, outsider 404)."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from pypdf import PdfReader

from essaim.core.models import AuditLog
from essaim.governance import minutes as minutes_services
from essaim.governance import services
from essaim.governance.models import Minutes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def held(association, presidente, make_members, make_assembly, convene, rules):
    """A meeting of 8 members: 3 present, 1 represented, opened then closed."""
    members = make_members(8)
    assembly = make_assembly(items=("Approbation des comptes", "Cotisations"))
    convene(assembly)
    with scope(association=association):
        for person in members[:3]:
            services.attendance_check_in(
                association=association, acting_user=presidente, assembly=assembly, person=person
            )
        services.proxy_give(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            giver=members[5],
            holder=members[0],
        )
        assembly = services.assembly_open(
            association=association, acting_user=presidente, assembly=assembly
        )
    return assembly, members


def _close(association, presidente, assembly):
    with scope(association=association):
        services.assembly_close(association=association, acting_user=presidente, assembly=assembly)


def test_figures_come_from_the_assembly(association, held):
    assembly, _members = held
    with scope(association=association):
        figures = minutes_services.figures_of(assembly)
    assert figures["quorum"] == {
        "rule": "1/4",
        "voters": 8,
        "present": 3,
        "represented": 1,
        "required": 2,
        "reached": True,
        "weighted": False,
        "at_opening": True,
    }
    assert figures["convened_email"] == 8
    assert [item["title"] for item in figures["items"]] == [
        "Approbation des comptes",
        "Cotisations",
    ]


def test_minutes_wait_for_the_opening(association, presidente, make_assembly):
    assembly = make_assembly()
    with scope(association=association), pytest.raises(ValidationError):
        minutes_services.minutes_start(
            association=association, acting_user=presidente, assembly=assembly
        )


def test_draft_edit_freeze_and_correct(association, presidente, held):
    assembly, _members = held
    with scope(association=association):
        draft = minutes_services.minutes_start(
            association=association, acting_user=presidente, assembly=assembly
        )
        assert (
            minutes_services.minutes_start(
                association=association, acting_user=presidente, assembly=assembly
            )
            == draft
        )
        item = assembly.items.first()
        minutes_services.minutes_update(
            association=association,
            acting_user=presidente,
            minutes=draft,
            chair_name="Hélène Martin",
            secretary_name="Sophie Lefèvre",
            opening_text="La séance est ouverte à **18 h 40**.",
            item_texts={str(item.uuid): "Les comptes sont présentés.", "not-an-item": "x"},
        )
        draft.refresh_from_db()
        assert draft.item_texts == {str(item.uuid): "Les comptes sont présentés."}
        # Open meeting: not yet final.
        with pytest.raises(ValidationError):
            minutes_services.minutes_freeze(
                association=association, acting_user=presidente, minutes=draft
            )
    _close(association, presidente, assembly)
    with scope(association=association):
        frozen = minutes_services.minutes_freeze(
            association=association, acting_user=presidente, minutes=draft
        )
        data = minutes_services.minutes_bytes(frozen)
        assert frozen.sha256 == hashlib.sha256(data).hexdigest()
        assert len(frozen.content_sha256) == 64
        text = pdf_text(data)
        assert "Les comptes sont présentés." in text
        assert "Present: 3" in text and "Represented (proxies): 1" in text
        assert "The quorum was reached" in text
        assert frozen.content_sha256[:20] in text.replace("\n", "")
        assert "The chair" in text and "The secretary" in text
        # Final: no edit, no second freeze.
        with pytest.raises(ValidationError, match="final"):
            minutes_services.minutes_update(
                association=association,
                acting_user=presidente,
                minutes=frozen,
                opening_text="Changed",
            )
        frozen.refresh_from_db()
        assert "18 h 40" in frozen.opening_text
        with pytest.raises(ValidationError):
            minutes_services.minutes_start(
                association=association, acting_user=presidente, assembly=assembly
            )
        # A correction is a new version pointing to the frozen one.
        second = minutes_services.minutes_correct(
            association=association, acting_user=presidente, minutes=frozen
        )
        assert (second.version, second.previous, second.status) == (2, frozen, "draft")
        with pytest.raises(ValidationError):
            minutes_services.minutes_correct(
                association=association, acting_user=presidente, minutes=frozen
            )
        with pytest.raises(ValidationError) as error:
            minutes_services.minutes_freeze(
                association=association, acting_user=presidente, minutes=second
            )
        assert "correction_note" in error.value.message_dict
        minutes_services.minutes_update(
            association=association,
            acting_user=presidente,
            minutes=second,
            correction_note="Heure d'ouverture corrigée.",
            opening_text="La séance est ouverte à 18 h 45.",
        )
        second = minutes_services.minutes_freeze(
            association=association, acting_user=presidente, minutes=second
        )
        text = pdf_text(minutes_services.minutes_bytes(second))
        assert "correcting version 1" in text
        assert AuditLog.objects.filter(action="minutes.freeze").count() == 2
        assert Minutes.objects.filter(assembly=assembly).count() == 2
        with pytest.raises(Exception, match=r"restricted|protected"):  # a version stays
            frozen.delete()
        # Deleting the meeting (or the association) takes every version with it.
        assembly.delete()
        assert not Minutes.objects.exists()


def test_freeze_needs_chair_and_secretary(association, presidente, held):
    assembly, _members = held
    _close(association, presidente, assembly)
    with scope(association=association):
        draft = minutes_services.minutes_start(
            association=association, acting_user=presidente, assembly=assembly
        )
        with pytest.raises(ValidationError) as error:
            minutes_services.minutes_freeze(
                association=association, acting_user=presidente, minutes=draft
            )
    assert {"chair_name", "secretary_name"} <= set(error.value.message_dict)


def test_minutes_print_each_resolution_vote(association, presidente, held):
    """The votes engineer's `vote_result` read through the adapter: method, how it was held,
    counts, majority and result, the seal of the box."""
    from essaim.governance import votes

    assembly, members = held
    with scope(association=association):
        accounts, dues = list(assembly.items.order_by("position", "id"))
        yes_no = votes.vote_create(
            association=association,
            acting_user=presidente,
            title="Approbation des comptes",
            agenda_item=accounts,
        )
        votes.vote_open(association=association, acting_user=presidente, vote=yes_no)
        for person, choice in zip(members[:3], ("yes", "yes", "no"), strict=True):
            votes.vote_cast(
                association=association,
                acting_user=None,
                vote=yes_no,
                voter=person,
                choice=choice,
            )
        votes.vote_cast(
            association=association,
            acting_user=None,
            vote=yes_no,
            voter=members[0],
            represented=members[5],
            choice="abstain",
        )
        votes.vote_close(association=association, acting_user=presidente, vote=yes_no)
        judgment = votes.vote_create(
            association=association,
            acting_user=presidente,
            title="Montant des cotisations",
            agenda_item=dues,
            method="judgment",
            options=["20 €", "25 €"],
        )
        votes.vote_open(association=association, acting_user=presidente, vote=judgment)
        keys = votes.option_keys(judgment)
        for person, grades in zip(members[:3], ((1, 4), (2, 5), (1, 3)), strict=True):
            votes.vote_cast(
                association=association,
                acting_user=None,
                vote=judgment,
                voter=person,
                choice=dict(zip(keys, grades, strict=True)),
            )
        judgment = votes.vote_close(association=association, acting_user=presidente, vote=judgment)
        other = votes.vote_create(
            association=association,
            acting_user=presidente,
            title="Motion de remerciement",
            assembly=assembly,
        )
        votes.vote_open(association=association, acting_user=presidente, vote=other)
        votes.vote_cast(
            association=association, acting_user=None, vote=other, voter=members[1], choice="yes"
        )
        votes.vote_close(association=association, acting_user=presidente, vote=other)
        assert [v["title"] for v in minutes_services.figures_of(assembly)["other_votes"]] == [
            "Motion de remerciement"
        ]
        summaries = minutes_services.figures_of(assembly)["items"]
        first, second = summaries[0]["votes"][0], summaries[1]["votes"][0]
        assert first["adopted"] is True
        assert ("Yes", "2") in first["counts"] and ("No", "1") in first["counts"]
        assert first["abstentions"] == "1"
        assert first["how"] == "secret vote online"
        assert "by proxy" in first["voters"]
        assert second["winner"] == "20 €"
        assert second["final_hash"] == judgment.final_hash
        assert any("majority grade" in value for _label, value in second["counts"])
    _close(association, presidente, assembly)
    with scope(association=association):
        draft = minutes_services.minutes_start(
            association=association, acting_user=presidente, assembly=assembly
        )
        minutes_services.minutes_update(
            association=association,
            acting_user=presidente,
            minutes=draft,
            chair_name="Hélène Martin",
            secretary_name="Sophie Lefèvre",
        )
        frozen = minutes_services.minutes_freeze(
            association=association, acting_user=presidente, minutes=draft
        )
        text = pdf_text(minutes_services.minutes_bytes(frozen)).replace("\n", " ")
    assert "adopted (majority reached)" in text
    assert "Other votes during the meeting" in text and "Motion de remerciement" in text
    assert "secret vote online" in text
    assert "20 €" in text and "majority judgment" in text.lower()
    assert judgment.final_hash[:16] in text.replace(" ", "")


# --- Screens ------------------------------------------------------------------------------


def _url(association, name, **kwargs):
    return reverse(f"governance:{name}", kwargs={"association_slug": association.slug, **kwargs})


def test_team_writes_freezes_and_cannot_edit_afterwards(
    client_for, presidente, association, held, django_assert_max_num_queries
):
    assembly, _members = held
    client = client_for(presidente)
    page = _url(association, "minutes", assembly_uuid=assembly.uuid)
    assert "Write the minutes" in client.get(page).content.decode()
    client.post(_url(association, "minutes_start", assembly_uuid=assembly.uuid))
    with scopes_disabled():
        draft = Minutes.objects.get()
    response = client.post(
        page,
        {
            "chair_name": "Hélène Martin",
            "secretary_name": "Sophie Lefèvre",
            "opening_text": "Ouverture à 18 h 40.",
            "item_0": "Les comptes sont présentés.",
            "item_1": "",
            "closing_text": "",
        },
    )
    assert response.status_code == 302
    with django_assert_max_num_queries(40):
        body = client.get(page).content.decode()
    assert "Ouverture à 18 h 40." in body and "Present" in body
    preview = client.get(
        _url(association, "minutes_download", assembly_uuid=assembly.uuid, minutes_uuid=draft.uuid)
    )
    assert "DRAFT of version 1" in pdf_text(preview.content)
    _close(association, presidente, assembly)
    client.post(
        _url(association, "minutes_freeze", assembly_uuid=assembly.uuid, minutes_uuid=draft.uuid)
    )
    with scopes_disabled():
        draft.refresh_from_db()
    assert draft.is_frozen
    body = client.get(page).content.decode()
    assert draft.sha256 in body and draft.content_sha256 in body
    refused = client.post(page, {"chair_name": "Quelqu'un d'autre", "opening_text": "Changé"})
    assert refused.status_code == 302
    assert "cannot be changed" in client.get(page).content.decode()
    with scopes_disabled():
        draft.refresh_from_db()
    assert draft.opening_text == "Ouverture à 18 h 40." and draft.chair_name == "Hélène Martin"
    download = client.get(
        _url(association, "minutes_download", assembly_uuid=assembly.uuid, minutes_uuid=draft.uuid)
    )
    assert hashlib.sha256(download.content).hexdigest() == draft.sha256


def test_convened_members_download_the_final_pv_others_get_404(
    client_for, presidente, association, held, outsider, make_members
):
    from tests.factories import UserFactory

    assembly, members = held
    _close(association, presidente, assembly)
    with scope(association=association):
        draft = minutes_services.minutes_start(
            association=association, acting_user=presidente, assembly=assembly
        )
        draft_url = reverse("governance_public:minutes", args=[draft.uuid])
        minutes_services.minutes_update(
            association=association,
            acting_user=presidente,
            minutes=draft,
            chair_name="A",
            secretary_name="B",
        )
    member_user = UserFactory()
    with scope(association=association):
        members[1].user = member_user
        members[1].save()
    assert client_for(member_user).get(draft_url).status_code == 404  # a draft: not yet
    with scope(association=association):
        frozen = minutes_services.minutes_freeze(
            association=association, acting_user=presidente, minutes=draft
        )
    response = client_for(member_user).get(draft_url)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == frozen.sha256
    late_user = UserFactory()
    make_members(1, user=late_user)  # joined after the convocation: not convened
    for user in (late_user, outsider):
        assert client_for(user).get(draft_url).status_code == 404
