"""Fixtures of governance: members with voting rights, statutes rules, an assembly."""

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope

from essaim.governance import services
from essaim.members import services as member_services
from tests.factories import PersonFactory


def voting_type(association, user, name="Adhésion annuelle", weight=1, rights=True):
    return member_services.membership_type_create(
        association=association,
        acting_user=user,
        name=name,
        price_kind="free",
        voting_rights=rights,
        voting_weight=weight,
    )


@pytest.fixture
def make_members(association, presidente):
    """`make_members(n, weight=1, **person fields)`: n members with voting rights."""
    types = {}

    def make(count=1, weight=1, rights=True, **fields):
        with scope(association=association):
            key = (weight, rights)
            if key not in types:
                types[key] = voting_type(
                    association,
                    presidente,
                    name=f"Type {weight} {rights}",
                    weight=weight,
                    rights=rights,
                )
            persons = []
            for _ in range(count):
                person = PersonFactory(association=association, **fields)
                member_services.membership_create(
                    association=association,
                    acting_user=presidente,
                    person=person,
                    membership_type=types[key],
                )
                persons.append(person)
            return persons

    return make


@pytest.fixture
def rules(association, presidente):
    with scope(association=association):
        return services.statutes_rules_update(
            association=association,
            acting_user=presidente,
            quorum_ordinary="1/4",
            quorum_extraordinary="1/2",
            proxy_cap=2,
            notice_days=15,
        )


@pytest.fixture
def make_assembly(association, presidente):
    def make(days=30, items=("Rapport moral",), **fields):
        with scope(association=association):
            day = timezone.localdate() + dt.timedelta(days=days)
            assembly = services.assembly_create(
                association=association,
                acting_user=presidente,
                title=fields.pop("title", "Assemblée générale 2026"),
                kind=fields.pop("kind", "ordinary"),
                starts_at=timezone.make_aware(dt.datetime.combine(day, dt.time(18, 30))),
                mode=fields.pop("mode", "on_site"),
                place=fields.pop("place", "Maison de quartier"),
                **fields,
            )
            for title in items:
                services.agenda_item_add(
                    association=association,
                    acting_user=presidente,
                    assembly=assembly,
                    title=title,
                    is_resolution=True,
                )
            return assembly

    return make


@pytest.fixture
def convene(association, presidente, django_capture_on_commit_callbacks):
    """Convene, and run the sending task as the commit would."""

    def run(assembly):
        with (
            scope(association=association),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return services.assembly_convene(
                association=association, acting_user=presidente, assembly=assembly
            )

    return run
