"""Two members give their proxy to the same holder at the same moment, for the last place
the statutes allow: exactly one proxy is recorded, the other member gets a clear refusal,
never a 500 nor a holder beyond the cap."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.governance import services
from essaim.governance.models import Attendance, Proxy
from essaim.members import services as member_services
from tests.core.test_concurrency import race
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setting(association, presidente):
    with scope(association=association):
        services.statutes_rules_update(association=association, acting_user=presidente, proxy_cap=1)
        mtype = member_services.membership_type_create(
            association=association, acting_user=presidente, name="Votante", price_kind="free"
        )
        members = []
        for _ in range(5):
            person = PersonFactory(association=association)
            member_services.membership_create(
                association=association,
                acting_user=presidente,
                person=person,
                membership_type=mtype,
            )
            members.append(person)
        assembly = services.assembly_create(
            association=association,
            acting_user=presidente,
            title="AG",
            kind="ordinary",
            starts_at=timezone.now() + dt.timedelta(days=30),
            mode="on_site",
            place="Salle",
        )
        services.agenda_item_add(
            association=association, acting_user=presidente, assembly=assembly, title="Comptes"
        )
        services.assembly_convene(
            association=association, acting_user=presidente, assembly=assembly
        )
    return assembly, members


def _give(association, user, assembly, giver, holder):
    def run():
        with scope(association=association):
            return services.proxy_give(
                association=association,
                acting_user=user,
                assembly=assembly,
                giver=giver,
                holder=holder,
            )

    return run


def test_two_givers_race_for_the_last_place(association, presidente, setting):
    assembly, m = setting
    results = race(
        [
            _give(association, presidente, assembly, m[1], m[0]),
            _give(association, presidente, assembly, m[2], m[0]),
        ]
    )
    proxies = [r for r in results if isinstance(r, Proxy)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(proxies) == 1 and len(refused) == 1, results
    with scopes_disabled():
        assert Proxy.objects.filter(holder=m[0], revoked_at__isnull=True).count() == 1


def test_crossed_proxies_at_once_make_no_chain(association, presidente, setting):
    """A gives to B while B gives to C: one of them is refused."""
    assembly, m = setting
    results = race(
        [
            _give(association, presidente, assembly, m[1], m[2]),
            _give(association, presidente, assembly, m[2], m[3]),
        ]
    )
    assert sum(isinstance(r, Proxy) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results


def test_two_volunteers_check_the_same_member_in(association, presidente, setting):
    assembly, m = setting

    def check_in():
        with scope(association=association):
            return services.attendance_check_in(
                association=association, acting_user=presidente, assembly=assembly, person=m[4]
            )

    results = race([check_in, check_in, check_in])
    assert all(isinstance(r, Attendance) for r in results), results
    with scopes_disabled():
        assert Attendance.objects.filter(assembly=assembly).count() == 1
