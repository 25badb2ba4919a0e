"""API of shifts and hours: a mission's shifts (list, create, cancel), sign-up and cancel by the
token's creator, hours (list with filters, declare, approve / refuse, in bulk); bad input is a
422 with the one error shape, another association's objects a 404; and a fuzz of these
endpoints (no 5xx, answers match the document)."""

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.volunteering import hours, shifts
from essaim.volunteering.models import HoursEntry, ShiftSignup
from tests.api.conftest import ApiClient, assert_error_shape, token_for
from tests.factories import seat
from tests.volunteering.test_shifts import accepted, at, make_shift, mission  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@pytest.fixture
def api(presidente, association):
    return ApiClient(token_for(presidente, association))


def iso(moment) -> str:
    return moment.isoformat()


def test_create_list_and_cancel_shifts(api, mission):  # noqa: F811
    base = f"/api/v1/missions/{mission.uuid}/shifts"
    response = api.post(
        base,
        {
            "starts_at": iso(at(3, 9)),
            "ends_at": iso(at(3, 12)),
            "capacity": 4,
            "qualifications": ["secourisme"],
            "repeat_until": (timezone.localdate() + dt.timedelta(days=17)).isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    first = response.json()
    assert first["capacity"] == 4 and first["places_left"] == 4 and not first["cancelled"]
    listing = api.get(base).json()
    assert listing["count"] == 3
    cancelled = api.post(f"/api/v1/volunteer-shifts/{first['uuid']}/cancel", {"reason": "Grève"})
    assert cancelled.status_code == 200 and cancelled.json()["cancelled"] is True
    again = api.post(f"/api/v1/volunteer-shifts/{first['uuid']}/cancel", {"reason": ""})
    assert_error_shape(again, 422)
    assert api.get(f"/api/v1/volunteer-shifts/{first['uuid']}/signups").json()["count"] == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"starts_at": iso(at(3, 9)), "ends_at": iso(at(3, 8))},
        {"starts_at": iso(at(3, 9)), "ends_at": iso(at(3, 10)), "capacity": 0},
        {"starts_at": iso(at(-3, 9)), "ends_at": iso(at(-3, 10))},
        {
            "starts_at": iso(at(3, 9)),
            "ends_at": iso(at(3, 10)),
            "signup_deadline": iso(at(3, 9, 30)),
        },
        {"starts_at": iso(at(3, 9)), "ends_at": iso(at(3, 10)), "qualifications": ["nope"]},
        {"starts_at": "2026-02-31T10:00:00", "ends_at": iso(at(3, 10))},
        {"starts_at": iso(at(3, 9))},
    ],
)
def test_bad_shifts_are_422(api, mission, payload):  # noqa: F811
    response = api.post(f"/api/v1/missions/{mission.uuid}/shifts", payload)
    assert_error_shape(response, 422)


def test_volunteer_signs_up_and_cancels_through_the_api(
    association,
    make_shift,  # noqa: F811
    accepted,  # noqa: F811
    mission,  # noqa: F811
):
    shift = make_shift(capacity=1)
    user = accepted(mission)
    seat(association, user, "tresorerie")  # any token of theirs will do
    volunteer = ApiClient(token_for(user, association))
    opened = volunteer.get("/api/v1/my-volunteer-shifts/open").json()
    assert [row["uuid"] for row in opened["items"]] == [str(shift.uuid)]
    response = volunteer.post(f"/api/v1/my-volunteer-shifts/{shift.uuid}/sign-up")
    assert response.status_code == 201, response.content
    signup_uuid = response.json()["uuid"]
    assert response.json()["shift_detail"]["places_left"] == 0
    assert_error_shape(volunteer.post(f"/api/v1/my-volunteer-shifts/{shift.uuid}/sign-up"), 422)
    mine = volunteer.get("/api/v1/my-volunteer-shifts").json()
    assert mine["count"] == 1
    cancel = volunteer.post(f"/api/v1/my-volunteer-shifts/signups/{signup_uuid}/cancel")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert_error_shape(
        volunteer.post(f"/api/v1/my-volunteer-shifts/signups/{signup_uuid}/cancel"), 422
    )


def test_a_volunteer_not_accepted_gets_404(api, make_shift):  # noqa: F811
    shift = make_shift()
    assert_error_shape(api.post(f"/api/v1/my-volunteer-shifts/{shift.uuid}/sign-up"), 404)


