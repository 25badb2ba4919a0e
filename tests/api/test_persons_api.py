"""The persons endpoints of /api/v1/ and GET /api/v1/association, with tenancy and tokens."""

import datetime as dt
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from essaim.api import api as api_module
from essaim.api.models import ApiToken, hash_token
from essaim.core import services as core_services
from essaim.core.models import AuditLog, Role, RoleAssignment
from essaim.people import services as people_services
from essaim.people.models import Consent, Person
from tests.api.conftest import ApiClient, assert_error_shape, error_fields, token_for
from tests.factories import PersonFactory

PERSONS = "/api/v1/persons"


def person_url(person_or_uuid, suffix=""):
    value = getattr(person_or_uuid, "uuid", person_or_uuid)
    return f"{PERSONS}/{value}{suffix}"


def make_persons(association, count, **fields):
    with scopes_disabled():
        return [PersonFactory(association=association, **fields) for _ in range(count)]


def audit_rows(association, action, **filters):
    with scopes_disabled():
        return list(AuditLog.objects.filter(association=association, action=action, **filters))


def count_persons(association) -> int:
    with scopes_disabled():
        return Person.objects.filter(association=association).count()


@pytest.fixture
def team_contact(association, presidente):
    """The présidente's own contact record, created with the association (people.receivers)."""
    with scopes_disabled():
        return Person.objects.get(association=association, user=presidente)


def names(response):
    return [f"{item['first_name']} {item['last_name']}" for item in response.json()["items"]]


@pytest.fixture
def tagged(association, presidente, in_scope):
    """Three contacts, two of them tagged "bénévoles"."""
    with in_scope(association):
        people = [
            people_services.person_create(
                association=association,
                acting_user=presidente,
                first_name=first,
                last_name=last,
                city=city,
                postcode=postcode,
                tags=tags,
            )
            for first, last, city, postcode, tags in [
                ("Émilie", "Le Goff", "Quimper", "29000", ["bénévoles"]),
                ("Jérôme", "Àlvarez", "Orléans", "45000", ["bénévoles", "donateurs"]),
                ("Zoé", "Bernard", "Aix-en-Provence", "13100", []),
            ]
        ]
    return people


# --- List ---------------------------------------------------------------------------------


def test_list_returns_the_associations_contacts_only(api, person, other_person, team_contact):
    response = api.get(PERSONS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    items = {item["uuid"]: item for item in body["items"]}
    assert set(items) == {str(person.uuid), str(team_contact.uuid)}
    item = items[str(person.uuid)]
    assert item["first_name"] == "Émilie"
    assert item["last_name"] == "Le Goff"
    assert item["erased"] is False
    assert str(other_person.uuid) not in response.content.decode()


def test_list_paginates(api, association, team_contact):
    make_persons(association, 6)  # and the présidente's own record: 7

    first = api.get(PERSONS, {"page_size": 3}).json()
    last = api.get(PERSONS, {"page_size": 3, "page": 3}).json()
    beyond = api.get(PERSONS, {"page_size": 3, "page": 4}).json()

    assert first["count"] == last["count"] == 7
    assert len(first["items"]) == 3
    assert len(last["items"]) == 1
    assert beyond["items"] == []
    everyone = {
        item["uuid"]
        for page in (1, 2, 3)
        for item in api.get(PERSONS, {"page_size": 3, "page": page}).json()["items"]
    }
    assert len(everyone) == 7


def test_list_default_page_size_is_50_and_at_most_200(api, association, team_contact):
    make_persons(association, 54)  # and the présidente's own record: 55

    assert len(api.get(PERSONS).json()["items"]) == 50
    assert len(api.get(PERSONS, {"page_size": 200}).json()["items"]) == 55


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 201}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": 10**30}, "page"),
        ({"page": "deux"}, "page"),
        ({"order": "password"}, "order"),
        ({"q": "x" * 201}, "q"),
        ({"tag": "a\x00b"}, "tag"),
        ({"q": "\x00"}, "q"),
    ],
)
def test_list_refuses_bad_parameters(api, person, params, field):
    response = api.get(PERSONS, params)
    assert error_fields(response) == {field}
    body = response.json()
    assert body["errors"][0]["loc"] == ["query", field]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("emilie", ["Émilie Le Goff"]),
        ("ÉMILIE le goff", ["Émilie Le Goff"]),
        ("jerome alvarez", ["Jérôme Àlvarez"]),
        ("orleans", ["Jérôme Àlvarez"]),
        ("aix", ["Zoé Bernard"]),
        ("zoe 13100", ["Zoé Bernard"]),
        ("personne", []),
    ],
)
def test_list_search_ignores_accents_and_case(api, tagged, query, expected):
    # The présidente's own record (Hélène Martin, no town) matches none of these.
    assert names(api.get(PERSONS, {"q": query})) == expected


