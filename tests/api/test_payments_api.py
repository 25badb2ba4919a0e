"""API of payments and SEPA mandates: the ledger, idempotent recording, mandates without
their IBAN, with the cross-tenant and capability personas."""

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.payments import mandates as mandate_services
from essaim.payments import services as payment_services
from essaim.payments.models import Mandate, Payment
from tests.api.conftest import ApiClient, assert_error_shape, error_fields, token_for

PAYMENTS = "/api/v1/payments"
MANDATES = "/api/v1/sepa-mandates"
IBAN = "FR7630006000011234567890189"
IBAN_SPACED = "FR76 3000 6000 0112 3456 7890 189"


def payment_count(association, **filters) -> int:
    with scopes_disabled():
        return Payment.objects.filter(association=association, **filters).count()


@pytest.fixture
def api(presidente, association):
    return ApiClient(token_for(presidente, association))


@pytest.fixture
def theirs(outsider, other_association):
    """The president of another association, with every capability there."""
    return ApiClient(token_for(outsider, other_association))


@pytest.fixture
def no_finances(secretaire, association):
    """A team member whose role does not handle money."""
    return ApiClient(token_for(secretaire, association))


@pytest.fixture
def record(association, tresorier):
    def make(**fields):
        fields.setdefault("amount_cents", 2000)
        fields.setdefault("method", "cheque")
        with scope(association=association):
            return payment_services.payment_record(
                association=association, acting_user=tresorier, **fields
            )

    return make


@pytest.fixture
def mandate(association, presidente, person):
    with scope(association=association):
        return mandate_services.mandate_create(
            association=association,
            acting_user=presidente,
            iban=IBAN,
            signed_on=timezone.localdate() - dt.timedelta(days=3),
            person=person,
        )


# --- Payments: record, read -----------------------------------------------------------------


