"""API of consultations and decisions: read, open, move forward, close; bad input is a 422
with the field; another association's objects are 404; fuzzing finds no 5xx."""

import datetime as dt

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.utils import timezone
from django_scopes import scope
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from essaim.governance import consultations, decisions
from tests.api.conftest import ApiClient, assert_error_shape, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(presidente, association):
    return ApiClient(token_for(presidente, association))


def test_consultations_through_the_api(api, association, make_members):
    (author,) = make_members(1)
    created = api.post(
        "/api/v1/consultations", {"title": "Le jardin", "support_share": "10 %", "theme": "Été"}
    )
    assert created.status_code == 201, created.content
    uuid = created.json()["uuid"]
    with scope(association=association):
        consultation = consultations.Consultation.objects.get(uuid=uuid)
        consultations.proposal_create(
            association=association,
            acting_user=None,
            consultation=consultation,
            author=author,
            title="Ruche",
            text="Des abeilles",
        )
    body = api.get(f"/api/v1/consultations/{uuid}/proposals?q=abeille").json()
    assert body["count"] == 1 and body["items"][0]["author"] == str(author.uuid)
    assert api.get(f"/api/v1/consultations/{uuid}/proposals?q=zzz").json()["count"] == 0
    moved = api.post(f"/api/v1/consultations/{uuid}/phase", {"phase": "support"})
    assert moved.json()["phase"] == "support"
    back = api.post(f"/api/v1/consultations/{uuid}/phase", {"phase": "support"})
    assert_error_shape(back, 422)
    bad = api.post("/api/v1/consultations", {"title": " ", "support_share": "300 %"})
    fields = {e["loc"][-1] for e in assert_error_shape(bad, 422)["errors"]}
    assert {"title", "support_share"} <= fields
    assert api.get("/api/v1/consultations").json()["count"] == 1


def test_decisions_through_the_api(api, association, make_members):
    members = make_members(3)
    deadline = (timezone.now() + dt.timedelta(days=2)).isoformat()
    created = api.post(
        "/api/v1/decisions",
        {
            "title": "Date",
            "text": "Quel samedi ?",
            "deadline": deadline,
            "process": "single",
            "options": ["6 juin", "13 juin"],
        },
    )
    assert created.status_code == 201, created.content
    decision = created.json()
    with scope(association=association):
        found = decisions.Decision.objects.get(uuid=decision["uuid"])
        decisions.decision_answer(
            association=association,
            acting_user=None,
            decision=found,
            person=members[0],
            choices=[1],
        )
    detail = api.get(f"/api/v1/decisions/{decision['uuid']}").json()
    assert detail["participation"] == {"asked": 3, "answered": 1}
    assert detail["counts"]["winner"] == "13 juin"
    closed = api.post(f"/api/v1/decisions/{decision['uuid']}/close", {"outcome": "Le 13."})
    assert closed.json()["status"] == "closed" and closed.json()["outcome"] == "Le 13."
    again = api.post(f"/api/v1/decisions/{decision['uuid']}/close", {"outcome": ""})
    assert_error_shape(again, 422)
    past = (timezone.now() - dt.timedelta(days=1)).isoformat()
    bad = api.post(
        "/api/v1/decisions",
        {"title": "X", "text": "Y", "deadline": past, "process": "approval", "options": ["A"]},
    )
    fields = {e["loc"][-1] for e in assert_error_shape(bad, 422)["errors"]}
    assert {"deadline", "options"} <= fields


def test_another_associations_objects_are_404(presidente, association, outsider, other_association):
    with scope(association=association):
        consultation = consultations.consultation_create(
            association=association, acting_user=presidente, title="Q"
        )
        decision = decisions.decision_create(
            association=association,
            acting_user=presidente,
            title="D",
            text="T",
            deadline=timezone.now() + dt.timedelta(days=1),
        )
    api = ApiClient(token_for(outsider, other_association))
    for url in (
        f"/api/v1/consultations/{consultation.uuid}",
        f"/api/v1/consultations/{consultation.uuid}/proposals",
        f"/api/v1/decisions/{decision.uuid}",
    ):
        assert_error_shape(api.get(url), 404)
    assert_error_shape(api.post(f"/api/v1/decisions/{decision.uuid}/close", {}), 404)
    assert api.get("/api/v1/decisions").json()["count"] == 0


SETTINGS = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_consultation_and_decision_endpoints_never_fail(presidente, association, in_scope):
    token = token_for(presidente, association)
    with scope(association=association):
        consultation = consultations.consultation_create(
            association=association, acting_user=presidente, title="Q"
        )
        decision = decisions.decision_create(
            association=association,
            acting_user=presidente,
            title="D",
            text="T",
            deadline=timezone.now() + dt.timedelta(days=1),
        )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if "/consultations" in op.path or "/decisions" in op.path
    ]
    assert len(operations) == 9, [op.label for op in operations]
    auth = {"Authorization": f"Bearer {token}"}
    fixed = {"consultation_uuid": str(consultation.uuid), "decision_uuid": str(decision.uuid)}

    def run(case):
        cache.clear()
        response = case.call(headers=auth)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    for operation in operations:
        params = {k: v for k, v in fixed.items() if "{" + k + "}" in operation.path} or None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=params)

            @SETTINGS
            @given(case=strategy)
            def fuzz(case):
                run(case)

            fuzz()
