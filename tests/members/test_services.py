import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope

from essaim.core.models import AuditLog, OutboxEmail
from essaim.members import selectors, services
from essaim.members.models import DuesPayment, Membership

S = Membership.Status


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"name": ""}, "name"),
        ({"name": "X", "amount_cents": 0}, "amount_cents"),
        ({"name": "X", "amount_cents": 10_000_001}, "amount_cents"),
        ({"name": "X", "amount_cents": 2000, "reduced_amount_cents": 2500}, "reduced_amount_cents"),
        (
            {"name": "X", "price_kind": "sliding", "amount_cents": 500, "min_amount_cents": 900},
            "min_amount_cents",
        ),
        (
            {"name": "X", "amount_cents": 100, "period_kind": "season", "season_start_month": 13},
            "season_start_month",
        ),
        (
            {"name": "X", "amount_cents": 100, "is_household": True, "max_household_size": 1},
            "max_household_size",
        ),
        ({"name": "Adhésion ANNUELLE", "amount_cents": 100}, "name"),
    ],
)
def test_type_validation(scoped, presidente, annual, fields, field):
    with pytest.raises(ValidationError) as error:
        services.membership_type_create(association=scoped, acting_user=presidente, **fields)
    assert field in error.value.message_dict


def test_free_type_is_paid_on_creation(scoped, presidente, make_person):
    free = services.membership_type_create(
        association=scoped, acting_user=presidente, name="Membre d'honneur", price_kind="free"
    )
    m = services.membership_create(
        association=scoped, acting_user=presidente, person=make_person(), membership_type=free
    )
    assert m.amount_due_cents == 0 and m.is_paid
    assert m.status_on(timezone.localdate()) == S.ACTIVE


def test_create_pay_and_status_lifecycle(scoped, presidente, annual, make_person):
    person = make_person(first_name="Émilie")
    m = services.membership_create(
        association=scoped,
        acting_user=presidente,
        person=person,
        membership_type=annual,
        start_on=dt.date(2026, 3, 1),
    )
    assert (m.period_start, m.period_end) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert m.grace_until == dt.date(2027, 1, 30)  # 30 days of grace by default
    assert m.amount_due_cents == 2000
    assert m.status_on(dt.date(2026, 6, 1)) == S.PENDING_PAYMENT
    with pytest.raises(ValidationError):  # the same membership twice
        services.membership_create(
            association=scoped,
            acting_user=presidente,
            person=person,
            membership_type=annual,
            start_on=dt.date(2026, 5, 1),
        )
    payment = services.dues_payment_record(
        association=scoped,
        acting_user=presidente,
        memberships=[m],
        method="cheque",
        reference="n° 1234567",
        paid_on=dt.date(2026, 3, 2),
    )
    m.refresh_from_db()
    assert payment.amount_cents == 2000 and m.paid_on == dt.date(2026, 3, 2)
    assert m.status_on(dt.date(2026, 6, 1)) == S.ACTIVE
    assert m.status_on(dt.date(2027, 1, 15)) == S.GRACE
    assert m.status_on(dt.date(2027, 2, 1)) == S.EXPIRED
    # Paying twice records nothing more.
    assert (
        services.dues_payment_record(
            association=scoped, acting_user=presidente, memberships=[m], method="cash"
        )
        is None
    )
    assert DuesPayment.objects.count() == 1
    assert AuditLog.objects.filter(action="membership.paid").count() == 1


def test_reduced_rate_and_sliding_scale(scoped, presidente, annual, make_person):
    m = services.membership_create(
        association=scoped,
        acting_user=presidente,
        person=make_person(),
        membership_type=annual,
        rate="reduced",
        reduced_proof="carte étudiante vue",
    )
    assert m.amount_due_cents == 1000
    sliding = services.membership_type_create(
        association=scoped,
        acting_user=presidente,
        name="Libre",
        price_kind="sliding",
        amount_cents=3000,
        min_amount_cents=500,
    )
    with pytest.raises(ValidationError):
        services.membership_create(
            association=scoped,
            acting_user=presidente,
            person=make_person(),
            membership_type=sliding,
            chosen_amount_cents=100,
        )
    m2 = services.membership_create(
        association=scoped,
        acting_user=presidente,
        person=make_person(),
        membership_type=sliding,
        chosen_amount_cents=4200,
    )
    assert m2.amount_due_cents == 4200


def test_prorata_type(scoped, presidente, make_person):
    mtype = services.membership_type_create(
        association=scoped, acting_user=presidente, name="Pro rata", amount_cents=2400, prorata=True
    )
    m = services.membership_create(
        association=scoped,
        acting_user=presidente,
        person=make_person(),
        membership_type=mtype,
        start_on=dt.date(2026, 7, 20),
    )
    assert m.amount_due_cents == 1200  # July to December: 6 months of 12