def test_record_an_offline_payment_and_read_it(api, association, person):
    response = api.post(
        PAYMENTS,
        {
            "amount_cents": 2500,
            "method": "cheque",
            "person": str(person.uuid),
            "reference": "Chèque n° 1234567",
            "paid_on": "2026-01-15",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount_cents"] == 2500
    assert body["currency"] == "EUR"
    assert body["method"] == "cheque"
    assert body["status"] == "succeeded"
    assert body["paid_on"] == "2026-01-15"
    assert body["person"] == str(person.uuid)
    assert body["payer_name"] == "Émilie Le Goff"
    assert body["provider"] == ""
    assert body["reference"] == "Chèque n° 1234567"
    detail = api.get(f"{PAYMENTS}/{body['uuid']}")
    assert detail.status_code == 200
    assert detail.json() == body
    listed = api.get(PAYMENTS).json()
    assert listed["count"] == 1
    assert listed["items"] == [body]
    with scopes_disabled():
        payment = Payment.objects.get(uuid=body["uuid"])
    assert payment.association == association
    assert payment.recorded_by.email == "presidente@example.org"


def test_paid_on_defaults_to_today_and_person_is_optional(api):
    response = api.post(PAYMENTS, {"amount_cents": 1, "method": "cash", "payer_name": "Quête"})

    assert response.status_code == 201, response.json()
    assert response.json()["paid_on"] == timezone.localdate().isoformat()
    assert response.json()["person"] is None
    assert response.json()["payer_name"] == "Quête"


# --- Payments: idempotency ------------------------------------------------------------------


def test_the_same_idempotency_key_records_one_payment(api, association):
    headers = {"Idempotency-Key": "9f0c3b9e-6a51-4d0e-8a40-2f6f7b0c1d2e"}
    payload = {"amount_cents": 4200, "method": "transfer"}

    first = api.post(PAYMENTS, payload, headers=headers)
    again = api.post(PAYMENTS, payload, headers=headers)

    assert first.status_code == 201, first.json()
    assert again.status_code == 200, again.json()
    assert again.json() == first.json()
    assert payment_count(association) == 1


def test_the_key_may_be_a_field_of_the_body(api, association):
    payload = {"amount_cents": 4200, "method": "transfer", "idempotency_key": "commande-42"}

    first = api.post(PAYMENTS, payload)
    again = api.post(PAYMENTS, payload)
    by_header = api.post(
        PAYMENTS,
        {"amount_cents": 4200, "method": "transfer"},
        headers={"Idempotency-Key": "commande-42"},
    )

    assert (first.status_code, again.status_code, by_header.status_code) == (201, 200, 200)
    assert first.json()["uuid"] == again.json()["uuid"] == by_header.json()["uuid"]
    assert payment_count(association) == 1


def test_without_a_key_each_request_records_a_payment(api, association):
    payload = {"amount_cents": 4200, "method": "cash"}

    assert api.post(PAYMENTS, payload).status_code == 201
    assert api.post(PAYMENTS, payload).status_code == 201
    assert payment_count(association) == 2


def test_a_key_reused_for_another_amount_is_refused(api, association):
    headers = {"Idempotency-Key": "commande-43"}
    api.post(PAYMENTS, {"amount_cents": 4200, "method": "cash"}, headers=headers)

    response = api.post(PAYMENTS, {"amount_cents": 4300, "method": "cash"}, headers=headers)

    assert error_fields(response) == {"amount_cents"}
    assert "42,00" in response.json()["errors"][0]["msg"]
    assert payment_count(association) == 1


def test_header_and_field_must_agree(api, association):
    response = api.post(
        PAYMENTS,
        {"amount_cents": 4200, "method": "cash", "idempotency_key": "a"},
        headers={"Idempotency-Key": "b"},
    )

    assert error_fields(response) == {"idempotency_key"}
    assert payment_count(association) == 0


@pytest.mark.parametrize("key", ["", "with space", "x" * 201, "clé"])
def test_a_malformed_key_is_refused(api, association, key):
    response = api.post(PAYMENTS, {"amount_cents": 4200, "method": "cash", "idempotency_key": key})

    assert error_fields(response) == {"idempotency_key"}
    assert payment_count(association) == 0


def test_client_keys_never_find_the_screens_payments(api, association, record):
    """The key of a gift form or of a debit is not a client's: the same text through the
    API records a payment of its own."""
    screen = record(amount_cents=4200, idempotency_key="gift-form-1")

    response = api.post(
        PAYMENTS,
        {"amount_cents": 4200, "method": "cash"},
        headers={"Idempotency-Key": "gift-form-1"},
    )

    assert response.status_code == 201
    assert response.json()["uuid"] != str(screen.uuid)
    assert payment_count(association) == 2


def test_keys_are_per_association(api, theirs, association, other_association):
    headers = {"Idempotency-Key": "same-key"}
    ours = api.post(PAYMENTS, {"amount_cents": 100, "method": "cash"}, headers=headers)
    other = theirs.post(PAYMENTS, {"amount_cents": 100, "method": "cash"}, headers=headers)

    assert ours.status_code == other.status_code == 201
    assert ours.json()["uuid"] != other.json()["uuid"]
    assert payment_count(association) == payment_count(other_association) == 1


# --- Payments: bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": -500}, "amount_cents"),
        ({"amount_cents": 10**12}, "amount_cents"),
        ({"amount_cents": payment_services.MAX_AMOUNT_CENTS + 1}, "amount_cents"),
        ({"amount_cents": "2500"}, "amount_cents"),
        ({"amount_cents": 25.5}, "amount_cents"),
        ({"amount_cents": True}, "amount_cents"),
        ({"amount_cents": None}, "amount_cents"),
        ({"method": "bitcoin"}, "method"),
        ({"method": "card_online"}, "method"),  # online payments come from the services
        ({"method": "sepa_debit"}, "method"),  # debits come from the debit batches
        ({"method": 3}, "method"),
        ({"paid_on": "yesterday"}, "paid_on"),
        ({"paid_on": "2026-02-30"}, "paid_on"),
        ({"person": "nope"}, "person"),
        ({"reference": "x" * 141}, "reference"),
        ({"payer_name": "x" * 201}, "payer_name"),
        ({"note": "x" * 256}, "note"),
        ({"note": "bad\x00note"}, "note"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, association, changes, field):
    payload = {"amount_cents": 2500, "method": "cheque", **changes}

    response = api.post(PAYMENTS, payload)

    assert error_fields(response) == {field}
    assert payment_count(association) == 0


def test_a_date_in_the_future_is_refused_with_the_services_message(api, association):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = api.post(
        PAYMENTS, {"amount_cents": 2500, "method": "cash", "paid_on": tomorrow.isoformat()}
    )

    body = assert_error_shape(response, 422)
    assert [error["loc"] for error in body["errors"]] == [["body", "paid_on"]]
    assert "futur" in body["errors"][0]["msg"]  # translated: « … dans le futur. »
    assert payment_count(association) == 0


@pytest.mark.parametrize("body", [{}, [], "not json", {"amount_cents": 2500}])
def test_a_missing_or_malformed_body_is_refused(api, association, body):
    response = api.post(PAYMENTS, body)

    assert response.status_code in (400, 422)
    assert_error_shape(response, response.status_code)
    assert payment_count(association) == 0


# --- Payments: list -----------------------------------------------------------------------


def test_list_filters(api, association, person, record):
    today = timezone.localdate()
    cheque = record(paid_on=today - dt.timedelta(days=40), person=person)
    cash = record(method="cash", paid_on=today - dt.timedelta(days=5))
    awaited = record(method="transfer", status="pending")

    def uuids(params):
        response = api.get(PAYMENTS, params)
        assert response.status_code == 200, response.json()
        return [item["uuid"] for item in response.json()["items"]]

    # Awaited first, then by date of payment, newest first.
    assert uuids({}) == [str(awaited.uuid), str(cash.uuid), str(cheque.uuid)]
    assert uuids({"status": "pending"}) == [str(awaited.uuid)]
    assert uuids({"status": "succeeded"}) == [str(cash.uuid), str(cheque.uuid)]
    assert uuids({"method": "cash"}) == [str(cash.uuid)]
    assert uuids({"person": str(person.uuid)}) == [str(cheque.uuid)]
    since = (today - dt.timedelta(days=10)).isoformat()
    assert uuids({"since": since}) == [str(cash.uuid)]
    assert uuids({"until": since}) == [str(cheque.uuid)]
    assert uuids({"since": since, "until": since}) == []
    assert uuids({"status": "refunded"}) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "happy"}, "status"),
        ({"method": "bitcoin"}, "method"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"person": "nope"}, "person"),
        ({"page": 0}, "page"),
        ({"page": 10**30}, "page"),
        ({"page": "deux"}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 201}, "page_size"),
    ],
)
def test_list_refuses_bad_parameters(api, params, field):
    assert error_fields(api.get(PAYMENTS, params)) == {field}


