"""From the convocation to the minutes, in the browser: the présidente convenes the AG →
Jeanne gives her proxy to Paul from her space → on the day the team checks members in and
opens the meeting → a secret vote by majority judgment on the dues, prepared from the agenda,
cast by Paul on his phone for himself and for Jeanne → the vote is closed and its result
shown → the meeting is closed, the minutes written, made final, and the PV PDF downloaded and
read: attendance, proxy, quorum, the vote held in secret online, its winner and the seal.

Visible text may still be the English source where a French translation is missing:
selectors use URLs, names and classes rather than wording.
"""

import datetime as dt
import hashlib
import io
import re

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect
from pypdf import PdfReader

from essaim.governance import services, votes
from essaim.governance.models import Assembly, Minutes, Vote
from essaim.members import services as member_services
from tests.browser.helpers import flash, submit
from tests.browser.test_contacts import PHONE, sign_in
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.xdist_group("browser")

DESKTOP = {"width": 1280, "height": 900}


def _setting(association, presidente, citizen, paul_user):
    with scope(association=association):
        services.statutes_rules_update(
            association=association,
            acting_user=presidente,
            quorum_ordinary="1/4",
            proxy_cap=2,
            notice_days=15,
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
                ("Rose", "Fontaine"),
                ("Hugo", "Chevalier"),
            )
        ]
        for person, user in ((people[0], citizen), (people[1], paul_user)):
            person.user, person.email = user, user.email
            person.save()
        for person in people:
            member_services.membership_create(
                association=association,
                acting_user=presidente,
                person=person,
                membership_type=mtype,
            )
        day = timezone.localdate() + dt.timedelta(days=20)
        assembly = services.assembly_create(
            association=association,
            acting_user=presidente,
            title="Assemblée générale ordinaire",
            kind="ordinary",
            starts_at=timezone.make_aware(dt.datetime.combine(day, dt.time(18, 30))),
            mode="on_site",
            place="Maison de quartier, 12 rue Saint-Maur",
        )
        services.agenda_item_add(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            title="Montant de la cotisation",
            is_resolution=True,
        )
    return people, assembly


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_convene_proxy_check_in_secret_judgment_vote_results_and_minutes_pdf(
    browsing, association, presidente, citizen, tmp_path
):
    paul_user = UserFactory(email="paul@example.org", first_name="Paul", last_name="Moreau")
    people, assembly = _setting(association, presidente, citizen, paul_user)
    jeanne, paul, ines, yves = people[:4]
    space = f"/a/{association.slug}/governance"
    at = f"{space}/{assembly.uuid}"

    # 1. The présidente convenes the AG.
    team = browsing.new_page(**DESKTOP)
    sign_in(browsing, team, presidente.email)
    browsing.check(team)
    team.goto(f"{at}/convene/")
    browsing.check(team)
    submit(team)
    expect(flash(team)).to_be_visible()
    browsing.check(team)
    assembly.refresh_from_db()
    assert assembly.status == Assembly.Status.CONVENED

    # 2. Jeanne cannot come: she gives her proxy to Paul from her space, on her phone.
    member = browsing.new_page(**PHONE)
    sign_in(browsing, member, citizen.email)
    browsing.check(member)
    member.goto("/account/assemblies/")
    browsing.check(member)
    member.select_option("main form.proxy-form select[name=holder]", str(paul.uuid))
    submit(member, "main form.proxy-form")
    expect(flash(member)).to_be_visible()
    browsing.check(member)
    with scope(association=association):
        proxy = assembly.proxies.get(revoked_at__isnull=True)
        assert (proxy.giver, proxy.holder) == (jeanne, paul)

    # 3. On the day: Paul, Inès and Yves are checked in from the list; the meeting opens
    #    with 3 present and 1 represented out of 6 (quorum of a quarter: 2).
    for person in (paul, ines, yves):
        team.goto(f"{at}/check-in/?q={person.last_name}")
        browsing.check(team)
        team.locator("main .check-in-row", has_text=person.last_name).locator(
            "button.check-in-button"
        ).click()
        expect(flash(team)).to_be_visible()
        browsing.check(team)
    expect(team.locator("#quorum")).to_have_class(re.compile("quorum-reached"))
    team.goto(f"{at}/")
    browsing.check(team)
    team.locator(f"main form[action$='/{assembly.uuid}/open/'] button").click()
    expect(flash(team)).to_be_visible()
    browsing.check(team)

    # 4. The vote on the dues, from the agenda item: majority judgment, secret.
    team.locator(f"main a[href*='{at}/votes/new/?item=']").first.click()
    browsing.check(team)
    team.locator("main input[name=method][value=judgment]").check()
    team.fill("main textarea[name=options]", "20 €\n25 €")
    expect(team.locator("main input[name=secret]")).to_be_checked()
    submit(team, "main form.vote-form")
    expect(flash(team)).to_be_visible()
    browsing.check(team)
    with scope(association=association):
        vote = Vote.objects.get()
    assert (vote.method, vote.secret, vote.agenda_item.title) == (
        "judgment",
        True,
        "Montant de la cotisation",
    )
    team.locator("main form[action$='/open/'] button").click()
    expect(flash(team)).to_be_visible()
    browsing.check(team)

    # 5. Paul votes on his phone, for himself and for Jeanne (two ballots); Inès and Yves
    #    vote from theirs (through the service here: one journey per screen is enough).
    voter = browsing.new_page(**PHONE)
    sign_in(browsing, voter, paul_user.email)
    browsing.check(voter)
    voter.goto(f"/account/votes/{vote.uuid}/")
    browsing.check(voter)
    ballots = voter.locator("main section.vote-ballot form")
    expect(ballots).to_have_count(2)
    for grades in ((1, 4), (2, 3)):  # Très bien / Passable, then Bien / Assez bien
        form = voter.locator("main section.vote-ballot form").first
        fieldsets = form.locator("fieldset.vote-grades-choice")
        for index, grade in enumerate(grades):
            fieldsets.nth(index).locator(f"input[value='{grade}']").check()
        form.locator("button[type=submit]").click()
        expect(voter.locator("main .vote-receipt")).to_be_visible()
        browsing.check(voter)
    expect(voter.locator("main section.vote-ballot form")).to_have_count(0)
    with scope(association=association):
        keys = votes.option_keys(vote)
        for person, grades in ((ines, (2, 5)), (yves, (4, 1))):
            votes.vote_cast(
                association=association,
                acting_user=None,
                vote=vote,
                voter=person,
                choice=dict(zip(keys, grades, strict=True)),
            )

    # 6. The présidente closes the vote: the result is counted and shown.
    team.goto(f"{space}/votes/{vote.uuid}/")
    browsing.check(team)
    team.locator("main form[action$='/close/'] button").click()
    expect(flash(team)).to_be_visible()
    expect(team.locator("main .vote-results")).to_contain_text("20 €")
    expect(team.locator("main table.vote-grades")).to_be_visible()
    browsing.check(team)
    vote.refresh_from_db()
    assert vote.final_hash

    # 7. She closes the meeting and writes the minutes.
    team.goto(f"{at}/")
    browsing.check(team)
    team.locator(f"main form[action$='/{assembly.uuid}/close/'] button").click()
    expect(flash(team)).to_be_visible()
    browsing.check(team)
    team.locator(f"main a[href='{at}/minutes/']").click()
    browsing.check(team)
    submit(team, f"main form[action$='{at}/minutes/start/']")
    browsing.check(team)
    form = team.locator("main form.minutes-form")
    form.locator("input[name=chair_name]").fill("Hélène Martin")
    form.locator("input[name=secretary_name]").fill("Rose Fontaine")
    form.locator("textarea[name=opening_text]").fill("La séance est ouverte à 18 h 40.")
    form.locator("textarea[name=item_0]").fill("La présidente présente les deux montants.")
    submit(team, "main form.minutes-form")
    expect(flash(team)).to_be_visible()
    browsing.check(team)
    team.locator("main form[action$='/freeze/'] button").click()
    expect(flash(team)).to_be_visible()
    browsing.check(team)
    with scope(association=association):
        minutes = Minutes.objects.get()
    assert minutes.is_frozen and len(minutes.sha256) == 64
    expect(team.locator("main .minutes-versions")).to_contain_text(minutes.sha256)
    # A final PV has no form any more.
    expect(team.locator("main form.minutes-form")).to_have_count(0)

    # 8. The PV PDF: the file's hash is the one shown; its text says what happened.
    with team.expect_download() as download_info:
        team.locator("main a[href$='/pv.pdf']").first.click()
    path = tmp_path / "pv.pdf"
    download_info.value.save_as(path)
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == minutes.sha256
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace(
        "\n", " "
    )
    # The team works in French: the PV is written in French.
    assert "Présents : 3" in text and "Représentés (pouvoirs) : 1" in text
    assert "quorum était atteint" in text
    assert "Montant de la cotisation" in text
    assert "jugement majoritaire" in text.lower()
    assert "vote secret en ligne" in text
    assert "20 €" in text and "dont 1 par pouvoir" in text
    assert "Hélène Martin" in text and "Rose Fontaine" in text
    assert "La présidente présente les deux montants." in text
    assert minutes.content_sha256[:24] in text.replace(" ", "")
    assert vote.final_hash[:24] in text.replace(" ", "")

    # 9. Jeanne, convened, finds the PV in her space; Paul's page lists it too.
    member.goto("/account/participation/")
    browsing.check(member)
    link = member.locator(f"main a[href='/account/minutes/{minutes.uuid}/pv.pdf']")
    expect(link).to_be_visible()
    with member.expect_download() as member_download:
        link.click()
    assert hashlib.sha256(member_download.value.path().read_bytes()).hexdigest() == minutes.sha256
    with scopes_disabled():
        assert Minutes.objects.filter(assembly=assembly).count() == 1
