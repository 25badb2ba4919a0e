"""members_import: 100,000 members from a French Excel CSV, checked then imported.

Quality bar (MISSION.md, issue 3): importing 100,000 rows from a French CSV takes under 60 s,
on SQLite and on PostgreSQL, with a preview, a row-by-row error report and nothing silently
dropped.

The file is what French Excel writes with "CSV (séparateur : point-virgule)": cp1252,
semicolons, CRLF, dates as dd/mm/yyyy, amounts as "20,00", phones as typed. It is generated
with essaim.lib.frenchdata.FrenchPeople (seeded); one row in 500 is broken on purpose (an
e-mail without domain, a date that does not exist) and one in 1,000 repeats an earlier row,
so the preview has errors and in-file duplicates to report.

Measured, through the services the screens call (tasks run in-process): the upload (file
read and checked), the check (every row's outcome, nothing written: the preview), the import
(bulk writes, one transaction per 2,000 rows), then the same file imported a second time,
which must change nothing. `value` is upload + check + import of the first run: what the
treasurer waits for between choosing the file and seeing her members.
"""

import csv
import io
import time

from django.test import override_settings
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core import services as core_services
from essaim.core.models import Association
from essaim.lib.frenchdata import FrenchPeople
from essaim.members import services as member_services
from essaim.members.importing import services as import_services
from essaim.members.models import DuesPayment, ImportJob, Membership, MembershipType
from essaim.people.models import Consent, Person

from . import data
from .harness import Context, Result, Stopwatch, Table, out
from .registry import register

TARGET_S = 60.0
ROWS = 100_000
SLUG = "bench-import"
HEADER = (
    "Nom",
    "Prénom",
    "Courriel",
    "Téléphone",
    "Adresse",
    "Code postal",
    "Ville",
    "Date de naissance",
    "Date d'adhésion",
    "Formule",
    "Montant",
    "Réglé",
    "Moyen de paiement",
)
METHODS = ("Chèque", "Espèces", "Virement", "CB", "")


def french_excel_csv(rows: int, seed: int = 1901) -> bytes:
    """The member list as French Excel saves it (cp1252, semicolons, CRLF)."""
    people = FrenchPeople(seed=seed, email_share=0.9, phone_share=0.7)
    rng = people.random
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    written = []
    for index in range(rows):
        if index % 1000 == 999 and written:
            writer.writerow(written[rng.randrange(len(written))])  # a row typed twice
            continue
        fake = people.person()
        reduced = rng.random() < 0.2
        method = rng.choice(METHODS)
        joined = f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/2025"
        phone = fake.phone
        if phone.startswith("+33"):
            phone = "0" + phone[3:]
            phone = " ".join(phone[i : i + 2] for i in range(0, 10, 2))
        row = [
            fake.last_name,
            fake.first_name,
            fake.email,
            phone,
            fake.address_line1,
            fake.postcode,
            fake.city,
            fake.birth_date.strftime("%d/%m/%Y") if fake.birth_date else "",
            joined,
            "Réduite" if reduced else "Annuelle",
            "10,00" if reduced else "20,00",
            "oui" if method else "non",
            method,
        ]
        if index % 500 == 250:
            row[2] = row[2].split("@")[0] + "@"  # an address without domain
        elif index % 500 == 499:
            row[7] = "31/02/1985"  # a date that does not exist
        written.append(row)
        writer.writerow(row)
    return buffer.getvalue().encode("cp1252", errors="replace")


def _fresh_association(user) -> Association:
    """The import's association, emptied of what the previous run imported."""
    with scopes_disabled():
        association = Association.objects.filter(slug=SLUG).first()
    if association is None:
        association = core_services.association_create(
            acting_user=user, name="Bench — Import de 100 000 adhérents", slug=SLUG
        )
    with scope(association=association):
        ImportJob.objects.filter(association=association).delete()
        Membership.objects.filter(association=association).delete()
        DuesPayment.objects.filter(association=association).delete()
        MembershipType.objects.filter(association=association).delete()
        Person.tags.through.objects.filter(person__association=association).delete()
        Consent.objects.filter(association=association).delete()
        Person.objects.filter(association=association, source=Person.Source.IMPORT).delete()
        for name, amount in (("Annuelle", 2000), ("Réduite", 1000)):
            member_services.membership_type_create(
                association=association, acting_user=user, name=name, amount_cents=amount
            )
    return association


