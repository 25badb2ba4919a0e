"""A secret vote by majority judgment in a general meeting, on phones: the présidente
prepares the vote from the resolution and opens it → a member present votes for herself and
for the member whose proxy she holds, and writes down her receipt code → the présidente
closes the vote (the box is sealed), sees the majority grades, publishes → the member
checks her receipt on the vote's page.

Screenshots of every screen go to test-results/votes-*.png (360 px and 1280 px).
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from essaim.governance import services
from essaim.governance.models import Ballot, RollEntry, Vote
from essaim.members import services as member_services
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_contacts import PHONE, sign_in
from tests.factories import PersonFactory

pytestmark = pytest.mark.xdist_group("browser")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"votes-{name}.png"), full_page=True)


def _meeting(association, presidente, citizen):
    with scope(association=association):
        services.statutes_rules_update(
            association=association, acting_user=presidente, quorum_ordinary="1/4", proxy_cap=2
        )
        mtype = member_services.membership_type_create(
            association=association, acting_user=presidente, name="Adhésion", price_kind="free"
        )
        people = [
            PersonFactory(association=association, first_name=first, last_name=last)
            for first, last in (
                ("Jeanne", "Durand"),
                ("Paul", "Moreau"),
                ("Inès", "Garnier"),
                ("Yves", "Lambert"),
            )
        ]
        people[0].user = citizen
        people[0].save()
        for person in people:
            member_services.membership_create(
                association=association,
                acting_user=presidente,
                person=person,
                membership_type=mtype,
            )
        assembly = services.assembly_create(
            association=association,
            acting_user=presidente,
            title="Assemblée générale 2026",
            kind="ordinary",
            starts_at=timezone.now() + dt.timedelta(hours=1),
            mode="on_site",
            place="Maison de quartier",
        )
        services.agenda_item_add(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            title="Élection du conseil d'administration",
            is_resolution=True,
        )
        services.assembly_convene(
            association=association, acting_user=presidente, assembly=assembly
        )
        services.proxy_give(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            giver=people[3],
            holder=people[0],
        )
        for person in people[:3]:
            services.attendance_check_in(
                association=association, acting_user=presidente, assembly=assembly, person=person
            )
        services.assembly_open(association=association, acting_user=presidente, assembly=assembly)
    return assembly, people


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_secret_majority_judgment_vote_on_phones(browsing, presidente, association, citizen):
    assembly, people = _meeting(association, presidente, citizen)
    team = browsing.new_page(**PHONE)
    sign_in(browsing, team, presidente.email)
    browsing.check(team)
    team.goto(f"/a/{association.slug}/governance/{assembly.uuid}/")
    browsing.check(team)
    team.locator(".vote-links a.button").first.click()
    browsing.check(team)
    team.fill("input[name=title]", "Élection du conseil d'administration")
    team.check("input[name=method][value=judgment]")
    team.fill("textarea[name=options]", "Alice Martin\nBruno Petit\nChloé Roux")
    _shot(team, "1-prepare-360")
    team.locator("form.vote-form button[type=submit]").click()
    expect(team).to_have_url(re.compile(r"/governance/votes/[0-9a-f-]+/$"))
    browsing.check(team)
    team.locator("form[action$='/open/'] button").click()
    browsing.check(team)
    _shot(team, "2-open-team-360")
    with scope(association=association):
        vote = Vote.objects.get()

    member = browsing.new_page(**PHONE)
    sign_in(browsing, member, citizen.email)
    browsing.check(member)
    member.goto("/account/votes/")
    browsing.check(member)
    member.locator(f"a[href='/account/votes/{vote.uuid}/']").first.click()
    browsing.check(member)
    _shot(member, "3-ballot-360")
    own, proxy = people[0], people[3]
    for person, grades in ((own, ("0", "2", "4")), (proxy, ("1", "1", "5"))):
        form = member.locator(f"form:has(input[name=for][value='{person.uuid}'])")
        for key, grade in zip(("1", "2", "3"), grades, strict=True):
            form.locator(f"input[name='b{person.uuid}-option-{key}'][value='{grade}']").check()
        form.locator("button[type=submit]").click()
        browsing.check(member)
        expect(member.locator(".vote-receipt-code code")).to_be_visible()
        if person == own:
            code = member.locator(".vote-receipt-code code").inner_text()
            _shot(member, "4-receipt-360")
    with scope(association=association):
        assert RollEntry.objects.filter(vote=vote).count() == 2
        assert Ballot.objects.filter(vote=vote).count() == 2

    team.reload()
    browsing.check(team)
    expect(team.locator("#participation .quorum-figures strong")).to_have_text("2")
    team.locator("form[action$='/close/'] button").click()
    browsing.check(team)
    expect(team.locator(".vote-grades")).to_be_visible()
    _shot(team, "5-results-360")
    team.locator("form[action$='/publish/'] button").click()
    browsing.check(team)
    wide = browsing.new_page()
    sign_in(browsing, wide, presidente.email)
    browsing.check(wide)
    wide.goto(f"/a/{association.slug}/governance/votes/{vote.uuid}/")
    browsing.check(wide)
    _shot(wide, "6-results-1280")

    member.goto(f"/votes/{vote.uuid}/")
    browsing.check(member)
    member.fill("input[name=code]", code.lower())
    member.locator("form:has(input[name=code]) button[type=submit]").click()
    browsing.check(member)
    expect(member.locator(".verify-valid").first).to_be_visible()
    _shot(member, "7-receipt-check-360")
