"""Unsaved contacts from generated data, for the demo and the benchmarks (bulk_create)."""

from essaim.core.models import Association
from essaim.lib.frenchdata import FakePerson

from .models import Person


def person_from_fake(association: Association, fake: FakePerson) -> Person:
    """A Person ready for bulk_create: bulk_create skips save(), so the derived search and
    sort columns are filled here."""
    person = Person(
        association=association,
        source=Person.Source.IMPORT,
        first_name=fake.first_name,
        last_name=fake.last_name,
        email=fake.email,
        phone=fake.phone,
        address_line1=fake.address_line1,
        postcode=fake.postcode,
        city=fake.city,
        birth_date=fake.birth_date,
    )
    person.refresh_derived()
    return person
