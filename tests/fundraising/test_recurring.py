"""Monthly gifts: the SEPA debit source, gifts from collected debits (once), pause after two
failed debits, pause/resume/amount/cancel by the team and by the donor in their space."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog, OutboxEmail
from essaim.fundraising import donations, recurring
from essaim.fundraising.models import Gift, GiftIntent, RecurringGift
from essaim.payments import mandates
from essaim.payments import services as payment_services
from essaim.payments.debit_sources import due_debits
from essaim.payments.models import Mandate, Payment
from essaim.payments.signals import payment_status_changed
from tests.factories import UserFactory

from .test_donate import IBAN, creditor, make_campaign  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

TODAY = timezone.localdate()


@pytest.fixture
def campaign(association, tresorier):
    return make_campaign(association, tresorier)


def start_monthly(association, campaign, *, amount=1500, email="hugo.dubois@example.org"):
    with scope(association=association):
        return donations.donation_start(
            association=association,
            campaign=campaign,
            amount_cents=amount,
            method="sepa_debit",
            monthly=True,
            source="newsletter",
            contact={
                "first_name": "Hugo",
                "last_name": "Dubois",
                "email": email,
                "address_line1": "8 rue de la Roquette",
                "postcode": "75011",
                "city": "Paris",
            },
            iban=IBAN,
            account_holder="Hugo Dubois",
            mandate_accepted=True,
        )


@pytest.fixture
def monthly(association, campaign, creditor):  # noqa: F811
    return start_monthly(association, campaign).recurring


def month_payment(association, gift, day=TODAY, status="pending", amount=None):
    with scope(association=association):
        return payment_services.payment_record(
            association=association,
            acting_user=None,
            amount_cents=amount or gift.amount_cents,
            method="sepa_debit",
            status=status,
            idempotency_key=recurring.recurring_key(gift, day),
        )


def set_status(association, payment, status):
    with scope(association=association):
        return payment_services.payment_update_status(
            association=association, acting_user=None, payment=payment, status=status
        )


def refresh(association, gift) -> RecurringGift:
    with scope(association=association):
        return RecurringGift.objects.get(pk=gift.pk)


def month_gifts(association, gift) -> list[Gift]:
    with scope(association=association):
        return list(Gift.objects.filter(association=association, recurring=gift).order_by("id"))


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


# --- The debit source ---------------------------------------------------------------------


def test_each_active_monthly_gift_is_due_once_a_month(association, monthly):
    with scope(association=association):
        [debit] = recurring.recurring_due(association, TODAY)
        assert debit.key == f"recurring:{monthly.uuid}:{TODAY:%Y-%m}"
        assert debit.amount_cents == 1500 and debit.mandate == monthly.mandate
        assert "Monthly gift" in debit.label
        # Registered with the payments app: the batch screen sees it.
        assert [d.key for d in due_debits(association, TODAY)] == [debit.key]
    month_payment(association, monthly)
    with scope(association=association):
        assert due_debits(association, TODAY) == []  # this month's key is used
        [later] = due_debits(association, next_month(TODAY))
        assert later.key.endswith(f"{next_month(TODAY):%Y-%m}")


def test_paused_cancelled_and_not_started_gifts_are_skipped(association, monthly, tresorier):
    with scope(association=association):
        until = TODAY + dt.timedelta(days=40)
        recurring.recurring_pause(
            association=association, acting_user=tresorier, recurring=monthly, until=until
        )
        assert recurring.recurring_due(association, TODAY) == []
        assert recurring.recurring_due(association, until - dt.timedelta(days=1)) == []
        assert len(recurring.recurring_due(association, until)) == 1  # back on that day
        RecurringGift.objects.filter(pk=monthly.pk).update(
            status="active", started_on=next_month(TODAY)
        )
        assert recurring.recurring_due(association, TODAY) == []
        assert len(recurring.recurring_due(association, next_month(TODAY))) == 1
        recurring.recurring_cancel(
            association=association, acting_user=tresorier, recurring=monthly
        )
        assert recurring.recurring_due(association, next_month(TODAY)) == []


def test_a_paused_gift_without_end_waits_until_resumed(association, monthly, tresorier):
    with scope(association=association):
        recurring.recurring_pause(association=association, acting_user=tresorier, recurring=monthly)
        assert recurring.recurring_due(association, TODAY + dt.timedelta(days=300)) == []
        recurring.recurring_resume(
            association=association, acting_user=tresorier, recurring=monthly
        )
        assert len(recurring.recurring_due(association, TODAY)) == 1


def test_a_revoked_mandate_is_never_debited(association, monthly, tresorier):
    with scope(association=association):
        mandates.mandate_revoke(
            association=association, acting_user=tresorier, mandate=monthly.mandate
        )
        assert recurring.recurring_due(association, TODAY) == []


def test_a_batch_debits_the_month_of_every_monthly_gift(association, monthly, tresorier):
    collection = TODAY + dt.timedelta(days=2)
    with scope(association=association):
        items = [d.item() for d in due_debits(association, collection)]
        mandates.debit_batch_create(
            association=association, acting_user=tresorier, collection_date=collection, items=items
        )
        payment = Payment.objects.get(
            association=association, idempotency_key=recurring.recurring_key(monthly, collection)
        )
        assert payment.status == "pending" and payment.amount_cents == 1500


# --- Gifts from the debits ----------------------------------------------------------------


def test_a_collected_month_becomes_a_gift_once_and_the_donor_is_thanked_once(
    association, monthly, campaign
):
    payment = month_payment(association, monthly)
    set_status(association, payment, "succeeded")
    with scope(association=association):
        for _ in range(2):  # the news delivered again
            payment_status_changed.send(
                sender=Payment, association=association, payment=payment, previous="pending"
            )
    [gift] = month_gifts(association, monthly)
    assert gift.campaign == campaign and gift.source == "newsletter" and gift.payment == payment
    assert gift.amount_cents == 1500 and gift.person == monthly.person
    with scope(association=association):
        intent = GiftIntent.objects.get(recurring=monthly)
    assert intent.status == "paid" and intent.gift == gift
    with scopes_disabled():
        [email] = OutboxEmail.objects.filter(kind="gift_thanks")
    assert "monthly gift" in email.body_text and "/account/gifts/" in email.body_text
    # The second month: a gift, no second thank-you.
    second = month_payment(association, monthly, next_month(TODAY))
    set_status(association, second, "succeeded")
    assert len(month_gifts(association, monthly)) == 2
    with scopes_disabled():
        assert OutboxEmail.objects.filter(kind="gift_thanks").count() == 1


def test_two_failed_debits_in_a_row_pause_the_gift_and_the_team_sees_it(
    association, monthly, client_for, tresorier
):
    first = month_payment(association, monthly)
    set_status(association, first, "failed")
    with scope(association=association):  # the same failure told twice counts once
        payment_status_changed.send(
            sender=Payment, association=association, payment=first, previous="pending"
        )
    gift = refresh(association, monthly)
    assert gift.status == "active" and gift.failed_debits == 1
    assert month_gifts(association, monthly) == []
    second = month_payment(association, monthly, next_month(TODAY))
    set_status(association, second, "failed")
    gift = refresh(association, monthly)
    assert gift.status == "paused" and gift.paused_until is None and gift.failed_debits == 2
    assert recurring.paused_after_failures(gift)
    with scopes_disabled():
        assert AuditLog.objects.filter(action="recurring.auto_pause").count() == 1
    with scope(association=association):
        assert recurring.recurring_due(association, next_month(next_month(TODAY))) == []
    page = client_for(tresorier).get(
        reverse("fundraising:recurring", kwargs={"association_slug": association.slug})
    )
    assert "paused after 2 failed debits in a row" in page.content.decode()
    dashboard = client_for(tresorier).get(reverse("core:dashboard", args=[association.slug]))
    assert "monthly gifts paused after failed debits" in dashboard.content.decode()


def test_a_collected_debit_resets_the_count_of_failures(association, monthly):
    set_status(association, month_payment(association, monthly), "failed")
    set_status(association, month_payment(association, monthly, next_month(TODAY)), "succeeded")
    gift = refresh(association, monthly)
    assert gift.failed_debits == 0 and gift.status == "active"


def test_a_debit_returned_after_collection_counts_as_a_failure(association, monthly):
    payment = month_payment(association, monthly)
    set_status(association, payment, "succeeded")
    set_status(association, payment, "failed")
    assert refresh(association, monthly).failed_debits == 1
    # The gift stays, its payment failed: receipts and yearly totals leave it out.
    [gift] = month_gifts(association, monthly)
    gift.payment.refresh_from_db()
    assert gift.payment.status == "failed"


def test_a_key_naming_an_unknown_or_malformed_gift_is_ignored(association, creditor):  # noqa: F811
    with scope(association=association):
        for key in ("recurring:00000000-0000-0000-0000-000000000000:2026-01", "recurring:x:13"):
            payment_services.payment_record(
                association=association,
                acting_user=None,
                amount_cents=1000,
                method="sepa_debit",
                idempotency_key=key,
            )
        assert not Gift.objects.exists()
    assert recurring.parse_key("recurring:x:2026-13") is None


# --- Pause, resume, change, cancel --------------------------------------------------------


def test_services_change_and_stop_a_monthly_gift(association, monthly, tresorier):
    with scope(association=association):
        gift = recurring.recurring_change_amount(
            association=association, acting_user=tresorier, recurring=monthly, amount_cents=2500
        )
        assert gift.amount_cents == 2500
        [debit] = recurring.recurring_due(association, TODAY)
        assert debit.amount_cents == 2500
        for bad in (0, -100, 50, "abc", 10**9, True):
            with pytest.raises(ValidationError) as info:
                recurring.recurring_change_amount(
                    association=association,
                    acting_user=tresorier,
                    recurring=monthly,
                    amount_cents=bad,
                )
            assert "amount_cents" in info.value.message_dict
        for until in (TODAY, TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=400)):
            with pytest.raises(ValidationError) as info:
                recurring.recurring_pause(
                    association=association, acting_user=tresorier, recurring=monthly, until=until
                )
            assert "until" in info.value.message_dict
        gift = recurring.recurring_cancel(
            association=association, acting_user=tresorier, recurring=monthly
        )
        assert gift.status == "cancelled" and gift.cancelled_at
        assert Mandate.objects.get(pk=monthly.mandate_id).status == Mandate.Status.REVOKED
        with pytest.raises(ValidationError):
            recurring.recurring_resume(
                association=association, acting_user=tresorier, recurring=monthly
            )
        with pytest.raises(ValidationError):
            recurring.recurring_pause(
                association=association, acting_user=tresorier, recurring=monthly
            )


# --- Back office --------------------------------------------------------------------------


def bo(association, name, **kwargs):
    return reverse(f"fundraising:{name}", kwargs={"association_slug": association.slug, **kwargs})


def test_the_team_lists_and_manages_monthly_gifts(association, monthly, client_for, tresorier):
    client = client_for(tresorier)
    html = client.get(bo(association, "recurring")).content.decode()
    assert "Hugo Dubois" in html or "DUBOIS" in html.upper()
    assert client.get(bo(association, "recurring") + "?status=paused").status_code == 200
    assert client.get(bo(association, "recurring") + "?status=<script>").status_code == 200
    detail = bo(association, "recurring_detail", recurring_uuid=monthly.uuid)
    assert client.get(detail).status_code == 200
    prefix = str(monthly.uuid)[:8]
    action = lambda name: bo(  # noqa: E731
        association, "recurring_action", recurring_uuid=monthly.uuid, action=name
    )
    client.post(action("amount"), {f"{prefix}-amount_cents": "22,50"})
    assert refresh(association, monthly).amount_cents == 2250
    response = client.post(action("amount"), {f"{prefix}-amount_cents": "abc"}, follow=True)
    assert "Give an amount in euros" in response.content.decode()
    assert refresh(association, monthly).amount_cents == 2250
    client.post(action("pause"), {f"{prefix}-until": ""})
    assert refresh(association, monthly).status == "paused"
    client.post(action("resume"))
    assert refresh(association, monthly).status == "active"
    response = client.post(action("cancel"), follow=True)  # without the confirmation box
    assert "Tick the box" in response.content.decode()
    assert refresh(association, monthly).status == "active"
    client.post(action("cancel"), {"confirm": "yes"})
    assert refresh(association, monthly).status == "cancelled"
    assert client.post(action("explode")).status_code == 404
    assert client.get(action("pause")).status_code == 405


def test_monthly_gift_pages_refuse_other_people(
    association, monthly, client_for, benevole, outsider, other_association, client
):
    urls = [
        ("get", bo(association, "recurring")),
        ("get", bo(association, "recurring_detail", recurring_uuid=monthly.uuid)),
        ("post", bo(association, "recurring_action", recurring_uuid=monthly.uuid, action="pause")),
    ]
    for method, address in urls:
        assert getattr(client_for(benevole), method)(address).status_code == 403
        assert getattr(client_for(outsider), method)(address).status_code == 404
        response = getattr(client, method)(address)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # Their own association's address with our gift's id finds nothing.
    theirs = bo(other_association, "recurring_detail", recurring_uuid=monthly.uuid)
    assert client_for(outsider).get(theirs).status_code == 404
    assert refresh(association, monthly).status == "active"


# --- The donor's space --------------------------------------------------------------------


@pytest.fixture
def donor_user(db):
    return UserFactory(email="hugo.dubois@example.org", first_name="Hugo", last_name="Dubois")


def test_the_donor_sees_and_manages_their_monthly_gift(
    association, monthly, client_for, donor_user
):
    client = client_for(donor_user)
    response = client.get(reverse("fundraising_public:gifts"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "15,00" in html and association.name in html
    prefix = str(monthly.uuid)[:8]

    def action(name):
        return reverse(
            "fundraising_public:gift_action",
            kwargs={"recurring_uuid": monthly.uuid, "action": name},
        )

    client.post(action("amount"), {f"{prefix}-amount_cents": "20"})
    assert refresh(association, monthly).amount_cents == 2000
    until = (TODAY + dt.timedelta(days=60)).isoformat()
    client.post(action("pause"), {f"{prefix}-until": until})
    gift = refresh(association, monthly)
    assert gift.status == "paused" and gift.paused_until.isoformat() == until
    client.post(action("resume"))
    assert refresh(association, monthly).status == "active"
    client.post(action("cancel"), {"confirm": "yes"})
    assert refresh(association, monthly).status == "cancelled"
    with scopes_disabled():
        log = AuditLog.objects.filter(action="recurring.cancel").get()
    assert log.actor == donor_user


def test_another_account_cannot_touch_a_donors_monthly_gift(
    association, monthly, client_for, citizen, client
):
    address = reverse(
        "fundraising_public:gift_action",
        kwargs={"recurring_uuid": monthly.uuid, "action": "cancel"},
    )
    assert client_for(citizen).post(address, {"confirm": "yes"}).status_code == 404
    assert (
        "15,00" not in client_for(citizen).get(reverse("fundraising_public:gifts")).content.decode()
    )
    response = client.post(address, {"confirm": "yes"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert refresh(association, monthly).status == "active"


# --- Personal data ------------------------------------------------------------------------


def entry(key):
    from essaim.core.privacy import registry

    return next(e for e in registry.entries() if e.key == key)


def test_erasing_the_donor_stops_the_monthly_gift_and_forgets_them(
    association, monthly, presidente
):
    from essaim.people import services as people_services

    person = monthly.person
    with scope(association=association):
        [row] = entry("monthly_gifts").export_person(person)
        assert row["amount_cents"] == 1500 and row["mandate"] == monthly.mandate.rum
        [intent_row] = entry("gift_intents").export_person(person)
        assert intent_row["monthly"] and intent_row["source"] == "newsletter"
        people_services.person_erase(association=association, acting_user=presidente, person=person)
        gift = RecurringGift.objects.get(pk=monthly.pk)
        assert gift.status == "cancelled" and gift.person is None and gift.source == ""
        intent = GiftIntent.objects.get(recurring=monthly)
        assert intent.person is None and intent.status == "cancelled"
        assert recurring.recurring_due(association, TODAY) == []


def test_retention_gives_up_old_promises_and_forgets_stopped_monthly_donors(
    association, monthly, campaign, tresorier
):
    with scope(association=association):
        recurring.recurring_cancel(
            association=association, acting_user=tresorier, recurring=monthly
        )
    later = timezone.now() + dt.timedelta(days=3 * 365 + 2)
    with scopes_disabled():
        assert entry("monthly_gifts").apply_retention(later) == 1
        assert entry("gift_intents").apply_retention(later) >= 1
        gift = RecurringGift.objects.get(pk=monthly.pk)
        intent = GiftIntent.objects.get(recurring=monthly)
    assert gift.person is None and intent.person is None
    assert intent.status == "cancelled"  # never paid: given up


@pytest.mark.allow_error_logs
def test_a_gift_that_cannot_be_recorded_does_not_lose_the_payment(
    association, monthly, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise ValidationError({"amount_cents": "broken"})

    monkeypatch.setattr("essaim.fundraising.services.gift_record", broken)
    payment = month_payment(association, monthly, status="succeeded")
    with scope(association=association):
        assert Payment.objects.filter(pk=payment.pk, status="succeeded").exists()
    assert month_gifts(association, monthly) == []
    assert "could not be recorded" in caplog.text
