"""The import screens with the personas: upload, columns, check, import, report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django_scopes import scope

from essaim.members import services as member_services
from essaim.members.importing import reading
from essaim.members.models import DuesPayment, ImportJob, Membership
from essaim.people.models import Person
from tests.members.conftest import import_file


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def client_for(client_for, settings):
    """The personas' clients, with the English interface (the source strings)."""

    def english(user):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return english


@pytest.fixture
def annuelle(association, presidente):
    with scope(association=association):
        return member_services.membership_type_create(
            association=association,
            acting_user=presidente,
            name="Annuelle",
            amount_cents=2000,
            reduced_amount_cents=1000,
        )


def url(association, name, **kwargs):
    return reverse(f"members:{name}", kwargs={"association_slug": association.slug, **kwargs})


def upload(client, association, name="excel_fr_cp1252.csv", data=None, preset="auto"):
    data = import_file(name) if data is None else data
    return client.post(
        url(association, "import"),
        {"file": SimpleUploadedFile(name, data), "preset": preset},
    )


def the_job(association) -> ImportJob:
    with scope(association=association):
        return ImportJob.objects.filter(association=association).latest("created_at")


def mapping_data(job: ImportJob, **changes) -> dict:
    data = {f"col_{index}": field for index, field in job.mapping.items()}
    data.update(
        duplicates="fill",
        default_start="2025-09-01",
        name_order="last_first",
        default_method="other",
        default_type=str(job.options.get("default_type_id") or "none"),
        record_payments="on",
    )
    data.update(changes)
    return data


@pytest.mark.parametrize("user", ["presidente", "tresorier"])
def test_the_treasurer_imports_a_file(
    request, client_for, association, annuelle, user, django_capture_on_commit_callbacks
):
    client = client_for(request.getfixturevalue(user))
    page = client.get(url(association, "import"))
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    response = upload(client, association)
    job = the_job(association)
    assert response.status_code == 302
    assert response["Location"] == url(association, "import_mapping", job_uuid=job.uuid)
    assert job.created_by == request.getfixturevalue(user)

    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert "Courriel" in content and "marie.dupont@orange.fr" in content  # examples
    assert 'value="email" selected' in content
    # "Réduite" is not a type of the association: it must be chosen on this screen.
    assert "Réduite" in content

    data = mapping_data(job)
    data.update({"type_0": str(annuelle.pk), "type_1": str(annuelle.pk)})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(association, "import_mapping", job_uuid=job.uuid), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == url(association, "import_job", job_uuid=job.uuid)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY

    preview = client.get(response["Location"]).content.decode()
    assert "Nothing is imported yet" in preview
    assert "5 rows in the file = 5 created + 0 updated + 0 skipped + 0 rejected" in preview
    assert "DUPONT Marie" in preview
    with scope(association=association):
        assert not Person.objects.filter(association=association, source="import").exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(association, "import_run", job_uuid=job.uuid))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    done = client.get(url(association, "import_job", job_uuid=job.uuid)).content.decode()
    assert "Import finished" in done and "5 memberships created" in done
    with scope(association=association):
        assert Membership.objects.filter(association=association).count() == 5
        assert DuesPayment.objects.filter(association=association).count() == 3

    # Filters of the rows, the report, the history.
    rows = client.get(url(association, "import_job", job_uuid=job.uuid) + "?show=created")
    assert rows.content.decode().count("badge-import-created") == 5
    report = client.get(url(association, "import_report", job_uuid=job.uuid) + "?all=1")
    assert report["Content-Type"].startswith("text/csv")
    text = report.content.decode("utf-8-sig")
    assert text.splitlines()[0].endswith(";Line;Result;Error")
    assert len(text.splitlines()) == 6
    history = client.get(url(association, "import")).content.decode()
    assert "excel_fr_cp1252.csv" in history and "5 created" in history


