"""API of member imports: status, progress and counts; starting a checked import; personas."""

import pytest
from django_scopes import scope

from essaim.members import services
from essaim.members.models import ImportJob
from tests.api.conftest import ApiClient, token_for
from tests.members.conftest import import_file


@pytest.fixture
def api(presidente, association):
    return ApiClient(token_for(presidente, association))


@pytest.fixture
def annual(association, presidente):
    with scope(association=association):
        return services.membership_type_create(
            association=association, acting_user=presidente, name="Annuelle", amount_cents=2000
        )


def test_follow_and_start_an_import(
    api, association, annual, run_import, django_capture_on_commit_callbacks
):
    job = run_import(import_file("doublons.csv"), "doublons.csv", start=False)
    listed = api.get("/api/v1/member-imports")
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    item = listed.json()["items"][0]
    assert item["uuid"] == str(job.uuid) and item["file_name"] == "doublons.csv"
    assert item["status"] == "ready" and item["phase"] == "preview"
    preview = item["preview_counts"]
    assert preview["rows"] == job.total_rows > 0
    assert sum(preview[k] for k in ("created", "updated", "skipped", "rejected")) == preview["rows"]

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(f"/api/v1/member-imports/{job.uuid}/run")
    assert started.status_code == 202, started.json()
    assert started.json()["phase"] == "import"

    done = api.get(f"/api/v1/member-imports/{job.uuid}").json()
    assert done["status"] == "done" and done["percent"] == 100
    assert done["stalled"] is False and done["file_deleted"] is False
    counts = done["counts"]
    assert counts["rows"] == job.total_rows
    assert sum(counts[k] for k in ("created", "updated", "skipped", "rejected")) == counts["rows"]
    assert done["finished_at"] is not None

    # Started twice: a clear 422, nothing re-imported.
    again = api.post(f"/api/v1/member-imports/{job.uuid}/run")
    assert again.status_code == 422
    assert again.json()["errors"][0]["msg"]
    assert api.get(f"/api/v1/member-imports/{job.uuid}").json()["counts"] == counts


def test_import_of_another_association_is_404(
    association, annual, run_import, outsider, other_association
):
    job = run_import(import_file("doublons.csv"), "doublons.csv", start=False)
    theirs = ApiClient(token_for(outsider, other_association))
    assert theirs.get(f"/api/v1/member-imports/{job.uuid}").status_code == 404
    assert theirs.post(f"/api/v1/member-imports/{job.uuid}/run").status_code == 404
    assert theirs.get("/api/v1/member-imports").json()["count"] == 0
    with scope(association=association):
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.READY


def test_imports_need_the_member_management_capability(association, presidente, annual, run_import):
    job = run_import(import_file("doublons.csv"), "doublons.csv", start=False)
    volunteer = ApiClient(token_for(presidente, association, {"can_view_members"}))
    response = volunteer.get(f"/api/v1/member-imports/{job.uuid}")
    assert response.status_code == 403
    assert "can_manage_members" in response.json()["detail"]
    assert volunteer.post(f"/api/v1/member-imports/{job.uuid}/run").status_code == 403


def test_unknown_or_malformed_uuid(api):
    assert api.get("/api/v1/member-imports/00000000-0000-0000-0000-000000000000").status_code == 404
    assert api.get("/api/v1/member-imports/not-a-uuid").status_code == 422
