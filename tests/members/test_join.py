"""The public join form: service and views, bad and hostile input."""

import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog, OutboxEmail
from essaim.members import join, services
from essaim.members.models import Membership, MembershipType
from essaim.people.models import Consent, Person
from tests.factories import UserFactory
from tests.members.conftest import PAY

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The join form counts submissions per client address in the cache, shared by the tests.
    cache.clear()
    yield
    cache.clear()


def join_url(association):
    return reverse("members_public:join", kwargs={"slug": association.slug})


def form_data(mtype, **overrides):
    data = {
        "membership_type": str(mtype.uuid),
        "first_name": "Émilie",
        "last_name": "Le Goff",
        "email": "emilie.legoff@example.net",
        "phone": "",
        "address_line1": "",
        "address_line2": "",
        "postcode": "",
        "city": "",
        "newsletter": "on",
        "accept_statutes": "on",
        "accept_privacy": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def without_csrf(response) -> str:
    # The CSRF token of the language switch is masked differently on every page.
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", response.content.decode())


def persons(association):
    with scope(association=association):
        return list(Person.objects.filter(association=association).exclude(user__isnull=False))


def memberships(association):
    with scope(association=association):
        return list(
            Membership.objects.filter(association=association).select_related("person", "household")
        )


# --- The page ---------------------------------------------------------------------------


def test_join_page_is_404_when_closed_or_unknown(client, association, annual):
    assert client.get(join_url(association)).status_code == 404
    assert client.get("/m/no-such-association/join/").status_code == 404


def test_join_page_is_404_without_an_online_type(client, open_join, presidente, annual):
    with scope(association=open_join):
        services.membership_type_update(
            association=open_join, acting_user=presidente, membership_type=annual, online=False
        )
    assert client.get(join_url(open_join)).status_code == 404


def test_join_page_shows_offered_types_and_asked_fields(client, open_join, presidente):
    with scope(association=open_join):
        services.membership_type_create(
            association=open_join,
            acting_user=presidente,
            name="Membre bienfaiteur",
            amount_cents=10000,
            online=False,
        )
        services.membership_type_create(
            association=open_join,
            acting_user=presidente,
            name="Ancienne formule",
            amount_cents=1500,
            is_active=False,
        )
        services.membership_type_create(
            association=open_join,
            acting_user=presidente,
            name="Soutien",
            price_kind="sliding",
            amount_cents=3000,
            min_amount_cents=500,
        )
    response = client.get(join_url(open_join))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Les Amis du Quartier" in content
    assert "Adhésion annuelle" in content and "Soutien" in content
    assert "Membre bienfaiteur" not in content and "Ancienne formule" not in content
    assert "étudiants, demandeurs d&#x27;emploi" in content  # the reduced rate's label
    assert 'name="reduced_proof"' in content  # a proof is asked for the reduced rate
    assert 'name="chosen_amount"' in content  # a free amount for the sliding scale
    assert 'name="phone"' in content and 'name="address_line1"' in content
    assert 'name="birth_date"' not in content  # hidden by default
    assert "https://example.org/statuts.pdf" in content
    assert 'name="csrfmiddlewaretoken"' in content
    newsletter = content.split('name="newsletter"')[1].split(">")[0]
    assert "checked" not in newsletter  # opt-in, never pre-ticked
    # The standard notice names the association as controller and how to use one's rights.
    assert "data controller" in content or "responsable" in content
    assert "CNIL" in content


# --- Joining ----------------------------------------------------------------------------


def test_join_creates_contact_membership_consent_and_email(client, open_join, annual):
    response = client.post(join_url(open_join), form_data(annual))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "members_public:join_thanks", kwargs={"slug": open_join.slug}
    )
    (membership,) = memberships(open_join)
    person = membership.person
    assert (person.first_name, person.last_name, person.source) == ("Émilie", "Le Goff", "online")
    assert membership.source == Membership.Source.ONLINE
    assert membership.approved_at is not None  # the association does not require approval
    assert membership.terms_accepted_at is not None
    assert membership.amount_due_cents == 2000 and membership.paid_on is None
    with scope(association=open_join):
        consent = Consent.objects.get(person=person)
        assert membership.status == Membership.Status.PENDING_PAYMENT
        assert AuditLog.objects.filter(association=open_join, action="membership.join").exists()
    assert (consent.topic, consent.granted, consent.source) == ("newsletter", True, "online")
    email = OutboxEmail.objects.get(to="emilie.legoff@example.net")
    assert email.kind == "membership_joined"
    assert "20" in email.body_text and PAY in email.body_text
    assert reverse("members_public:portal") in email.body_text
    assert "/accounts/signup/" in email.body_text
    assert email.body_html
    # The thank-you page says what to do next, with the payment instructions.
    thanks = client.get(response["Location"]).content.decode()
    assert "Émilie" in thanks and "20" in thanks
    assert "Chèque à l&#x27;ordre des Amis du Quartier" in thanks