def test_hours_declare_list_approve_refuse_bulk(
    api,
    association,
    presidente,
    accepted,  # noqa: F811
    mission,  # noqa: F811
):
    user = accepted(mission)
    seat(association, user, "tresorerie")
    volunteer = ApiClient(token_for(user, association))
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    made = []
    for minutes in (60, 90, 30):
        response = volunteer.post(
            "/api/v1/my-volunteer-hours",
            {"mission": str(mission.uuid), "worked_on": yesterday, "minutes": minutes},
        )
        assert response.status_code == 201, response.content
        made.append(response.json()["uuid"])
    for bad in (
        {"mission": str(mission.uuid), "worked_on": yesterday, "minutes": 0},
        {"mission": str(mission.uuid), "worked_on": yesterday, "minutes": 24 * 60 + 1},
        {"mission": str(mission.uuid), "worked_on": "2999-01-01", "minutes": 30},
        {"mission": str(mission.uuid), "worked_on": yesterday, "minutes": 23 * 60},  # > 24 h
    ):
        assert_error_shape(volunteer.post("/api/v1/my-volunteer-hours", bad), 422)
    assert volunteer.get("/api/v1/my-volunteer-hours").json()["count"] == 3
    listing = api.get("/api/v1/volunteer-hours", {"status": "declared"}).json()
    assert listing["count"] == 3
    approved = api.post(f"/api/v1/volunteer-hours/{made[0]}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert_error_shape(api.post(f"/api/v1/volunteer-hours/{made[0]}/approve"), 422)
    refused = api.post(f"/api/v1/volunteer-hours/{made[1]}/refuse", {"reason": "Non"})
    assert refused.json()["refusal_reason"] == "Non"
    bulk = api.post("/api/v1/volunteer-hours/decide", {"entries": made, "action": "approve"})
    assert bulk.json() == {"changed": 1}
    assert api.get("/api/v1/volunteer-hours", {"status": "approved"}).json()["count"] == 2
    assert_error_shape(
        api.post("/api/v1/volunteer-hours/decide", {"entries": made, "action": "delete"}), 422
    )
    assert_error_shape(api.get("/api/v1/volunteer-hours", {"status": "maybe"}), 422)


def test_another_associations_objects_are_404(
    outsider,
    other_association,
    make_shift,  # noqa: F811
    accepted,  # noqa: F811
    mission,  # noqa: F811
):
    shift = make_shift()
    with scope(association=mission.association):
        entry = hours.hours_declare(
            association=mission.association,
            user=accepted(mission),
            mission=mission,
            worked_on=timezone.localdate(),
            minutes=30,
        )
    intruder = ApiClient(token_for(outsider, other_association))
    assert_error_shape(intruder.get(f"/api/v1/missions/{mission.uuid}/shifts"), 404)
    assert_error_shape(intruder.get(f"/api/v1/volunteer-shifts/{shift.uuid}"), 404)
    assert_error_shape(intruder.post(f"/api/v1/volunteer-shifts/{shift.uuid}/cancel", {}), 404)
    assert_error_shape(intruder.post(f"/api/v1/volunteer-hours/{entry.uuid}/approve"), 404)
    assert intruder.get("/api/v1/volunteer-hours").json()["count"] == 0
    bulk = intruder.post(
        "/api/v1/volunteer-hours/decide", {"entries": [str(entry.uuid)], "action": "approve"}
    )
    assert bulk.json() == {"changed": 0}
    with scopes_disabled():
        assert HoursEntry.objects.get(pk=entry.pk).status == "declared"
        assert ShiftSignup.objects.count() == 0
    shift.refresh_from_db()
    assert shift.cancelled_at is None


def test_token_without_the_capability_is_403(presidente, association, mission):  # noqa: F811
    client = ApiClient(token_for(presidente, association, {"can_view_members"}))
    assert_error_shape(client.get(f"/api/v1/missions/{mission.uuid}/shifts"), 403)
    assert_error_shape(client.get("/api/v1/volunteer-hours"), 403)


# --- Fuzz ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_shift_and_hours_endpoints_never_fail(presidente, association, make_mission):
    import schemathesis
    from django.core.cache import cache
    from django.core.handlers.wsgi import WSGIHandler
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    mission = make_mission(places=3, skills=[])  # noqa: F811
    start = at(4, 10)
    with scope(association=association):
        shift = shifts.shift_create(
            association=association,
            acting_user=presidente,
            mission=mission,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            capacity=3,
        )
    token = token_for(presidente, association)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    mine = ("/shifts", "/volunteer-shifts", "/volunteer-hours", "/my-volunteer-")
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if any(part in op.path for part in mine)
    ]
    assert len(operations) == 15, [op.label for op in operations]
    auth = {"Authorization": f"Bearer {token}"}
    checks = [not_a_server_error, response_schema_conformance]
    fuzz_settings = settings(
        max_examples=15,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    calls = 0

    def run(case):
        nonlocal calls
        cache.clear()
        response = case.call(headers=auth)
        calls += 1
        case.validate_response(response, checks=checks)

    for operation in operations:
        for case in schema.iter_coverage_cases(
            operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=schema.config.generation_for(operation=operation),
        ):
            run(case)
        fixed = {}
        if "{mission_uuid}" in operation.path:
            fixed["mission_uuid"] = str(mission.uuid)
        if "{shift_uuid}" in operation.path:
            fixed["shift_uuid"] = str(shift.uuid)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed or None)

            @fuzz_settings
            @given(case=strategy)
            def fuzz(case):
                run(case)

            fuzz()
    assert calls > 100
