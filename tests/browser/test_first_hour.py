"""The first hour (MISSION.md): sign up, confirm, create the association, invite the treasurer.

Visible text may still be the English source where a French translation is missing, so
assertions match both languages, and selectors prefer URLs, roles and names over wording.
"""

import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from essaim.core.models import Association, Role, RoleAssignment
from tests.browser.helpers import PASSWORD, flash, link_from_outbox, submit

pytestmark = pytest.mark.xdist_group("browser")


def sign_up(browsing, page, email: str) -> None:
    """Fills allauth's sign-up form on the current page, then confirms the e-mail address."""
    expect(page).to_have_url(re.compile(r"/accounts/signup/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    browsing.check(page)
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    submit(page)

    # "Verify your e-mail address" page; the confirmation e-mail is in the outbox.
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Verify|Vérifie|Confirm", re.I)
    )
    browsing.check(page)

    # ACCOUNT_CONFIRM_EMAIL_ON_GET is False: opening the link shows a button, and only the
    # POST confirms (a mail scanner following links must not confirm for the person).
    page.goto(browsing.url(link_from_outbox(email, r"/accounts/confirm-email/[^/\s]+/")))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Confirm", re.I))
    expect(page.locator("main")).to_contain_text(email)
    browsing.check(page)
    submit(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_presidente_creates_association_and_treasurer_joins(browsing):
    presidente_email = "helene.martin@example.org"
    tresorier_email = "karim.benali@example.org"
    page = browsing.new_page()

    # Landing page → sign-up.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    browsing.check(page)
    page.locator("main a[href='/accounts/signup/']").click()
    sign_up(browsing, page, presidente_email)

    # Confirmed and signed in: the home page says there is no association yet.
    expect(page).to_have_url(browsing.url("/"))
    expect(flash(page)).to_contain_text(re.compile(r"confirm", re.I))
    expect(page.get_by_role("heading", level=1)).to_contain_text(presidente_email)
    browsing.check(page)
    page.locator("main a[href='/associations/new/']").click()

    # Create the association: a wrong RNA number is refused, with the typed values kept.
    expect(page).to_have_url(browsing.url("/associations/new/"))
    browsing.check(page)
    page.fill("input[name=name]", "Les Amis du Quartier")
    page.fill("input[name=rna]", "W75123")
    page.fill("textarea[name=objet]", "Animer la vie du quartier et créer du lien entre voisins.")
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("input[name=name]")).to_have_value("Les Amis du Quartier")
    expect(page.locator("input[name=rna]")).to_have_attribute("aria-invalid", "true")
    browsing.check(page)
    page.fill("input[name=rna]", "W751234567")
    submit(page)

    # The association dashboard, with the next steps.
    expect(page).to_have_url(re.compile(r"/a/[\w-]+/$"))
    with scopes_disabled():
        association = Association.objects.get()
        # The preset's name is translated when the association is created: read it back
        # rather than guess the wording.
        treasurer = Role.objects.get(association=association, preset="tresorerie").name
    assert association.rna == "W751234567"
    expect(page.get_by_role("heading", level=1)).to_have_text("Les Amis du Quartier")
    expect(flash(page)).to_contain_text("Les Amis du Quartier")
    expect(page.locator("#next-title")).to_be_visible()
    browsing.check(page)

    # Team page, from the association menu.
    team_url = f"/a/{association.slug}/team/"
    page.locator(f"nav.sidebar a[href='{team_url}']").click()
    expect(page).to_have_url(browsing.url(team_url))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Team and roles|Équipe et rôles")
    )
    expect(page.locator("table")).to_contain_text(presidente_email)
    browsing.check(page)

    # Invite the treasurer.
    page.fill("input[name=email]", tresorier_email)
    page.select_option("select[name=role]", label=treasurer)
    page.fill("textarea[name=message]", "Bonjour Karim, voici l'accès pour les comptes.")
    submit(page, "main form:has(input[name=email])")
    expect(page).to_have_url(browsing.url(team_url))
    expect(flash(page)).to_contain_text(tresorier_email)
    invitations = page.locator("main .plain-list")
    expect(invitations).to_contain_text(tresorier_email)
    expect(invitations).to_contain_text(treasurer)
    browsing.check(page)

    # The treasurer, in another browser, opens the link of the e-mail.
    invitee = browsing.new_page(width=360, height=760)
    invitation_link = browsing.url(link_from_outbox(tresorier_email, r"/invitations/[^/\s]+/"))
    invitee.goto(invitation_link)
    expect(invitee.get_by_role("heading", level=1)).to_contain_text("Les Amis du Quartier")
    browsing.check(invitee)
    signup_link = invitee.locator("main a[href^='/accounts/signup/?next=']")
    expect(signup_link).to_be_visible()
    signup_link.click()
    expect(invitee.locator("main input[name=next]")).to_have_value(re.compile(r"/invitations/"))
    sign_up(browsing, invitee, tresorier_email)

    # Confirming brings the treasurer back to the invitation, signed in.
    expect(invitee).to_have_url(invitation_link)
    accept = invitee.locator("main form button[type=submit]")
    expect(accept).to_be_visible()
    browsing.check(invitee)
    accept.click()

    # On the association dashboard, with the treasurer's rights.
    expect(invitee).to_have_url(browsing.url(f"/a/{association.slug}/"))
    expect(flash(invitee)).to_contain_text("Les Amis du Quartier")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Les Amis du Quartier")
    expect(invitee.locator("nav.sidebar")).to_contain_text(treasurer)
    browsing.check(invitee)
    with scopes_disabled():
        seat = RoleAssignment.objects.select_related("role").get(user__email=tresorier_email)
    assert seat.association == association
    assert seat.role.preset == "tresorerie"

    # Back on the présidente's side, the treasurer is in the team, no longer in the invitations.
    page.reload()
    treasurer_row = page.locator("table tbody tr").filter(has_text=tresorier_email)
    expect(treasurer_row).to_contain_text(treasurer)
    expect(page.locator("main .plain-list").filter(has_text=tresorier_email)).to_have_count(0)
    browsing.check(page)
