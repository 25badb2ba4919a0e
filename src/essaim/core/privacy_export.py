"""The data subject's archive (RGPD art. 15 and 20): everything the instance holds on them."""

import io
import json
import zipfile

from django.utils import timezone
from django_scopes import scopes_disabled

from essaim.lib.spreadsheets import csv_bytes

from .privacy import registry

README = """Vos données dans Essaim / Your data in Essaim

mes-donnees.json : toutes vos données, lisibles par une machine (RGPD art. 20).
Les fichiers .csv : les mêmes données en tableaux, à ouvrir avec un tableur.
  compte/ : votre compte (identifiants, sessions, équipes).
  <association>/ : ce que chaque association sait de vous.

Pour faire corriger ou effacer des données, écrivez à l'association concernée ;
pour votre compte, utilisez la page « Mon compte ».
"""


def _flat(value) -> object:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _rows_csv(rows: list[dict]) -> bytes:
    header: list[str] = []
    for row in rows:
        for key in row:
            if key not in header:
                header.append(key)
    return csv_bytes(header, ([_flat(row.get(k, "")) for k in header] for row in rows))


def user_data_export(user) -> bytes:
    """A zip with the account's data and, per association, its record of the user."""
    document: dict = {"generated_at": timezone.now().isoformat(), "account": {}, "associations": []}
    files: dict[str, bytes] = {}
    entries = registry.entries()
    for entry in entries:
        if entry.export_user is not None:
            rows = entry.export_user(user)
            document["account"][entry.key] = rows
            if rows:
                files[f"compte/{entry.key}.csv"] = _rows_csv(rows)
    # The archive spans every association the user is known in: no single tenant scope.
    with scopes_disabled():
        for subject in registry.subjects_of(user):
            section = {"association": subject.label, "data": {}}
            for entry in entries:
                if entry.export_person is not None:
                    rows = entry.export_person(subject.record)
                    section["data"][entry.key] = rows
                    if rows:
                        files[f"{subject.folder}/{entry.key}.csv"] = _rows_csv(rows)
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