def test_list_filters_by_tag(api, tagged):
    assert names(api.get(PERSONS, {"tag": "bénévoles"})) == ["Jérôme Àlvarez", "Émilie Le Goff"]
    assert names(api.get(PERSONS, {"tag": "donateurs"})) == ["Jérôme Àlvarez"]
    assert names(api.get(PERSONS, {"tag": "inconnu"})) == []


def test_list_orders(api, tagged, team_contact):
    # Folded names: "alvarez", "bernard", "le goff", "martin" (the présidente, no town).
    by_name = ["Jérôme Àlvarez", "Zoé Bernard", "Émilie Le Goff", "Hélène Martin"]
    assert names(api.get(PERSONS)) == by_name
    assert names(api.get(PERSONS, {"order": "name"})) == by_name
    assert names(api.get(PERSONS, {"order": "-name"})) == by_name[::-1]
    assert names(api.get(PERSONS, {"order": "recent"})) == [
        "Zoé Bernard",
        "Jérôme Àlvarez",
        "Émilie Le Goff",
        "Hélène Martin",
    ]
    assert names(api.get(PERSONS, {"order": "city"})) == [
        "Hélène Martin",
        "Zoé Bernard",
        "Jérôme Àlvarez",
        "Émilie Le Goff",
    ]


def test_list_returns_tags_sorted(api, tagged):
    items = {item["last_name"]: item for item in api.get(PERSONS).json()["items"]}
    assert items["Àlvarez"]["tags"] == ["bénévoles", "donateurs"]
    assert items["Bernard"]["tags"] == []


def test_list_hides_erased_contacts(api, association, presidente, person, in_scope):
    before = api.get(PERSONS).json()["count"]
    with in_scope(association):
        people_services.person_erase(association=association, acting_user=presidente, person=person)
    after = api.get(PERSONS).json()
    assert after["count"] == before - 1
    assert str(person.uuid) not in {item["uuid"] for item in after["items"]}


def _list_queries(api, association, presidente, count) -> int:
    with scopes_disabled():
        tags = [f"tag {n}" for n in range(3)]
        for n in range(count):
            people_services.person_create(
                association=association,
                acting_user=presidente,
                last_name=f"Contact {n}",
                tags=tags[: n % 4],
            )
    with CaptureQueriesContext(connection) as queries:
        response = api.get(PERSONS, {"page_size": 200})
    assert response.status_code == 200
    assert len(response.json()["items"]) == count_persons(association) >= count
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(api, association, presidente, other_association):
    api.get("/api/v1/association")  # the once-a-minute `last_used_at` write happens here
    few = _list_queries(api, association, presidente, 5)
    with scopes_disabled():
        Person.objects.filter(association=association, user__isnull=True).delete()
    many = _list_queries(api, association, presidente, 60)

    assert few == many
    assert many <= 5  # token, seat, count, page, tags; nothing per row


# --- Create -------------------------------------------------------------------------------


