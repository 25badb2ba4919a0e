"""Fuzzing of the governance endpoints of the OpenAPI document (as tests/api does for the
whole API): whatever comes in, no 5xx, and every answer matches the document."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api.conftest import token_for

SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_governance_endpoints_never_fail(
    presidente, association, make_members, make_assembly, convene, rules, in_scope
):
    make_members(3)
    assembly = make_assembly()
    convene(assembly)
    token = token_for(presidente, association)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if "/assemblies" in op.path
    ]
    assert len(operations) == 6, [op.label for op in operations]
    auth = {"Authorization": f"Bearer {token}"}
    calls = 0

    def run(case):
        nonlocal calls
        cache.clear()
        response = case.call(headers=auth)
        calls += 1
        case.validate_response(response, checks=CHECKS)

    for operation in operations:
        for case in schema.iter_coverage_cases(
            operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=schema.config.generation_for(operation=operation),
        ):
            run(case)
        fixed = None
        if "{assembly_uuid}" in operation.path:
            fixed = {"assembly_uuid": str(assembly.uuid)}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

            @SETTINGS
            @given(case=strategy)
            def fuzz(case):
                run(case)

            fuzz()
    assert calls > 100