def _import(association, user, payload: bytes) -> tuple[ImportJob, dict]:
    """Upload, check, import: the three steps of the screens, each timed (seconds)."""
    times = {}
    with (
        scope(association=association),
        override_settings(
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
        ),
    ):
        with Stopwatch() as watch:
            job = import_services.import_job_create(
                association=association,
                acting_user=user,
                data=payload,
                name="adherents-2025.csv",
            )
        times["upload"] = watch.seconds
        types = {t.name: t for t in MembershipType.objects.filter(association=association)}
        with Stopwatch() as watch:
            import_services.import_job_configure(
                association=association,
                acting_user=user,
                job=job,
                mapping=job.mapping,
                default_type=types["Annuelle"],
                type_map={},
                duplicates=ImportJob.Duplicates.FILL,
            )
        times["check"] = watch.seconds
        job.refresh_from_db()
        if job.status != ImportJob.Status.READY:
            raise AssertionError(f"the check ended as {job.status}: {job.error}")
        with Stopwatch() as watch:
            import_services.import_job_start(association=association, acting_user=user, job=job)
        times["import"] = watch.seconds
        job.refresh_from_db()
        if job.status != ImportJob.Status.DONE:
            raise AssertionError(f"the import ended as {job.status}: {job.error}")
    return job, times


def _adds_up(counts: dict) -> bool:
    return counts["rows"] == sum(counts[k] for k in ("created", "updated", "skipped", "rejected"))


@register(
    "members_import",
    target=TARGET_S,
    unit="s",
    description="import 100,000 members from a French Excel CSV (cp1252, semicolons)",
)
def members_import(context: Context) -> Result:
    if not context.database.is_postgresql:
        out("Measured on SQLite: the target holds for SQLite too (issue 3).")
    user = data.bench_user()
    with Stopwatch() as watch:
        payload = french_excel_csv(ROWS)
    out(
        f"Generated the CSV: {ROWS:,} rows, {len(payload) / 1e6:.1f} MB, cp1252, semicolons "
        f"({watch.seconds:.1f} s, not counted)."
    )
    association = _fresh_association(user)
    data.refresh_seat(association, user)

    table = Table(
        [
            ("run", 22),
            ("upload s", -9),
            ("check s", -8),
            ("import s", -9),
            ("total s", -8),
            ("target", -7),
            ("created", -8),
            ("updated", -8),
            ("skipped", -8),
            ("rejected", -8),
        ]
    )
    table.header()
    started = time.perf_counter()
    job, times = _import(association, user, payload)
    first_total = times["upload"] + times["check"] + times["import"]
    first = job.counts
    table.row(
        "first import",
        f"{times['upload']:.1f}",
        f"{times['check']:.1f}",
        f"{times['import']:.1f}",
        f"{first_total:.1f}",
        f"< {TARGET_S:.0f}",
        first["created"],
        first["updated"],
        first["skipped"],
        first["rejected"],
    )
    with scope(association=association):
        persons = Person.objects.filter(association=association, source="import").count()
        memberships = Membership.objects.filter(association=association).count()
    job_again, times_again = _import(association, user, payload)
    again = job_again.counts
    again_total = times_again["upload"] + times_again["check"] + times_again["import"]
    table.row(
        "same file again",
        f"{times_again['upload']:.1f}",
        f"{times_again['check']:.1f}",
        f"{times_again['import']:.1f}",
        f"{again_total:.1f}",
        "",
        again["created"],
        again["updated"],
        again["skipped"],
        again["rejected"],
    )
    with scope(association=association):
        unchanged = (
            Person.objects.filter(association=association, source="import").count() == persons
            and Membership.objects.filter(association=association).count() == memberships
        )
    out(f"Wall time of both runs: {time.perf_counter() - started:.1f} s ({timezone.now():%H:%M}).")
    adds_up = _adds_up(first) and _adds_up(again) and first["rows"] == ROWS
    idempotent = unchanged and again["created"] == 0 and again["updated"] == 0
    ok = first_total < TARGET_S and adds_up and idempotent
    result = Result(name="members_import", value=first_total, unit="s", target=TARGET_S, ok=ok)
    result.notes.append(
        f"{ROWS:,} rows: upload {times['upload']:.1f} s + check (preview) {times['check']:.1f} s "
        f"+ import {times['import']:.1f} s = {first_total:.1f} s, target < {TARGET_S:.0f} s; "
        f"{persons:,} contacts and {memberships:,} memberships created; counts "
        f"{'add up' if adds_up else 'DO NOT add up'}; the second run "
        f"{'changed nothing' if idempotent else 'CHANGED DATA'} "
        f"({again['skipped']:,} skipped, {again['rejected']:,} rejected)."
    )
    return result
