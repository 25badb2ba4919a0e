"""A campaign's public page and its donation form: online (a fake Stripe) and SEPA, bad input,
robots, the rate limit, the cost after tax reduction, and the money coming back (signals)."""

import datetime as dt
import time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from hypothesis import given, settings
from hypothesis import strategies as st

from essaim.core.models import OutboxEmail
from essaim.fundraising import campaigns, donations, services, tax_rates
from essaim.fundraising.models import Campaign, Gift, GiftIntent, RecurringGift
from essaim.payments import mandates
from essaim.payments import services as payment_services
from essaim.payments.debit_sources import due_debits
from essaim.payments.models import Mandate, Payment
from essaim.payments.signals import payment_status_changed
from essaim.people.models import Consent, Person
from tests.payments.provider_fakes import (
    FakeProviders,
    deliver,
    helloasso_account,
    stripe_account,
    stripe_event,
    stripe_headers,
    stripe_session,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


IBAN = "FR7630006000011234567890189"
ICS = "FR72ZZZ123456"
CREDITOR_IBAN = "FR1420041010050500013M02606"


# --- Fixtures -----------------------------------------------------------------------------


def make_campaign(association, user, *, publish=True, **fields):
    fields.setdefault("slug", "toiture")
    fields.setdefault("title", "Un toit pour la maison de quartier")
    fields.setdefault("summary", "Le toit fuit : aidez-nous à le refaire avant l'hiver.")
    fields.setdefault("story", "Depuis trois hivers, il pleut dans la grande salle.")
    fields.setdefault("goal_cents", 1_000_000)
    fields.setdefault("suggested_amounts", [2000, 5000, 10000])
    with scope(association=association):
        campaign = campaigns.campaign_create(association=association, acting_user=user, **fields)
        if publish:
            campaign = campaigns.campaign_publish(
                association=association, acting_user=user, campaign=campaign
            )
    return campaign


@pytest.fixture
def campaign(association, tresorier):
    return make_campaign(association, tresorier)


@pytest.fixture
def creditor(association, tresorier):
    with scope(association=association):
        return mandates.creditor_settings_save(
            association=association,
            acting_user=tresorier,
            creditor_name="Les Amis du Quartier",
            creditor_id=ICS,
            iban=CREDITOR_IBAN,
            prenotification_days=1,
        )


@pytest.fixture
def fake():
    with FakeProviders() as server:
        yield server


@pytest.fixture
def stripe(association, tresorier, fake):
    return stripe_account(association, tresorier, base_url=fake.base_url)


def page(association, campaign) -> str:
    return reverse("donate:page", kwargs={"slug": association.slug, "campaign_slug": campaign.slug})


def thanks_url(association, campaign) -> str:
    return reverse(
        "donate:thanks", kwargs={"slug": association.slug, "campaign_slug": campaign.slug}
    )


def form_data(**fields) -> dict:
    data = {
        "choice": "5000",
        "other_amount": "",
        "frequency": "once",
        "method": "sepa_debit",
        "donor_kind": "individual",
        "first_name": "Hugo",
        "last_name": "Dubois",
        "email": "hugo.dubois@example.org",
        "address_line1": "8 rue de la Roquette",
        "postcode": "75011",
        "city": "Paris",
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "account_holder": "Hugo Dubois",
        "mandate_accepted": "on",
        "news": "on",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def intents(association) -> list[GiftIntent]:
    with scope(association=association):
        return list(GiftIntent.objects.filter(association=association).order_by("id"))


def gifts(association) -> list[Gift]:
    with scope(association=association):
        return list(Gift.objects.filter(association=association).order_by("id"))


def thanks_emails() -> int:
    with scopes_disabled():
        return OutboxEmail.objects.filter(kind="gift_thanks").count()


# --- The page -----------------------------------------------------------------------------


def test_the_page_shows_the_story_the_thermometer_and_tracked_share_links(
    client, association, campaign, creditor, give
):
    with scope(association=association):
        gift = give(amount_cents=25_000)
        gift.campaign = campaign
        gift.save()
    response = client.get(page(association, campaign))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Depuis trois hivers" in html
    # A real <progress> with its value as text inside, readable without JavaScript.
    assert '<progress max="1000000" value="25000"' in html
    assert "2 % of the goal" in html or "2 %" in html
    assert 'property="og:title" content="Un toit pour la maison de quartier"' in html
    assert 'property="og:description"' in html
    assert "src%3Dfacebook" in html  # the Facebook share link carries its source
    assert 'name="website"' in html  # the honeypot
    assert "FR72ZZZ123456" in html  # the mandate text names the creditor's ICS
    assert "Les Amis du Quartier" in html


def test_a_draft_is_not_found_and_a_closed_campaign_has_no_form(
    client, association, tresorier, campaign, creditor
):
    draft = make_campaign(association, tresorier, slug="brouillon", publish=False)
    assert client.get(page(association, draft)).status_code == 404
    assert client.get("/d/inconnue/toiture/").status_code == 404
    with scope(association=association):
        campaigns.campaign_close(association=association, acting_user=tresorier, campaign=campaign)
    response = client.get(page(association, campaign))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This campaign is closed" in html
    assert "donate-form" not in html
    # Posting anyway records nothing.
    client.post(page(association, campaign), form_data())
    assert intents(association) == []


def test_another_associations_campaign_is_not_found_under_our_address(
    client, association, other_association, outsider, creditor
):
    theirs = make_campaign(other_association, outsider, slug="velo")
    assert client.get(page(association, theirs)).status_code == 404


def test_the_cost_after_tax_reduction_is_shown_when_the_association_issues_receipts(
    client, eligible, campaign, creditor
):
    html = client.get(page(eligible, campaign)).content.decode()
    # 50 € → 17 € for an individual (66 %), 100 € → 40 € for a company (60 %).
    assert "costs you 17,00\u00a0€ after tax reduction" in html
    assert "costs it 40,00\u00a0€" in html


def test_no_tax_reduction_is_promised_by_an_association_that_cannot_issue_receipts(
    client, association, campaign, creditor
):
    html = client.get(page(association, campaign)).content.decode()
    assert "after tax reduction" not in html


def test_no_payment_set_up_means_no_form_but_a_way_to_contact(client, association, campaign):
    html = client.get(page(association, campaign)).content.decode()
    assert "donate-form" not in html
    assert "not available yet" in html


# --- SEPA ---------------------------------------------------------------------------------


def test_a_one_off_gift_by_sepa_signs_a_mandate_and_waits_for_the_next_batch(
    client, association, campaign, creditor
):
    client.get(page(association, campaign) + "?src=newsletter")
    response = client.post(page(association, campaign), form_data(src="newsletter"))
    assert response.status_code == 302
    assert response["Location"] == thanks_url(association, campaign)
    [intent] = intents(association)
    assert intent.method == "sepa_debit" and intent.status == "pending" and not intent.monthly
    assert intent.amount_cents == 5000 and intent.source == "newsletter"
    with scope(association=association):
        person = Person.objects.get(association=association, email="hugo.dubois@example.org")
        assert (person.first_name, person.city, person.postcode) == ("Hugo", "Paris", "75011")
        assert intent.person == person
        mandate = Mandate.objects.get(association=association)
        assert mandate.kind == Mandate.Kind.ONE_OFF and mandate.person == person
        assert mandate.iban.reveal() == IBAN and mandate.debtor_name == "Hugo Dubois"
        consent = Consent.objects.get(person=person)
        assert consent.topic == Consent.Topic.ASSOCIATION_NEWS and consent.granted
        # Due in the next batch, keyed by the intent.
        [debit] = due_debits(association, timezone.localdate() + dt.timedelta(days=3))
        assert debit.key == f"intent:{intent.uuid}" and debit.amount_cents == 5000
    thanks = client.get(thanks_url(association, campaign)).content.decode()
    assert mandate.rum in thanks
    # The donor is told of the mandate they signed, with its reference.
    with scopes_disabled():
        email = OutboxEmail.objects.get(kind="gift_pledged")
    assert email.to == "hugo.dubois@example.org"
    assert mandate.rum in email.body_text and ICS in email.body_text and "…0189" in email.body_text
    assert gifts(association) == []  # no gift before the money


def test_a_monthly_gift_by_sepa_becomes_a_recurring_gift(client, association, campaign, creditor):
    response = client.post(
        page(association, campaign),
        form_data(frequency="monthly", choice="other", other_amount="15"),
    )
    assert response.status_code == 302
    [intent] = intents(association)
    assert intent.monthly and intent.amount_cents == 1500
    with scope(association=association):
        recurring = RecurringGift.objects.get(association=association)
        assert recurring.amount_cents == 1500 and recurring.status == "active"
        assert recurring.mandate.kind == Mandate.Kind.RECURRING
        assert recurring.campaign == campaign and intent.recurring == recurring


def test_the_same_donor_giving_twice_is_one_contact(client, association, campaign, creditor):
    client.post(page(association, campaign), form_data())
    client.post(page(association, campaign), form_data(email="HUGO.Dubois@example.org"))
    with scope(association=association):
        assert Person.objects.filter(association=association, last_name="Dubois").count() == 1
    assert len(intents(association)) == 2


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"choice": "other", "other_amount": "abc"}, "other_amount", "Give an amount in euros"),
        ({"choice": "other", "other_amount": "-5"}, "other_amount", "must be positive"),
        ({"choice": "other", "other_amount": "0"}, "other_amount", "must be positive"),
        ({"choice": "other", "other_amount": "1 000 000 000"}, "other_amount", "cannot be above"),
        ({"choice": "other", "other_amount": "0,50"}, "other_amount", "smallest gift"),
        ({"choice": "other", "other_amount": ""}, "other_amount", "Choose or type"),
        ({"choice": "999999"}, "choice", "Select a valid choice"),
        ({"iban": "FR76 1234"}, "iban", "IBAN"),
        ({"iban": ""}, "iban", "IBAN"),
        ({"account_holder": ""}, "account_holder", "account holder"),
        ({"mandate_accepted": None}, "mandate_accepted", "sign the direct debit mandate"),
        ({"address_line1": ""}, "address_line1", "This field is required"),
        ({"postcode": "750"}, "postcode", "5 digits"),
        ({"city": ""}, "city", "This field is required"),
        ({"email": "pas-une-adresse"}, "email", "valid email"),
        ({"method": "cash"}, "method", "Select a valid choice"),
        ({"donor_kind": "company"}, "company_name", "company's name"),
        (
            {"donor_kind": "company", "company_name": "SARL", "company_siren": "12"},
            "company_siren",
            "9 digits",
        ),
        ({"first_name": "a\x00b"}, "first_name", "Null characters"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(
    client, association, campaign, creditor, fields, field, message
):
    response = client.post(page(association, campaign), form_data(**fields))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message.lower() in " ".join(form.errors[field]).lower()
    assert 'class="notice notice-error error-summary"' in response.content.decode()
    assert intents(association) == []
    with scope(association=association):
        assert not Person.objects.filter(last_name="Dubois").exists()
        assert not Mandate.objects.exists()


def test_monthly_is_refused_when_the_campaign_does_not_offer_it(
    client, association, tresorier, creditor
):
    campaign = make_campaign(association, tresorier, slug="ponctuel", allow_monthly=False)
    assert "frequency" not in client.get(page(association, campaign)).context["form"].fields
    # Posted anyway, the choice is ignored: the gift is a one-off one.
    response = client.post(page(association, campaign), form_data(frequency="monthly"))
    assert response.status_code == 302
    [intent] = intents(association)
    assert not intent.monthly
    with scope(association=association), pytest.raises(ValidationError) as info:
        donations.donation_start(
            association=association,
            campaign=campaign,
            amount_cents=1000,
            method="sepa_debit",
            monthly=True,
            contact=form_data(),
            iban=IBAN,
            account_holder="Hugo Dubois",
            mandate_accepted=True,
        )
    assert "monthly" in info.value.message_dict


def test_a_robot_filling_the_honeypot_gets_thanked_and_records_nothing(
    client, association, campaign, creditor
):
    response = client.post(page(association, campaign), form_data(website="http://spam.example"))
    assert response.status_code == 302
    assert intents(association) == []
    assert client.get(response["Location"]).status_code == 200


def test_the_form_is_rate_limited_per_client(client, settings, association, campaign, creditor):
    settings.ESSAIM_DONATE_RATE_LIMIT = 2
    for _ in range(2):
        assert client.post(page(association, campaign), form_data()).status_code == 302
    response = client.post(page(association, campaign), form_data())
    assert response.status_code == 429
    assert "Too many forms" in response.content.decode()
    assert len(intents(association)) == 2


def test_the_thanks_page_without_a_gift_goes_back_to_the_form(client, association, campaign):
    response = client.get(thanks_url(association, campaign))
    assert response.status_code == 302 and response["Location"] == page(association, campaign)


def test_a_sepa_gift_collected_becomes_a_gift_with_its_campaign_and_source(
    association, campaign, creditor, tresorier, client
):
    client.post(page(association, campaign) + "?src=qr", form_data(src="qr"))
    [intent] = intents(association)
    collection = timezone.localdate() + dt.timedelta(days=2)
    with scope(association=association):
        items = [d.item() for d in due_debits(association, collection)]
        batch = mandates.debit_batch_create(
            association=association, acting_user=tresorier, collection_date=collection, items=items
        )
        payment = Payment.objects.get(
            association=association, idempotency_key=f"intent:{intent.uuid}"
        )
        assert payment.sepa_debit.batch == batch
        assert due_debits(association, collection) == []  # never debited twice
        payment_services.payment_update_status(
            association=association, acting_user=tresorier, payment=payment, status="succeeded"
        )
    [gift] = gifts(association)
    assert gift.campaign == campaign and gift.source == "qr" and gift.payment == payment
    assert gift.amount_cents == 5000 and gift.person.first_name == "Hugo"
    intent.refresh_from_db()
    assert intent.status == "paid" and intent.gift == gift and intent.thanked_at
    assert thanks_emails() == 1
    with scope(association=association):
        assert campaigns.campaign_progress(campaign)["raised_cents"] == 5000


def test_a_sepa_gift_returned_leaves_no_gift(association, campaign, creditor, tresorier, client):
    client.post(page(association, campaign), form_data())
    [intent] = intents(association)
    with scope(association=association):
        payment = payment_services.payment_record(
            association=association,
            acting_user=None,
            amount_cents=5000,
            method="sepa_debit",
            status="pending",
            idempotency_key=f"intent:{intent.uuid}",
        )
        payment_services.payment_update_status(
            association=association, acting_user=None, payment=payment, status="failed"
        )
    intent.refresh_from_db()
    assert intent.status == "failed" and intent.payment == payment
    assert gifts(association) == [] and thanks_emails() == 0


# --- Online -------------------------------------------------------------------------------


def test_an_online_gift_goes_to_the_payment_service_and_comes_back_as_one_gift(
    client, association, campaign, stripe, fake
):
    client.get(page(association, campaign) + "?src=facebook")
    # The hidden field is filled from the session even if the donor lost the ?src=.
    form = client.get(page(association, campaign)).context["form"]
    assert form["src"].value() == "facebook"
    response = client.post(
        page(association, campaign),
        form_data(
            method="online", iban=None, account_holder=None, mandate_accepted=None, src="facebook"
        ),
    )
    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [intent] = intents(association)
    assert intent.method == "online" and intent.status == "pending" and intent.source == "facebook"
    params = dict(fake.session_params[f"intent:{intent.uuid}"])
    assert params["line_items[0][price_data][unit_amount]"] == "5000"
    assert params["customer_email"] == "hugo.dubois@example.org"
    assert params["success_url"].endswith(thanks_url(association, campaign))
    assert "being confirmed" in client.get(thanks_url(association, campaign)).content.decode()

    # Stripe tells the payment succeeded; then tells it again (another event, same payment),
    # then delivers the first event again: one gift, one thank-you e-mail.
    now = int(time.time())
    session = stripe_session(
        "pi_3Don001", amount=5000, metadata={"essaim_key": f"intent:{intent.uuid}"}
    )
    first = stripe_event("checkout.session.completed", session, created=now - 60)
    again = stripe_event("checkout.session.async_payment_succeeded", session, created=now - 30)
    for body in (first, again, first):
        assert deliver(stripe, body, stripe_headers(body)).status_code == 200
    [gift] = gifts(association)
    assert gift.campaign == campaign and gift.source == "facebook"
    assert gift.payment.provider == "stripe" and gift.amount_cents == 5000
    intent.refresh_from_db()
    assert intent.status == "paid" and intent.gift == gift
    assert thanks_emails() == 1
    with scopes_disabled():
        email = OutboxEmail.objects.get(kind="gift_thanks")
    assert email.to == "hugo.dubois@example.org"
    assert "50,00" in email.body_text and "Un toit pour la maison de quartier" in email.body_text
    assert "received" in client.get(thanks_url(association, campaign)).content.decode()


def test_the_same_success_signalled_twice_records_one_gift_and_one_email(
    client, association, campaign, creditor
):
    client.post(page(association, campaign), form_data())
    [intent] = intents(association)
    with scope(association=association):
        payment = payment_services.payment_record(
            association=association,
            acting_user=None,
            amount_cents=5000,
            method="sepa_debit",
            idempotency_key=f"intent:{intent.uuid}",
        )
        for _ in range(2):
            payment_status_changed.send(
                sender=Payment, association=association, payment=payment, previous="pending"
            )
    assert len(gifts(association)) == 1
    assert thanks_emails() == 1


def test_the_payment_service_down_leaves_the_donor_on_the_form(
    client, association, campaign, stripe, fake
):
    fake.down = True
    response = client.post(
        page(association, campaign),
        form_data(method="online", iban=None, account_holder=None, mandate_accepted=None),
    )
    assert response.status_code == 200
    assert "cannot be reached" in response.content.decode()
    [intent] = intents(association)
    assert intent.status == "cancelled"


def test_helloasso_only_offers_no_monthly_gift(client, association, campaign, tresorier):
    # HelloAsso's checkout intents take no monthly payments: card monthly gifts need Stripe
    # (tests/fundraising/test_recurring_card.py).
    helloasso_account(association, tresorier)
    form = client.get(page(association, campaign)).context["form"]
    assert "frequency" not in form.fields and "iban" not in form.fields
    with scope(association=association), pytest.raises(ValidationError) as info:
        donations.donation_start(
            association=association,
            campaign=campaign,
            amount_cents=1000,
            method="online",
            monthly=True,
            contact=form_data(),
        )
    assert "method" in info.value.message_dict or "monthly" in info.value.message_dict


def test_a_company_gives_with_its_name(client, association, campaign, creditor):
    client.post(
        page(association, campaign),
        form_data(
            donor_kind="company",
            company_name="Boulangerie Martin SARL",
            company_siren="123 456 789",
        ),
    )
    [intent] = intents(association)
    assert intent.donor_kind == "company" and intent.company_name == "Boulangerie Martin SARL"
    assert intent.company_siren == "123456789"
    with scope(association=association):
        payment = payment_services.payment_record(
            association=association,
            acting_user=None,
            amount_cents=5000,
            method="sepa_debit",
            idempotency_key=f"intent:{intent.uuid}",
        )
    [gift] = gifts(association)
    assert gift.donor_kind == "company" and gift.company_name == "Boulangerie Martin SARL"
    assert gift.payment == payment


# --- The cost after the tax reduction -----------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(min_value=1, max_value=donations.MAX_PUBLIC_GIFT_CENTS * 100))
def test_cost_after_reduction_arithmetic(amount):
    cost = donations.cost_after_reduction(amount, year=2026)
    # 66 % for an individual, rounded down to the cent in the donor's favour of the state.
    assert cost.individual_cents == amount - amount * 66 // 100
    assert 0 < cost.individual_cents <= amount
    assert cost.individual_cents >= amount * 34 // 100
    if amount <= 200_000_000:  # 2 million euros: 60 % for a company, 40 % above
        assert cost.company_cents == amount - amount * 60 // 100
    else:
        reduction = (200_000_000 * 60 + (amount - 200_000_000) * 40) // 100
        assert cost.company_cents == amount - reduction
    aid = donations.cost_after_reduction(amount, year=2026, aid=True)
    assert aid.individual_cents <= cost.individual_cents  # 75 % up to the ceiling


@settings(max_examples=100, deadline=None)
@given(a=st.integers(min_value=1, max_value=10**9), b=st.integers(min_value=1, max_value=10**9))
def test_cost_after_reduction_grows_with_the_gift(a, b):
    low, high = sorted((a, b))
    for aid in (False, True):
        assert tax_rates.cost_after_reduction_cents(low, 2026, aid=aid) <= (
            tax_rates.cost_after_reduction_cents(high, 2026, aid=aid)
        )
    assert tax_rates.company_cost_after_reduction_cents(
        low, 2026
    ) <= tax_rates.company_cost_after_reduction_cents(high, 2026)


def test_cost_uses_the_latest_rates_known():
    assert donations.cost_after_reduction(10_000, year=2031).individual_cents == 3400
    # Aid organisations: 75 % up to 1 000 €, 66 % above.
    assert donations.cost_after_reduction(200_000, year=2026, aid=True).individual_cents == (
        200_000 - (100_000 * 75 + 100_000 * 66) // 100
    )
    assert tax_rates.company_reduction_cents(0, 2026) == 0


def test_the_gift_record_service_refuses_another_associations_campaign(
    association, other_association, outsider, tresorier
):
    theirs = make_campaign(other_association, outsider, slug="velo")
    with scope(association=association), pytest.raises(ValidationError) as info:
        services.gift_record(
            association=association,
            acting_user=tresorier,
            person=None,
            amount_cents=1000,
            received_on=timezone.localdate(),
            method="cash",
            campaign=theirs,
        )
    assert "campaign" in info.value.message_dict


def test_a_client_without_cookies_still_gives(association, campaign, creditor):
    client = Client(enforce_csrf_checks=False)
    response = client.post(page(association, campaign), form_data())
    assert response.status_code == 302
    with scope(association=association):
        assert Campaign.objects.get().status == "published"


def test_the_team_previews_a_draft_and_nobody_else_sees_it(
    association, tresorier, benevole, outsider, other_association, client_for, creditor
):
    draft = make_campaign(association, tresorier, slug="brouillon", publish=False)
    response = client_for(tresorier).get(page(association, draft))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview of a draft" in html and "donate-form" not in html
    assert client_for(benevole).get(page(association, draft)).status_code == 404
    assert client_for(outsider).get(page(association, draft)).status_code == 404


def test_a_donor_signing_in_with_their_address_sees_their_gift(
    client, client_for, association, campaign, creditor
):
    from tests.factories import UserFactory

    client.post(page(association, campaign), form_data())
    [intent] = intents(association)
    with scope(association=association):
        payment_services.payment_record(
            association=association,
            acting_user=None,
            amount_cents=5000,
            method="sepa_debit",
            idempotency_key=f"intent:{intent.uuid}",
        )
    donor = UserFactory(email="hugo.dubois@example.org")
    html = client_for(donor).get(reverse("fundraising_public:gifts")).content.decode()
    assert "50,00" in html and "Un toit pour la maison de quartier" in html
    stranger = UserFactory(email="autre@example.org")
    html = client_for(stranger).get(reverse("fundraising_public:gifts")).content.decode()
    assert "Un toit pour la maison de quartier" not in html
