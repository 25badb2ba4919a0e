import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.retention import apply_all
from essaim.members import services
from essaim.members.forms import EurosField
from essaim.members.models import DuesPayment, Membership
from essaim.people import services as people_services
from essaim.people.models import Person


def test_member_data_in_the_export_and_erasure(
    association, presidente, annual, make_person, citizen
):
    from essaim.core.privacy import registry

    person = make_person(first_name="Marc", email=citizen.email, user=citizen)
    with scope(association=association):
        m = services.membership_create(
            association=association,
            acting_user=presidente,
            person=person,
            membership_type=annual,
            rate="reduced",
            reduced_proof="attestation Pôle emploi",
        )
        services.dues_payment_record(
            association=association, acting_user=presidente, memberships=[m], method="cash"
        )
        entry = next(e for e in registry.entries() if e.key == "memberships")
        rows = entry.export_person(person)
        assert rows[0]["type"] == "Adhésion annuelle" and rows[0]["dues_cents"] == 1000
        people_services.person_erase(association=association, acting_user=presidente, person=person)
        m.refresh_from_db()
    # The accounting trace stays, without what identified or described the person.
    assert m.reduced_proof == "" and m.amount_due_cents == 1000 and m.paid_on is not None
    with scopes_disabled():
        assert DuesPayment.objects.count() == 1


@pytest.mark.django_db
def test_retention_after_leaving(association, presidente, annual, make_person):
    long_ago = timezone.now() - dt.timedelta(days=800)
    gone = make_person(last_name="Parti")
    stays = make_person(last_name="Fidèle")
    lifetime_person = make_person(last_name="Honneur")
    with scope(association=association):
        old = services.membership_create(
            association=association,
            acting_user=presidente,
            person=gone,
            membership_type=annual,
            start_on=(timezone.localdate() - dt.timedelta(days=800)),
        )
        services.membership_create(
            association=association,
            acting_user=presidente,
            person=stays,
            membership_type=annual,
        )
        forever = services.membership_type_create(
            association=association,
            acting_user=presidente,
            name="À vie",
            price_kind="free",
            period_kind="lifetime",
        )
        services.membership_create(
            association=association,
            acting_user=presidente,
            person=lifetime_person,
            membership_type=forever,
            start_on=timezone.localdate() - dt.timedelta(days=3000),
        )
        Person.objects.filter(pk__in=[gone.pk, stays.pk, lifetime_person.pk]).update(
            last_activity_at=long_ago
        )
    results = apply_all()
    assert results["memberships"] == 1
    assert results["contacts"] == 0
    with scopes_disabled():
        assert Person.objects.get(pk=gone.pk).is_erased
        assert not Person.objects.get(pk=stays.pk).is_erased
        # A lifetime member who never does anything is kept by the contacts' inactivity rule too.
        assert not Person.objects.get(pk=lifetime_person.pk).is_erased
        assert Membership.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize(
    "raw,cents",
    [("20", 2000), ("20,5", 2050), ("1 234,50 €", 123450), ("12,345", 1235), ("0", 0)],
)
def test_euros_field(raw, cents):
    assert EurosField().clean(raw) == cents


@pytest.mark.parametrize("raw", ["abc", "NaN", "1e10", "-5", "Infinity", "9" * 30])
def test_euros_field_rejects(raw):
    from django import forms

    with pytest.raises(forms.ValidationError):
        EurosField().clean(raw)