def test_unticked_newsletter_is_recorded_as_a_no(client, open_join, annual):
    client.post(join_url(open_join), form_data(annual, newsletter=None))
    (person,) = persons(open_join)
    with scope(association=open_join):
        assert [c.granted for c in Consent.objects.filter(person=person)] == [False]


def test_approval_required_keeps_the_membership_waiting(client, open_join, presidente, annual):
    with scope(association=open_join):
        services.membership_settings_update(
            association=open_join, acting_user=presidente, approval_required=True
        )
    client.post(join_url(open_join), form_data(annual))
    (membership,) = memberships(open_join)
    assert membership.approved_at is None
    with scope(association=open_join):
        services.dues_payment_record(
            association=open_join, acting_user=presidente, memberships=[membership], method="cash"
        )
        membership.refresh_from_db()
        assert membership.status == Membership.Status.PENDING_APPROVAL
    assert "confirm" in OutboxEmail.objects.get().body_text


def test_free_type_makes_a_member_at_once(client, open_join, presidente):
    with scope(association=open_join):
        free = services.membership_type_create(
            association=open_join, acting_user=presidente, name="Jeunes", price_kind="free"
        )
    response = client.post(join_url(open_join), form_data(free), follow=True)
    assert "you are a member" in response.content.decode()
    (membership,) = memberships(open_join)
    with scope(association=open_join):
        assert membership.status == Membership.Status.ACTIVE


def test_existing_contact_is_completed_not_duplicated(client, open_join, make_person, annual):
    existing = make_person(
        first_name="Emilie",
        last_name="LE GOFF",
        email="Emilie.LeGoff@example.net",
        phone="0612345678",
    )
    response = client.post(
        join_url(open_join),
        form_data(
            annual, phone="", address_line1="3 rue Oberkampf", postcode="75011", city="Paris"
        ),
    )
    assert response.status_code == 302
    (person,) = persons(open_join)
    assert person.pk == existing.pk
    assert person.phone == "+33612345678"  # not blanked
    assert (person.first_name, person.last_name) == ("Emilie", "LE GOFF")  # not overwritten
    assert (person.address_line1, person.postcode, person.city) == (
        "3 rue Oberkampf",
        "75011",
        "Paris",
    )
    (membership,) = memberships(open_join)
    assert membership.person_id == existing.pk


def test_shared_family_address_with_another_name_is_another_person(
    client, open_join, make_person, annual
):
    make_person(first_name="Jean", last_name="Le Goff", email="emilie.legoff@example.net")
    client.post(join_url(open_join), form_data(annual))
    assert sorted(p.first_name for p in persons(open_join)) == ["Jean", "Émilie"]


def test_joining_twice_creates_nothing_and_reveals_nothing(client, open_join, annual):
    first = client.post(join_url(open_join), form_data(annual))
    first_page = without_csrf(client.get(first["Location"]))
    second = Client().post(join_url(open_join), form_data(annual))
    assert second.status_code == 302
    second_page = Client().get(second["Location"])  # another visitor has no session: form
    assert second_page.status_code == 302
    assert len(memberships(open_join)) == 1 and len(persons(open_join)) == 1
    emails = list(OutboxEmail.objects.order_by("id"))
    assert len(emails) == 2 and "already recorded" in emails[1].body_text
    # The visitor who sent the second form sees the same page as for a new membership.
    again = client.post(join_url(open_join), form_data(annual))
    assert without_csrf(client.get(again["Location"])) == first_page


def test_email_may_be_left_empty_with_a_postal_address(client, open_join, annual):
    response = client.post(join_url(open_join), form_data(annual, email=""))
    assert response.status_code == 200
    assert "postal address" in response.content.decode()
    response = client.post(
        join_url(open_join),
        form_data(
            annual, email="", address_line1="3 rue Oberkampf", postcode="75011", city="Paris"
        ),
    )
    assert response.status_code == 302
    (person,) = persons(open_join)
    assert person.email == "" and person.city == "Paris"
    assert not OutboxEmail.objects.exists()
    assert "print this page" in client.get(response["Location"]).content.decode()


