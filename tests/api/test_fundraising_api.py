"""API of gifts, tax receipts and fundraising campaigns, with the cross-tenant and
capability personas."""

import datetime as dt
import hashlib

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import OutboxEmail
from essaim.fundraising import campaigns as campaign_services
from essaim.fundraising import services
from essaim.fundraising.models import Campaign, Gift, TaxReceipt
from essaim.payments import mandates as mandate_services
from essaim.payments.models import Payment
from essaim.people import services as people_services
from tests.api.conftest import ApiClient, assert_error_shape, error_fields, token_for

GIFTS = "/api/v1/gifts"
RECEIPTS = "/api/v1/tax-receipts"
CAMPAIGNS = "/api/v1/campaigns"
YESTERDAY = timezone.localdate() - dt.timedelta(days=1)
UNKNOWN = "00000000-0000-0000-0000-000000000000"


def count(model, association, **filters) -> int:
    with scopes_disabled():
        return model.objects.filter(association=association, **filters).count()


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def api(presidente, association):
    return ApiClient(token_for(presidente, association))


@pytest.fixture
def theirs(outsider, other_association):
    return ApiClient(token_for(outsider, other_association))


@pytest.fixture
def no_finances(secretaire, association):
    return ApiClient(token_for(secretaire, association))


@pytest.fixture
def finances_only(presidente, association):
    """A token that handles money but may not issue tax receipts."""
    return ApiClient(token_for(presidente, association, ["can_manage_finances"]))


@pytest.fixture
def eligible(association, presidente):
    """`association`, declared eligible, with what a receipt prints about it."""
    with scopes_disabled():
        association.rna = "W751234567"
        association.objet = "Animer la vie du quartier Saint-Ambroise et aider ses habitants."
        association.address_line1 = "12 rue Saint-Maur"
        association.postcode = "75011"
        association.city = "Paris"
        association.save()
    with scope(association=association):
        services.fiscal_settings_update(
            association=association,
            acting_user=presidente,
            eligible=True,
            signatory_name="Hélène Martin",
            signatory_title="Présidente",
            place="Paris",
        )
    return association


@pytest.fixture
def donor(association, presidente):
    with scope(association=association):
        return people_services.person_create(
            association=association,
            acting_user=presidente,
            first_name="Émilie",
            last_name="Nguyễn",
            email="emilie@example.org",
            address_line1="3 rue Oberkampf",
            postcode="75011",
            city="Paris",
        )


@pytest.fixture
def give(association, tresorier):
    def make(**fields):
        fields.setdefault("amount_cents", 5000)
        fields.setdefault("received_on", YESTERDAY)
        fields.setdefault("method", "cheque")
        fields.setdefault("person", None)
        with scope(association=association):
            return services.gift_record(association=association, acting_user=tresorier, **fields)

    return make


@pytest.fixture
def gift(donor, give):
    return give(person=donor)


@pytest.fixture
def receipt(eligible, gift, tresorier):
    with scope(association=eligible):
        return services.receipt_issue(association=eligible, acting_user=tresorier, gifts=[gift])


@pytest.fixture
def campaign(association, presidente):
    with scope(association=association):
        return campaign_services.campaign_create(
            association=association,
            acting_user=presidente,
            slug="toit-2026",
            title="Un toit pour le local",
            goal_cents=100_000,
        )


# --- Gifts ----------------------------------------------------------------------------------