def test_create_returns_201_and_the_contact(api, association, presidente):
    response = api.post(
        PERSONS,
        {
            "first_name": " Anne-Sophie ",
            "last_name": "Dupré",
            "email": "anne-sophie@example.org",
            "phone": "06 12 34 56 78",
            "postcode": "1000",
            "city": "Bourg-en-Bresse",
            "birth_date": "1984-02-29",
            "tags": ["bénévoles", "Bénévoles", "  "],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["first_name"] == "Anne-Sophie"
    assert body["phone"] == "+33612345678"
    assert body["postcode"] == "01000"
    assert body["country"] == "FR"
    assert body["birth_date"] == "1984-02-29"
    assert body["tags"] == ["bénévoles"]
    assert body["erased"] is False
    with scopes_disabled():
        created = Person.objects.get(uuid=body["uuid"])
    assert created.association == association
    assert created.source == Person.Source.API
    (row,) = audit_rows(association, "person.create", object_id=body["uuid"])
    assert row.actor == presidente
    assert row.data == {"source": "api"}


def test_create_then_detail_round_trip(api):
    created = api.post(PERSONS, {"email": "seule@example.org"}).json()
    detail = api.get(person_url(created["uuid"]))
    assert detail.status_code == 200
    assert detail.json() == created


def test_create_accepts_a_foreign_postcode(api):
    response = api.post(PERSONS, {"last_name": "Peeters", "country": "be", "postcode": "1000"})
    assert response.status_code == 201, response.content
    assert response.json()["country"] == "BE"
    assert response.json()["postcode"] == "1000"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"last_name": "X", "email": "pas-une-adresse"}, "email"),
        ({"last_name": "X", "email": "a@b@example.org"}, "email"),
        ({"last_name": "X", "postcode": "ABCDE"}, "postcode"),
        ({"last_name": "X", "postcode": "00123"}, "postcode"),
        ({"last_name": "X", "postcode": "123456"}, "postcode"),
        ({"last_name": "X", "phone": "12"}, "phone"),
        ({"last_name": "X", "phone": "téléphone"}, "phone"),
        ({"last_name": "X", "birth_date": "2999-01-01"}, "birth_date"),
        ({"last_name": "X", "birth_date": "1850-01-01"}, "birth_date"),
        ({"last_name": "X", "birth_date": "31/12/1980"}, "birth_date"),
        ({"last_name": "Ja\x00ne"}, "last_name"),
        ({"last_name": "X", "first_name": "\x00"}, "first_name"),
        ({"last_name": "X", "city": "Pa\x00ris"}, "city"),
        ({"last_name": "X", "notes": "note\x00"}, "notes"),
        ({"last_name": "X", "tags": ["ta\x00g"]}, "tags"),
        ({"last_name": "x" * 151}, "last_name"),
        ({"last_name": "X", "first_name": "x" * 151}, "first_name"),
        ({"last_name": "X", "email": "a" * 250 + "@example.org"}, "email"),
        ({"last_name": "X", "city": "x" * 101}, "city"),
        ({"last_name": "X", "address_line1": "x" * 201}, "address_line1"),
        ({"last_name": "X", "notes": "x" * 10001}, "notes"),
        ({"last_name": "X", "postcode": "1" * 11}, "postcode"),
        ({"last_name": "X", "country": "France"}, "country"),
        ({"last_name": "X", "country": "F1"}, "country"),
        ({"last_name": "X", "tags": [f"t{n}" for n in range(51)]}, "tags"),
        ({"last_name": 12}, "last_name"),
        ({"first_name": "", "last_name": "", "email": ""}, "last_name"),
    ],
)
def test_create_refuses_bad_data_naming_the_field(api, association, body, field):
    before = count_persons(association)
    response = api.post(PERSONS, body)

    assert field in error_fields(response)
    for item in response.json()["errors"]:
        assert item["loc"][0] == "body"
        assert "payload" not in item["loc"]
    assert count_persons(association) == before


