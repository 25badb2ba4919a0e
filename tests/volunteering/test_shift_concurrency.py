"""Races on shifts: the last place, the same volunteer twice, two overlapping shifts at once,
approving the same hours twice."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from essaim.volunteering import hours, shifts
from essaim.volunteering.models import HoursEntry, Shift, ShiftSignup
from tests.core.test_concurrency import race
from tests.volunteering.test_shifts import (  # noqa: F401 (fixtures)
    accepted,
    make_shift,
    mission,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english_ui")]


def _signup(shift, user):
    def run():
        with scope(association=shift.association):
            return shifts.signup_create(shift=shift, user=user)

    return run


def test_last_place_goes_to_exactly_one(make_shift, accepted, mission):  # noqa: F811
    shift = make_shift(capacity=1)
    users = [accepted(mission) for _ in range(4)]
    results = race([_signup(shift, user) for user in users])
    won = [r for r in results if isinstance(r, ShiftSignup)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 3, results
    assert all("full" in " ".join(e.messages) for e in lost), results
    with scopes_disabled():
        assert Shift.objects.get(pk=shift.pk).taken == 1
        assert ShiftSignup.objects.filter(shift=shift, status="signed_up").count() == 1


def test_the_same_volunteer_twice_at_once_gets_one_place(make_shift, accepted, mission):  # noqa: F811
    shift = make_shift(capacity=5)
    user = accepted(mission)
    results = race([_signup(shift, user), _signup(shift, user)])
    assert sum(isinstance(r, ShiftSignup) for r in results) == 1, results
    with scopes_disabled():
        assert Shift.objects.get(pk=shift.pk).taken == 1


def test_two_overlapping_shifts_at_once_gives_one(make_shift, accepted, mission):  # noqa: F811
    one = make_shift(days=4, hour=10, hours=3)
    two = make_shift(days=4, hour=11, hours=3)
    user = accepted(mission)
    results = race([_signup(one, user), _signup(two, user)])
    assert sum(isinstance(r, ShiftSignup) for r in results) == 1, results
    with scopes_disabled():
        assert ShiftSignup.objects.filter(user=user, status="signed_up").count() == 1


def test_approving_the_same_hours_twice_at_once(mission, accepted, presidente):  # noqa: F811
    import datetime as dt

    user = accepted(mission)
    with scope(association=mission.association):
        entry = hours.hours_declare(
            association=mission.association,
            user=user,
            mission=mission,
            worked_on=dt.date.today() - dt.timedelta(days=1),
            minutes=60,
        )

    def approve():
        with scope(association=mission.association):
            return hours.hours_decide(
                association=mission.association,
                acting_user=presidente,
                entry=entry,
                action="approve",
            )

    results = race([approve, approve])
    assert sum(isinstance(r, HoursEntry) for r in results) == 1, results
