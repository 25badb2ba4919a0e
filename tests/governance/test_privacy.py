"""Privacy of governance: export, erasure (past counts unchanged), retention."""

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.privacy import registry
from essaim.governance import selectors, services
from essaim.governance.models import Attendance, Body, BodySeat, Convocation, Proxy

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(association, presidente, make_members, make_assembly, convene, rules):
    members = make_members(4)
    assembly = make_assembly()
    convene(assembly)
    with scope(association=association):
        services.proxy_give(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            giver=members[1],
            holder=members[0],
        )
        services.attendance_check_in(
            association=association, acting_user=presidente, assembly=assembly, person=members[2]
        )
        board = services.body_create(
            association=association, acting_user=presidente, kind=Body.Kind.BOARD, name="CA"
        )
        services.body_seat_add(
            association=association, acting_user=presidente, body=board, person=members[1]
        )
    return assembly, members


def _entry(key):
    return next(e for e in registry.entries() if e.key == key)


def test_export(association, meeting):
    _assembly, members = meeting
    with scope(association=association):
        rows = _entry("general_meetings").export_person(members[1])
        seats = _entry("governing_bodies").export_person(members[1])
    assert any(r.get("convened_by") == "email" for r in rows)
    assert any(r.get("proxy_given_to") == str(members[0]) for r in rows)
    assert seats == [{"body": "CA", "role": "member", "since": ""}]


def test_erasure_revokes_upcoming_proxies_and_keeps_past_counts(association, meeting):
    assembly, members = meeting
    with scope(association=association):
        _entry("general_meetings").erase_person(members[1])
        _entry("governing_bodies").erase_person(members[1])
        assert not Convocation.objects.filter(person=members[1]).exists()
        assert not selectors.live_proxies(assembly).exists()
        assert not BodySeat.objects.exists()
        _entry("general_meetings").erase_person(members[2])
        assert Attendance.objects.filter(person=members[2]).exists()  # the record of the meeting


def test_retention(association, meeting):
    assembly, _members = meeting
    with scopes_disabled():
        assembly.starts_at = timezone.now() - dt.timedelta(days=6 * 366)
        assembly.save()
        touched = _entry("general_meetings").apply_retention(timezone.now())
        assert touched >= 4 + 1 + 1
        assert not Convocation.objects.exists()
        assert not Attendance.objects.exists()
        assert not Proxy.objects.exists()
