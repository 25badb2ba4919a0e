"""The member portal (/account/memberships/) and the linking of accounts to members."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog
from essaim.members import services
from essaim.members.models import Membership
from essaim.people import services as people_services
from essaim.people.models import Person
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("english_ui")

PORTAL = "/account/memberships/"


@pytest.fixture
def member_user(db):
    return UserFactory(email="emilie@example.net", first_name="Émilie", last_name="Le Goff")


@pytest.fixture
def membership(association, presidente, annual, make_person, member_user):
    person = make_person(first_name="Émilie", last_name="Le Goff", email="Emilie@Example.net")
    with scope(association=association):
        m = services.membership_create(
            association=association, acting_user=presidente, person=person, membership_type=annual
        )
        Person.objects.filter(pk=person.pk).update(user=member_user)
        return Membership.objects.get(pk=m.pk)


def pay(association, presidente, membership):
    with scope(association=association):
        services.dues_payment_record(
            association=association,
            acting_user=presidente,
            memberships=[membership],
            method="cheque",
            reference="0001234",
        )
        membership.refresh_from_db()
    return membership


def card_url(membership):
    return reverse("members_public:portal_card", kwargs={"membership_uuid": membership.uuid})


def resign_url(membership):
    return reverse("members_public:portal_resign", kwargs={"membership_uuid": membership.uuid})


def details_url(person):
    return reverse("members_public:portal_details", kwargs={"person_uuid": person.uuid})


def test_portal_url_and_sign_in(member_user):
    assert reverse("members_public:portal") == PORTAL
    response = Client().get(PORTAL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_account_and_home_pages_link_the_portal(client_for, member_user):
    client = client_for(member_user)
    assert PORTAL in client.get(reverse("accounts:account")).content.decode()
    assert PORTAL in client.get("/").content.decode()


def test_empty_portal_says_what_to_do(client_for, citizen):
    content = client_for(citizen).get(PORTAL).content.decode()
    assert "No membership linked to your account yet" in content
    assert reverse("account_email") in content


def test_portal_shows_memberships_payments_and_card(
    client_for, association, presidente, membership, member_user
):
    client = client_for(member_user)
    content = client.get(PORTAL).content.decode()
    assert "Les Amis du Quartier" in content and "Adhésion annuelle" in content
    assert "waiting for payment" in content and "not received yet" in content
    assert card_url(membership) not in content  # no card before the payment
    assert client.get(card_url(membership)).status_code == 404
    pay(association, presidente, membership)
    content = client.get(PORTAL).content.decode()
    assert "badge-active" in content and "received on" in content and "cheque" in content
    response = client.get(card_url(membership))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"


def test_portal_query_count_does_not_grow_with_memberships(
    client_for,
    association,
    presidente,
    annual,
    membership,
    member_user,
    django_assert_max_num_queries,
):
    client = client_for(member_user)
    client.get(PORTAL)
    with scope(association=association):
        for year in (2020, 2021, 2022, 2023):
            services.membership_create(
                association=association,
                acting_user=presidente,
                person=membership.person,
                membership_type=annual,
                start_on=dt.date(year, 3, 1),
            )
    with django_assert_max_num_queries(20):
        assert client.get(PORTAL).status_code == 200


def test_outsider_cannot_see_or_download_another_members_card(
    client_for, association, presidente, membership, outsider, other_association, other_person
):
    pay(association, presidente, membership)
    with scope(association=other_association):
        Person.objects.filter(pk=other_person.pk).update(user=outsider)
    client = client_for(outsider)
    content = client.get(PORTAL).content.decode()
    assert "Collectif Vélo Solidaire" in content
    assert "Les Amis du Quartier" not in content and "Émilie" not in content
    assert client.get(card_url(membership)).status_code == 404
    assert client.get(resign_url(membership)).status_code == 404
    assert client.post(resign_url(membership), {"confirm": "on"}).status_code == 404
    assert client.get(details_url(membership.person)).status_code == 404
    assert client.post(details_url(membership.person), {"last_name": "Pirate"}).status_code == 404
    membership.refresh_from_db()
    assert membership.resigned_at is None
    # Nor does the association's team: the portal is about one's own memberships.
    assert client_for(presidente).get(card_url(membership)).status_code == 404


def test_resign_with_a_confirmation_step(client_for, association, membership, member_user):
    client = client_for(member_user)
    page = client.get(resign_url(membership))
    assert page.status_code == 200 and "End my membership" in page.content.decode()
    refused = client.post(resign_url(membership), {"reason": "je déménage"})
    assert refused.status_code == 200 and "error-summary" in refused.content.decode()
    membership.refresh_from_db()
    assert membership.resigned_at is None
    done = client.post(resign_url(membership), {"confirm": "on", "reason": "je déménage"})
    assert done.status_code == 302 and done["Location"] == PORTAL
    membership.refresh_from_db()
    assert membership.resigned_at is not None
    with scope(association=association):
        log = AuditLog.objects.get(association=association, action="membership.resign")
    assert log.actor == member_user and log.data["reason"] == "je déménage"
    # Ended: nothing more to resign, and the portal says so.
    again = client.get(resign_url(membership))
    assert again.status_code == 302
    assert "badge-resigned" in client.get(PORTAL).content.decode()


def test_update_own_details_only(client_for, association, membership, member_user):
    person = membership.person
    client = client_for(member_user)
    page = client.get(details_url(person)).content.decode()
    assert "Emilie@Example.net" in page and 'name="notes"' not in page and 'name="tags"' not in page
    response = client.post(
        details_url(person),
        {
            "first_name": "Émilie",
            "last_name": "Le Goff",
            "email": "emilie.nouvelle@example.net",
            "phone": "06 12 34 56 78",
            "address_line1": "3 rue Oberkampf",
            "postcode": "75011",
            "city": "Paris",
            "notes": "je m'ajoute une note",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == "emilie.nouvelle@example.net" and person.phone == "+33612345678"
    assert person.notes == "" and person.user == member_user
    with scope(association=association):
        assert AuditLog.objects.filter(
            association=association, action="person.update", actor=member_user
        ).exists()


@pytest.mark.parametrize(
    "field,value",
    [
        ("last_name", "Le\x00Goff"),
        ("last_name", "x" * 151),
        ("email", "pas-une-adresse"),
        ("postcode", "7501"),
        ("birth_date", "2999-01-01"),
    ],
)
def test_details_bad_input(client_for, membership, member_user, field, value):
    data = {"first_name": "Émilie", "last_name": "Le Goff", "email": "e@example.net"}
    data[field] = value
    if field == "postcode":
        data["postcode"] = "750"
    response = client_for(member_user).post(details_url(membership.person), data)
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    membership.person.refresh_from_db()
    assert membership.person.email == "Emilie@Example.net"


def test_renew_link_when_the_end_is_near(
    client_for, association, presidente, membership, member_user
):
    pay(association, presidente, membership)
    client = client_for(member_user)
    today = timezone.localdate()
    with scope(association=association):
        Membership.objects.filter(pk=membership.pk).update(
            period_start=today - dt.timedelta(days=300),
            period_end=today + dt.timedelta(days=200),
            grace_until=today + dt.timedelta(days=230),
        )
    assert "/m/renew/" not in client.get(PORTAL).content.decode()
    with scope(association=association):
        Membership.objects.filter(pk=membership.pk).update(period_end=today + dt.timedelta(days=20))
    content = client.get(PORTAL).content.decode()
    assert "/m/renew/" in content
    # Once renewed, the old membership offers no renewal any more.
    with scope(association=association):
        services.membership_renew(association=association, acting_user=None, membership=membership)
    assert "/m/renew/" not in client.get(PORTAL).content.decode()


# --- Linking accounts to members ---------------------------------------------------------


def confirm(user, email):
    address = EmailAddress.objects.create(user=user, email=email, verified=True, primary=False)
    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)


def test_confirmed_email_links_members_only(
    association, presidente, annual, make_person, other_association, outsider
):
    member = make_person(first_name="Lou", email="LOU@example.net")
    contact = make_person(first_name="Lou", email="lou@example.net")  # not a member
    erased = make_person(first_name="Lou", email="lou@example.net")
    with scope(association=association):
        for person in (member, erased):
            services.membership_create(
                association=association,
                acting_user=presidente,
                person=person,
                membership_type=annual,
            )
        people_services.person_erase(association=association, acting_user=presidente, person=erased)
    with scope(association=other_association):
        vélo = services.membership_type_create(
            association=other_association, acting_user=outsider, name="Vélo", amount_cents=500
        )
        elsewhere = people_services.person_create(
            association=other_association,
            acting_user=outsider,
            first_name="Lou",
            email="lou@example.net",
        )
        services.membership_create(
            association=other_association,
            acting_user=outsider,
            person=elsewhere,
            membership_type=vélo,
        )
    user = UserFactory(email="someone@example.net")
    confirm(user, "lou@example.net")
    with scopes_disabled():
        linked = set(Person.objects.filter(user=user).values_list("pk", flat=True))
        assert linked == {member.pk, elsewhere.pk}
        logs = AuditLog.objects.filter(action="person.account_linked", actor=user)
        assert {log.association_id for log in logs} == {association.pk, other_association.pk}
        assert Person.objects.get(pk=contact.pk).user is None


def test_a_contact_linked_to_another_account_stays_linked(
    association, presidente, annual, make_person
):
    first = UserFactory(email="first@example.net")
    person = make_person(first_name="Lou", email="lou@example.net")
    with scope(association=association):
        services.membership_create(
            association=association, acting_user=presidente, person=person, membership_type=annual
        )
        Person.objects.filter(pk=person.pk).update(user=first)
    confirm(UserFactory(email="other@example.net"), "lou@example.net")
    person.refresh_from_db()
    assert person.user == first


def test_unverified_address_links_nothing(client_for, association, presidente, annual, make_person):
    person = make_person(first_name="Lou", email="lou@example.net")
    with scope(association=association):
        services.membership_create(
            association=association, acting_user=presidente, person=person, membership_type=annual
        )
    user = UserFactory(email="lou@example.net", verified=False)
    user.save()  # the factory saves the password only with its verified address
    EmailAddress.objects.create(user=user, email="lou@example.net", verified=False, primary=True)
    client_for(user).get(PORTAL)
    person.refresh_from_db()
    assert person.user is None
    # Once verified, the next visit of the portal finds the membership.
    EmailAddress.objects.filter(user=user).update(verified=True)
    content = client_for(user).get(PORTAL).content.decode()
    person.refresh_from_db()
    assert person.user == user and "Adhésion annuelle" in content
