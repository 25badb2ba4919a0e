"""A general meeting on a phone: the présidente prepares the AG and convenes it (e-mails,
and a letter PDF for the member without e-mail) → a member gives her proxy from her space
→ on the day, the team checks people in from the list on a phone → the quorum is reached.

Visible text may still be the English source where a French translation is missing:
selectors use URLs, names and classes rather than wording.
"""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect
from pypdf import PdfReader

from essaim.core.models import OutboxEmail
from essaim.governance import services
from essaim.governance.models import Assembly, Attendance, Convocation, Proxy
from essaim.members import services as member_services
from tests.browser.helpers import flash, submit
from tests.browser.test_contacts import PHONE, sign_in
from tests.factories import PersonFactory

pytestmark = pytest.mark.xdist_group("browser")


def _members(association, presidente, citizen):
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
                ("Alice", "Perrin"),
            )
        ]
        people.append(
            PersonFactory(
                association=association,
                first_name="Odette",
                last_name="Papier",
                email="",
                address_line1="8 impasse des Lilas",
                postcode="75011",
                city="Paris",
            )
        )
        people[0].user = citizen
        people[0].email = citizen.email
        people[0].save()
        for person in people:
            member_services.membership_create(
                association=association,
                acting_user=presidente,
                person=person,
                membership_type=mtype,
            )
    return people


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_presidente_convenes_a_member_gives_a_proxy_the_team_checks_in_quorum_reached(
    browsing, association, presidente, citizen, tmp_path
):
    people = _members(association, presidente, citizen)
    jeanne, paul, ines = people[0], people[1], people[2]
    space = f"/a/{association.slug}/governance"

    # 1. The présidente prepares the AG on her phone.
    phone = browsing.new_page(**PHONE)
    sign_in(browsing, phone, presidente.email)
    browsing.check(phone)
    phone.goto(f"{space}/")
    browsing.check(phone)
    phone.locator(f"main a[href='{space}/new/']").first.click()
    expect(phone).to_have_url(browsing.url(f"{space}/new/"))
    browsing.check(phone)
    day = timezone.localdate() + dt.timedelta(days=30)
    phone.fill("input[name=title]", "Assemblée générale ordinaire")
    phone.fill("input[name=starts_at]", f"{day:%Y-%m-%d}T18:30")
    phone.fill("input[name=place]", "Maison de quartier, 12 rue Saint-Maur")
    submit(phone, "main form.assembly-form")
    expect(phone).to_have_url(re.compile(rf"{space}/[0-9a-f-]{{36}}/$"))
    expect(flash(phone)).to_be_visible()
    browsing.check(phone)
    with scope(association=association):
        assembly = Assembly.objects.get()
    # Its agenda, with the accounts as a PDF.
    accounts = tmp_path / "comptes.pdf"
    accounts.write_bytes(b"%PDF-1.4\n% comptes 2025\n")
    form = phone.locator("main form.agenda-form")
    form.locator("input[name=title]").fill("Approbation des comptes")
    form.locator("input[name=is_resolution]").check()
    form.locator("input[name=document]").set_input_files(str(accounts))
    submit(phone, "main form.agenda-form")
    expect(flash(phone)).to_be_visible()
    expect(phone.locator("main ol.agenda")).to_contain_text("Approbation des comptes")
    browsing.check(phone)

    # 2. She convenes the members: the notice period is met, e-mails leave, one letter.
    phone.locator(f"main a[href='{space}/{assembly.uuid}/convene/']").first.click()
    expect(phone.locator("main .notice-period")).to_have_count(0)
    browsing.check(phone)
    submit(phone)
    expect(flash(phone)).to_be_visible()
    browsing.check(phone)
    with scopes_disabled():
        assert Convocation.objects.filter(assembly=assembly).count() == 8
        sent = OutboxEmail.objects.filter(kind="assembly_convocation")
        assert sent.count() == 7
        assert not sent.filter(to="").exists()
    with phone.expect_download() as download_info:
        phone.locator(f"main a[href='{space}/{assembly.uuid}/letters.pdf']").click()
    letters = tmp_path / "letters.pdf"
    download_info.value.save_as(letters)
    reader = PdfReader(io.BytesIO(letters.read_bytes()))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Odette Papier" in text and "8 impasse des Lilas" in text
    assert "Approbation des comptes" in text

    # 3. Jeanne cannot come: from her space she gives her proxy to Paul.
    member = browsing.new_page(**PHONE)
    sign_in(browsing, member, citizen.email)
    browsing.check(member)
    member.goto("/account/assemblies/")
    expect(member.locator("main .portal-assembly")).to_contain_text("Approbation des comptes")
    browsing.check(member)
    member.select_option("main form.proxy-form select[name=holder]", str(paul.uuid))
    submit(member, "main form.proxy-form")
    expect(flash(member)).to_be_visible()
    expect(member.locator("main form.proxy-form")).to_have_count(1)  # may still change holder
    browsing.check(member)
    with scope(association=association):
        proxy = Proxy.objects.get(revoked_at__isnull=True)
        assert (proxy.giver, proxy.holder) == (jeanne, paul)

    # 4. On the day the team checks people in from the list on a phone: one represented,
    #    quorum of a quarter of 8 = 2 not reached; Inès arrives, it is.
    phone.goto(f"{space}/{assembly.uuid}/check-in/")
    expect(phone.locator("#quorum")).to_have_class(re.compile("quorum-missing"))
    expect(phone.locator("#quorum .quorum-figures")).to_contain_text("1")
    browsing.check(phone)
    phone.fill("#check-in-q", "garn")
    phone.locator("main form.filters button[type=submit]").click()
    row = phone.locator("main .check-in-row", has_text="Inès Garnier")
    expect(row).to_be_visible()
    expect(phone.locator("main .check-in-row")).to_have_count(1)
    browsing.check(phone)
    row.locator("button.check-in-button").click()
    expect(flash(phone)).to_be_visible()
    browsing.check(phone)
    expect(phone.locator("#quorum")).to_have_class(re.compile("quorum-reached"))
    with scope(association=association):
        assert Attendance.objects.get().person == ines
    # Paul, who holds Jeanne's proxy, is listed as such.
    phone.fill("#check-in-q", "moreau")
    phone.locator("main form.filters button[type=submit]").click()
    expect(phone.locator("main .check-in-row", has_text="Paul Moreau")).to_contain_text("1")
    browsing.check(phone)

    # 5. The présidente opens the meeting: the quorum is recorded, proxies frozen.
    phone.goto(f"{space}/{assembly.uuid}/")
    browsing.check(phone)
    phone.locator(f"main form[action$='/{assembly.uuid}/open/'] button").click()
    expect(flash(phone)).to_be_visible()
    browsing.check(phone)
    assembly.refresh_from_db()
    assert assembly.status == "open"
    assert assembly.quorum_at_opening["reached"] is True
    assert assembly.quorum_at_opening["present"] == 1
    assert assembly.quorum_at_opening["represented"] == 1
