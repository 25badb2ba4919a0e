"""Many people confirming registrations to a small event at the same moment: exactly
`capacity` places given, the others on the waiting list, the count exact; cancellations
racing with confirmations never give a place twice."""

import pytest
from django_scopes import scope, scopes_disabled

from essaim.mobilisation import events
from essaim.mobilisation.models import Event, Registration
from tests.core.test_concurrency import race

from .test_events import make_event

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 12


def _pending(association, event, n):
    with scope(association=association):
        for i in range(n):
            events.registration_create(
                association=association,
                event=event,
                email=f"personne{i}@example.org",
                first_name="Personne",
                last_name=str(i),
            )
        rows = list(Registration.objects.filter(event=event).select_related("event"))
    for row in rows:
        row.association = association
        row.event.association = association
    return rows


def _confirm(association, registration):
    def run():
        with scope(association=association):
            return events.registration_confirm(registration=registration)

    return run


def _cancel(association, registration):
    def run():
        with scope(association=association):
            return events.registration_cancel(registration=registration)

    return run


def _state(event):
    with scopes_disabled():
        fresh = Event.objects.get(pk=event.pk)
        confirmed = Registration.objects.filter(event=event, status="confirmed")
        return fresh.places_taken, confirmed.count()


def test_last_place_taken_once(association, presidente):
    event = make_event(association, presidente, capacity=1)
    rows = _pending(association, event, 2)
    results = race([_confirm(association, r) for r in rows])
    assert sorted(results) == ["confirmed", "waiting"], results
    assert _state(event) == (1, 1)


def test_many_at_once_exact_count_and_waiting_list(association, presidente):
    event = make_event(association, presidente, capacity=5)
    rows = _pending(association, event, PEOPLE)
    # Everyone confirms at once, some twice (two clicks).
    results = race([_confirm(association, r) for r in rows + rows[:3]])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results.count("confirmed") == 5
    assert results.count("waiting") == PEOPLE - 5
    assert _state(event) == (5, 5)
    # Three people with a place cancel while two of them click twice: three promotions.
    with scopes_disabled():
        holders = list(Registration.objects.filter(event=event, status="confirmed")[:3])
    for row in holders:
        row.association = association
    results = race([_cancel(association, r) for r in holders + holders[:2]])
    assert sorted(results).count("cancelled") == 3, results
    assert _state(event) == (5, 5)
    with scopes_disabled():
        assert Registration.objects.filter(event=event, status="waiting").count() == PEOPLE - 8
        assert Registration.objects.filter(event=event, promoted_at__isnull=False).count() == 3
