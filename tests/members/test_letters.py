"""Reminder letters for members without e-mail (printable page of the back office)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from essaim.members import services
from essaim.members.letters import letters_due
from essaim.members.models import Membership

pytestmark = pytest.mark.usefixtures("english_ui")


def letters_url(association):
    return reverse("members:letters", kwargs={"association_slug": association.slug})


def make_member(association, presidente, mtype, person, paid=False):
    with scope(association=association):
        m = services.membership_create(
            association=association, acting_user=presidente, person=person, membership_type=mtype
        )
        if paid:
            services.dues_payment_record(
                association=association, acting_user=presidente, memberships=[m], method="cash"
            )
        return Membership.objects.get(pk=m.pk)


def test_letters_list_members_without_email_who_need_a_reminder(
    client_for, presidente, association, annual, make_person
):
    with scope(association=association):
        services.membership_settings_update(
            association=association, acting_user=presidente, payment_instructions="Chèque au local"
        )
    postal = make_person(
        first_name="Bernard",
        last_name="Dupont",
        address_line1="12 rue des Lilas",
        postcode="75011",
        city="Paris",
    )
    phone_only = make_person(first_name="Josette", last_name="Roux", phone="0612345678")
    emailed = make_person(first_name="Zoé", last_name="Mail", email="zoe@example.net")
    make_member(association, presidente, annual, postal)
    make_member(association, presidente, annual, phone_only)
    make_member(association, presidente, annual, emailed)
    # Paid, ending in months: no reminder needed yet.
    quiet = make_person(first_name="Paul", last_name="Calme", city="Paris", address_line1="1 rue")
    paid = make_member(association, presidente, annual, quiet, paid=True)
    today = timezone.localdate()
    with scope(association=association):
        Membership.objects.filter(pk=paid.pk).update(
            period_start=today, period_end=today + dt.timedelta(days=200)
        )
        due = {m.person.first_name for m in letters_due(association, today)}
    assert due == {"Bernard", "Josette"}
    response = client_for(presidente).get(letters_url(association))
    assert response.status_code == 200
    content = response.content.decode()
    assert "12 rue des Lilas" in content and "Chèque au local" in content
    assert "06 12 34 56 78" in content  # to call: no address either
    assert "Zoé" not in content and "Calme" not in content
    assert 'class="no-print"' in content and content.count('class="card letter"') == 1


def test_letters_rights(client_for, benevole, outsider, association):
    assert client_for(benevole).get(letters_url(association)).status_code == 403
    assert client_for(outsider).get(letters_url(association)).status_code == 404


def test_no_letter_says_so(client_for, presidente, association):
    content = client_for(presidente).get(letters_url(association)).content.decode()
    assert "No letter to print" in content
