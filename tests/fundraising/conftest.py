"""Fixtures of the fundraising tests: an association that may issue receipts, donors, gifts."""

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.fundraising import campaigns, services
from essaim.people import services as people_services


@pytest.fixture
def eligible(association, presidente):
    """`association`, declared eligible, with what a receipt prints about it."""
    with scopes_disabled():
        association.rna = "W751234567"
        association.objet = "Animer la vie du quartier Saint-Ambroise et aider ses habitants."
        association.address_line1 = "12 rue Saint-Maur"
        association.postcode = "75011"
        association.city = "Paris"
        association.save()
    with scope(association=association):
        services.fiscal_settings_update(
            association=association,
            acting_user=presidente,
            eligible=True,
            signatory_name="Hélène Martin",
            signatory_title="Présidente",
            place="Paris",
        )
    return association


@pytest.fixture
def donor(association, presidente):
    with scope(association=association):
        return people_services.person_create(
            association=association,
            acting_user=presidente,
            first_name="Émilie",
            last_name="Nguyễn",
            email="emilie@example.org",
            address_line1="3 rue Oberkampf",
            postcode="75011",
            city="Paris",
        )


@pytest.fixture
def give(association, tresorier):
    """gift_record by the treasurer: a cheque of 50 € given today by default."""

    def make(**fields):
        fields.setdefault("association", association)
        fields.setdefault("acting_user", tresorier)
        fields.setdefault("amount_cents", 5000)
        fields.setdefault("received_on", timezone.localdate() - dt.timedelta(days=1))
        fields.setdefault("method", "cheque")
        fields.setdefault("person", None)
        with scope(association=fields["association"]):
            return services.gift_record(**fields)

    return make


@pytest.fixture
def make_campaign(association, tresorier):
    def make(**fields):
        fields.setdefault("slug", "toiture")
        fields.setdefault("title", "Un toit pour la maison de quartier")
        fields.setdefault("goal_cents", 1_000_000)
        with scope(association=association):
            return campaigns.campaign_create(
                association=association, acting_user=tresorier, **fields
            )

    return make
