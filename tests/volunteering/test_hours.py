"""Services of hours: declaring (with its limits), approving and refusing (once; in bulk),
totals per person and period, valuation at the association's hourly rate."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog
from essaim.volunteering import hours
from essaim.volunteering.models import HoursEntry, VolunteeringSettings
from tests.factories import UserFactory
from tests.volunteering.test_shifts import accepted, mission  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

TODAY = dt.date(2026, 6, 15)


def declare(mission, user, *, worked_on=TODAY, minutes=120, **kwargs):  # noqa: F811
    with scope(association=mission.association):
        return hours.hours_declare(
            association=mission.association,
            user=user,
            mission=mission,
            worked_on=worked_on,
            minutes=minutes,
            today=TODAY,
            **kwargs,
        )


def decide(entry, presidente, action, reason=""):
    with scope(association=entry.association):
        return hours.hours_decide(
            association=entry.association,
            acting_user=presidente,
            entry=entry,
            action=action,
            reason=reason,
        )


def test_declare_then_approve_once(mission, accepted, presidente):  # noqa: F811
    user = accepted(mission)
    entry = declare(mission, user, activity="Tri des denrées")
    assert (entry.status, entry.source, entry.minutes) == ("declared", "declared", 120)
    decide(entry, presidente, "approve")
    entry.refresh_from_db()
    assert entry.status == "approved" and entry.decided_by == presidente and entry.decided_at
    with pytest.raises(ValidationError, match="already approved"):
        decide(entry, presidente, "approve")
    with pytest.raises(ValidationError, match="already approved"):
        decide(entry, presidente, "refuse")
    with scope(association=mission.association):
        assert AuditLog.objects.filter(action="hours.approve").count() == 1


def test_refuse_keeps_the_reason(mission, accepted, presidente):  # noqa: F811
    entry = declare(mission, accepted(mission))
    decide(entry, presidente, "refuse", reason="Pas ce jour-là")
    entry.refresh_from_db()
    assert entry.status == "refused" and entry.refusal_reason == "Pas ce jour-là"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": -5}, "minutes"),
        ({"minutes": 24 * 60 + 1}, "minutes"),
        ({"minutes": "60"}, "minutes"),
        ({"minutes": True}, "minutes"),
        ({"worked_on": TODAY + dt.timedelta(days=1)}, "worked_on"),
        ({"worked_on": TODAY - dt.timedelta(days=400)}, "worked_on"),
        ({"worked_on": "2026-06-01"}, "worked_on"),
        ({"activity": "x" * 201}, "activity"),
        ({"activity": "a\x00b"}, "activity"),
    ],
)
def test_bad_hours_are_refused(mission, accepted, kwargs, field):  # noqa: F811
    user = accepted(mission)
    with pytest.raises(ValidationError) as error:
        declare(mission, user, **kwargs)
    assert field in error.value.message_dict
    with scopes_disabled():
        assert not HoursEntry.objects.exists()


def test_more_than_24_hours_a_day_is_refused(mission, accepted, presidente):  # noqa: F811
    user = accepted(mission)
    declare(mission, user, minutes=20 * 60)
    with pytest.raises(ValidationError, match="more than 24 hours"):
        declare(mission, user, minutes=5 * 60)
    refused = declare(mission, user, minutes=4 * 60, worked_on=TODAY - dt.timedelta(days=1))
    decide(refused, presidente, "refuse")
    # refused hours do not count
    declare(mission, user, minutes=24 * 60, worked_on=TODAY - dt.timedelta(days=1))


def test_only_accepted_volunteers_declare(mission, apply_to, volunteer, make_mission):  # noqa: F811
    apply_to(mission, volunteer)
    with pytest.raises(ValidationError, match="accepted"):
        declare(mission, volunteer)
    with pytest.raises(ValidationError, match="accepted"):
        declare(mission, UserFactory())


def test_another_associations_mission_is_refused(
    mission,  # noqa: F811
    accepted,  # noqa: F811
    other_association,
    outsider,
):
    user = accepted(mission)
    with scope(association=other_association), pytest.raises(ValidationError):
        hours.hours_declare(
            association=other_association,
            user=user,
            mission=mission,
            worked_on=TODAY,
            minutes=60,
            today=TODAY,
        )


def test_bulk_decides_only_declared_entries_of_the_association(
    mission,  # noqa: F811
    accepted,  # noqa: F811
    presidente,
    association,
):
    users = [accepted(mission) for _ in range(3)]
    entries = [declare(mission, u) for u in users]
    decide(entries[0], presidente, "refuse")
    with scope(association=association):
        count = hours.hours_decide_bulk(
            association=association,
            acting_user=presidente,
            entry_uuids=[e.uuid for e in entries],
            action="approve",
        )
        assert count == 2
        assert sorted(HoursEntry.objects.values_list("status", flat=True)) == [
            "approved",
            "approved",
            "refused",
        ]
        with pytest.raises(ValidationError):
            hours.hours_decide_bulk(
                association=association,
                acting_user=presidente,
                entry_uuids=[e.uuid for e in entries],
                action="delete",
            )


def test_totals_per_person_and_valuation(mission, accepted, presidente, association):  # noqa: F811
    anne, paul = accepted(mission), accepted(mission)
    for user, minutes, day in (
        (anne, 90, TODAY),
        (anne, 30, TODAY - dt.timedelta(days=3)),
        (paul, 60, TODAY),
        (paul, 600, dt.date(2026, 5, 2)),  # another month
    ):
        decide(declare(mission, user, minutes=minutes, worked_on=day), presidente, "approve")
    declare(mission, paul, minutes=45, worked_on=TODAY - dt.timedelta(days=1))  # not approved
    with scope(association=association):
        hours.settings_update(
            association=association, acting_user=presidente, volunteer_hourly_rate_cents=1200
        )
        june = hours.period_from("month", year=2026, month=6)
        rows = hours.totals(association, june)
        assert [(r["minutes"], r["entries"], r["value_cents"]) for r in rows] == [
            (120, 2, 2400),
            (60, 1, 1200),
        ]
        year = hours.totals(association, hours.period_from("year", year=2026))
        assert year[0]["minutes"] == 660 and year[0]["value_cents"] == 13200
        summary = hours.summary(association, june)
        assert summary["minutes"] == 180 and summary["value_cents"] == 3600
        assert summary["to_decide"] == 1


def test_valuation_rounds_to_the_cent():
    assert hours.valuation_cents(1, 1188) == 20  # 19.8 → 20
    assert hours.valuation_cents(60, 1188) == 1188
    assert hours.valuation_cents(0, 1188) == 0


def test_periods():
    assert hours.period_from("month", year=2024, month=2).end == dt.date(2024, 2, 29)
    assert hours.period_from("year", year=2026).start == dt.date(2026, 1, 1)
    with pytest.raises(ValidationError):
        hours.period_from("range", start=dt.date(2026, 2, 1), end=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError):
        hours.period_from("range", start=dt.date(2000, 1, 1), end=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError):
        hours.period_from("month", year=2026, month=13)


def test_hourly_rate_default_and_bounds(association, presidente):
    with scope(association=association):
        assert hours.settings_for(association).volunteer_hourly_rate_cents == 1188
        for bad in (-1, 100_001, "12", 12.5, True):
            with pytest.raises(ValidationError):
                hours.settings_update(
                    association=association,
                    acting_user=presidente,
                    volunteer_hourly_rate_cents=bad,
                )
        hours.settings_update(
            association=association, acting_user=presidente, volunteer_hourly_rate_cents=1500
        )
        assert VolunteeringSettings.objects.get().volunteer_hourly_rate_cents == 1500


def test_database_refuses_minutes_out_of_range(mission, accepted):  # noqa: F811
    entry = declare(mission, accepted(mission))
    with scopes_disabled():
        for bad in (0, 24 * 60 + 1):
            with pytest.raises(IntegrityError), transaction.atomic():
                HoursEntry.objects.filter(pk=entry.pk).update(minutes=bad)


def test_today_is_the_default(mission, accepted):  # noqa: F811
    user = accepted(mission)
    with scope(association=mission.association):
        entry = hours.hours_declare(
            association=mission.association,
            user=user,
            mission=mission,
            worked_on=timezone.localdate(),
            minutes=30,
        )
    assert entry.worked_on == timezone.localdate()