def test_record_a_gift_of_money_and_read_it(api, association, donor):
    response = api.post(
        GIFTS,
        {
            "amount_cents": 5000,
            "nature": "money",
            "method": "cheque",
            "person": str(donor.uuid),
            "received_on": YESTERDAY.isoformat(),
            "reference": "0001234",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount_cents"] == 5000
    assert body["received_on"] == YESTERDAY.isoformat()
    assert body["nature"] == "money"
    assert body["form"] == "manual"
    assert body["donor_kind"] == "individual"
    assert body["person"] == str(donor.uuid)
    assert body["donor_name"] == "Émilie Nguyễn"
    assert body["payment"]["method"] == "cheque"
    assert body["payment"]["status"] == "succeeded"
    assert body["payment"]["paid_on"] == YESTERDAY.isoformat()
    assert body["receipt"] is None
    assert body["campaign"] is None
    assert api.get(f"{GIFTS}/{body['uuid']}").json() == body
    assert api.get(GIFTS).json()["items"] == [body]
    with scopes_disabled():
        payment = Payment.objects.get(uuid=body["payment"]["uuid"])
    assert payment.amount_cents == 5000
    assert payment.person == donor


def test_gifts_in_kind_from_a_company_and_anonymous(api, association, donor):
    in_kind = api.post(
        GIFTS,
        {
            "amount_cents": 12000,
            "nature": "in_kind",
            "description": "Deux ordinateurs portables",
            "donor_kind": "company",
            "company_name": "Informatique Solidaire SARL",
            "company_siren": "123456789",
            "company_legal_form": "SARL",
            "person": str(donor.uuid),
        },
    )
    anonymous = api.post(GIFTS, {"amount_cents": 735, "method": "cash"})

    assert in_kind.status_code == 201, in_kind.json()
    assert in_kind.json()["payment"] is None
    assert in_kind.json()["donor_name"] == "Informatique Solidaire SARL"
    assert in_kind.json()["received_on"] == timezone.localdate().isoformat()
    assert anonymous.status_code == 201, anonymous.json()
    assert anonymous.json()["person"] is None
    assert anonymous.json()["donor_name"] == ""
    assert count(Gift, association) == 2
    assert count(Payment, association) == 1


def test_the_same_idempotency_key_records_one_gift(api, association, donor):
    payload = {"amount_cents": 5000, "method": "transfer", "person": str(donor.uuid)}
    headers = {"Idempotency-Key": "don-2026-0042"}

    first = api.post(GIFTS, payload, headers=headers)
    again = api.post(GIFTS, payload, headers=headers)
    by_field = api.post(GIFTS, {**payload, "idempotency_key": "don-2026-0042"})
    other_amount = api.post(GIFTS, {**payload, "amount_cents": 6000}, headers=headers)

    assert (first.status_code, again.status_code, by_field.status_code) == (201, 200, 200)
    assert first.json() == again.json() == by_field.json()
    assert error_fields(other_amount) == {"amount_cents"}
    assert count(Gift, association) == 1
    assert count(Payment, association) == 1


def test_a_payment_key_does_not_find_a_gift(api, association):
    headers = {"Idempotency-Key": "k-1"}
    payment = api.post(
        "/api/v1/payments", {"amount_cents": 5000, "method": "cash"}, headers=headers
    )
    gift = api.post(GIFTS, {"amount_cents": 5000, "method": "cash"}, headers=headers)

    assert payment.status_code == gift.status_code == 201
    assert gift.json()["payment"]["uuid"] != payment.json()["uuid"]
    assert count(Payment, association) == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": -1}, "amount_cents"),
        ({"amount_cents": 10**15}, "amount_cents"),
        ({"amount_cents": 1_000_000_001}, "amount_cents"),
        ({"amount_cents": "50"}, "amount_cents"),
        ({"amount_cents": 50.5}, "amount_cents"),
        ({"amount_cents": False}, "amount_cents"),
        ({"nature": "love"}, "nature"),
        ({"method": "bitcoin"}, "method"),
        ({"method": None}, "method"),  # a gift of money says how it was paid
        ({"form": "oral"}, "form"),
        ({"donor_kind": "alien"}, "donor_kind"),
        ({"donor_kind": "company"}, "company_name"),
        ({"donor_kind": "company", "company_name": "X", "company_siren": "12345"}, "company_siren"),
        ({"company_siren": "1234\x00"}, "company_siren"),
        ({"company_siren": "SIREN"}, "company_siren"),
        ({"nature": "in_kind"}, "description"),
        ({"nature": "expenses", "description": "  "}, "description"),
        ({"received_on": "2999-01-01"}, "received_on"),
        ({"received_on": "demain"}, "received_on"),
        ({"person": "nope"}, "person"),
        ({"campaign": 42}, "campaign"),
        ({"note": "x" * 256}, "note"),
        ({"description": "a\x00b", "nature": "in_kind"}, "description"),
    ],
)
def test_bad_gifts_are_a_422_naming_the_field(api, association, changes, field):
    payload = {"amount_cents": 5000, "method": "cheque", **changes}

    response = api.post(GIFTS, payload)

    assert error_fields(response) == {field}
    assert count(Gift, association) == 0
    assert count(Payment, association) == 0