@pytest.mark.parametrize("field", ["first_name", "last_name", "city", "notes"])
def test_create_refuses_a_lone_surrogate(api, association, field):
    # json.dumps would refuse to encode it: the client sends the escaped form.
    raw = f'{{"last_name": "Martin", "{field}": "a\\ud800b"}}'
    before = count_persons(association)
    response = api.post(PERSONS, raw)
    assert field in error_fields(response)
    assert count_persons(association) == before


def test_create_refuses_a_lone_surrogate_in_tags(api):
    response = api.post(PERSONS, '{"last_name": "Martin", "tags": ["\\udfff"]}')
    assert "tags" in error_fields(response)


def test_create_refuses_malformed_json(api):
    assert_error_shape(api.post(PERSONS, '{"last_name": '), 400)


# --- Detail -------------------------------------------------------------------------------


def test_detail(api, person):
    response = api.get(person_url(person))
    assert response.status_code == 200
    body = response.json()
    assert body["uuid"] == str(person.uuid)
    assert body["email"] == person.email
    assert set(body) == {
        "uuid",
        "first_name",
        "last_name",
        "email",
        "phone",
        "address_line1",
        "address_line2",
        "postcode",
        "city",
        "country",
        "birth_date",
        "notes",
        "tags",
        "erased",
        "created_at",
        "updated_at",
    }


def test_detail_of_an_unknown_contact_is_404(api, person):
    assert_error_shape(api.get(person_url(uuid.uuid4())), 404)


@pytest.mark.parametrize("bad", ["pas-un-uuid", "123", "%00", "%ED%A0%80"])
def test_detail_with_a_malformed_uuid_is_422(api, bad):
    response = api.get(f"{PERSONS}/{bad}")
    assert error_fields(response) == {"person_uuid"}
    assert response.json()["errors"][0]["loc"] == ["path", "person_uuid"]


def test_unknown_address_and_method_have_the_error_shape(api, person):
    assert_error_shape(api.get("/api/v1/nothing-here"), 404)
    assert_error_shape(api.get(person_url(person, "/unknown")), 404)
    response = api.client.put(PERSONS, headers=api.headers)
    assert_error_shape(response, 405)
    assert "GET" in response["Allow"]


# --- Update -------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(api, association, presidente, person):
    response = api.patch(person_url(person), {"city": "Brest", "phone": "0298000000"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["city"] == "Brest"
    assert body["phone"] == "+33298000000"
    assert body["first_name"] == "Émilie"
    assert body["email"] == person.email
    (row,) = audit_rows(association, "person.update")
    assert row.actor == presidente
    assert set(row.changes) == {"city", "phone"}


def test_patch_sets_and_keeps_tags(api, person):
    tagged = api.patch(person_url(person), {"tags": ["conseil", "bénévoles"]}).json()
    untouched = api.patch(person_url(person), {"city": "Lorient"}).json()
    also_untouched = api.patch(person_url(person), {"tags": None}).json()
    cleared = api.patch(person_url(person), {"tags": []}).json()

    assert tagged["tags"] == ["bénévoles", "conseil"]
    assert untouched["tags"] == ["bénévoles", "conseil"]
    assert also_untouched["tags"] == ["bénévoles", "conseil"]
    assert cleared["tags"] == []


def test_patch_null_clears_a_field(api, person):
    api.patch(person_url(person), {"birth_date": "1990-05-17", "address_line2": "Bât. B"})
    body = api.patch(person_url(person), {"birth_date": None, "address_line2": None}).json()
    assert body["birth_date"] is None
    assert body["address_line2"] == ""


def test_patch_with_nothing_is_a_no_op(api, association, person):
    before = api.get(person_url(person)).json()
    response = api.patch(person_url(person), {})
    assert response.status_code == 200
    assert response.json()["email"] == before["email"]
    assert audit_rows(association, "person.update") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "non"}, "email"),
        ({"postcode": "999"}, "postcode"),
        ({"birth_date": (timezone.localdate() + timedelta(days=1)).isoformat()}, "birth_date"),
        ({"first_name": "\x00"}, "first_name"),
        ({"last_name": "x" * 151}, "last_name"),
        ({"first_name": None, "last_name": None, "email": None}, "last_name"),
    ],
)
def test_patch_refuses_bad_data(api, person, body, field):
    response = api.patch(person_url(person), body)
    assert field in error_fields(response)
    assert api.get(person_url(person)).json()["first_name"] == "Émilie"


