"""The check-in list, the live quorum and the meeting's page read a number of rows that does
not grow with the number of members (the quorum is polled every five seconds)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope

from essaim.governance import services

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_members(
    client_for, presidente, association, make_members, make_assembly, convene, rules
):
    members = make_members(3)
    assembly = make_assembly()
    convene(assembly)
    client = client_for(presidente)
    names = ("check_in", "quorum", "assembly", "proxies")
    urls = [
        reverse(
            f"governance:{name}",
            kwargs={"association_slug": association.slug, "assembly_uuid": assembly.uuid},
        )
        for name in names
    ]
    before = [_queries(client, url) for url in urls]
    more = make_members(20)
    convene(assembly)
    with scope(association=association):
        for giver in more[:2]:
            services.proxy_give(
                association=association,
                acting_user=presidente,
                assembly=assembly,
                giver=giver,
                holder=members[0],
            )
        for person in more[2:12]:
            services.attendance_check_in(
                association=association, acting_user=presidente, assembly=assembly, person=person
            )
    after = [_queries(client, url) for url in urls]
    assert after == before, dict(zip(names, zip(before, after, strict=True), strict=True))