def test_household_pays_once(scoped, presidente, family, make_person):
    persons = [make_person(first_name=n, last_name="Roux") for n in ("Anne", "Paul", "Léa")]
    memberships = services.household_membership_create(
        association=scoped, acting_user=presidente, persons=persons, membership_type=family
    )
    assert [m.amount_due_cents for m in memberships] == [3500, 0, 0]
    assert all(not m.is_paid for m in memberships)
    # Paying for any one of them pays the household.
    payment = services.dues_payment_record(
        association=scoped, acting_user=presidente, memberships=[memberships[2]], method="transfer"
    )
    assert payment.amount_cents == 3500
    assert Membership.objects.filter(payment=payment).count() == 3
    with pytest.raises(ValidationError):
        services.household_membership_create(
            association=scoped,
            acting_user=presidente,
            persons=[make_person(last_name=f"P{i}") for i in range(5)],
            membership_type=family,
        )


def test_resign_exclude_approve(scoped, presidente, annual, make_person):
    m = services.membership_create(
        association=scoped, acting_user=presidente, person=make_person(), membership_type=annual
    )
    with pytest.raises(ValidationError):
        services.membership_exclude(
            association=scoped, acting_user=presidente, membership=m, reason=" "
        )
    services.membership_resign(association=scoped, acting_user=presidente, membership=m)
    m.refresh_from_db()
    assert m.status_on(timezone.localdate()) == S.RESIGNED
    with pytest.raises(ValidationError):
        services.membership_resign(association=scoped, acting_user=presidente, membership=m)
    services.membership_settings_update(
        association=scoped, acting_user=presidente, approval_required=True
    )
    pending = services.membership_create(
        association=scoped,
        acting_user=None,
        person=make_person(email="nouvelle@example.org"),
        membership_type=annual,
        source="online",
        approved=False,
    )
    services.dues_payment_record(
        association=scoped, acting_user=presidente, memberships=[pending], method="cash"
    )
    pending.refresh_from_db()
    assert pending.status_on(timezone.localdate(), approval_required=True) == S.PENDING_APPROVAL
    services.membership_approve(association=scoped, acting_user=presidente, membership=pending)
    pending.refresh_from_db()
    assert pending.status_on(timezone.localdate(), approval_required=True) == S.ACTIVE
    # The join e-mail promised it: the member is told, once.
    services.membership_approve(association=scoped, acting_user=presidente, membership=pending)
    told = OutboxEmail.objects.filter(kind="membership_approved", to=pending.person.email)
    assert told.count() == 1
    assert "/account/memberships/" in told.get().body_text


def test_renew_is_idempotent_and_continues(scoped, presidente, annual, make_person):
    m = services.membership_create(
        association=scoped,
        acting_user=presidente,
        person=make_person(),
        membership_type=annual,
    )
    first = services.membership_renew(association=scoped, acting_user=None, membership=m)
    second = services.membership_renew(association=scoped, acting_user=None, membership=m)
    assert first.pk == second.pk
    assert first.period_start == m.period_end + dt.timedelta(days=1)
    assert first.renewal_of == m and first.source == "renewal"


def test_sql_status_matches_python(scoped, presidente, annual, make_person):
    """The CASE in SQL and Membership.status_on agree on every status."""
    today = timezone.localdate()
    made = []
    for i, start in enumerate(
        [today, today - dt.timedelta(days=400), today + dt.timedelta(days=400)]
    ):
        m = services.membership_create(
            association=scoped,
            acting_user=presidente,
            person=make_person(last_name=f"S{i}"),
            membership_type=annual,
            start_on=start,
        )
        made.append(m)
    services.dues_payment_record(
        association=scoped, acting_user=presidente, memberships=made[1:], method="cash"
    )
    Membership.objects.filter(pk=made[1].pk).update(grace_until=today + dt.timedelta(days=3))
    late = services.membership_create(
        association=scoped,
        acting_user=presidente,
        person=make_person(last_name="Tard"),
        membership_type=annual,
        start_on=today - dt.timedelta(days=800),
    )
    services.dues_payment_record(
        association=scoped, acting_user=presidente, memberships=[late], method="cash"
    )
    for m in selectors.with_status(Membership.objects.all(), scoped):
        assert m.computed_status == m.status_on(today), m
        for status in S.values:
            matches = (
                Membership.objects.filter(pk=m.pk)
                .filter(selectors.status_filter(status, today, False))
                .exists()
            )
            assert matches == (status == m.computed_status), (m, status)