def test_list_paginates(api, association):
    with scopes_disabled():
        payment_services.payment_record_many(
            association=association,
            acting_user=None,
            rows=[
                {"amount_cents": 100 + i, "method": "cash", "paid_on": timezone.localdate()}
                for i in range(7)
            ],
        )

    first = api.get(PAYMENTS, {"page_size": 3}).json()
    last = api.get(PAYMENTS, {"page_size": 3, "page": 3}).json()
    beyond = api.get(PAYMENTS, {"page_size": 3, "page": 4}).json()

    assert first["count"] == last["count"] == beyond["count"] == 7
    assert len(first["items"]) == 3
    assert len(last["items"]) == 1
    assert beyond["items"] == []


def test_list_costs_a_fixed_number_of_queries(
    api, association, person, record, django_assert_max_num_queries
):
    for _ in range(12):
        record(person=person)
    with django_assert_max_num_queries(8):
        response = api.get(PAYMENTS)
    assert response.json()["count"] == 12


# --- Payments: tenancy and capability --------------------------------------------------------


def test_another_associations_token_sees_none_of_our_payments(theirs, association, person, record):
    ours = record(person=person)

    assert_error_shape(theirs.get(f"{PAYMENTS}/{ours.uuid}"), 404)
    listed = theirs.get(PAYMENTS, {"person": str(person.uuid)})
    assert listed.status_code == 200
    assert listed.json()["count"] == 0
    assert str(ours.uuid) not in theirs.get(PAYMENTS).content.decode()


