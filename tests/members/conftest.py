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
