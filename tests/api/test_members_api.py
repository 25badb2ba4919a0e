"""API of members and dues, with the cross-tenant and capability personas."""

import pytest
from django_scopes import scope

from essaim.members import services
from essaim.members.models import Membership
from tests.api.conftest import ApiClient, token_for
from tests.factories import PersonFactory


@pytest.fixture
def api(presidente, association):
    return ApiClient(token_for(presidente, association))


@pytest.fixture
def mtype(association, presidente):
    with scope(association=association):
        return services.membership_type_create(
            association=association,
            acting_user=presidente,
            name="Annuelle",
            amount_cents=2000,
            reduced_amount_cents=1000,
        )


def test_types_crud(api):
    response = api.post(
        "/api/v1/membership-types", {"name": "Famille", "amount_cents": 3500, "is_household": True}
    )
    assert response.status_code == 201, response.json()
    uuid = response.json()["uuid"]
    assert api.get("/api/v1/membership-types").json()[0]["name"] == "Famille"
    response = api.patch(f"/api/v1/membership-types/{uuid}", {"amount_cents": 4000})
    assert response.json()["amount_cents"] == 4000
    bad = api.post(
        "/api/v1/membership-types", {"name": "X", "price_kind": "fixed", "amount_cents": 0}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "amount_cents"]
    assert (
        api.post("/api/v1/membership-types", {"name": "Y", "period_kind": "weekly"}).status_code
        == 422
    )


def test_membership_lifecycle(api, association, person, mtype):
    response = api.post(
        "/api/v1/memberships",
        {"person": str(person.uuid), "membership_type": str(mtype.uuid), "rate": "reduced"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending_payment" and body["amount_due_cents"] == 1000
    assert body["person"]["last_name"] == "Le Goff"
    uuid = body["uuid"]
    again = api.post(
        "/api/v1/memberships", {"person": str(person.uuid), "membership_type": str(mtype.uuid)}
    )
    assert again.status_code == 422  # one membership of a type per period
    listed = api.get("/api/v1/memberships", {"unpaid": "true"}).json()
    assert listed["count"] == 1 and listed["items"][0]["uuid"] == uuid
    paid = api.post(f"/api/v1/memberships/{uuid}/payments", {"method": "cheque", "reference": "42"})
    assert paid.status_code == 201 and paid.json()["amount_cents"] == 1000
    assert api.post(f"/api/v1/memberships/{uuid}/payments", {"method": "cash"}).status_code == 200
    assert api.get(f"/api/v1/memberships/{uuid}").json()["status"] == "active"
    renewal = api.post(f"/api/v1/memberships/{uuid}/renew")
    assert renewal.status_code == 201
    assert api.post(f"/api/v1/memberships/{uuid}/renew").json()["uuid"] == renewal.json()["uuid"]
    resigned = api.post(f"/api/v1/memberships/{uuid}/resign", {"reason": "déménagement"})
    assert resigned.json()["status"] == "resigned"
    assert api.post(f"/api/v1/memberships/{uuid}/resign", {}).status_code == 422


def test_filters_and_query_count(
    api, association, presidente, mtype, django_assert_max_num_queries
):
    with scope(association=association):
        for i in range(12):
            p = PersonFactory(association=association, last_name=f"Membre{i}")
            services.membership_create(
                association=association, acting_user=presidente, person=p, membership_type=mtype
            )
    with django_assert_max_num_queries(12):
        response = api.get("/api/v1/memberships", {"page_size": 5, "q": "membre"})
    assert response.json()["count"] == 12 and len(response.json()["items"]) == 5
    for params in ({"period": "1999"}, {"period": "all"}, {"status": "expired"}):
        assert api.get("/api/v1/memberships", params).status_code == 200
    for params in (
        {"period": "yesterday"},
        {"status": "happy"},
        {"membership_type": "nope"},
        {"q": "\x00"},
    ):
        assert api.get("/api/v1/memberships", params).status_code == 422


def test_other_association_objects_are_404(
    association, presidente, mtype, person, outsider, other_association, other_person
):
    theirs = ApiClient(token_for(outsider, other_association))
    with scope(association=association):
        m = services.membership_create(
            association=association, acting_user=presidente, person=person, membership_type=mtype
        )
    assert theirs.get(f"/api/v1/memberships/{m.uuid}").status_code == 404
    assert theirs.get(f"/api/v1/membership-types/{mtype.uuid}").status_code == 404
    assert (
        theirs.post(f"/api/v1/memberships/{m.uuid}/payments", {"method": "cash"}).status_code == 404
    )
    # Their contact with our type, or our contact with their token: 404 either way.
    assert (
        theirs.post(
            "/api/v1/memberships",
            {"person": str(other_person.uuid), "membership_type": str(mtype.uuid)},
        ).status_code
        == 404
    )
    with scope(association=association):
        assert not Membership.objects.filter(person=other_person).exists()


def test_payments_need_the_finance_capability(association, presidente, secretaire, mtype, person):
    api = ApiClient(token_for(secretaire, association))
    with scope(association=association):
        m = services.membership_create(
            association=association, acting_user=presidente, person=person, membership_type=mtype
        )
    assert api.get(f"/api/v1/memberships/{m.uuid}").status_code == 200
    response = api.post(f"/api/v1/memberships/{m.uuid}/payments", {"method": "cash"})
    assert response.status_code == 403
    assert "can_manage_finances" in response.json()["detail"]


def test_join_through_the_api(api, association, presidente, mtype):
    from essaim.core.models import OutboxEmail

    payload = {
        "membership_type": str(mtype.uuid),
        "contact": {"first_name": "Noé", "last_name": "Neuf", "email": "noe@example.org"},
        "statutes_accepted": True,
        "privacy_accepted": True,
    }
    closed = api.post("/api/v1/join", payload)
    assert closed.status_code == 422  # the association has not opened joining
    with scope(association=association):
        services.membership_settings_update(
            association=association, acting_user=presidente, join_enabled=True
        )
    created = api.post("/api/v1/join", payload)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["memberships"][0]["status"] == "pending_payment" and body["amount_cents"] == 2000
    assert OutboxEmail.objects.filter(to="noe@example.org").exists()
    again = api.post("/api/v1/join", payload)
    assert again.status_code == 200 and again.json()["already_member"] is True
    refused = api.post("/api/v1/join", {**payload, "statutes_accepted": False})
    assert refused.status_code == 422
    assert any(e["loc"][-1] == "accept_statutes" for e in refused.json()["errors"])