def test_another_associations_token_cannot_use_our_contact(
    theirs, association, other_association, person
):
    response = theirs.post(
        PAYMENTS, {"amount_cents": 100, "method": "cash", "person": str(person.uuid)}
    )

    assert_error_shape(response, 404)
    assert payment_count(association) == payment_count(other_association) == 0


def test_payments_need_the_finance_capability(no_finances, association, record):
    payment = record()

    for response in (
        no_finances.get(PAYMENTS),
        no_finances.get(f"{PAYMENTS}/{payment.uuid}"),
        no_finances.post(PAYMENTS, {"amount_cents": 100, "method": "cash"}),
    ):
        body = assert_error_shape(response, 403)
        assert "can_manage_finances" in body["detail"]
    assert payment_count(association) == 1


def test_a_token_without_the_capability_is_refused_even_for_a_president(presidente, association):
    limited = ApiClient(token_for(presidente, association, ["can_view_members"]))

    assert_error_shape(limited.get(PAYMENTS), 403)
    assert_error_shape(limited.post(MANDATES, {"iban": IBAN, "signed_on": "2026-01-01"}), 403)


def test_no_token_is_a_401(association):
    assert_error_shape(ApiClient(None).get(PAYMENTS), 401)


# --- SEPA mandates --------------------------------------------------------------------------


def test_create_a_mandate_never_sends_the_iban_back(api, association, person):
    response = api.post(
        MANDATES,
        {
            "iban": IBAN_SPACED,
            "signed_on": "2026-01-15",
            "kind": "recurring",
            "person": str(person.uuid),
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert "iban" not in body
    assert body["iban_masked"] == "…0189"
    assert body["debtor_name"] == "Emilie Le Goff"  # SEPA characters only
    assert body["person"] == str(person.uuid)
    assert body["status"] == "active"
    assert body["kind"] == "recurring"
    assert body["signed_on"] == "2026-01-15"
    assert body["rum"]
    assert body["bic"]  # found from the IBAN
    for response in (api.get(f"{MANDATES}/{body['uuid']}"), api.get(MANDATES)):
        content = response.content.decode()
        assert "30006000011234567890" not in content
        assert "FR76" not in content
    with scopes_disabled():
        stored = Mandate.objects.get(uuid=body["uuid"])
    assert stored.iban.reveal() == IBAN


def test_a_one_off_mandate_without_a_contact(api):
    response = api.post(
        MANDATES,
        {"iban": IBAN, "signed_on": "2026-01-15", "kind": "one_off", "debtor_name": "Jürgen"},
    )

    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "one_off"
    assert response.json()["person"] is None


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"iban": "FR7630006000011234567890188"}, "iban", "clé de contrôle"),
        ({"iban": "ZZ7630006000011234567890189"}, "iban", "code pays"),
        ({"iban": "FR76300060000112345"}, "iban", "nombre de caractères"),
        ({"iban": "hello"}, "iban", "IBAN"),
        ({"iban": ""}, "iban", "IBAN"),
        ({"iban": "x" * 65}, "iban", ""),
        ({"bic": "NOTABIC"}, "bic", "BIC"),
        ({"signed_on": "2999-01-01"}, "signed_on", "futur"),
        ({"signed_on": "hier"}, "signed_on", ""),
        ({"kind": "weekly"}, "kind", ""),
        ({"debtor_name": "x" * 201}, "debtor_name", ""),
    ],
)
def test_a_bad_mandate_is_a_422_saying_what_is_wrong(api, association, changes, field, words):
    """The services' messages, translated (the API speaks the association's French)."""
    payload = {"iban": IBAN, "signed_on": "2026-01-15", "debtor_name": "Jean Dupont", **changes}

    response = api.post(MANDATES, payload)

    assert error_fields(response) == {field}
    assert words in response.json()["errors"][0]["msg"]
    with scopes_disabled():
        assert not Mandate.objects.filter(association=association).exists()


