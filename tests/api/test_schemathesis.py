"""Fuzzing of the whole OpenAPI document with schemathesis, in process, through the WSGI app.

Every operation of /api/v1/openapi.json gets the boundary cases of schemathesis' coverage
phase (huge numbers, empty and overlong strings, wrong types, missing or bad credentials),
then valid (positive) and invalid (negative) data drawn by Hypothesis. Whatever comes in,
the API must answer without a 5xx, and every documented answer (2xx bodies, the one error
shape of 4xx) must match the document. The run is derandomised: the same cases every time,
so a failure reproduces (`pytest tests/api/test_schemathesis.py` prints the curl command).
"""

from collections import Counter

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from essaim.members import services as member_services
from tests.api.conftest import token_for
from tests.factories import PersonFactory

MAX_EXAMPLES = 40
HYPOTHESIS_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_openapi_fuzzing_finds_no_server_error(presidente, association, person, in_scope):
    token = token_for(presidente, association)
    with in_scope(association):
        doomed = PersonFactory(association=association, last_name="Supprimable")
        mtype = member_services.membership_type_create(
            association=association, acting_user=presidente, name="Annuelle", amount_cents=2000
        )
        membership = member_services.membership_create(
            association=association, acting_user=presidente, person=person, membership_type=mtype
        )
    # Generated path parameters are unknown UUIDs (404): each operation on an object also
    # runs with a known one, so that its cases reach the services. DELETE erases its own
    # contact, so that PATCH and consents keep one that is not anonymised.
    known = {
        "person_uuid": person.uuid,
        "membership_uuid": membership.uuid,
        "type_uuid": mtype.uuid,
    }
    known_for_delete = {"person_uuid": doomed.uuid}

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    auth = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8, [op.label for op in operations]

    calls: Counter[tuple[str, str]] = Counter()
    statuses: Counter[int] = Counter()

    def run(case, phase: str):
        cache.clear()  # the fuzzer goes faster than the API's rate limit allows
        response = case.call(headers=auth)
        calls[case.operation.label, phase] += 1
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    def fuzz(strategy, phase: str):
        @HYPOTHESIS_SETTINGS
        @given(case=strategy)
        def test(case):
            run(case, phase)

        test()

    for operation in operations:
        generation_config = schema.config.generation_for(operation=operation)
        for case in schema.iter_coverage_cases(
            operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=generation_config,
        ):
            run(case, "coverage")

        fixed_params = [None]
        names = [name for name in known if "{" + name + "}" in operation.path]
        if names:
            values = known_for_delete if operation.method.upper() == "DELETE" else known
            fixed_params.append({name: str(values[name]) for name in names})
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for fixed in fixed_params:
                negatable = len(operation.query) or len(operation.body)
                negatable = negatable or (len(operation.path_parameters) and fixed is None)
                if mode is GenerationMode.NEGATIVE and not negatable:
                    continue  # nothing left to make invalid (GET /association)
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

                fuzz(strategy, f"fuzz-{mode.value}")

    # A run that made no call, or left an operation out, would pass without testing anything.
    labels = {op.label for op in operations}
    for phase in ("coverage", "fuzz-positive"):
        assert {label for label, p in calls if p == phase} == labels, (phase, calls)
    assert sum(calls.values()) >= MAX_EXAMPLES * len(operations), calls
    # Cases went through to the services, not only into validation errors.
    assert statuses[200] > 0
    assert statuses[201] > 0
    assert statuses[204] > 0
    assert statuses[422] > 0


def test_openapi_document_declares_errors_and_auth(client):
    """What the fuzzer relies on: every operation needs the token and documents the one
    error shape for each error status; choices are enums."""
    document = client.get("/api/v1/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]

    assert len(operations) >= 8
    for path, method, operation in operations:
        assert operation["security"] == [{"TokenAuth": []}], (path, method)
        for status in ("400", "401", "403", "404", "422", "429"):
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (path, status)
    assert document["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    schemas = document["components"]["schemas"]
    consent_in = schemas["ConsentIn"]["properties"]
    topic = schemas[consent_in["topic"]["$ref"].rsplit("/", 1)[-1]]
    assert set(topic["enum"]) >= {"newsletter", "photos"}