def test_an_erased_donor_is_refused(api, association, presidente, donor):
    with scope(association=association):
        people_services.person_erase(
            association=association, acting_user=presidente, person=donor, reason="test"
        )

    response = api.post(GIFTS, {"amount_cents": 5000, "method": "cash", "person": str(donor.uuid)})

    assert error_fields(response) == {"person"}
    assert count(Gift, association) == 0


def test_gift_filters(api, association, donor, give, campaign):
    last_year = YESTERDAY.replace(year=YESTERDAY.year - 1, day=1)
    old = give(person=donor, received_on=last_year)
    in_kind = give(nature="in_kind", description="Livres", method="")
    with scope(association=association):
        for_campaign = services.gift_record(
            association=association,
            acting_user=None,
            person=None,
            amount_cents=2000,
            received_on=YESTERDAY,
            method="card",
            campaign=campaign,
        )

    def uuids(params):
        response = api.get(GIFTS, params)
        assert response.status_code == 200, response.json()
        return {item["uuid"] for item in response.json()["items"]}

    assert uuids({}) == {str(old.uuid), str(in_kind.uuid), str(for_campaign.uuid)}
    assert uuids({"year": last_year.year}) == {str(old.uuid)}
    assert uuids({"year": YESTERDAY.year}) == {str(in_kind.uuid), str(for_campaign.uuid)}
    assert uuids({"person": str(donor.uuid)}) == {str(old.uuid)}
    assert uuids({"nature": "in_kind"}) == {str(in_kind.uuid)}
    assert uuids({"campaign": str(campaign.uuid)}) == {str(for_campaign.uuid)}
    assert uuids({"year": 1999}) == set()
    detail = api.get(f"{GIFTS}/{for_campaign.uuid}").json()
    assert detail["campaign"] == str(campaign.uuid)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"year": "last"}, "year"),
        ({"year": 10**20}, "year"),
        ({"year": 0}, "year"),
        ({"nature": "love"}, "nature"),
        ({"person": "nope"}, "person"),
        ({"campaign": "nope"}, "campaign"),
        ({"page_size": 500}, "page_size"),
    ],
)
def test_gift_list_refuses_bad_parameters(api, params, field):
    assert error_fields(api.get(GIFTS, params)) == {field}


def test_gift_list_paginates_in_a_fixed_number_of_queries(
    api, donor, give, campaign, django_assert_max_num_queries
):
    for amount in range(1, 8):
        give(person=donor, amount_cents=amount * 100)

    with django_assert_max_num_queries(8):
        first = api.get(GIFTS, {"page_size": 5}).json()
    second = api.get(GIFTS, {"page_size": 5, "page": 2}).json()

    assert first["count"] == second["count"] == 7
    assert len(first["items"]) == 5 and len(second["items"]) == 2


def test_gifts_of_another_association_are_404(theirs, association, gift, donor, campaign):
    assert_error_shape(theirs.get(f"{GIFTS}/{gift.uuid}"), 404)
    assert theirs.get(GIFTS).json()["count"] == 0
    assert theirs.get(GIFTS, {"person": str(donor.uuid)}).json()["count"] == 0
    # Our contact or our campaign in their gift: unknown to them.
    for payload in ({"person": str(donor.uuid)}, {"campaign": str(campaign.uuid)}):
        response = theirs.post(GIFTS, {"amount_cents": 100, "method": "cash", **payload})
        assert_error_shape(response, 404)
    with scopes_disabled():
        assert Gift.objects.count() == 1


