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
    seat = services.body_seat_add(
        association=association, acting_user=presidente, body=body, person=holder
    )
    return {
        "assembly_uuid": assembly.uuid,
        "item_uuid": item.uuid,
        "document_uuid": item.documents.get().uuid,
        "proxy_uuid": proxy.uuid,
        "body_uuid": body.uuid,
        "seat_uuid": seat.uuid,
    }