def test_patch_of_an_erased_contact_is_refused(api, person):
    api.delete(person_url(person))
    response = api.patch(person_url(person), {"first_name": "Revenante"})
    assert_error_shape(response, 422)


# --- Erase --------------------------------------------------------------------------------


def test_delete_erases_the_contact(api, association, presidente, person, in_scope):
    api.patch(person_url(person), {"phone": "0612345678", "tags": ["bénévoles"]})
    api.post(
        person_url(person, "/consents"),
        {"topic": "newsletter", "granted": True, "source": "online"},
    )

    response = api.delete(person_url(person))

    assert response.status_code == 204
    assert response.content == b""
    body = api.get(person_url(person)).json()
    assert body["erased"] is True
    for field in ("first_name", "last_name", "email", "phone", "city", "postcode", "notes"):
        assert body[field] == "", field
    assert body["birth_date"] is None
    assert body["tags"] == []
    assert api.get(person_url(person, "/consents")).json() == []
    assert str(person.uuid) not in api.get(PERSONS).content.decode()
    (row,) = audit_rows(association, "person.erase")
    assert row.actor == presidente
    assert "Émilie" not in row.object_repr


def test_delete_twice_is_still_204(api, association, person):
    assert api.delete(person_url(person)).status_code == 204
    assert api.delete(person_url(person)).status_code == 204
    assert len(audit_rows(association, "person.erase")) == 1


def test_delete_an_unknown_contact_is_404(api):
    assert_error_shape(api.delete(person_url(uuid.uuid4())), 404)


# --- Consents -----------------------------------------------------------------------------


def test_consents_record_and_list(api, association, presidente, person):
    first = api.post(
        person_url(person, "/consents"),
        {"topic": "newsletter", "granted": True, "source": "online", "note": "formulaire"},
    )
    second = api.post(
        person_url(person, "/consents"),
        {"topic": "newsletter", "granted": False, "source": "email"},
    )

    assert first.status_code == 201, first.content
    assert first.json()["topic"] == "newsletter"
    assert first.json()["granted"] is True
    assert first.json()["note"] == "formulaire"
    assert second.status_code == 201
    listed = api.get(person_url(person, "/consents")).json()
    assert [(c["topic"], c["granted"], c["source"]) for c in listed] == [
        ("newsletter", False, "email"),
        ("newsletter", True, "online"),
    ]
    rows = audit_rows(association, "consent.record")
    assert len(rows) == 2
    assert {row.actor for row in rows} == {presidente}
    with scopes_disabled():
        assert {c.recorded_by for c in Consent.objects.filter(person=person)} == {presidente}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"topic": "spam", "granted": True, "source": "online"}, "topic"),
        ({"topic": "newsletter", "granted": True, "source": "pigeon"}, "source"),
        ({"topic": "newsletter", "granted": "peut-être", "source": "online"}, "granted"),
        ({"topic": "newsletter", "source": "online"}, "granted"),
        ({"topic": "sms", "granted": True, "source": "online", "note": "x\x00"}, "note"),
        ({"topic": "sms", "granted": True, "source": "online", "note": "x" * 256}, "note"),
    ],
)
def test_consent_refuses_bad_data(api, person, body, field):
    response = api.post(person_url(person, "/consents"), body)
    assert field in error_fields(response)
    assert api.get(person_url(person, "/consents")).json() == []