def test_gifts_need_the_finance_capability(no_finances, association, gift):
    for response in (
        no_finances.get(GIFTS),
        no_finances.get(f"{GIFTS}/{gift.uuid}"),
        no_finances.post(GIFTS, {"amount_cents": 100, "method": "cash"}),
    ):
        body = assert_error_shape(response, 403)
        assert "can_manage_finances" in body["detail"]
    assert count(Gift, association) == 1


# --- Tax receipts ---------------------------------------------------------------------------


def test_an_ineligible_association_is_told_why(api, association, gift):
    response = api.post(RECEIPTS, {"gift": str(gift.uuid)})

    body = assert_error_shape(response, 422)
    with scope(association=association):
        problems = services.receipt_problems(association)
    assert problems
    assert [error["msg"] for error in body["errors"]] == problems
    assert count(TaxReceipt, association) == 0


def test_issue_read_and_download_a_receipt(api, eligible, gift, donor):
    response = api.post(RECEIPTS, {"gift": str(gift.uuid)})

    assert response.status_code == 201, response.json()
    body = response.json()
    year = timezone.localdate().year
    assert body["number"] == f"{year}-000001"
    assert body["year"] == year
    assert body["kind"] == "single"
    assert body["status"] == "valid"
    assert body["amount_cents"] == 5000
    assert body["person"] == str(donor.uuid)
    assert body["gifts"] == [str(gift.uuid)]
    assert body["donor"]["last_name"] == "NGUYỄN"
    assert body["donor"]["first_names"] == "Émilie"
    assert body["donor"]["address"] == ["3 rue Oberkampf"]
    assert body["donor"]["city"] == "Paris"
    assert body["replaces"] is None and body["replaced_by"] is None
    assert body["emailed_at"] is None
    assert api.get(f"{RECEIPTS}/{body['uuid']}").json() == body
    assert api.get(RECEIPTS).json()["items"] == [body]
    assert api.get(f"{GIFTS}/{gift.uuid}").json()["receipt"] == body["uuid"]
    assert api.get(f"{GIFTS}/{gift.uuid}").json()["receipt_number"] == body["number"]

    pdf = api.get(body["pdf_url"])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    content = body_of(pdf)
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == body["sha256"]
    assert not OutboxEmail.objects.filter(to="emilie@example.org").exists()


def test_issue_and_send_by_email(api, eligible, gift):
    response = api.post(RECEIPTS, {"gift": str(gift.uuid), "send_email": True})

    assert response.status_code == 201, response.json()
    assert response.json()["emailed_at"] is not None
    assert OutboxEmail.objects.filter(to="emilie@example.org").count() == 1


def test_a_gift_is_receipted_once(api, eligible, receipt, gift):
    response = api.post(RECEIPTS, {"gift": str(gift.uuid)})

    body = assert_error_shape(response, 422)
    assert len(body["errors"]) == 1
    assert count(TaxReceipt, eligible) == 1


def test_an_anonymous_gift_cannot_be_receipted(api, eligible, give):
    anonymous = give()

    response = api.post(RECEIPTS, {"gift": str(anonymous.uuid)})

    assert_error_shape(response, 422)
    assert count(TaxReceipt, eligible) == 0


