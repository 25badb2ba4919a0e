"""Victim objects of governance for tests/core/test_tenancy.py (run inside the scope)."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from essaim.governance import services
from essaim.governance.models import Body
from essaim.members import services as member_services
from tests.factories import PersonFactory


def victims(*, association, presidente, person) -> dict:
    mtype = member_services.membership_type_create(
        association=association,
        acting_user=presidente,
        name="Votante",
        price_kind="free",
    )
    holder = PersonFactory(association=association)
    for member in (person, holder):
        member_services.membership_create(
            association=association, acting_user=presidente, person=member, membership_type=mtype
        )
    assembly = services.assembly_create(
        association=association,
        acting_user=presidente,
        title="AG victime",
        kind="ordinary",
        starts_at=timezone.now() + dt.timedelta(days=30),
        mode="on_site",
        place="Salle",
    )
    item = services.agenda_item_add(
        association=association,
        acting_user=presidente,
        assembly=assembly,
        title="Comptes",
        documents=[SimpleUploadedFile("comptes.pdf", b"%PDF-1.4 victim", "application/pdf")],
    )
    proxy = services.proxy_give(
        association=association,
        acting_user=presidente,
        assembly=assembly,
        giver=person,
        holder=holder,
    )
    body = services.body_create(
        association=association, acting_user=presidente, kind=Body.Kind.BOARD, name="CA"
    )
    vote = _vote_victim(association, presidente, assembly)
    seat = services.body_seat_add(
        association=association, acting_user=presidente, body=body, person=holder
    )
    participation = _participation_victims(association, presidente, person, holder)
    return {
        **participation,
        "vote_uuid": vote.uuid,
        "assembly_uuid": assembly.uuid,
        "item_uuid": item.uuid,
        "document_uuid": item.documents.get().uuid,
        "proxy_uuid": proxy.uuid,
        "body_uuid": body.uuid,
        "seat_uuid": seat.uuid,
    }


def _participation_victims(association, presidente, person, other) -> dict:
    """Consultations, decisions and minutes (brief "decisions")."""
    from essaim.governance import consultations, decisions
    from essaim.governance import minutes as minutes_services

    consultation = consultations.consultation_create(
        association=association, acting_user=presidente, title="Consultation victime"
    )
    proposal = consultations.proposal_create(
        association=association,
        acting_user=None,
        consultation=consultation,
        author=person,
        title="Proposition",
        text="Texte",
    )
    comment = consultations.comment_add(
        association=association, acting_user=None, proposal=proposal, author=other, text="Avis"
    )
    amendment = consultations.amendment_propose(
        association=association, acting_user=None, proposal=proposal, author=other, text="Mieux"
    )
    decision = decisions.decision_create(
        association=association,
        acting_user=presidente,
        title="Décision victime",
        text="Texte",
        deadline=timezone.now() + dt.timedelta(days=3),
    )
    meeting = services.assembly_create(
        association=association,
        acting_user=presidente,
        title="AG tenue",
        kind="ordinary",
        starts_at=timezone.now() + dt.timedelta(days=20),
        mode="on_site",
        place="Salle",
    )
    services.agenda_item_add(
        association=association, acting_user=presidente, assembly=meeting, title="Comptes"
    )
    services.assembly_convene(association=association, acting_user=presidente, assembly=meeting)
    services.assembly_open(association=association, acting_user=presidente, assembly=meeting)
    pv = minutes_services.minutes_start(
        association=association, acting_user=presidente, assembly=meeting
    )
    return {
        "consultation_uuid": consultation.uuid,
        "proposal_uuid": proposal.uuid,
        "comment_uuid": comment.uuid,
        "amendment_uuid": amendment.uuid,
        "decision_uuid": decision.uuid,
        "minutes_uuid": pv.uuid,
    }


def _vote_victim(association, presidente, assembly):
    """A vote (brief "votes")."""
    from essaim.governance import votes

    return votes.vote_create(
        association=association, acting_user=presidente, title="Vote victime", assembly=assembly
    )