def test_consent_on_an_erased_contact_is_refused(api, person):
    api.delete(person_url(person))
    response = api.post(
        person_url(person, "/consents"),
        {"topic": "photos", "granted": True, "source": "paper", "note": "Émilie, 3 rue…"},
    )
    assert_error_shape(response, 422)
    with scopes_disabled():
        assert not Consent.objects.filter(person=person).exists()


# --- Association --------------------------------------------------------------------------


def test_association_endpoint(api, association):
    response = api.get("/api/v1/association")
    assert response.status_code == 200
    body = response.json()
    assert body["uuid"] == str(association.uuid)
    assert body["name"] == "Les Amis du Quartier"
    assert body["slug"] == association.slug
    assert body["rna"] == "W751234567"


def test_association_endpoint_is_the_tokens_own(outsider, other_association, association):
    body = ApiClient(token_for(outsider, other_association)).get("/api/v1/association").json()
    assert body["uuid"] == str(other_association.uuid)


# --- Tokens, tenancy and capabilities -----------------------------------------------------


@pytest.fixture
def outsider_api(outsider, other_association):
    return ApiClient(token_for(outsider, other_association))


def test_another_associations_token_gets_404_on_every_contact_endpoint(
    outsider_api, association, person
):
    consent = {"topic": "newsletter", "granted": True, "source": "online"}
    responses = [
        outsider_api.get(person_url(person)),
        outsider_api.patch(person_url(person), {"first_name": "Piratée"}),
        outsider_api.delete(person_url(person)),
        outsider_api.get(person_url(person, "/consents")),
        outsider_api.post(person_url(person, "/consents"), consent),
    ]

    for response in responses:
        assert_error_shape(response, 404)
    assert str(person.uuid) not in outsider_api.get(PERSONS).content.decode()
    person.refresh_from_db()
    assert person.first_name == "Émilie"
    assert person.erased_at is None


def test_another_associations_token_cannot_reach_by_search(outsider_api, person):
    assert outsider_api.get(PERSONS, {"q": "emilie"}).json() == {"items": [], "count": 0}


def test_token_whose_creator_left_the_team_is_401(
    presidente, association, tresorier, person, in_scope
):
    client = ApiClient(token_for(tresorier, association))
    assert client.get(PERSONS).status_code == 200
    with in_scope(association):
        assignment = RoleAssignment.objects.get(association=association, user=tresorier)
        core_services.assignment_remove(
            association=association, acting_user=presidente, assignment=assignment
        )

    assert_error_shape(client.get(PERSONS), 401)
    assert_error_shape(client.post(PERSONS, {"last_name": "Nouveau"}), 401)


def test_token_of_a_deactivated_account_is_401(tresorier, association, person):
    client = ApiClient(token_for(tresorier, association))
    tresorier.is_active = False
    tresorier.save()
    assert_error_shape(client.get(PERSONS), 401)


def test_token_loses_what_its_creators_role_loses(presidente, association, tresorier, in_scope):
    """Effective capabilities = the token's ∩ the creator's current role."""
    client = ApiClient(token_for(tresorier, association))
    assert client.post(PERSONS, {"last_name": "Avant"}).status_code == 201
    with in_scope(association):
        conseil = Role.objects.get(association=association, preset="conseil")
        assignment = RoleAssignment.objects.get(association=association, user=tresorier)
        core_services.assignment_change_role(
            association=association, acting_user=presidente, assignment=assignment, role=conseil
        )

    assert_error_shape(client.post(PERSONS, {"last_name": "Après"}), 403)
    assert client.get(PERSONS).status_code == 200


def test_token_without_can_manage_members_is_403_on_writes(presidente, association, person):
    client = ApiClient(token_for(presidente, association, {"can_view_members"}))

    assert client.get(PERSONS).status_code == 200
    assert client.get(person_url(person)).status_code == 200
    consent = {"topic": "newsletter", "granted": True, "source": "online"}
    for response in (
        client.post(PERSONS, {"last_name": "Nouveau"}),
        client.patch(person_url(person), {"first_name": "Changée"}),
        client.delete(person_url(person)),
        client.post(person_url(person, "/consents"), consent),
    ):
        body = assert_error_shape(response, 403)
        assert "can_manage_members" in body["detail"]
    person.refresh_from_db()
    assert person.first_name == "Émilie"
    assert person.erased_at is None