def test_cancel_and_replace(api, eligible, receipt, donor, presidente):
    with scope(association=eligible):
        people_services.person_update(
            association=eligible, acting_user=presidente, person=donor, city="Lyon"
        )

    response = api.post(f"{RECEIPTS}/{receipt.uuid}/cancel", {"reason": "Adresse erronée"})

    assert response.status_code == 200, response.json()
    cancelled, replacement = response.json()["cancelled"], response.json()["replacement"]
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "Adresse erronée"
    assert cancelled["replaced_by"] == replacement["uuid"]
    assert replacement["status"] == "valid"
    assert replacement["replaces"] == str(receipt.uuid)
    assert replacement["donor"]["city"] == "Lyon"
    assert replacement["number"].endswith("-000002")
    assert api.get(f"{RECEIPTS}/{receipt.uuid}").json() == cancelled

    def numbers(params):
        return [item["number"] for item in api.get(RECEIPTS, params).json()["items"]]

    assert numbers({"status": "valid"}) == [replacement["number"]]
    assert numbers({"status": "cancelled"}) == [receipt.number]
    assert numbers({"year": receipt.year}) == [replacement["number"], receipt.number]
    assert numbers({"year": 2001}) == []
    assert numbers({"person": str(donor.uuid)}) == [replacement["number"], receipt.number]

    again = api.post(f"{RECEIPTS}/{receipt.uuid}/cancel", {"reason": "Encore"})
    assert_error_shape(again, 422)
    assert count(TaxReceipt, eligible) == 2


def test_cancel_without_replacement(api, eligible, receipt):
    response = api.post(
        f"{RECEIPTS}/{receipt.uuid}/cancel", {"reason": "Don remboursé", "reissue": False}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["replacement"] is None
    assert response.json()["cancelled"]["replaced_by"] is None
    assert count(TaxReceipt, eligible, status="valid") == 0


def test_a_replacement_that_cannot_be_issued_leaves_the_receipt_valid(api, eligible, receipt):
    with scope(association=eligible):
        services.fiscal_settings_update(association=eligible, acting_user=None, eligible=False)

    response = api.post(f"{RECEIPTS}/{receipt.uuid}/cancel", {"reason": "Adresse erronée"})

    assert_error_shape(response, 422)
    with scopes_disabled():
        receipt.refresh_from_db()
    assert receipt.status == TaxReceipt.Status.VALID
    assert count(TaxReceipt, eligible) == 1


@pytest.mark.parametrize(
    "payload",
    [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 256}, {"reason": "a\x00"}],
)
def test_a_cancel_needs_a_reason(api, eligible, receipt, payload):
    response = api.post(f"{RECEIPTS}/{receipt.uuid}/cancel", payload)

    assert error_fields(response) == {"reason"}
    assert count(TaxReceipt, eligible, status="valid") == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [({"year": "2026a"}, "year"), ({"status": "void"}, "status"), ({"page": -1}, "page")],
)
def test_receipt_list_refuses_bad_parameters(api, params, field):
    assert error_fields(api.get(RECEIPTS, params)) == {field}


def test_bad_issue_requests(api, eligible):
    assert error_fields(api.post(RECEIPTS, {})) == {"gift"}
    assert error_fields(api.post(RECEIPTS, {"gift": "nope"})) == {"gift"}
    assert_error_shape(api.post(RECEIPTS, {"gift": UNKNOWN}), 404)
    assert error_fields(api.post(RECEIPTS, {"gift": UNKNOWN, "send_email": "maybe"})) == {
        "send_email"
    }


def test_receipts_of_another_association_are_404(theirs, eligible, receipt, gift):
    for response in (
        theirs.get(f"{RECEIPTS}/{receipt.uuid}"),
        theirs.get(f"{RECEIPTS}/{receipt.uuid}/pdf"),
        theirs.post(f"{RECEIPTS}/{receipt.uuid}/cancel", {"reason": "Piratage"}),
        theirs.post(RECEIPTS, {"gift": str(gift.uuid)}),
    ):
        assert_error_shape(response, 404)
    assert theirs.get(RECEIPTS).json()["count"] == 0
    assert count(TaxReceipt, eligible, status="valid") == 1


