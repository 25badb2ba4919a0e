"""Consultations: phases, proposals, supports and the threshold, comments one level deep,
amendments, moderation, search and sort, the CSV export; and their screens."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog
from essaim.governance import consultations as services
from essaim.governance import services as governance_services
from essaim.governance.models import Body, ConsultationProposal, ProposalSupport
from tests.factories import PersonFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@pytest.fixture
def scoped(association):
    with scope(association=association):
        yield


@pytest.fixture
def consultation(association, presidente):
    with scope(association=association):
        return services.consultation_create(
            association=association,
            acting_user=presidente,
            title="Quel projet pour le jardin partagé ?",
            theme="Jardin",
            support_threshold=3,
        )


def _propose(association, consultation, author, title="Un composteur", text="Près du portail"):
    return services.proposal_create(
        association=association,
        acting_user=None,
        consultation=consultation,
        author=author,
        title=title,
        text=text,
    )


def _support(association, proposal, person):
    return services.proposal_support(
        association=association, acting_user=None, proposal=proposal, person=person
    )


def test_members_propose_and_support_until_retained(
    association, consultation, make_members, scoped
):
    members = make_members(5)
    proposal = _propose(association, consultation, members[0])
    for person in members[1:3]:
        proposal = _support(association, proposal, person)
    assert (proposal.support_count, proposal.status) == (2, "published")
    proposal = _support(association, proposal, members[3])
    assert (proposal.support_count, proposal.status) == (3, "retained")
    assert proposal.retained_at is not None
    assert AuditLog.objects.filter(action="proposal.retain").count() == 1


def test_supporting_twice_is_refused(association, consultation, make_members, scoped):
    author, fan = make_members(2)
    proposal = _propose(association, consultation, author)
    _support(association, proposal, fan)
    with pytest.raises(ValidationError, match="already support"):
        _support(association, proposal, fan)
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 1
    proposal.refresh_from_db()
    assert proposal.support_count == 1


def test_share_threshold_counts_the_members_asked(association, presidente, make_members, scoped):
    make_members(10)
    consultation = services.consultation_create(
        association=association, acting_user=presidente, title="Q", support_share="20 %"
    )
    assert services.support_needed(consultation) == 2
    consultation.support_threshold = 5
    assert services.support_needed(consultation) == 2  # the smaller wins


def test_a_proposal_when_the_phase_is_closed_is_refused(
    association, presidente, consultation, make_members, scoped
):
    author, other = make_members(2)
    proposal = _propose(association, consultation, author)
    services.consultation_set_phase(
        association=association, acting_user=presidente, consultation=consultation, phase="support"
    )
    with pytest.raises(ValidationError, match="Proposals are closed"):
        _propose(association, consultation, author, title="Trop tard")
    with pytest.raises(ValidationError):  # amendments only while proposals are open
        services.amendment_propose(
            association=association, acting_user=None, proposal=proposal, author=other, text="x"
        )
    _support(association, proposal, other)  # supports still allowed
    services.consultation_set_phase(
        association=association, acting_user=presidente, consultation=consultation, phase="closed"
    )
    with pytest.raises(ValidationError, match="closed"):
        services.comment_add(
            association=association, acting_user=None, proposal=proposal, author=other, text="Hé"
        )
    with pytest.raises(ValidationError):  # never backwards
        services.consultation_set_phase(
            association=association,
            acting_user=presidente,
            consultation=consultation,
            phase="proposals",
        )


def test_only_the_members_asked_take_part(
    association, presidente, consultation, make_members, scoped
):
    (member,) = make_members(1)
    stranger = PersonFactory(association=association)  # a contact, no voting rights
    with pytest.raises(ValidationError, match="Only the members asked"):
        _propose(association, consultation, stranger)
    board = governance_services.body_create(
        association=association, acting_user=presidente, kind=Body.Kind.BOARD, name="CA"
    )
    governance_services.body_seat_add(
        association=association, acting_user=presidente, body=board, person=stranger
    )
    board_only = services.consultation_create(
        association=association, acting_user=presidente, title="Budget", body=board
    )
    _propose(association, board_only, stranger)
    with pytest.raises(ValidationError):
        _propose(association, board_only, member)


def test_comments_are_one_level_deep(association, consultation, make_members, scoped):
    author, a, b = make_members(3)
    proposal = _propose(association, consultation, author)
    top = services.comment_add(
        association=association, acting_user=None, proposal=proposal, author=a, text="Bonne idée"
    )
    reply = services.comment_add(
        association=association,
        acting_user=None,
        proposal=proposal,
        author=b,
        text="Oui",
        parent=top,
    )
    deeper = services.comment_add(
        association=association,
        acting_user=None,
        proposal=proposal,
        author=a,
        text="Merci",
        parent=reply,
    )
    assert deeper.parent == top
    threads = services.comments_of(proposal)
    assert [c.pk for c in threads] == [top.pk]
    assert [c.pk for c in threads[0].thread] == [reply.pk, deeper.pk]


def test_amendments_are_accepted_by_the_author_only(
    association, consultation, make_members, scoped
):
    author, other, third = make_members(3)
    proposal = _propose(association, consultation, author)
    amendment = services.amendment_propose(
        association=association,
        acting_user=None,
        proposal=proposal,
        author=other,
        text="Deux composteurs près du portail",
        reason="Plus de volume",
    )
    with pytest.raises(ValidationError, match="author"):
        services.amendment_decide(
            association=association,
            acting_user=None,
            amendment=amendment,
            accept=True,
            by_person=third,
        )
    services.amendment_decide(
        association=association,
        acting_user=None,
        amendment=amendment,
        accept=True,
        by_person=author,
    )
    proposal.refresh_from_db()
    assert proposal.text == "Deux composteurs près du portail"
    assert "composteurs" in proposal.search_text
    with pytest.raises(ValidationError, match="already"):
        services.amendment_decide(
            association=association, acting_user=None, amendment=amendment, accept=False
        )
    with pytest.raises(ValidationError):  # the author changes, not amends
        services.amendment_propose(
            association=association, acting_user=None, proposal=proposal, author=author, text="x"
        )


def test_hiding_needs_a_reason_and_is_logged(
    association, presidente, consultation, make_members, scoped
):
    author, fan = make_members(2)
    proposal = _propose(association, consultation, author)
    with pytest.raises(ValidationError):
        services.proposal_hide(
            association=association, acting_user=presidente, proposal=proposal, reason=" "
        )
    services.proposal_hide(
        association=association, acting_user=presidente, proposal=proposal, reason="Hors sujet"
    )
    assert not services.proposals_of(consultation).exists()
    assert services.proposals_of(consultation, with_hidden=True).count() == 1
    with pytest.raises(ValidationError, match="hidden"):
        _support(association, proposal, fan)
    log = AuditLog.objects.get(action="proposal.hide")
    assert log.data == {"reason": "Hors sujet"}


def test_search_and_sort(association, consultation, make_members, scoped):
    members = make_members(4)
    old = _propose(association, consultation, members[0], title="Ruche", text="Des abeilles")
    new = _propose(association, consultation, members[1], title="Bancs", text="Pour s'asseoir")
    _support(association, old, members[2])
    assert list(services.proposals_of(consultation, sort="support")) == [old, new]
    assert list(services.proposals_of(consultation, sort="new")) == [new, old]
    assert list(services.proposals_of(consultation, query="abeille")) == [old]


def test_bad_input_is_refused_per_field(
    association, presidente, consultation, make_members, scoped
):
    (author,) = make_members(1)
    with pytest.raises(ValidationError) as error:
        _propose(association, consultation, author, title="", text="x" * 10_001)
    assert set(error.value.message_dict) == {"title", "text"}
    with pytest.raises(ValidationError) as error:
        services.consultation_create(
            association=association, acting_user=presidente, title="Q", support_share="200 %"
        )
    assert "support_share" in error.value.message_dict
    assert ConsultationProposal.objects.count() == 0


# --- Screens ------------------------------------------------------------------------------


def _member_user(association, make_members):
    user = UserFactory()
    (person,) = make_members(1, user=user, email=user.email)
    return user, person


def test_member_proposes_supports_and_comments_from_their_space(
    client_for, association, consultation, make_members
):
    user, person = _member_user(association, make_members)
    client = client_for(user)
    url = reverse("governance_public:consultation", args=[consultation.uuid])
    page = client.get(url)
    assert page.status_code == 200 and "Write a proposal" in page.content.decode()
    bad = client.post(url, {"title": "", "text": ""})
    assert bad.status_code == 422
    response = client.post(url, {"title": "Un four à pain", "text": "Pour la fête"})
    with scopes_disabled():
        proposal = ConsultationProposal.objects.get(title="Un four à pain")
        assert proposal.author == person
    assert response.status_code == 302
    (other,) = make_members(1)
    with scope(association=association):
        theirs = _propose(association, consultation, other, title="Ruche")
    support = reverse("governance_public:proposal_support", args=[theirs.uuid])
    client.post(support)
    client.post(support)  # twice: refused, counted once
    with scopes_disabled():
        theirs.refresh_from_db()
        assert theirs.support_count == 1
    proposal_url = reverse("governance_public:proposal", args=[theirs.uuid])
    client.post(proposal_url, {"comment": "1", "text": "Bravo"})
    with scopes_disabled():
        assert theirs.comments.get().text == "Bravo"
    listing = client.get(url + "?q=ruche&sort=new").content.decode()
    assert "Ruche" in listing and "Un four à pain" not in listing


def test_non_members_and_other_associations_get_404(
    client_for, association, consultation, make_members, outsider, other_association
):
    (author,) = make_members(1)
    with scope(association=association):
        proposal = _propose(association, consultation, author)
    urls = [
        reverse("governance_public:consultation", args=[consultation.uuid]),
        reverse("governance_public:proposal", args=[proposal.uuid]),
    ]
    contact_user = UserFactory()
    PersonFactory(association=association, user=contact_user)  # a contact without voting rights
    for user in (outsider, contact_user):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 404, url
        assert (
            client.post(
                reverse("governance_public:proposal_support", args=[proposal.uuid])
            ).status_code
            == 404
        )
    team = [
        reverse(
            "governance:consultation",
            kwargs={"association_slug": association.slug, "consultation_uuid": consultation.uuid},
        ),
        reverse(
            "governance:consultation_export",
            kwargs={"association_slug": association.slug, "consultation_uuid": consultation.uuid},
        ),
    ]
    for url in team:
        assert client_for(outsider).get(url).status_code == 404


def test_team_lists_moderates_and_exports(
    client_for, presidente, association, consultation, make_members
):
    author, other = make_members(2)
    with scope(association=association):
        proposal = _propose(association, consultation, author, title="Composteur; =1+1")
        comment = services.comment_add(
            association=association, acting_user=None, proposal=proposal, author=other, text="Nul"
        )
    client = client_for(presidente)
    slug = association.slug
    listing = client.get(reverse("governance:consultations", kwargs={"association_slug": slug}))
    assert consultation.title in listing.content.decode()
    base = {"association_slug": slug, "consultation_uuid": consultation.uuid}
    detail = client.get(reverse("governance:consultation", kwargs=base))
    assert "Composteur" in detail.content.decode()
    hide = reverse(
        "governance:comment_hide",
        kwargs=base | {"proposal_uuid": proposal.uuid, "comment_uuid": comment.uuid},
    )
    client.post(hide, {"reason": "Insultant"})
    with scopes_disabled():
        comment.refresh_from_db()
    assert comment.hidden_at and comment.hidden_reason == "Insultant"
    export = client.get(reverse("governance:consultation_export", kwargs=base))
    text = export.content.decode("utf-8-sig")
    assert export["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0].startswith("Title")
    assert "Composteur; =1+1" in text and "Nul" not in text
    create = client.post(
        reverse("governance:consultation_create", kwargs={"association_slug": slug}),
        {"title": "", "support_share": "abc"},
    )
    assert create.status_code == 422


def test_team_without_capability_gets_403(client_for, benevole, association, consultation):
    url = reverse(
        "governance:consultation",
        kwargs={"association_slug": association.slug, "consultation_uuid": consultation.uuid},
    )
    assert client_for(benevole).get(url).status_code == 403


def test_consultations_close_after_their_last_day(association, presidente):
    import datetime as dt

    from django.utils import timezone

    with scope(association=association):
        ending = services.consultation_create(
            association=association,
            acting_user=presidente,
            title="Q",
            ends_on=timezone.localdate(),
        )
    assert services.consultations_close_due() == 0  # its last day is today
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert services.consultations_close_due(today=tomorrow) == 1
    assert services.consultations_close_due(today=tomorrow) == 0
    with scope(association=association):
        ending.refresh_from_db()
    assert ending.phase == "closed"


def test_team_hides_a_proposal_and_answers_an_amendment(
    client_for, presidente, association, consultation, make_members
):
    author, other = make_members(2)
    with scope(association=association):
        proposal = _propose(association, consultation, author)
        amendment = services.amendment_propose(
            association=association, acting_user=None, proposal=proposal, author=other, text="Mieux"
        )
    client = client_for(presidente)
    base = {
        "association_slug": association.slug,
        "consultation_uuid": consultation.uuid,
        "proposal_uuid": proposal.uuid,
    }
    page = client.get(reverse("governance:consultation_proposal", kwargs=base))
    assert "Accept" in page.content.decode()
    client.post(
        reverse("governance:amendment_decide", kwargs=base | {"amendment_uuid": amendment.uuid}),
        {"answer": "accept"},
    )
    client.post(reverse("governance:proposal_hide", kwargs=base), {"reason": ""})  # refused
    with scopes_disabled():
        proposal.refresh_from_db()
        assert proposal.text == "Mieux" and proposal.status == "published"
    client.post(reverse("governance:proposal_hide", kwargs=base), {"reason": "Doublon"})
    with scopes_disabled():
        proposal.refresh_from_db()
    assert (proposal.status, proposal.hidden_reason) == ("hidden", "Doublon")


def test_a_retained_proposal_goes_on_the_agenda(
    client_for, presidente, association, consultation, make_members, make_assembly
):
    members = make_members(4)
    assembly = make_assembly(items=())
    with scope(association=association):
        proposal = _propose(association, consultation, members[0])
    base = {
        "association_slug": association.slug,
        "consultation_uuid": consultation.uuid,
        "proposal_uuid": proposal.uuid,
    }
    client = client_for(presidente)
    url = reverse("governance:proposal_to_agenda", kwargs=base)
    client.post(url, {"assembly": str(assembly.uuid)})  # not retained yet: refused
    with scopes_disabled():
        assert not assembly.items.exists()
    with scope(association=association):
        for person in members[1:]:
            _support(association, proposal, person)
    page = client.get(reverse("governance:consultation_proposal", kwargs=base)).content.decode()
    assert assembly.title in page
    client.post(url, {"assembly": "not-a-uuid"})
    client.post(url, {"assembly": str(assembly.uuid)})
    with scopes_disabled():
        item = assembly.items.get()
    assert item.title == "Un composteur" and item.is_resolution
    assert "Quel projet pour le jardin partagé ?" in item.description