def test_fields_follow_the_association_settings(client, open_join, presidente, annual):
    with scope(association=open_join):
        services.membership_settings_update(
            association=open_join,
            acting_user=presidente,
            join_fields={"phone": "hidden", "address": "hidden", "birth_date": "required"},
        )
    content = client.get(join_url(open_join)).content.decode()
    assert 'name="phone"' not in content and 'name="address_line1"' not in content
    assert 'name="birth_date"' in content
    response = client.post(join_url(open_join), form_data(annual, phone="0612345678"))
    assert response.status_code == 200 and 'id="id_birth_date"' in response.content.decode()
    response = client.post(
        join_url(open_join),
        form_data(annual, phone="0612345678", city="Paris", birth_date="1990-05-04"),
    )
    assert response.status_code == 302
    (person,) = persons(open_join)
    # What the association did not ask for is not stored, even when sent.
    assert person.phone == "" and person.city == "" and str(person.birth_date) == "1990-05-04"
    # Without the address, the e-mail address is a must.
    response = client.post(
        join_url(open_join), form_data(annual, email="", birth_date="1990-05-04")
    )
    assert response.status_code == 200


def test_reduced_rate_asks_for_a_proof(client, open_join, annual):
    response = client.post(join_url(open_join), form_data(annual, reduced="on"))
    assert response.status_code == 200 and "proof" in response.content.decode()
    response = client.post(
        join_url(open_join), form_data(annual, reduced="on", reduced_proof="carte étudiante 2026")
    )
    assert response.status_code == 302
    (membership,) = memberships(open_join)
    assert membership.rate == "reduced" and membership.amount_due_cents == 1000
    assert membership.reduced_proof == "carte étudiante 2026"


def test_sliding_scale_minimum(client, open_join, presidente):
    with scope(association=open_join):
        sliding = services.membership_type_create(
            association=open_join,
            acting_user=presidente,
            name="Soutien",
            price_kind="sliding",
            amount_cents=3000,
            min_amount_cents=500,
        )
    response = client.post(join_url(open_join), form_data(sliding, chosen_amount="2"))
    assert response.status_code == 200 and "minimum" in response.content.decode()
    response = client.post(join_url(open_join), form_data(sliding, chosen_amount="12,50"))
    assert response.status_code == 302
    (membership,) = memberships(open_join)
    assert membership.amount_due_cents == 1250


def test_household_join(client, open_join, family):
    data = form_data(
        family,
        household_0_first_name="Paul",
        household_0_last_name="Le Goff",
        household_1_first_name="Lou",
        household_1_last_name="Le Goff",
        household_1_email="lou@example.net",
    )
    response = client.post(join_url(open_join), data)
    assert response.status_code == 302
    found = sorted(memberships(open_join), key=lambda m: m.amount_due_cents, reverse=True)
    assert found[0].person.first_name == "Émilie"
    assert [m.amount_due_cents for m in found] == [3500, 0, 0]
    assert len({m.household_id for m in found}) == 1 and found[0].household_id
    assert all(m.terms_accepted_at for m in found)
    assert "Paul Le Goff" in OutboxEmail.objects.get().body_text


def test_household_lines_refused_for_a_single_membership(client, open_join, annual, family):
    data = form_data(annual, household_0_first_name="Paul", household_0_last_name="Le Goff")
    response = client.post(join_url(open_join), data)
    assert response.status_code == 200 and not memberships(open_join)


def test_signed_in_visitor_is_linked_to_the_contact(client_for, open_join, annual, citizen):
    client = client_for(citizen)
    content = client.get(join_url(open_join)).content.decode()
    assert citizen.email in content  # the form is filled in from the account
    response = client.post(
        join_url(open_join),
        form_data(annual, first_name="Marc", last_name="Petit", email=citizen.email),
    )
    assert response.status_code == 302
    with scope(association=open_join):
        person = Person.objects.get(association=open_join, email=citizen.email)
    assert person.user == citizen


# --- Bad and hostile input --------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"first_name": "Émi\x00lie"}, "first_name"),
        ({"last_name": "x" * 151}, "last_name"),
        ({"email": "pas-une-adresse"}, "email"),
        ({"email": "a" * 250 + "@example.net"}, "email"),
        ({"first_name": ""}, "first_name"),
        ({"phone": "12"}, "phone"),
        ({"postcode": "ABCDE", "address_line1": "1 rue", "city": "Paris", "email": ""}, "postcode"),
        ({"accept_statutes": None}, "accept_statutes"),
        ({"accept_privacy": None}, "accept_privacy"),
        ({"membership_type": "not-a-uuid"}, "membership_type"),
        ({"reduced_proof": "\x00" * 3, "reduced": "on"}, "reduced_proof"),
    ],
)
def test_bad_input_is_refused_with_a_message(client, open_join, annual, overrides, field):
    response = client.post(join_url(open_join), form_data(annual, **overrides))
    assert response.status_code == 200
    content = response.content.decode()
    assert "error-summary" in content and f'href="#id_{field}"' in content
    assert not memberships(open_join) and not OutboxEmail.objects.exists()