def test_receipts_need_their_own_capability(finances_only, no_finances, eligible, receipt, gift):
    for client in (finances_only, no_finances):
        for response in (
            client.get(RECEIPTS),
            client.get(f"{RECEIPTS}/{receipt.uuid}"),
            client.get(f"{RECEIPTS}/{receipt.uuid}/pdf"),
            client.post(f"{RECEIPTS}/{receipt.uuid}/cancel", {"reason": "Erreur"}),
            client.post(RECEIPTS, {"gift": str(gift.uuid)}),
        ):
            body = assert_error_shape(response, 403)
            assert "can_issue_receipts" in body["detail"]
    # The treasurer's money token still reads the gift.
    assert finances_only.get(f"{GIFTS}/{gift.uuid}").status_code == 200
    assert count(TaxReceipt, eligible, status="valid") == 1


def test_receipt_list_costs_a_fixed_number_of_queries(
    api, eligible, donor, give, tresorier, django_assert_max_num_queries
):
    with scope(association=eligible):
        for amount in range(1, 7):
            services.receipt_issue(
                association=eligible,
                acting_user=tresorier,
                gifts=[give(person=donor, amount_cents=amount * 1000)],
            )

    with django_assert_max_num_queries(9):
        response = api.get(RECEIPTS)

    assert response.json()["count"] == 6
    assert all(len(item["gifts"]) == 1 for item in response.json()["items"])


def test_a_receipt_whose_pdf_is_gone_is_404(api, eligible, receipt):
    receipt.pdf.delete(save=False)

    assert_error_shape(api.get(f"{RECEIPTS}/{receipt.uuid}/pdf"), 404)


# --- Campaigns ------------------------------------------------------------------------------


def test_campaign_lifecycle(api, association):
    created = api.post(
        CAMPAIGNS,
        {
            "slug": "toit-2026",
            "title": "Un toit pour le local",
            "summary": "La toiture fuit.",
            "goal_cents": 500_000,
            "suggested_amounts": [2000, 5000, 10000],
            "ends_on": (timezone.localdate() + dt.timedelta(days=9)).isoformat(),
        },
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft"
    assert body["raised_cents"] == 0 and body["donors"] == 0 and body["percent"] == 0
    assert body["goal_cents"] == 500_000
    assert body["days_left"] == 10
    assert body["suggested_amounts"] == [2000, 5000, 10000]
    path = f"{CAMPAIGNS}/{body['uuid']}"
    assert api.get(path).json() == body
    changed = api.patch(path, {"title": "Un toit neuf", "goal_cents": None})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["title"] == "Un toit neuf"
    assert changed.json()["goal_cents"] is None
    assert changed.json()["summary"] == "La toiture fuit."  # not sent: unchanged
    assert api.post(f"{path}/publish").json()["status"] == "published"
    assert api.get(CAMPAIGNS, {"status": "published"}).json()["count"] == 1
    assert api.get(CAMPAIGNS, {"status": "draft"}).json()["count"] == 0
    assert api.post(f"{path}/close").json()["status"] == "closed"
    assert api.post(f"{path}/close").json()["status"] == "closed"
    assert api.post(f"{path}/publish").json()["status"] == "published"


def test_campaign_progress_is_the_services(api, association, campaign, donor, give):
    with scope(association=association):
        for person, amount in ((donor, 30_000), (donor, 10_000), (None, 2_500)):
            services.gift_record(
                association=association,
                acting_user=None,
                person=person,
                amount_cents=amount,
                received_on=YESTERDAY,
                method="cash",
                campaign=campaign,
            )
        give(person=donor, amount_cents=99_999)  # not for the campaign
        expected = campaign_services.campaign_progress(campaign)

    detail = api.get(f"{CAMPAIGNS}/{campaign.uuid}").json()
    listed = api.get(CAMPAIGNS).json()["items"]

    assert expected["raised_cents"] == 42_500 and expected["donors"] == 2
    for item in (detail, listed[0]):
        assert {key: item[key] for key in expected} == expected


def test_campaign_list_costs_a_fixed_number_of_queries(
    api, association, presidente, give, django_assert_max_num_queries
):
    with scope(association=association):
        for number in range(5):
            campaign = campaign_services.campaign_create(
                association=association,
                acting_user=presidente,
                slug=f"c{number}",
                title=f"Campagne {number}",
            )
            services.gift_record(
                association=association,
                acting_user=None,
                person=None,
                amount_cents=1000 * (number + 1),
                received_on=YESTERDAY,
                method="cash",
                campaign=campaign,
            )

    with django_assert_max_num_queries(8):
        response = api.get(CAMPAIGNS)

    items = response.json()["items"]
    assert [item["raised_cents"] for item in items] == [5000, 4000, 3000, 2000, 1000]
    assert all(item["donors"] == 1 for item in items)


def test_closing_a_draft_is_refused(api, campaign):
    response = api.post(f"{CAMPAIGNS}/{campaign.uuid}/close")

    assert_error_shape(response, 422)
    assert api.get(f"{CAMPAIGNS}/{campaign.uuid}").json()["status"] == "draft"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slug": "Toit 2026"}, "slug"),
        ({"slug": ""}, "slug"),
        ({"slug": "new"}, "slug"),  # reserved
        ({"slug": "toit-2026"}, "slug"),  # taken
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"goal_cents": 0}, "goal_cents"),
        ({"goal_cents": -100}, "goal_cents"),
        ({"goal_cents": "5000"}, "goal_cents"),
        ({"goal_cents": 10**13}, "goal_cents"),
        ({"goal_cents": 2**31}, "goal_cents"),  # a 32-bit integer on PostgreSQL
        ({"suggested_amounts": [0]}, "suggested_amounts"),
        ({"suggested_amounts": ["20"]}, "suggested_amounts"),
        ({"suggested_amounts": [2000, 2000]}, "suggested_amounts"),
        ({"suggested_amounts": list(range(100, 1000, 100))}, "suggested_amounts"),
        ({"starts_on": "2026-05-01", "ends_on": "2026-04-01"}, "ends_on"),
        ({"allow_monthly": "perhaps"}, "allow_monthly"),
        ({"story": "a\x00b"}, "story"),
    ],
)
def test_bad_campaigns_are_a_422_naming_the_field(api, association, campaign, changes, field):
    payload = {"slug": "ecole", "title": "École", **changes}

    response = api.post(CAMPAIGNS, payload)

    assert error_fields(response) == {field}
    assert count(Campaign, association) == 1