def test_a_mandate_needs_an_account_holder(api):
    response = api.post(MANDATES, {"iban": IBAN, "signed_on": "2026-01-15"})

    assert error_fields(response) == {"debtor_name"}


def test_list_and_revoke_mandates(api, association, presidente, mandate):
    with scope(association=association):
        other = mandate_services.mandate_create(
            association=association,
            acting_user=presidente,
            iban="DE89370400440532013000",
            signed_on=timezone.localdate() - dt.timedelta(days=1),
            debtor_name="Jürgen Weiß",
        )

    listed = api.get(MANDATES).json()
    assert [item["uuid"] for item in listed["items"]] == [str(other.uuid), str(mandate.uuid)]

    revoked = api.post(f"{MANDATES}/{mandate.uuid}/revoke")
    assert revoked.status_code == 200, revoked.json()
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["revoked_at"]
    again = api.post(f"{MANDATES}/{mandate.uuid}/revoke")
    assert again.status_code == 200
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]

    def uuids(params):
        return [item["uuid"] for item in api.get(MANDATES, params).json()["items"]]

    assert uuids({"status": "revoked"}) == [str(mandate.uuid)]
    assert uuids({"status": "active"}) == [str(other.uuid)]
    assert uuids({"status": "lapsed"}) == []
    assert uuids({"person": str(mandate.person.uuid)}) == [str(mandate.uuid)]
    assert error_fields(api.get(MANDATES, {"status": "gone"})) == {"status"}
    assert api.get(f"{MANDATES}/{mandate.uuid}").json()["status"] == "revoked"


def test_mandates_of_another_association_are_404(theirs, association, mandate, person):
    assert_error_shape(theirs.get(f"{MANDATES}/{mandate.uuid}"), 404)
    assert_error_shape(theirs.post(f"{MANDATES}/{mandate.uuid}/revoke"), 404)
    assert theirs.get(MANDATES).json()["count"] == 0
    response = theirs.post(
        MANDATES, {"iban": IBAN, "signed_on": "2026-01-15", "person": str(person.uuid)}
    )
    assert_error_shape(response, 404)
    with scopes_disabled():
        assert Mandate.objects.get(pk=mandate.pk).status == Mandate.Status.ACTIVE
        assert Mandate.objects.count() == 1


def test_mandates_need_the_finance_capability(no_finances, mandate):
    for response in (
        no_finances.get(MANDATES),
        no_finances.get(f"{MANDATES}/{mandate.uuid}"),
        no_finances.post(f"{MANDATES}/{mandate.uuid}/revoke"),
        no_finances.post(MANDATES, {"iban": IBAN, "signed_on": "2026-01-15"}),
    ):
        assert_error_shape(response, 403)
    with scopes_disabled():
        assert Mandate.objects.get(pk=mandate.pk).status == Mandate.Status.ACTIVE


def test_unknown_objects_are_404(api):
    for path in (
        f"{PAYMENTS}/00000000-0000-0000-0000-000000000000",
        f"{MANDATES}/00000000-0000-0000-0000-000000000000",
    ):
        assert_error_shape(api.get(path), 404)
    assert_error_shape(api.post(f"{MANDATES}/00000000-0000-0000-0000-000000000000/revoke"), 404)
    assert_error_shape(api.get(f"{PAYMENTS}/not-a-uuid"), 422)
