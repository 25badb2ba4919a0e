import pathlib

import pytest
from django_scopes import scope

from essaim.members import services
from essaim.people import services as people_services


@pytest.fixture
def scoped(association):
    with scope(association=association):
        yield association


@pytest.fixture
def annual(association, presidente):
    with scope(association=association):
        return services.membership_type_create(
            association=association,
            acting_user=presidente,
            name="Adhésion annuelle",
            amount_cents=2000,
            reduced_amount_cents=1000,
            reduced_label="étudiants, demandeurs d'emploi",
        )


@pytest.fixture
def family(association, presidente):
    with scope(association=association):
        return services.membership_type_create(
            association=association,
            acting_user=presidente,
            name="Famille",
            amount_cents=3500,
            is_household=True,
            max_household_size=4,
        )


@pytest.fixture
def make_person(association, presidente):
    def make(**fields):
        fields.setdefault("last_name", "Martin")
        with scope(association=association):
            return people_services.person_create(
                association=association, acting_user=presidente, **fields
            )

    return make


# --- Imports (test_import_*.py) -----------------------------------------------------------

IMPORT_FILES = pathlib.Path(__file__).parent / "files"


def import_file(name: str) -> bytes:
    return (IMPORT_FILES / name).read_bytes()


@pytest.fixture
def run_import(association, presidente, django_capture_on_commit_callbacks):
    """Upload, map (the automatic mapping unless given), check and import a file, through
    the services and the tasks (immediate backend), as the screens do."""
    from essaim.members.importing import services as import_services
    from essaim.members.models import ImportJob

    def run(data: bytes, name: str = "import.csv", *, user=None, start: bool = True, **config):
        user = user or presidente
        with scope(association=association):
            job = import_services.import_job_create(
                association=association, acting_user=user, data=data, name=name
            )
            config.setdefault("mapping", job.mapping)
            config.setdefault("default_type", None)
            config.setdefault("type_map", {})
            config.setdefault("duplicates", ImportJob.Duplicates.FILL)
            with django_capture_on_commit_callbacks(execute=True):
                import_services.import_job_configure(
                    association=association, acting_user=user, job=job, **config
                )
            job.refresh_from_db()
            assert job.status == ImportJob.Status.READY, job.error
            if start:
                with django_capture_on_commit_callbacks(execute=True):
                    import_services.import_job_start(
                        association=association, acting_user=user, job=job
                    )
                job.refresh_from_db()
        return job

    return run


def counts_add_up(job) -> bool:
    counts = job.counts
    return counts["rows"] == sum(
        counts[key] for key in ("created", "updated", "skipped", "rejected")
    )


PAY = "Chèque à l'ordre des Amis du Quartier, 12 rue des Lilas, 75011 Paris"


@pytest.fixture
def open_join(association, presidente, annual):
    with scope(association=association):
        services.membership_settings_update(
            association=association,
            acting_user=presidente,
            join_enabled=True,
            payment_instructions=PAY,
            statutes_url="https://example.org/statuts.pdf",
        )
    return association