def test_member_search_filters(scoped, presidente, annual, make_person):
    emilie = make_person(first_name="Émilie", last_name="Lefèvre")
    paul = make_person(first_name="Paul", last_name="Petit")
    m1 = services.membership_create(
        association=scoped, acting_user=presidente, person=emilie, membership_type=annual
    )
    services.membership_create(
        association=scoped, acting_user=presidente, person=paul, membership_type=annual
    )
    services.dues_payment_record(
        association=scoped, acting_user=presidente, memberships=[m1], method="cash"
    )
    assert [m.person for m in selectors.member_search(association=scoped, query="emilie")] == [
        emilie
    ]
    assert [m.person for m in selectors.member_search(association=scoped, unpaid=True)] == [paul]
    assert [m.person for m in selectors.member_search(association=scoped, status="active")] == [
        emilie
    ]
    assert selectors.member_count(scoped) == 1
    totals = selectors.dues_totals(scoped, timezone.localdate().year)
    assert (totals["expected_cents"], totals["received_cents"], totals["outstanding_cents"]) == (
        4000,
        2000,
        2000,
    )


def test_settings_validation(scoped, presidente):
    with pytest.raises(ValidationError):
        services.membership_settings_update(
            association=scoped, acting_user=presidente, reminder_offsets=[1000]
        )
    with pytest.raises(ValidationError):
        services.membership_settings_update(
            association=scoped, acting_user=presidente, join_fields={"phone": "maybe"}
        )
    updated = services.membership_settings_update(
        association=scoped, acting_user=presidente, reminder_offsets=[7, -30, -7, 7]
    )
    assert updated.reminder_offsets == [-30, -7, 7]


def test_cannot_use_other_associations_objects(
    association, other_association, presidente, outsider, annual, other_person
):
    with scope(association=association), pytest.raises(ValidationError):
        services.membership_create(
            association=association,
            acting_user=presidente,
            person=other_person,
            membership_type=annual,
        )


# --- Dues in the association's ledger (payments app) -------------------------------------


def test_dues_payment_is_money_in_the_ledger(scoped, presidente, tresorier, annual, make_person):
    from essaim.payments import services as payment_services
    from essaim.payments.models import Payment

    person = make_person(first_name="Anaïs", last_name="Gaëtan")
    m = services.membership_create(
        association=scoped, acting_user=presidente, person=person, membership_type=annual
    )
    dues = services.dues_payment_record(
        association=scoped,
        acting_user=tresorier,
        memberships=[m],
        method="card",
        reference="TPE 42",
    )
    money = dues.payment
    assert (money.amount_cents, money.method, money.status) == (2000, "card", "succeeded")
    assert money.person == person and money.paid_on == dues.paid_on and money.reference == "TPE 42"
    # The cheque bounces (or the debit is returned): the dues are unpaid again.
    payment_services.payment_update_status(
        association=scoped, acting_user=tresorier, payment=money, status="failed", reason="rejet"
    )
    m.refresh_from_db()
    assert m.paid_on is None and m.payment_id is None
    assert not DuesPayment.objects.filter(pk=dues.pk).exists()
    assert Payment.objects.get(pk=money.pk).status == "failed"  # the trace stays

    again = services.dues_payment_record(
        association=scoped, acting_user=tresorier, memberships=[m], method="cash"
    )
    services.dues_payment_cancel(association=scoped, acting_user=tresorier, payment=again)
    m.refresh_from_db()
    assert m.paid_on is None
    assert Payment.objects.get(pk=again.payment_id).status == "cancelled"


def test_free_dues_have_no_money(scoped, presidente, tresorier, annual, make_person):
    m = services.membership_create(
        association=scoped, acting_user=presidente, person=make_person(), membership_type=annual
    )
    dues = services.dues_payment_record(
        association=scoped, acting_user=tresorier, memberships=[m], method="other", amount_cents=0
    )
    assert dues.amount_cents == 0 and dues.payment is None


def test_migration_puts_older_dues_in_the_ledger(scoped, presidente, annual, make_person):
    import importlib

    from django.apps import apps

    from essaim.payments.models import Payment

    migration = importlib.import_module("essaim.members.migrations.0003_dues_payments_ledger")
    person = make_person(last_name="Ancien")
    m = services.membership_create(
        association=scoped, acting_user=presidente, person=person, membership_type=annual
    )
    old = DuesPayment.objects.create(
        association=scoped, amount_cents=1500, method="cheque", paid_on=dt.date(2025, 3, 2)
    )
    free = DuesPayment.objects.create(
        association=scoped, amount_cents=0, method="other", paid_on=dt.date(2025, 3, 2)
    )
    Membership.objects.filter(pk=m.pk).update(payment=old, paid_on=old.paid_on)
    migration.ledger(apps, None)
    old.refresh_from_db()
    free.refresh_from_db()
    assert free.payment_id is None
    money = Payment.objects.get(pk=old.payment_id)
    assert (money.amount_cents, money.method, money.paid_on, money.person_id) == (
        1500,
        "cheque",
        dt.date(2025, 3, 2),
        person.pk,
    )
