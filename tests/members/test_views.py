import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope
from openpyxl import load_workbook

from essaim.core.models import OutboxEmail
from essaim.members import services
from essaim.members.models import DuesPayment, Membership, MembershipType
from tests.factories import PersonFactory


def url(association, name, **kwargs):
    return reverse(f"members:{name}", kwargs={"association_slug": association.slug, **kwargs})


def members(association, presidente, mtype, count, **person_fields):
    made = []
    with scope(association=association):
        for _ in range(count):
            person = PersonFactory(association=association, **person_fields)
            made.append(
                services.membership_create(
                    association=association,
                    acting_user=presidente,
                    person=person,
                    membership_type=mtype,
                )
            )
    return made


def test_empty_list_asks_for_types_first(client_for, presidente, association):
    content = client_for(presidente).get(url(association, "list")).content.decode()
    assert url(association, "type_create") in content


def test_type_form_creates_with_french_amounts(client_for, presidente, association):
    response = client_for(presidente).post(
        url(association, "type_create"),
        {
            "name": "Adhésion 2026",
            "price_kind": "fixed",
            "amount_cents": "20,00 €",
            "reduced_amount_cents": "10",
            "period_kind": "calendar_year",
            "season_start_month": "9",
            "max_household_size": "6",
            "voting_rights": "on",
            "voting_weight": "1",
            "online": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with scope(association=association):
        mtype = MembershipType.objects.get()
    assert (mtype.amount_cents, mtype.reduced_amount_cents) == (2000, 1000)
    response = client_for(presidente).post(
        url(association, "type_edit", type_uuid=mtype.uuid),
        {
            "name": "",
            "price_kind": "fixed",
            "amount_cents": "abc",
            "period_kind": "calendar_year",
            "season_start_month": "9",
            "max_household_size": "6",
            "voting_weight": "1",
        },
    )
    assert response.status_code == 200 and "has-error" in response.content.decode()


def test_list_query_count_is_constant(client_for, presidente, association, annual):
    client = client_for(presidente)
    members(association, presidente, annual, 3)
    client.get(url(association, "list"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(association, "list")).status_code == 200
    members(association, presidente, annual, 30)
    client.get(url(association, "list"))  # the totals are cached: warm them again
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(association, "list")).status_code == 200
    assert len(few) == len(many), [q["sql"] for q in many]


def test_cached_list_count_follows_every_change(client_for, presidente, association, annual):
    """The count of a filtered list is cached; a payment, a new member or an erased contact
    shows at once."""
    made = members(association, presidente, annual, 3)
    client = client_for(presidente)

    def count(query=""):
        return client.get(url(association, "list") + query).context["page"].paginator.count

    assert (count(), count("?status=active"), count("?status=pending_payment")) == (3, 0, 3)
    with scope(association=association):
        services.dues_payment_record(
            association=association, acting_user=presidente, memberships=[made[0]], method="cash"
        )
    assert (count("?status=active"), count("?status=pending_payment")) == (1, 2)
    members(association, presidente, annual, 2)
    assert (count(), count("?status=pending_payment")) == (5, 4)
    from essaim.people import services as people_services

    with scope(association=association):
        people_services.person_erase(
            association=association, acting_user=presidente, person=made[1].person
        )
    assert (count(), count("?status=pending_payment")) == (4, 3)


def test_filters_search_unpaid_and_htmx(client_for, presidente, association, annual):
    made = members(association, presidente, annual, 2, city="Lyon")
    with scope(association=association):
        services.dues_payment_record(
            association=association, acting_user=presidente, memberships=[made[0]], method="cash"
        )
    client = client_for(presidente)
    assert client.get(url(association, "unpaid")).context["page"].paginator.count == 1
    assert (
        client.get(url(association, "list") + "?status=active").context["page"].paginator.count == 1
    )
    assert client.get(url(association, "list") + "?q=lyon").context["page"].paginator.count == 2
    partial = client.get(url(association, "list") + "?q=lyon", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    for query in ("?period=1999", "?period=all", "?period=zzz", "?type=not-a-uuid", "?status=nope"):
        assert client.get(url(association, "list") + query).status_code == 200


def test_create_member_with_contact_and_payment(client_for, tresorier, association, annual):
    client = client_for(tresorier)
    response = client.post(
        url(association, "create"),
        {
            "person-first_name": "Zoé",
            "person-last_name": "Durand",
            "person-email": "zoe@example.org",
            "person-country": "FR",
            "membership_type": annual.pk,
            "start_on": "2026-03-01",
            "rate": "reduced",
            "reduced_proof": "carte étudiante",
            "paid": "cheque",
            "reference": "1234",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with scope(association=association):
        m = Membership.objects.get(person__last_name="Durand")
    assert m.amount_due_cents == 1000 and m.paid_on is not None
    assert m.payment.reference == "1234"


def test_create_member_rolls_back_the_contact_on_error(client_for, presidente, association, annual):
    client = client_for(presidente)
    response = client.post(
        url(association, "create"),
        {
            "person-last_name": "Durand",
            "person-country": "FR",
            "membership_type": annual.pk,
            "start_on": "2026-03-01",
            "rate": "reduced",
            "chosen_amount_cents": "",
            "reduced_proof": "x" * 300,
        },
    )
    assert response.status_code == 200
    with scope(association=association):
        assert not Membership.objects.exists()


def test_secretary_cannot_record_payments(client_for, secretaire, association, annual, presidente):
    m = members(association, presidente, annual, 1)[0]
    client = client_for(secretaire)
    assert client.get(url(association, "detail", membership_uuid=m.uuid)).status_code == 200
    response = client.post(
        url(association, "action", membership_uuid=m.uuid, action="pay"),
        {"method": "cash", "paid_on": "2026-01-05"},
    )
    assert response.status_code == 403
    listing = client.get(url(association, "list")).content.decode()
    assert 'value="paid"' not in listing and 'name="method"' not in listing
    response = client.post(
        url(association, "bulk"), {"action": "paid", "method": "cash", "selected": [str(m.uuid)]}
    )
    assert response.status_code == 302  # refused with a message, nothing recorded
    with scope(association=association):
        assert not DuesPayment.objects.exists()
    form = client.get(url(association, "create")).content.decode()
    assert 'name="paid"' not in form


def test_detail_actions(client_for, presidente, association, annual):
    m = members(association, presidente, annual, 1, email="a@example.org")[0]
    client = client_for(presidente)

    def action(name, **data):
        return client.post(url(association, "action", membership_uuid=m.uuid, action=name), data)

    assert action("pay", method="cheque", paid_on="2026-01-05", reference="77").status_code == 302
    with scope(association=association):
        m.refresh_from_db()
        assert m.paid_on.isoformat() == "2026-01-05"
    action("unpay")
    with scope(association=association):
        m.refresh_from_db()
        assert m.paid_on is None and not DuesPayment.objects.exists()
    action("remind")
    assert OutboxEmail.objects.filter(kind="membership_dues").count() == 1
    response = action("renew")
    with scope(association=association):
        renewal = Membership.objects.get(renewal_of=m)
    assert response["Location"] == url(association, "detail", membership_uuid=renewal.uuid)
    action("exclude", reason="")
    with scope(association=association):
        m.refresh_from_db()
        assert m.excluded_at is None  # a reason is required
    action("resign", reason="déménagement")
    with scope(association=association):
        m.refresh_from_db()
        assert m.resigned_at is not None
    assert action("fly").status_code == 302


def test_bulk_actions(client_for, presidente, association, annual):
    made = members(association, presidente, annual, 3)
    with scope(association=association):
        made[2].person.email = ""
        made[2].person.save()
    client = client_for(presidente)
    selected = [str(m.uuid) for m in made]
    response = client.post(url(association, "bulk"), {"action": "remind", "selected": selected})
    assert response.status_code == 302
    assert OutboxEmail.objects.filter(kind="membership_dues").count() == 2
    client.post(
        url(association, "bulk"), {"action": "paid", "method": "transfer", "selected": selected[:2]}
    )
    with scope(association=association):
        assert Membership.objects.filter(paid_on__isnull=False).count() == 2
        assert DuesPayment.objects.count() == 2
    xlsx = client.post(url(association, "bulk"), {"action": "export", "selected": selected})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 4
    client.post(url(association, "bulk"), {"action": "resign", "selected": selected[:1]})
    with scope(association=association):
        assert Membership.objects.filter(resigned_at__isnull=False).count() == 1


def test_export_csv(client_for, presidente, association, annual):
    members(association, presidente, annual, 2)
    response = client_for(presidente).get(url(association, "export") + "?format=csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff") and len(text.strip().splitlines()) == 3


def test_settings_page(client_for, presidente, tresorier, association):
    client = client_for(presidente)
    response = client.post(
        url(association, "settings"),
        {
            "join_enabled": "on",
            "ask_phone": "required",
            "ask_address": "optional",
            "ask_birth_date": "hidden",
            "grace_days": "15",
            "reminder_offsets": "-30, -7, +7",
            "retention_months": "12",
        },
    )
    assert response.status_code == 302
    with scope(association=association):
        current = services.settings_for(association)
    assert current.join_fields["phone"] == "required" and current.reminder_offsets == [-30, -7, 7]
    bad = client.post(
        url(association, "settings"),
        {
            "reminder_offsets": "un mois",
            "grace_days": "15",
            "retention_months": "12",
            "ask_phone": "hidden",
            "ask_address": "hidden",
            "ask_birth_date": "hidden",
        },
    )
    assert bad.status_code == 200 and "has-error" in bad.content.decode()
    assert client_for(tresorier).get(url(association, "settings")).status_code == 403


def test_contact_page_shows_memberships(client_for, presidente, association, annual):
    m = members(association, presidente, annual, 1)[0]
    content = (
        client_for(presidente)
        .get(
            reverse(
                "people:detail",
                kwargs={"association_slug": association.slug, "person_uuid": m.person.uuid},
            )
        )
        .content.decode()
    )
    assert url(association, "detail", membership_uuid=m.uuid) in content
    assert url(association, "add", person_uuid=m.person.uuid) in content


@pytest.mark.parametrize("name", ["list", "unpaid", "types", "create"])
def test_volunteers_cannot_see_members(client_for, benevole, association, name):
    assert client_for(benevole).get(url(association, name)).status_code == 403