def test_bad_campaign_changes_are_a_422(api, campaign):
    path = f"{CAMPAIGNS}/{campaign.uuid}"
    for payload, field in (
        ({"title": None}, "title"),
        ({"slug": "a b"}, "slug"),
        ({"goal_cents": 0}, "goal_cents"),
        ({"allow_monthly": None}, "allow_monthly"),
    ):
        assert error_fields(api.patch(path, payload)) == {field}
    assert api.get(path).json()["title"] == "Un toit pour le local"


def test_campaigns_of_another_association_are_404(theirs, campaign):
    path = f"{CAMPAIGNS}/{campaign.uuid}"
    for response in (
        theirs.get(path),
        theirs.patch(path, {"title": "Volé"}),
        theirs.post(f"{path}/publish"),
        theirs.post(f"{path}/close"),
    ):
        assert_error_shape(response, 404)
    assert theirs.get(CAMPAIGNS).json()["count"] == 0
    # The same address is theirs to take: slugs are per association.
    assert theirs.post(CAMPAIGNS, {"slug": "toit-2026", "title": "Toit"}).status_code == 201
    with scopes_disabled():
        campaign.refresh_from_db()
    assert campaign.title == "Un toit pour le local" and campaign.status == "draft"


def test_campaigns_need_the_finance_capability(no_finances, association, campaign):
    path = f"{CAMPAIGNS}/{campaign.uuid}"
    for response in (
        no_finances.get(CAMPAIGNS),
        no_finances.get(path),
        no_finances.post(CAMPAIGNS, {"slug": "x", "title": "X"}),
        no_finances.patch(path, {"title": "Y"}),
        no_finances.post(f"{path}/publish"),
    ):
        assert_error_shape(response, 403)
    assert count(Campaign, association) == 1


