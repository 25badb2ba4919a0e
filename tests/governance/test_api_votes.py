"""API of votes: prepare on an agenda item, open, paper roll and paper ballots (tokens are
the team's), close and seal, result, verify, publish, recount export; bad input is a 422
with the shared error shape; another association's vote is a 404."""

import pytest
from django_scopes import scope

from essaim.governance import recount, services
from essaim.governance.models import Ballot
from tests.api.conftest import ApiClient, assert_error_shape, token_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@pytest.fixture
def meeting(association, presidente, make_members, make_assembly, rules):
    members = make_members(4)
    assembly = make_assembly(days=0)
    with scope(association=association):
        services.assembly_convene(
            association=association, acting_user=presidente, assembly=assembly
        )
        for person in members[:3]:
            services.attendance_check_in(
                association=association, acting_user=presidente, assembly=assembly, person=person
            )
        services.proxy_give(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            giver=members[3],
            holder=members[0],
        )
        services.assembly_open(association=association, acting_user=presidente, assembly=assembly)
    return assembly, members


@pytest.fixture
def api(presidente, association):
    return ApiClient(token_for(presidente, association))


def test_a_secret_vote_through_the_api(api, association, meeting):
    assembly, m = meeting
    with scope(association=association):
        item = assembly.items.first()
    created = api.post(
        "/api/v1/votes", {"assembly": str(assembly.uuid), "agenda_item": str(item.uuid)}
    )
    assert created.status_code == 201, created.content
    vote = created.json()
    assert vote["title"] == item.title and vote["majority"] == "simple" and vote["secret"]
    listed = api.get(f"/api/v1/votes?assembly={assembly.uuid}").json()
    assert [v["uuid"] for v in listed["items"]] == [vote["uuid"]]
    url = f"/api/v1/votes/{vote['uuid']}"
    assert api.post(f"{url}/open").json()["status"] == "open"
    for voter, represented in ((m[1], None), (m[2], None), (m[0], m[3])):
        payload = {"voter": str(voter.uuid)}
        if represented:
            payload["represented"] = str(represented.uuid)
        assert api.post(f"{url}/paper-roll", payload).status_code == 201
    twice = api.post(f"{url}/paper-roll", {"voter": str(m[1].uuid)})
    assert_error_shape(twice, 422)
    stuffed = api.post(f"{url}/paper-ballots", {"entries": [{"choice": "yes", "count": 4}]})
    assert_error_shape(stuffed, 422)
    bad = api.post(f"{url}/paper-ballots", {"entries": [{"choice": "maybe", "count": 1}]})
    assert "yes, no or abstain" in str(assert_error_shape(bad, 422))
    added = api.post(
        f"{url}/paper-ballots",
        {"entries": [{"choice": "yes", "count": 2}, {"choice": None, "count": 1}]},
    )
    assert added.status_code == 201 and added.json()["added"] == 3
    assert added.json()["participation"]["paper"] == 3
    live = api.get(f"{url}/result").json()
    assert live["counts"] is None and live["voters"] == 3
    assert_error_shape(api.get(f"{url}/export"), 422)
    closed = api.post(f"{url}/close").json()
    assert closed["status"] == "closed" and len(closed["final_hash"]) == 64
    result = api.get(f"{url}/result").json()
    assert result["adopted"] is True and result["counts"]["yes"] == 2 and result["blank"] == 1
    assert api.post(f"{url}/verify").json()["ok"] is True
    export = api.get(f"{url}/export").json()
    assert recount.recount(export)["verification"]["ok"]
    assert api.post(f"{url}/publish").json()["status"] == "published"
    assert api.get("/api/v1/votes").json()["count"] == 1


def test_bad_creation_and_tampering(api, association, meeting):
    assembly, m = meeting
    base = "/api/v1/votes"
    here = {"assembly": str(assembly.uuid)}
    bad = api.post(base, {**here, "title": "Board", "method": "ranked", "options": ["Alice"]})
    body = assert_error_shape(bad, 422)
    assert body["errors"][0]["loc"] == ["body", "options"]
    assert_error_shape(api.post(base, {**here, "title": "X", "max_score": 1000}), 422)
    missing = api.post(base, {**here, "agenda_item": "00000000-0000-0000-0000-000000000000"})
    assert missing.status_code == 404
    # Without a meeting: an online vote, refused while the statutes forbid remote voting.
    assert "remote voting" in str(assert_error_shape(api.post(base, {"title": "Online"}), 422))
    vote = api.post(base, {**here, "title": "Budget"}).json()
    url = f"/api/v1/votes/{vote['uuid']}"
    assert_error_shape(api.post(f"{url}/close"), 422)
    api.post(f"{url}/open")
    api.post(f"{url}/paper-roll", {"voter": str(m[1].uuid)})
    api.post(f"{url}/paper-ballots", {"entries": [{"choice": "no", "count": 1}]})
    api.post(f"{url}/close")
    with scope(association=association):
        Ballot.objects.filter(vote__uuid=vote["uuid"]).update(weight=5)
    check = api.post(f"{url}/verify").json()
    assert check["ok"] is False and check["problems"][0]["code"] == "modified"
    refused = api.post(f"{url}/publish")
    assert "does not match its seal" in str(assert_error_shape(refused, 422))


def test_another_associations_vote_is_404(
    outsider, other_association, association, presidente, meeting
):
    assembly, _m = meeting
    vote = (
        ApiClient(token_for(presidente, association))
        .post("/api/v1/votes", {"assembly": str(assembly.uuid), "title": "Budget"})
        .json()
    )
    other = ApiClient(token_for(outsider, other_association))
    for path in ("", "/result", "/export", "/participation"):
        assert other.get(f"/api/v1/votes/{vote['uuid']}{path}").status_code == 404
    for path in ("/open", "/close", "/publish", "/verify"):
        assert other.post(f"/api/v1/votes/{vote['uuid']}{path}").status_code == 404
    assert other.get(f"/api/v1/votes?assembly={assembly.uuid}").status_code == 404
    assert other.post("/api/v1/votes", {"assembly": str(assembly.uuid)}).status_code == 404


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_vote_endpoints_never_fail(presidente, association, meeting, in_scope):
    """Schemathesis on every /votes operation: whatever comes in (ballots of any shape
    included), no 5xx, and every answer matches the OpenAPI document."""
    import schemathesis
    from django.core.cache import cache
    from django.core.handlers.wsgi import WSGIHandler
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    assembly, _m = meeting
    token = token_for(presidente, association)
    api = ApiClient(token)
    vote = api.post("/api/v1/votes", {"assembly": str(assembly.uuid), "title": "Fuzz"}).json()
    api.post(f"/api/v1/votes/{vote['uuid']}/open")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.path.startswith("/api/v1/votes")
    ]
    assert len(operations) == 12, [op.label for op in operations]
    auth = {"Authorization": f"Bearer {token}"}
    checks = [not_a_server_error, response_schema_conformance]
    calls = 0

    def run(case):
        nonlocal calls
        cache.clear()
        response = case.call(headers=auth)
        calls += 1
        case.validate_response(response, checks=checks)

    for operation in operations:
        fixed = {"vote_uuid": vote["uuid"]} if "{vote_uuid}" in operation.path else None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

            @settings(
                max_examples=15,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def fuzz(case):
                run(case)

            fuzz()
    assert calls > 100