def test_status_fragment_polls_then_reloads(client_for, presidente, association, annuelle):
    client = client_for(presidente)
    upload(client, association, "doublons.csv")
    job = the_job(association)
    with scope(association=association):
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.RUNNING, total_rows=6, processed_rows=2
        )
    page = client.get(url(association, "import_job", job_uuid=job.uuid)).content.decode()
    status_url = url(association, "import_status", job_uuid=job.uuid)
    assert f'hx-get="{status_url}"' in page and 'hx-trigger="every 2s"' in page
    assert "<progress" in page and "2 of 6 rows (33 %)" in page
    assert "Refresh" in page  # without JavaScript
    fragment = client.get(status_url, HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in fragment and "<progress" in fragment.content.decode()
    with scope(association=association):
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    fragment = client.get(status_url, HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true"


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("vide.csv", None, "is empty"),
        ("binaire.csv", None, "not a spreadsheet"),
        ("sans_entetes.csv", None, "column titles"),
        ("entetes_sans_donnees.csv", None, "no rows"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "image"),
    ],
)
def test_refused_files_say_why(client_for, presidente, association, name, data, message):
    response = upload(client_for(presidente), association, name, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    with scope(association=association):
        assert not ImportJob.objects.exists()


def test_too_large_file(client_for, presidente, association, monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 50)
    response = upload(client_for(presidente), association, "doublons.csv")
    assert "20 MB" in response.content.decode()


def test_mapping_errors_are_shown_and_nothing_starts(client_for, presidente, association, annuelle):
    client = client_for(presidente)
    upload(client, association, "doublons.csv")
    job = the_job(association)
    response = client.post(
        url(association, "import_mapping", job_uuid=job.uuid),
        mapping_data(job, col_0="email", col_1="email", col_2="email"),
    )
    assert response.status_code == 200
    assert "Several columns go to" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRAFT


def test_choosing_the_type_column_asks_for_the_types(client_for, presidente, association):
    client = client_for(presidente)
    with scope(association=association):
        member_services.membership_type_create(
            association=association, acting_user=presidente, name="Réduite", amount_cents=1000
        )
    upload(client, association, "excel_fr_cp1252.csv")
    job = the_job(association)
    response = client.post(url(association, "import_mapping", job_uuid=job.uuid), mapping_data(job))
    # "Annuelle" is not a type: the value must be matched; "Réduite" is proposed by itself.
    assert response.status_code == 200
    content = response.content.decode()
    assert "Choose the membership type for this value of the file" in content


def test_without_finance_capability_no_payment_is_recorded(
    client_for, secretaire, association, annuelle, django_capture_on_commit_callbacks
):
    client = client_for(secretaire)
    upload(client, association, "excel_fr_cp1252.csv")
    job = the_job(association)
    page = client.get(url(association, "import_mapping", job_uuid=job.uuid)).content.decode()
    assert 'name="record_payments"' not in page
    data = mapping_data(job, type_0=str(annuelle.pk), type_1=str(annuelle.pk))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(association, "import_mapping", job_uuid=job.uuid), data)
    job.refresh_from_db()
    assert job.options["record_payments"] is False
    assert job.counts["payments"] == 0


def test_choose_another_sheet(client_for, presidente, association):
    client = client_for(presidente)
    upload(client, association, "classeur_dates.xlsx")
    job = the_job(association)
    page = client.get(url(association, "import_mapping", job_uuid=job.uuid)).content.decode()
    assert "Bénévoles" in page
    response = client.post(
        url(association, "import_mapping", job_uuid=job.uuid),
        {"action": "sheet", "sheet": "Bénévoles"},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.sheet == "Bénévoles" and job.header == ["Nom", "Prénom", "Courriel"]


def test_cancel_a_checked_import(
    client_for, presidente, association, django_capture_on_commit_callbacks
):
    client = client_for(presidente)
    upload(client, association, "doublons.csv")
    job = the_job(association)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(association, "import_mapping", job_uuid=job.uuid), mapping_data(job))
    response = client.post(url(association, "import_delete", job_uuid=job.uuid))
    assert response.status_code == 302
    with scope(association=association):
        assert not ImportJob.objects.filter(pk=job.pk).exists()


def test_done_imports_cannot_be_deleted_or_remapped(
    client_for, presidente, association, django_capture_on_commit_callbacks
):
    client = client_for(presidente)
    upload(client, association, "doublons.csv")
    job = the_job(association)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(association, "import_mapping", job_uuid=job.uuid), mapping_data(job))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(association, "import_run", job_uuid=job.uuid))
    assert client.post(url(association, "import_delete", job_uuid=job.uuid)).status_code == 302
    with scope(association=association):
        assert ImportJob.objects.filter(pk=job.pk).exists()
    response = client.get(url(association, "import_mapping", job_uuid=job.uuid))
    assert response["Location"] == url(association, "import_job", job_uuid=job.uuid)
    again = client.post(url(association, "import_run", job_uuid=job.uuid))
    assert again.status_code == 302  # refused with a message, nothing imported twice
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE


def test_links_from_the_member_list(client_for, presidente, association):
    content = client_for(presidente).get(url(association, "list")).content.decode()
    assert url(association, "import") in content


@pytest.fixture
def a_job(association, presidente):
    from essaim.members.importing import services as import_services

    with scope(association=association):
        return import_services.import_job_create(
            association=association,
            acting_user=presidente,
            data=import_file("doublons.csv"),
            name="doublons.csv",
        )


def _import_urls(association, job):
    return [
        url(association, "import"),
        url(association, "import_job", job_uuid=job.uuid),
        url(association, "import_mapping", job_uuid=job.uuid),
        url(association, "import_status", job_uuid=job.uuid),
        url(association, "import_run", job_uuid=job.uuid),
        url(association, "import_report", job_uuid=job.uuid),
        url(association, "import_delete", job_uuid=job.uuid),
    ]


def test_volunteer_gets_403(client_for, benevole, association, a_job):
    client = client_for(benevole)
    for address in _import_urls(association, a_job):
        assert client.get(address).status_code == 403, address
        assert client.post(address).status_code == 403, address


def test_outsider_gets_404_everywhere(client_for, outsider, other_association, association, a_job):
    client = client_for(outsider)
    for address in _import_urls(association, a_job):
        assert client.get(address).status_code == 404, address
        assert client.post(address).status_code == 404, address
    # Their own association's address with the victim's import: 404 as well.
    for address in _import_urls(other_association, a_job)[1:]:
        assert client.get(address).status_code in (404, 405), address
        assert client.post(address).status_code == 404, address
