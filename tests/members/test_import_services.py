"""The import through its services: every row accounted for, duplicates, memberships and
payments, idempotence, presets, resume after a crash, retention."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog
from essaim.members import services as member_services
from essaim.members.importing import engine, reading
from essaim.members.importing import selectors as import_selectors
from essaim.members.importing import services as import_services
from essaim.members.models import DuesPayment, ImportChunk, ImportJob, Membership
from essaim.payments.models import Payment
from essaim.people import services as people_services
from essaim.people.models import Person
from tests.members.conftest import counts_add_up, import_file

pytestmark = pytest.mark.usefixtures("_english")


@pytest.fixture
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def types(association, presidente):
    with scope(association=association):
        made = {}
        for name, amount, reduced in (
            ("Annuelle", 2000, 1000),
            ("Réduite", 1000, None),
            ("Adhésion adulte", 2500, None),
            ("Adhésion jeune", 1200, None),
        ):
            made[name] = member_services.membership_type_create(
                association=association,
                acting_user=presidente,
                name=name,
                amount_cents=amount,
                reduced_amount_cents=reduced,
            )
        return made


def rows_of(job, show="all") -> dict[int, dict]:
    with scope(association=job.association):
        rows = import_selectors.result_rows(job, show)
        return {row["line"]: row for row in rows[0 : rows.count()]}


def persons(association):
    with scope(association=association):
        return Person.objects.filter(association=association, source=Person.Source.IMPORT)


IMPORTABLE = [
    "excel_fr_cp1252.csv",
    "libreoffice_utf8_bom.csv",
    "excel_texte_unicode.txt",
    "tabulations.tsv",
    "helloasso_adherents.csv",
    "helloasso_commandes.csv",
    "paheko_membres.csv",
    "lignes_cassees.csv",
    "doublons.csv",
    "injection_formules.csv",
    "ligne_de_titre.csv",
    "classeur_dates.xlsx",
]


@pytest.mark.parametrize("name", IMPORTABLE)
def test_every_row_ends_somewhere_and_the_counts_add_up(association, types, run_import, name):
    job = run_import(import_file(name), name, default_type=types["Annuelle"])
    assert job.status == ImportJob.Status.DONE
    assert counts_add_up(job)
    assert job.counts["rows"] == job.total_rows
    assert job.preview_counts["rows"] == job.counts["rows"]
    assert job.counts["blank_lines"] == job.blank_lines
    rows = rows_of(job)
    assert len(rows) == job.counts["rows"]
    for row in rows.values():
        if row["outcome"] in (engine.REJECTED, engine.SKIPPED):
            assert row["messages"], f"row {row['line']} has no reason"
    assert persons(job.association).count() == job.counts["created"]
    # The check foresaw exactly what the import did.
    assert job.preview_counts == job.counts


def test_french_excel_file_in_detail(association, types, run_import):
    job = run_import(import_file("excel_fr_cp1252.csv"), "adherents.csv")
    assert job.counts["created"] == 5 and job.counts["rejected"] == 0
    assert job.counts["memberships"] == 5 and job.counts["payments"] == 3
    with scope(association=association):
        marie = Person.objects.get(association=association, email="marie.dupont@orange.fr")
        assert marie.phone == "+33612345678"
        assert marie.birth_date == dt.date(1980, 4, 3)
        assert sorted(t.name for t in marie.tags.all()) == ["bureau", "jardin"]
        assert marie.notes == "Présidente d'honneur"
        membership = marie.memberships.get()
        assert membership.membership_type == types["Annuelle"]
        assert (membership.period_start, membership.period_end) == (
            dt.date(2025, 1, 1),
            dt.date(2025, 12, 31),
        )
        assert membership.paid_on == dt.date(2025, 1, 15)
        assert membership.payment.method == "cheque" and membership.payment.amount_cents == 2000
        assert membership.source == Membership.Source.IMPORT
        assert membership.sort_name == marie.sort_name == "dupont marie"

        emilie = Person.objects.get(association=association, last_name="LE GOFF")
        assert emilie.email_folded == "emilie.legoff@free.fr"
        assert emilie.postcode == "01000"  # Excel dropped the leading zero
        assert emilie.phone == "+33612345679"
        assert emilie.birth_date == dt.date(1975, 6, 5)  # 5/6/75
        reduced = emilie.memberships.get()
        assert reduced.membership_type == types["Réduite"]
        assert reduced.payment.method == "cash" and reduced.paid_on == dt.date(2025, 2, 1)

        francois = Person.objects.get(association=association, first_name="François")
        assert francois.email == "" and francois.phone == "+33123456789"
        assert francois.memberships.get().paid_on is None  # Réglé: non

        lan = Person.objects.get(association=association, last_name="Nguyen")
        assert lan.birth_date == dt.date(1988, 2, 29)
        paid = lan.memberships.get()
        assert paid.membership_type == types["Annuelle"]  # "annuelle", any case
        assert paid.amount_due_cents == 123450 and paid.payment.method == "transfer"
        assert paid.paid_on == dt.date(2025, 2, 12)

        anais = Person.objects.get(association=association, first_name="Anaïs")
        start = anais.memberships.get().period_start  # no date: the import's date
        assert start == dt.date(timezone.localdate().year, 1, 1)


def test_derived_columns_are_those_the_services_write(association, types, run_import):
    run_import(import_file("excel_fr_cp1252.csv"))
    with scope(association=association):
        for person in persons(association):
            copy = Person(**{f: getattr(person, f) for f in people_services.PERSON_FIELDS})
            copy.refresh_derived()
            assert (person.search_text, person.sort_name, person.email_folded) == (
                copy.search_text,
                copy.sort_name,
                copy.email_folded,
            )
            assert person.uuid and person.created_at and person.updated_at
            for membership in person.memberships.all():
                assert membership.sort_name == person.sort_name
                assert membership.uuid and membership.approved_at
                assert membership.grace_until == membership.period_end + dt.timedelta(days=30)
        # The list finds the imported members, with their status computed like the others'.
        from essaim.members import selectors as member_selectors

        found = member_selectors.member_search(
            association=association, query="emilie", period=member_selectors.PERIOD_ALL
        )
        assert [m.person.last_name for m in found] == ["LE GOFF"]


def test_the_same_file_twice_changes_nothing(association, types, run_import):
    first = run_import(import_file("excel_fr_cp1252.csv"))
    with scope(association=association):
        before = (
            Person.objects.filter(association=association).count(),
            Membership.objects.filter(association=association).count(),
            DuesPayment.objects.filter(association=association).count(),
        )
    again = run_import(import_file("excel_fr_cp1252.csv"))
    assert again.counts["created"] == again.counts["updated"] == 0
    assert again.counts["skipped"] == first.counts["created"]
    assert again.counts["memberships"] == again.counts["payments"] == 0
    with scope(association=association):
        after = (
            Person.objects.filter(association=association).count(),
            Membership.objects.filter(association=association).count(),
            DuesPayment.objects.filter(association=association).count(),
        )
        # Every dues payment of the file is money in the ledger, once, with its payer.
        dues = DuesPayment.objects.filter(association=association, amount_cents__gt=0)
        assert dues.exists() and not dues.filter(payment__isnull=True).exists()
        ledger = Payment.objects.filter(association=association)
        assert ledger.count() == dues.count() and not ledger.filter(person__isnull=True).exists()
        assert sum(p.amount_cents for p in ledger) == sum(d.amount_cents for d in dues)
    assert before == after
    assert all("Already" in " ".join(r["messages"]) for r in rows_of(again).values())


@pytest.mark.parametrize("name", IMPORTABLE)
def test_every_file_twice_changes_nothing(association, types, run_import, name):
    run_import(import_file(name), name, default_type=types["Annuelle"])
    again = run_import(import_file(name), name, default_type=types["Annuelle"])
    assert again.counts["created"] == 0, rows_of(again, "created")
    assert again.counts["updated"] == 0, rows_of(again, "updated")
    assert again.counts["memberships"] == again.counts["payments"] == 0


@pytest.fixture
def known(association, presidente):
    with scope(association=association):
        return people_services.person_create(
            association=association,
            acting_user=presidente,
            first_name="Jeanne",
            last_name="Martin",
            email="jeanne.martin@example.org",
            city="Villeurbanne",
        )


FILE = (
    "Nom;Prénom;E-mail;Téléphone;Ville\nMartin;Jeanne;JEANNE.Martin@example.org;0612345670;Lyon\n"
)


@pytest.mark.parametrize(
    "policy,outcome,phone,city",
    [
        ("fill", engine.UPDATED, "+33612345670", "Villeurbanne"),
        ("overwrite", engine.UPDATED, "+33612345670", "Lyon"),
        ("skip", engine.SKIPPED, "", "Villeurbanne"),
    ],
)
def test_duplicate_policies(association, known, run_import, policy, outcome, phone, city):
    job = run_import(FILE.encode(), duplicates=policy)
    row = rows_of(job)[2]
    assert row["outcome"] == outcome
    assert "same e-mail address" in row["messages"][0]
    assert row["person_uuid"] == known.uuid
    known.refresh_from_db()
    assert (known.phone, known.city) == (phone, city)
    assert job.counts["created"] == 0
    with scope(association=association):
        assert Person.objects.filter(association=association).count() == 2  # + the présidente
    if policy != "skip":
        assert known.search_text.endswith("lyon") == (policy == "overwrite")
        assert "33612345670" in known.search_text


def test_same_name_and_birth_date_is_a_duplicate(association, presidente, run_import):
    with scope(association=association):
        louis = people_services.person_create(
            association=association,
            acting_user=presidente,
            first_name="Louis",
            last_name="Bernard",
            birth_date=dt.date(1960, 7, 14),
        )
    job = run_import("Nom;Prénom;Né le;Tél.\nBERNARD;Louis;14/07/1960;0380000001\n".encode())
    assert job.counts["updated"] == 1
    louis.refresh_from_db()
    assert louis.phone == "+33380000001"


def test_homonyms_are_not_merged(association, presidente, run_import):
    with scope(association=association):
        people_services.person_create(
            association=association,
            acting_user=presidente,
            first_name="Jean",
            last_name="Martin",
            birth_date=dt.date(1950, 1, 1),
            address_line1="3 rue des Lilas",
            city="Lyon",
        )
    data = (
        "Nom;Prénom;Date de naissance;Adresse;Ville\nMartin;Jean;02/02/1980;3 rue des Lilas;Lyon\n"
    )
    job = run_import(data.encode())
    assert job.counts["created"] == 1  # same name and address, another date of birth: his son


def test_a_family_sharing_an_email_is_several_people(association, types, run_import):
    job = run_import(
        import_file("helloasso_commandes.csv"),
        "commandes.csv",
        type_map={},
    )
    rows = rows_of(job)
    assert rows[2]["outcome"] == rows[3]["outcome"] == engine.CREATED
    with scope(association=association):
        lou = Person.objects.get(association=association, first_name="Lou")
        assert lou.email == "gaetan.calbris@example.org"
        assert lou.birth_date == dt.date(2015, 2, 3)


def test_duplicates_within_the_file(association, run_import):
    job = run_import(import_file("doublons.csv"))
    rows = rows_of(job)
    assert [rows[line]["outcome"] for line in range(2, 8)] == [
        engine.CREATED,
        engine.UPDATED,
        engine.CREATED,
        engine.UPDATED,
        engine.CREATED,
        engine.SKIPPED,
    ]
    assert "Same person as row 2" in rows[3]["messages"][0]
    assert "Same person as row 4" in rows[5]["messages"][0]
    with scope(association=association):
        jeanne = Person.objects.get(association=association, first_name="Jeanne")
        assert jeanne.phone == "+33612345670" and jeanne.birth_date == dt.date(1970, 3, 2)
    assert persons(association).count() == 3


def test_duplicates_within_the_file_skipped(association, run_import):
    job = run_import(import_file("doublons.csv"), duplicates="skip")
    assert (job.counts["created"], job.counts["skipped"]) == (3, 3)


def test_membership_types_from_the_file(association, types, presidente, run_import):
    data = (
        "Nom;Prénom;E-mail;Type\n"
        "A;Anne;anne@example.org;Cotisation normale\n"
        "B;Bruno;bruno@example.org;Sympathisant\n"
        "C;Chloé;chloe@example.org;Premium\n"
        "D;Denis;denis@example.org;\n"
    )
    job = run_import(
        data.encode(),
        default_type=types["Réduite"],
        type_map={"cotisation normale": types["Annuelle"], "sympathisant": None},
    )
    rows = rows_of(job)
    assert rows[2]["outcome"] == engine.CREATED
    assert rows[4]["outcome"] == engine.REJECTED and "Premium" in rows[4]["messages"][0]
    with scope(association=association):
        by_name = {
            p.first_name: [m.membership_type.name for m in p.memberships.all()]
            for p in persons(association)
        }
    assert by_name == {"Anne": ["Annuelle"], "Bruno": [], "Denis": ["Réduite"]}
    # Unknown types are not created on the fly.
    with scope(association=association):
        assert not types["Annuelle"].__class__.objects.filter(name="Premium").exists()


def test_contacts_only(association, types, run_import):
    job = run_import(
        import_file("excel_fr_cp1252.csv"),
        mapping={
            **{
                k: v
                for k, v in import_services.auto_mapping(
                    reading.inspect(reading.open_table(import_file("excel_fr_cp1252.csv"))).header
                )[0].items()
                if v not in ("membership_type",)
            },
        },
    )
    assert job.counts["memberships"] == 0
    assert job.counts["created"] == 5


def test_payments_not_recorded_when_asked(association, types, run_import):
    job = run_import(import_file("excel_fr_cp1252.csv"), record_payments=False)
    assert job.counts["payments"] == 0
    with scope(association=association):
        assert not DuesPayment.objects.filter(association=association).exists()
        assert (
            Membership.objects.filter(association=association, paid_on__isnull=False).count() == 0
        )


def test_a_later_file_records_the_payment_of_an_existing_membership(association, types, run_import):
    header = "Nom;Prénom;E-mail;Date d'adhésion;Formule"
    run_import(f"{header}\nA;Anne;anne@example.org;10/01/2025;Annuelle\n".encode())
    job = run_import(
        "Nom;Prénom;E-mail;Date d'adhésion;Formule;Payé le;Moyen de paiement\n"
        "A;Anne;anne@example.org;10/01/2025;Annuelle;20/01/2025;Chèque\n".encode()
    )
    assert job.counts["updated"] == 1 and job.counts["payments"] == 1
    assert job.counts["memberships"] == 0
    with scope(association=association):
        membership = Membership.objects.get(association=association)
        assert membership.paid_on == dt.date(2025, 1, 20) and membership.payment.method == "cheque"


def test_helloasso_members_export(association, types, run_import):
    job = run_import(import_file("helloasso_adherents.csv"), "helloasso.csv")
    assert job.preset == "helloasso"
    rows = rows_of(job)
    assert rows[2]["outcome"] == rows[3]["outcome"] == engine.CREATED
    assert rows[4]["outcome"] == engine.REJECTED
    assert "Remboursé" in rows[4]["messages"][0]
    with scope(association=association):
        pierre = Person.objects.get(association=association, first_name="Pierre")
        assert (pierre.address_line1, pierre.postcode, pierre.city, pierre.country) == (
            "24 avenue de la Libération",
            "92350",
            "Le Plessis-Robinson",
            "FR",
        )
        assert pierre.phone == "+33675776966"
        membership = pierre.memberships.get()
        assert membership.membership_type == types["Adhésion adulte"]
        assert membership.paid_on == dt.date(2025, 10, 1)
        assert membership.payment.method == "card" and membership.payment.reference == "37"
        assert membership.amount_due_cents == 2500


def test_helloasso_orders_export(association, types, run_import):
    job = run_import(import_file("helloasso_commandes.csv"), "commandes.csv")
    assert job.counts["created"] == 2 and job.counts["rejected"] == 1
    with scope(association=association):
        lou = Person.objects.get(association=association, first_name="Lou")
        membership = lou.memberships.get()
        assert membership.membership_type == types["Adhésion jeune"]
        assert membership.payment.amount_cents == 800  # 10,00 less the 2,00 promotion
        assert membership.payment.reference == "152801623"


def test_paheko_export(association, types, run_import):
    job = run_import(
        import_file("paheko_membres.csv"),
        "membres.csv",
        default_type=types["Annuelle"],
        default_start=dt.date(2025, 9, 1),
    )
    assert job.preset == "paheko" and job.counts["created"] == 3
    with scope(association=association):
        sophie = Person.objects.get(association=association, first_name="Sophie")
        assert sophie.last_name == "DURAND"
        assert (sophie.address_line1, sophie.address_line2) == ("Résidence Les Pins", "Bâtiment C")
        assert [t.name for t in sophie.tags.all()] == ["Membres actifs"]
        assert sophie.memberships.get().period_start == dt.date(2025, 1, 1)
        hugo = Person.objects.get(association=association, first_name="Hugo")
        assert hugo.last_name == "Petit"  # "Petit Hugo": the last name first, as chosen
        marie = Person.objects.get(association=association, last_name="DE LA FONTAINE")
        assert marie.first_name == "Marie-Hélène" and marie.phone == "+33326000001"


def test_broken_rows_each_have_their_reason(association, types, run_import):
    job = run_import(import_file("lignes_cassees.csv"), type_map={})
    rows = rows_of(job)
    assert job.counts["blank_lines"] == 1
    reasons = {line: " ".join(row["messages"]) for line, row in rows.items()}
    assert rows[2]["outcome"] == engine.CREATED
    assert "e-mail" in reasons[3].lower()
    assert "31/02/1985" in reasons[4]
    assert "Premium" in reasons[5]
    assert "negative" in reasons[6]
    assert "10 values" in reasons[7]
    assert "phone" in reasons[9].lower()
    assert "future" in reasons[10]
    assert "year" in reasons[11]
    assert "quote" in reasons[12]
    assert all(rows[line]["outcome"] == engine.REJECTED for line in (3, 4, 5, 6, 7, 9, 10, 11, 12))
    assert job.counts["created"] == 1 and job.counts["rejected"] == 9


def test_formulas_are_imported_as_text_and_neutralised_on_export(
    association, presidente, run_import, client_for
):
    run_import(import_file("injection_formules.csv"))
    with scope(association=association):
        pirate = Person.objects.get(association=association, first_name="Pirate")
        assert pirate.last_name == "=cmd|' /C calc'!A0"
        assert pirate.notes == "@SUM(1+1)*cmd|' /C calc'!A0"
        assert [t.name for t in pirate.tags.all()] == ["=1+1"]
        lien = Person.objects.get(association=association, first_name="Lien")
        assert lien.last_name.startswith('=HYPERLINK("http://evil.example/')
    response = client_for(presidente).get(f"/a/{association.slug}/people/export/?format=csv")
    if response.status_code == 200:
        content = response.content.decode("utf-8-sig")
        assert "'=cmd|' /C calc'!A0" in content
        assert "\n=cmd" not in content and ";=cmd" not in content


def test_report_lists_the_rows_not_imported_and_can_be_imported_again(
    association, types, run_import
):
    job = run_import(import_file("lignes_cassees.csv"), type_map={})
    with scope(association=association):
        header, rows = import_selectors.report(job)
        _header, everything = import_selectors.report(job, everything=True)
    assert header[-3:] == ["Line", "Result", "Error"]
    assert header[:8] == job.header
    assert [row[-3] for row in rows] == [3, 4, 5, 6, 7, 9, 10, 11, 12]
    assert len(everything) == job.counts["rows"]
    # Corrected in a spreadsheet, the report goes back in: its three columns are ignored.
    from essaim.lib.spreadsheets import csv_bytes

    fixed = [row[:-3] for row in rows if row[0] == "Fevrier"]
    fixed[0][3] = "28/02/1985"
    again = run_import(csv_bytes(header, [[*r, 4, "rejected", "…"] for r in fixed]), "rapport.csv")
    assert again.counts["created"] == 1
    assert set(again.mapping.values()) - {""} == {
        "last_name", "first_name", "email", "birth_date", "joined_on", "membership_type",
        "amount", "phone",
    }  # fmt: skip


def test_xlsx_dates(association, types, run_import):
    job = run_import(import_file("classeur_dates.xlsx"), "classeur.xlsx")
    assert job.kind == "xlsx"
    with scope(association=association):
        paul = Person.objects.get(association=association, first_name="Paul")
        assert paul.birth_date == dt.date(1980, 12, 31)
        membership = paul.memberships.get()
        assert membership.membership_type == types["Réduite"]
        assert membership.paid_on == dt.date(2025, 2, 13)
        rose = Person.objects.get(association=association, first_name="Rose")
        assert rose.postcode == "01000" and rose.phone == "+33612345672"
        assert rose.memberships.get().paid_on == dt.date(2025, 3, 2)
    assert rows_of(job)[6]["outcome"] == engine.REJECTED  # year of birth only


def test_other_sheet(association, presidente, run_import):
    with scope(association=association):
        job = import_services.import_job_create(
            association=association,
            acting_user=presidente,
            data=import_file("classeur_dates.xlsx"),
            name="classeur.xlsx",
        )
        job = import_services.import_job_choose_sheet(
            association=association, acting_user=presidente, job=job, sheet="Bénévoles"
        )
    assert job.sheet == "Bénévoles" and job.total_rows == 1
    assert job.header == ["Nom", "Prénom", "Courriel"]


def test_erased_contacts_are_not_matched(association, presidente, known, run_import):
    with scope(association=association):
        people_services.person_erase(association=association, acting_user=presidente, person=known)
    job = run_import(FILE.encode())
    assert job.counts["created"] == 1


def test_audit_log(association, types, run_import):
    job = run_import(import_file("excel_fr_cp1252.csv"), "adherents.csv")
    with scopes_disabled():
        entry = AuditLog.objects.get(action="membership.import")
    assert entry.object_id == str(job.uuid) and entry.object_repr == "adherents.csv"
    assert entry.data["created"] == 5 and entry.data["rows"] == 5


def test_a_changed_mapping_makes_the_running_check_obsolete(association, presidente, types):
    with scope(association=association):
        job = import_services.import_job_create(
            association=association,
            acting_user=presidente,
            data=import_file("doublons.csv"),
            name="d.csv",
        )
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.ANALYSING, revision=5)
        assert engine.analyse(job.pk, 4) == "obsolete"
        assert engine.analyse(job.pk, 5) == "ready"
        # The same task run twice: the second finds the check done (or taken) and stops.
        assert engine.analyse(job.pk, 5) == "obsolete"
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.ANALYSING, heartbeat_at=timezone.now()
        )
        assert engine.analyse(job.pk, 5) == "obsolete"


@pytest.mark.allow_error_logs
def test_an_interrupted_import_resumes_where_it_stopped(
    association, types, run_import, monkeypatch, django_capture_on_commit_callbacks, presidente
):
    monkeypatch.setattr(engine, "CHUNK_SIZE", 2)
    job = run_import(import_file("excel_fr_cp1252.csv"), start=False)
    original = engine.Importer.apply
    calls = []

    def crash_on_second_chunk(self, plan):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the server restarted")
        return original(self, plan)

    monkeypatch.setattr(engine.Importer, "apply", crash_on_second_chunk)
    with scope(association=association):
        with django_capture_on_commit_callbacks(execute=True):
            import_services.import_job_start(
                association=association, acting_user=presidente, job=job
            )
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED
        assert "resume" in job.error
        assert persons(association).count() == 2  # the first chunk is kept
        assert ImportChunk.objects.filter(job=job, phase="import").count() == 1
        with django_capture_on_commit_callbacks(execute=True):
            import_services.import_job_start(
                association=association, acting_user=presidente, job=job
            )
        job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert counts_add_up(job) and job.counts["created"] == 5
    assert persons(association).count() == 5


def test_a_stalled_import_can_be_resumed(association, presidente, types, run_import):
    job = run_import(import_file("doublons.csv"), start=False)
    with scope(association=association):
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.RUNNING, heartbeat_at=timezone.now()
        )
        with pytest.raises(Exception, match="cannot be started"):
            import_services.import_job_start(
                association=association, acting_user=presidente, job=job
            )
        ImportJob.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - dt.timedelta(minutes=30)
        )
        import_services.import_job_start(association=association, acting_user=presidente, job=job)
        job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED


def test_a_job_is_claimed_once(association, types, run_import):
    job = run_import(import_file("doublons.csv"), start=False)
    with scope(association=association):
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
        assert engine.claim(job.pk) is not None
        assert engine.claim(job.pk) is None
        assert engine.execute(job.pk) == "not claimed"


def test_retention_deletes_the_file_and_the_rows_30_days_after(
    association, types, run_import, django_capture_on_commit_callbacks
):
    from essaim.core.retention import apply_all

    job = run_import(import_file("excel_fr_cp1252.csv"))
    name = job.file.name
    assert name.startswith(f"imports/{association.uuid}/") and default_storage.exists(name)
    assert apply_all(timezone.now()).get("member_imports") == 0
    later = timezone.now() + dt.timedelta(days=31)
    with scopes_disabled():
        ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_all(later)["member_imports"] == 1
    job.refresh_from_db()
    assert job.purged_at and not job.file and job.inspection == {}
    assert not default_storage.exists(name)
    assert job.counts["created"] == 5  # the history stays
    with scopes_disabled():
        assert not ImportChunk.objects.filter(job=job).exists()


def test_erasing_a_person_removes_them_from_recent_import_results(
    association, presidente, types, run_import
):
    job = run_import(import_file("excel_fr_cp1252.csv"))
    with scope(association=association):
        marie = Person.objects.get(association=association, first_name="Marie")
        people_services.person_erase(association=association, acting_user=presidente, person=marie)
    rows = rows_of(job)
    assert rows[2]["label"] == "Anonymised contact" and rows[2]["messages"] == []
    assert "Dupont" not in str(rows)


def test_deleting_a_draft_deletes_its_file(
    association, presidente, django_capture_on_commit_callbacks
):
    with scope(association=association), django_capture_on_commit_callbacks(execute=True):
        job = import_services.import_job_create(
            association=association,
            acting_user=presidente,
            data=import_file("doublons.csv"),
            name="d.csv",
        )
        name = job.file.name
        import_services.import_job_delete(association=association, acting_user=presidente, job=job)
    with scope(association=association):
        assert not ImportJob.objects.filter(pk=job.pk).exists()
    assert not default_storage.exists(name)


def test_refused_upload_keeps_nothing(association, presidente):
    with scope(association=association), pytest.raises(reading.FileRefused):
        import_services.import_job_create(
            association=association,
            acting_user=presidente,
            data=import_file("binaire.csv"),
            name="binaire.csv",
        )
    with scope(association=association):
        assert not ImportJob.objects.filter(association=association).exists()


def test_full_name_order(association, run_import):
    data = "Nom complet;E-mail\nMarie Dupont;marie@example.org\nDUPONT Jean;jean@example.org\n"
    run_import(data.encode(), name_order="first_last")
    with scope(association=association):
        names = sorted((p.first_name, p.last_name) for p in persons(association))
    assert names == [("Jean", "DUPONT"), ("Marie", "Dupont")]


@pytest.mark.allow_error_logs
def test_a_check_that_crashes_goes_back_to_the_columns(
    association, presidente, types, monkeypatch, django_capture_on_commit_callbacks
):
    def crash(self, row, plan):
        raise RuntimeError("bug")

    monkeypatch.setattr(engine.Importer, "decide", crash)
    with scope(association=association):
        job = import_services.import_job_create(
            association=association,
            acting_user=presidente,
            data=import_file("doublons.csv"),
            name="d.csv",
        )
        with django_capture_on_commit_callbacks(execute=True):
            import_services.import_job_configure(
                association=association,
                acting_user=presidente,
                job=job,
                mapping=job.mapping,
                default_type=None,
                type_map={},
                duplicates="fill",
            )
        job.refresh_from_db()
    assert job.status == ImportJob.Status.DRAFT and "unexpected" in job.error
