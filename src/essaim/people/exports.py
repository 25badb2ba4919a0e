"""The team's spreadsheet export of contacts."""

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Person

EXPORT_COLUMNS = (
    ("last_name", _("Last name")),
    ("first_name", _("First name")),
    ("email", _("E-mail")),
    ("phone", _("Phone")),
    ("address_line1", _("Address")),
    ("address_line2", _("Address (continued)")),
    ("postcode", _("Postcode")),
    ("city", _("Town")),
    ("country", _("Country")),
    ("birth_date", _("Date of birth")),
    ("tags", _("Tags")),
    ("created_at", _("Created on")),
)


def person_export_rows(persons: Iterable[Person]):
    """Rows for the team's CSV/XLSX export, dates in French format."""
    for person in persons:
        yield [
            person.last_name,
            person.first_name,
            person.email,
            person.phone_display,
            person.address_line1,
            person.address_line2,
            person.postcode,
            person.city,
            person.country,
            person.birth_date.strftime("%d/%m/%Y") if person.birth_date else "",
            ", ".join(t.name for t in person.tags.all()),
            timezone.localtime(person.created_at).strftime("%d/%m/%Y"),
        ]


def export_header() -> list[str]:
    return [str(label) for _key, label in EXPORT_COLUMNS]