def test_token_without_can_view_members_is_403_on_reads(presidente, association, person):
    client = ApiClient(token_for(presidente, association, {"can_send_mailings"}))
    for path in (
        PERSONS,
        person_url(person),
        person_url(person, "/consents"),
        "/api/v1/association",
    ):
        assert_error_shape(client.get(path), 403)


def test_tresorier_token_reads_and_writes_contacts(tresorier, association, person):
    client = ApiClient(token_for(tresorier, association))

    assert str(person.uuid) in client.get(PERSONS).content.decode()
    created = client.post(PERSONS, {"last_name": "Trésor", "email": "t@example.org"})
    assert created.status_code == 201
    assert client.patch(person_url(person), {"city": "Vannes"}).status_code == 200
    assert client.delete(person_url(created.json()["uuid"])).status_code == 204
    for action, uuid_ in (
        ("person.create", created.json()["uuid"]),
        ("person.update", str(person.uuid)),
        ("person.erase", created.json()["uuid"]),
    ):
        (row,) = audit_rows(association, action, object_id=uuid_)
        assert row.actor == tresorier, action


def test_revoked_token_is_401(presidente, association, person):
    clear = token_for(presidente, association)
    client = ApiClient(clear)
    with scopes_disabled():
        ApiToken.objects.filter(token_hash=hash_token(clear)).update(revoked_at=timezone.now())
    assert_error_shape(client.get(PERSONS), 401)


def test_expired_token_is_401(presidente, association, person):
    clear = token_for(presidente, association, days=30)
    client = ApiClient(clear)
    assert client.get(PERSONS).status_code == 200
    with scopes_disabled():
        ApiToken.objects.filter(token_hash=hash_token(clear)).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    assert_error_shape(client.get(PERSONS), 401)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer essaim_not-a-real-token",
        "Bearer " + "x" * 5000,
        "Basic dXNlcjpwYXNz",
        "Token {token}",
    ],
)
def test_missing_or_bad_token_is_401(presidente_token, person, authorization):
    client = ApiClient(None)
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization.format(token=presidente_token)
    for path in (PERSONS, person_url(person), "/api/v1/association"):
        assert_error_shape(client.client.get(path, headers=headers), 401)


def test_last_used_is_recorded(presidente, association, person):
    clear = token_for(presidente, association)
    ApiClient(clear).get(PERSONS)
    with scopes_disabled():
        api_token = ApiToken.objects.get(token_hash=hash_token(clear))
    assert api_token.last_used_at is not None
    assert timezone.now() - api_token.last_used_at < dt.timedelta(minutes=1)


def test_rate_limit_is_per_token_not_per_token_name(
    monkeypatch, presidente, association, outsider, other_association
):
    """Two associations each name their token "Site web": each has its own budget."""
    (throttle,) = api_module.api.throttle
    monkeypatch.setattr(throttle, "num_requests", 2)
    ours = ApiClient(token_for(presidente, association, name="Site web"))
    theirs = ApiClient(token_for(outsider, other_association, name="Site web"))

    assert [ours.get(PERSONS).status_code for _ in range(2)] == [200, 200]
    limited = ours.get(PERSONS)
    assert theirs.get(PERSONS).status_code == 200

    assert_error_shape(limited, 429)
    assert int(limited["Retry-After"]) > 0


def test_api_needs_no_csrf_token(presidente_token):
    """A token is the credential: a script has no CSRF cookie to send."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        PERSONS,
        '{"last_name": "Sans cookie"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {presidente_token}"},
    )
    assert response.status_code == 201