def test_openapi_documents_the_money_endpoints(client):
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    schemas = document["components"]["schemas"]

    assert {"get", "post"} <= set(paths["/api/v1/payments"])
    idempotency = next(
        p for p in paths["/api/v1/payments"]["post"]["parameters"] if p["in"] == "header"
    )
    assert idempotency["name"] == "Idempotency-Key"
    pdf = paths["/api/v1/tax-receipts/{receipt_uuid}/pdf"]["get"]["responses"]["200"]
    assert set(pdf["content"]) == {"application/pdf"}
    # Names that other apps also use ("PaymentOut" of dues) are not overwritten.
    assert "status" in schemas["PaymentRecordOut"]["properties"]
    assert "iban" not in schemas["MandateOut"]["properties"]
    assert schemas["PaymentRecordIn"]["properties"]["amount_cents"]["type"] == "integer"
    for name in ("GiftOut", "TaxReceiptOut", "CampaignOut"):
        assert "uuid" in schemas[name]["properties"]


# --- Fuzzing with known objects -------------------------------------------------------------

MONEY_PATHS = ("/api/v1/payments", "/api/v1/sepa-mandates", GIFTS, RECEIPTS, CAMPAIGNS)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_money_endpoints_fuzzed_with_known_objects(presidente, association, in_scope):
    """test_schemathesis.py fuzzes every operation with unknown ids (404s); here the
    operations on one object also get objects that exist (a payment, a mandate, a gift, a
    receipt, a campaign of an association that may issue receipts), so that the fuzzer's
    cases reach the services. No 5xx, every answer as documented."""
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    with scopes_disabled():
        association.rna = "W751234567"
        association.objet = "Animer la vie du quartier."
        association.address_line1 = "12 rue Saint-Maur"
        association.city = "Paris"
        association.save()
    with in_scope(association):
        services.fiscal_settings_update(
            association=association, acting_user=presidente, eligible=True, signatory_name="H. M."
        )
        donor = people_services.person_create(
            association=association,
            acting_user=presidente,
            last_name="Donatrice",
            address_line1="3 rue Oberkampf",
            city="Paris",
        )
        gift = services.gift_record(
            association=association,
            acting_user=presidente,
            person=donor,
            amount_cents=5000,
            received_on=YESTERDAY,
            method="cheque",
        )
        receipt = services.receipt_issue(
            association=association, acting_user=presidente, gifts=[gift]
        )
        mandate = mandate_services.mandate_create(
            association=association,
            acting_user=presidente,
            iban="FR7630006000011234567890189",
            signed_on=YESTERDAY,
            person=donor,
        )
        campaign = campaign_services.campaign_create(
            association=association, acting_user=presidente, slug="toit", title="Toit"
        )
    known = {
        "payment_uuid": gift.payment.uuid,
        "mandate_uuid": mandate.uuid,
        "gift_uuid": gift.uuid,
        "receipt_uuid": receipt.uuid,
        "campaign_uuid": campaign.uuid,
    }
    auth = {"Authorization": f"Bearer {token_for(presidente, association)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.path.startswith(MONEY_PATHS) and "{" in op.path
    ]
    assert len(operations) >= 10, [op.label for op in operations]
    statuses: dict[int, int] = {}

    for operation in operations:
        names = [name for name in known if "{" + name + "}" in operation.path]
        assert names, operation.label
        fixed = {name: str(known[name]) for name in names}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not (
                len(operation.query) or len(operation.body)
            ):
                continue  # only the path, and it is fixed: nothing to make invalid

            @settings(
                max_examples=15,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
            def run(case):
                cache.clear()
                response = case.call(headers=auth)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )

            run()

    assert statuses.get(200, 0) > 0, statuses
    assert 404 not in statuses, statuses  # the objects were found: the services were reached
    assert statuses.get(422, 0) > 0, statuses
