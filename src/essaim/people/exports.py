"""Exports of contact data: the data subject's own archive, and the team's spreadsheets."""

import io
import json
import zipfile
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from essaim.core.privacy import registry
from essaim.lib.spreadsheets import csv_bytes

from .models import Person

README = """Vos données dans Essaim / Your data in Essaim

mes-donnees.json : toutes vos données, lisibles par une machine (RGPD art. 20).
Les fichiers .csv : les mêmes données en tableaux, à ouvrir avec un tableur.
  compte/ : votre compte (identifiants, sessions, équipes).
  <association>/ : ce que chaque association sait de vous.

Pour faire corriger ou effacer des données, écrivez à l'association concernée ;
pour votre compte, utilisez la page « Mon compte ».
"""


def _rows_csv(rows: list[dict]) -> bytes:
    header: list[str] = []
    for row in rows:
        for key in row:
            if key not in header:
                header.append(key)
    return csv_bytes(
        header,
        ([_flat(row.get(k, "")) for k in header] for row in rows),
    )


def _flat(value) -> object:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def user_data_export(user) -> bytes:
    """A zip with everything the instance holds about `user`: JSON and CSV."""
    document: dict = {
        "generated_at": timezone.now().isoformat(),
        "account": {},
        "associations": [],
    }
    files: dict[str, bytes] = {}
    for entry in registry.entries():
        if entry.export_user is None:
            continue
        rows = entry.export_user(user)
        document["account"][entry.key] = rows
        if rows:
            files[f"compte/{entry.key}.csv"] = _rows_csv(rows)
    with scopes_disabled():
        persons = list(
            Person.objects.filter(user=user, erased_at__isnull=True)
            .select_related("association")
            .prefetch_related("tags")
        )
        for person in persons:
            section = {"association": person.association.name, "data": {}}
            for entry in registry.entries():
                if entry.export_person is None:
                    continue
                rows = entry.export_person(person)
                section["data"][entry.key] = rows
                if rows:
                    files[f"{person.association.slug}/{entry.key}.csv"] = _rows_csv(rows)
            document["associations"].append(section)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("LISEZ-MOI.txt", README)
        archive.writestr(
            "mes-donnees.json", json.dumps(document, ensure_ascii=False, indent=2, default=str)
        )
        for name, content in sorted(files.items()):
            archive.writestr(name, content)
    return buffer.getvalue()


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