def test_type_of_another_association_or_not_online_is_refused(
    client, open_join, presidente, annual, other_association, outsider
):
    with scope(association=other_association):
        theirs = services.membership_type_create(
            association=other_association, acting_user=outsider, name="Vélo", amount_cents=500
        )
    with scope(association=open_join):
        offline = services.membership_type_create(
            association=open_join,
            acting_user=presidente,
            name="Bienfaiteur",
            amount_cents=10000,
            online=False,
        )
    for mtype in (theirs, offline):
        response = client.post(
            join_url(open_join), form_data(annual, membership_type=str(mtype.uuid))
        )
        assert response.status_code == 200
    assert not memberships(open_join)
    # The service refuses them too (for the API).
    with scope(association=open_join), pytest.raises(ValidationError) as error:
        join.membership_join(
            association=open_join,
            membership_type=offline,
            contact={"first_name": "A", "last_name": "B", "email": "a@example.net"},
            statutes_accepted=True,
            privacy_accepted=True,
        )
    assert "membership_type" in error.value.message_dict


def test_closed_form_refuses_posts_and_the_service_too(client, association, annual):
    response = client.post(join_url(association), form_data(annual))
    assert response.status_code == 404
    with scope(association=association), pytest.raises(ValidationError):
        join.membership_join(
            association=association,
            membership_type=annual,
            contact={"first_name": "A", "last_name": "B", "email": "a@example.net"},
            statutes_accepted=True,
            privacy_accepted=True,
        )
    assert not memberships(association)


def test_csrf_is_checked(open_join, annual):
    client = Client(enforce_csrf_checks=True)
    response = client.post(join_url(open_join), form_data(annual))
    assert response.status_code == 403
    assert not memberships(open_join)


def test_honeypot_records_nothing(client, open_join, annual):
    response = client.post(join_url(open_join), form_data(annual, website="http://spam.example"))
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert not persons(open_join) and not OutboxEmail.objects.exists()


def test_rate_limit_per_address(client, open_join, annual, settings):
    settings.ESSAIM_JOIN_RATE_LIMIT = 3
    for index in range(3):
        response = client.post(
            join_url(open_join),
            form_data(annual, email=f"p{index}@example.net", first_name=f"P{index}"),
        )
        assert response.status_code == 302
    response = client.post(join_url(open_join), form_data(annual, email="p9@example.net"))
    assert response.status_code == 429
    assert "Too many forms" in response.content.decode()
    assert len(persons(open_join)) == 3
    # Another address is not affected.
    other = Client(REMOTE_ADDR="192.0.2.44")
    assert (
        other.post(join_url(open_join), form_data(annual, email="q@example.net")).status_code == 302
    )


def test_thanks_page_without_a_join_goes_back_to_the_form(client, open_join):
    response = client.get(reverse("members_public:join_thanks", kwargs={"slug": open_join.slug}))
    assert response.status_code == 302 and response["Location"] == join_url(open_join)


def test_settings_page_shows_the_join_address(client_for, presidente, open_join):
    content = (
        client_for(presidente)
        .get(reverse("members:settings", kwargs={"association_slug": open_join.slug}))
        .content.decode()
    )
    assert f"/m/{open_join.slug}/join/" in content


def test_price_texts(open_join, presidente, annual, family):
    with scope(association=open_join):
        assert join.price_text(annual).startswith("20 €")
        assert "10 €" in join.price_text(annual)
        free = services.membership_type_create(
            association=open_join, acting_user=presidente, name="Libre", price_kind="free"
        )
        assert join.price_text(free) == "free"
        life = services.membership_type_create(
            association=open_join,
            acting_user=presidente,
            name="À vie",
            amount_cents=20000,
            period_kind="lifetime",
        )
        assert join.period_text(life) == "for life"
        assert MembershipType.objects.filter(association=open_join).count() == 4


def test_no_team_seat_is_needed(client, open_join, annual):
    # The public URLs do not carry `association_slug`: the tenant middleware lets visitors in.
    with scopes_disabled():
        assert not open_join.assignments.filter(user__email="emilie.legoff@example.net").exists()
    assert client.get(join_url(open_join)).status_code == 200
    user = UserFactory(email="emilie.legoff@example.net")
    signed_in = Client()
    signed_in.force_login(user)
    assert signed_in.get(join_url(open_join)).status_code == 200
