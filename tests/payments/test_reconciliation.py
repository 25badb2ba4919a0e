"""Bank reconciliation: reading the CSV statements of French banks, importing them once,
matching their operations with payments (one line, one payment, whatever the race), the
screens by capability and tenant, exports, privacy."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from openpyxl import load_workbook

from essaim.core.models import AuditLog
from essaim.core.privacy import registry
from essaim.payments import bank_statements, reconciliation, services
from essaim.payments.models import BankLine, BankStatement, Payment
from tests.core.test_concurrency import race
from tests.factories import PersonFactory, UserFactory, make_association

pytestmark = pytest.mark.usefixtures("english_ui")

TODAY = timezone.localdate()
D1 = TODAY - dt.timedelta(days=2)
D2 = TODAY - dt.timedelta(days=3)
D3 = TODAY - dt.timedelta(days=4)


def logged(action: str) -> int:
    with scopes_disabled():
        return AuditLog.objects.filter(action=action).count()


def fr(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


# --- Statements as the banks write them -------------------------------------------------------


def credit_agricole() -> bytes:
    """cp1252, CRLF, a preamble, Débit/Crédit columns, labels over several quoted lines, a
    trailing separator on each line."""
    text = (
        f"Téléchargement du {fr(TODAY)};;;;\n"
        ";;;;\n"
        "Compte de Dépôt carte n° 12345678901;;;;\n"
        f"Solde au {fr(D1)} 1 234,56 €;;;;\n"
        ";;;;\n"
        "Liste des opérations du compte;;;;\n"
        ";;;;\n"
        "Date;Libellé;Débit euros;Crédit euros;\n"
        f'{fr(D1)};"VIREMENT EN VOTRE FAVEUR \nM DUPONT MARIE \nADHESION 2026 ADH-42";;30,00;\n'
        f'{fr(D2)};"PRLV SEPA EDF \nFACTURE 123";45,20;;\n'
        f'{fr(D2)};"REMISE CHEQUES \n2 CHEQUES";;1 250,00;\n'
        f"{fr(D3)};VIREMENT EN VOTRE FAVEUR LEFEBVRE;;30,00;\n"
    )
    return text.replace("\n", "\r\n").encode("cp1252")


def societe_generale() -> bytes:
    """cp1252, the account number first, the payer in "Détail de l'écriture", signed
    amounts with a comma, two-digit years."""
    text = (
        '="0001234567890";Compte courant;;;\n'
        ";;;;\n"
        "Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise\n"
        f"{D1:%d/%m/%y};VIR RECU 1234567;DE: DUPONT MARIE MOTIF: ADHESION REF: ADH-42;30,00;EUR\n"
        f"{D2:%d/%m/%y};CARTE X1234 BOULANGERIE;CARTE X1234 BOULANGERIE;-12,50;EUR\n"
        f"{D2:%d/%m/%y};VIR RECU 7654321;DE: ASSO VOISINE MOTIF: SUBVENTION;1 500,00;EUR\n"
    )
    return text.encode("cp1252")


def banque_postale() -> bytes:
    """UTF-8 without BOM, a preamble of "key ; value" lines, the amount in euros and francs."""
    text = (
        "Numéro Compte   ;0123456X020\n"
        "Type ;CCP\n"
        "Compte tenu en  ;euros\n"
        f"Date            ;{fr(TODAY)}\n"
        "Solde (EUROS)   ;1234,56\n"
        "Solde (FRANCS)  ;8098,80\n"
        "\n"
        "Date;Libellé;Montant(EUROS);Montant(FRANCS)\n"
        f'{fr(D1)};"VIREMENT DE MME DUPONT MARIE REFERENCE : ADH-42";30,00;196,79\n'
        f'{fr(D2)};"COTISATION TRIMESTRIELLE";-3,50;-22,96\n'
        f"Total;;26,50;173,83\n"
    )
    return text.encode("utf-8")


def qonto() -> bytes:
    """UTF-8 with BOM, commas, ISO dates with a time, dot decimals, no label column."""
    text = (
        "Status,Settlement date (UTC),Operation date (UTC),Total amount (incl. VAT),Currency,"
        "Counterparty name,Payment method,Reference,Transaction ID\n"
        f"completed,{D1.isoformat()} 09:12:00,{D1.isoformat()} 09:10:00,30.00,EUR,"
        "MARIE DUPONT,transfer,ADH-42,tx-1\n"
        f"completed,{D2.isoformat()} 10:00:00,{D2.isoformat()} 10:00:00,-19.99,EUR,OVH,card,,tx-2\n"
    )
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def tabbed() -> bytes:
    text = (
        "Date\tDate valeur\tLibellé\tMontant\n"
        f"{D1.isoformat()}\t{D1.isoformat()}\tVIR DUPONT\t30.00\n"
        f"{D2.isoformat()}\t{D2.isoformat()}\tFRAIS\t-2.00\n"
    )
    return text.encode("utf-8")


def layout_and_rows(data: bytes):
    layout = bank_statements.read_layout(data)
    rows = bank_statements.parse_rows(
        data,
        encoding=layout.encoding,
        delimiter=layout.delimiter,
        header_line=layout.header_line,
        mapping=layout.mapping,
    )
    return layout, rows


# --- Reading ------------------------------------------------------------------------------


def test_credit_agricole_is_read():
    layout, rows = layout_and_rows(credit_agricole())
    assert (layout.encoding, layout.delimiter, layout.header_line) == ("cp1252", ";", 7)
    assert layout.sure
    assert layout.mapping == {"date": 0, "label": 1, "debit": 2, "credit": 3}
    assert [(r.booked_on, r.amount_cents) for r in rows] == [
        (D1, 3000),
        (D2, -4520),
        (D2, 125000),
        (D3, 3000),
    ]
    assert rows[0].label == "VIREMENT EN VOTRE FAVEUR M DUPONT MARIE ADHESION 2026 ADH-42"
    assert rows[0].line == 9  # as the file shows it, the treasurer can find it
    assert all(r.outcome == bank_statements.NEW for r in rows)


def test_societe_generale_is_read():
    layout, rows = layout_and_rows(societe_generale())
    assert layout.sure and layout.header_line == 2
    assert layout.mapping == {"date": 0, "label": 1, "detail": 2, "amount": 3}
    assert [(r.booked_on, r.amount_cents) for r in rows] == [
        (D1, 3000),
        (D2, -1250),
        (D2, 150000),
    ]
    assert "DUPONT MARIE" in rows[0].label
    assert rows[1].label == "CARTE X1234 BOULANGERIE"  # the repeated detail is dropped


def test_banque_postale_is_read_in_euros_and_its_total_is_rejected():
    layout, rows = layout_and_rows(banque_postale())
    assert layout.encoding == "utf-8" and layout.header_line == 7
    assert layout.mapping["amount"] == 2  # euros, not francs
    assert [(r.outcome, r.amount_cents) for r in rows] == [
        ("new", 3000),
        ("new", -350),
        ("rejected", 0),
    ]
    assert "not a date" in rows[2].reason


def test_qonto_is_read():
    layout, rows = layout_and_rows(qonto())
    assert (layout.delimiter, layout.header_line) == (",", 0)
    assert layout.sure
    assert layout.mapping["date"] == 1  # the settlement date, the first one
    assert [(r.booked_on, r.amount_cents, r.counterparty, r.reference) for r in rows] == [
        (D1, 3000, "MARIE DUPONT", "ADH-42"),
        (D2, -1999, "OVH", ""),
    ]
    assert rows[0].label == "MARIE DUPONT"


def test_tabs_and_iso_dates_are_read():
    layout, rows = layout_and_rows(tabbed())
    assert layout.delimiter == "\t" and layout.sure
    assert layout.mapping["date"] == 0  # the booking date, not the value date
    assert [(r.booked_on, r.amount_cents) for r in rows] == [(D1, 3000), (D2, -200)]


@pytest.mark.parametrize(
    "text,cents",
    [
        ("1 234,56", 123456),
        ("1\u00a0234,56", 123456),
        ("-20,00", -2000),
        ("20.00", 2000),
        ("+15,5", 1550),
        ("20,00-", -2000),
        ("1.234,50", 123450),
        ("12,00 €", 1200),
        ("", None),
    ],
)
def test_amounts(text, cents):
    assert bank_statements.parse_amount(text, 10**9) == cents


@pytest.mark.parametrize("text", ["abc", "12,345", "-20-", "1.234"])
def test_bad_amounts_are_refused(text):
    with pytest.raises(ValueError):
        bank_statements.parse_amount(text, 10**9)


@pytest.mark.parametrize(
    "text,day",
    [
        ("27/11/2026", dt.date(2026, 11, 27)),
        ("27/11/26", dt.date(2026, 11, 27)),
        ("2026-11-27", dt.date(2026, 11, 27)),
        ("2026-11-27T09:12:00Z", dt.date(2026, 11, 27)),
        ("27-11-2026 09:12:00", dt.date(2026, 11, 27)),
        ("31/02/2026", None),
        ("Total", None),
    ],
)
def test_dates(text, day):
    assert bank_statements.parse_date(text) == day


def test_rows_are_rejected_with_a_reason_and_counts_add_up():
    future = TODAY + dt.timedelta(days=5)
    text = (
        "Date;Libellé;Débit;Crédit\n"
        f"{fr(D1)};OK;;10,00\n"
        f"{fr(D1)};BOTH;5,00;10,00\n"
        f"{fr(D1)};ZERO;;0,00\n"
        f"{fr(D1)};NOTHING;;\n"
        f"{fr(future)};FUTURE;;10,00\n"
        f"32/13/2026;BAD DATE;;10,00\n"
        f"{fr(D1)};BAD AMOUNT;;dix euros\n"
        ";;;\n"
    ).encode()
    _layout, rows = layout_and_rows(text)
    assert len(rows) == 7  # the blank row is no row
    assert [r.outcome for r in rows] == ["new"] + ["rejected"] * 6
    assert all(r.reason for r in rows[1:])
    assert "both a debit and a credit" in rows[1].reason
    assert "zero" in rows[2].reason
    assert "future" in rows[4].reason


@pytest.mark.parametrize(
    "data,words",
    [
        (b"", "empty"),
        (b"   \r\n\r\n", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel"),
        (bytes(range(256)) * 20, "not a CSV"),
        (b"OFXHEADER:100\nDATA:OFXSGML\n", "OFX"),
        (b"just one line of text without columns", "No operation"),
        (b"x" * (bank_statements.MAX_BYTES + 1), "5 MB"),
    ],
)
def test_garbage_is_refused_with_a_clear_reason(data, words):
    with pytest.raises(bank_statements.FileRefused) as refusal:
        bank_statements.read_layout(data)
    assert words in str(refusal.value)


def test_identical_operations_of_a_day_are_distinct_but_stable():
    line = f"{fr(D1)};FRAIS TENUE DE COMPTE;2,00;\n"
    data = ("Date;Libellé;Débit;Crédit\n" + line * 2).encode()
    _layout, rows = layout_and_rows(data)
    assert rows[0].fingerprint != rows[1].fingerprint
    _layout, again = layout_and_rows(data)
    assert [r.fingerprint for r in rows] == [r.fingerprint for r in again]


# --- Import (services) ----------------------------------------------------------------------


def upload(association, user, data, name="releve.csv"):
    with scope(association=association):
        return bank_statements.bank_statement_upload(
            association=association, acting_user=user, data=data, file_name=name
        )


def do_import(association, user, data, name="releve.csv"):
    statement = upload(association, user, data, name)
    with scope(association=association):
        return bank_statements.bank_statement_import(
            association=association, acting_user=user, statement=statement
        )


def test_import_then_reimport_adds_each_operation_once(association, tresorier):
    first = do_import(association, tresorier, credit_agricole())
    assert (first.lines_total, first.lines_imported, first.lines_duplicate) == (4, 4, 0)
    assert first.status == BankStatement.Status.IMPORTED
    assert not first.file  # the file naming every payer is not kept
    second = do_import(association, tresorier, credit_agricole())
    assert (second.lines_total, second.lines_imported, second.lines_duplicate) == (4, 0, 4)
    with scope(association=association):
        assert BankLine.objects.filter(association=association).count() == 4
        assert logged("bank_statement.import") == 2


def test_every_row_is_counted_once(association, tresorier):
    do_import(association, tresorier, banque_postale())
    again = do_import(association, tresorier, banque_postale())
    assert (again.lines_imported, again.lines_duplicate, again.lines_rejected) == (0, 2, 1)
    assert (
        again.lines_total
        == 3
        == sum((again.lines_imported, again.lines_duplicate, again.lines_rejected))
    )


def test_an_overlapping_statement_adds_only_the_new_operations(association, tresorier):
    header = "Date;Libellé;Débit;Crédit\n"
    a = f"{fr(D3)};VIR A;;10,00\n"
    b = f"{fr(D2)};VIR B;;20,00\n"
    c = f"{fr(D1)};VIR C;;30,00\n"
    do_import(association, tresorier, (header + a + b).encode())
    second = do_import(association, tresorier, (header + b + c).encode("cp1252"))
    assert (second.lines_imported, second.lines_duplicate, second.lines_rejected) == (1, 1, 0)
    with scope(association=association):
        assert BankLine.objects.filter(association=association).count() == 3


def test_the_same_operations_in_another_association_are_theirs(
    association, tresorier, other_association, outsider
):
    do_import(association, tresorier, qonto())
    other = do_import(other_association, outsider, qonto())
    assert other.lines_imported == 2


def test_importing_twice_the_same_draft_imports_once(association, tresorier):
    statement = upload(association, tresorier, societe_generale())
    with scope(association=association):
        for _i in range(2):
            done = bank_statements.bank_statement_import(
                association=association, acting_user=tresorier, statement=statement
            )
        assert done.lines_imported == 3
        assert BankLine.objects.filter(association=association).count() == 3


def test_a_file_with_unsure_columns_needs_the_mapping(association, tresorier):
    data = f"Jour;Texte;Somme\n{fr(D1)};VIR;10,00\n".encode()
    statement = upload(association, tresorier, data)
    assert bank_statements.needs_mapping(statement)
    with scope(association=association):
        with pytest.raises(ValidationError):
            bank_statements.bank_statement_import(
                association=association, acting_user=tresorier, statement=statement
            )
        with pytest.raises(ValidationError):
            bank_statements.bank_statement_set_mapping(
                association=association,
                acting_user=tresorier,
                statement=statement,
                mapping={"label": 1},
            )
        bank_statements.bank_statement_set_mapping(
            association=association,
            acting_user=tresorier,
            statement=statement,
            mapping={"date": 0, "label": 1, "amount": 2},
        )
        done = bank_statements.bank_statement_import(
            association=association, acting_user=tresorier, statement=statement
        )
    assert done.lines_imported == 1


# --- Matching -------------------------------------------------------------------------------


@pytest.fixture
def lines(association, tresorier):
    do_import(association, tresorier, credit_agricole())
    with scope(association=association):
        return {
            line.label.split()[-1]: line
            for line in BankLine.objects.filter(association=association)
        }


def test_suggestions_prefer_the_same_amount_then_the_date_then_the_name(
    association, tresorier, record, lines
):
    line = lines["ADH-42"]  # 30 € on D1, "M DUPONT MARIE"
    far = record(amount_cents=3000, status="pending", payer_name="Marie Dupont")
    near_other = record(amount_cents=3000, status="pending", payer_name="Paul Lefebvre")
    near_dupont = record(amount_cents=3000, status="pending", payer_name="Marie Dupont")
    record(amount_cents=2999, status="pending", payer_name="Marie Dupont")  # not the amount
    record(amount_cents=3000, method="cash", payer_name="Marie Dupont")  # cash received
    with scope(association=association):
        Payment.objects.filter(pk=far.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
        found = reconciliation.suggestions_for_lines(association, [line])[line.pk]
    assert [s.payment.pk for s in found] == [near_dupont.pk, near_other.pk, far.pk]
    assert found[0].similarity > found[1].similarity


def test_confirming_a_pending_payment_marks_it_received_on_the_day_of_the_line(
    association, tresorier, record, lines, signals_sent
):
    line = lines["ADH-42"]
    payment = record(amount_cents=3000, status="pending", method="transfer")
    with scope(association=association):
        reconciliation.bank_line_match(
            association=association, acting_user=tresorier, line=line, payment=payment
        )
        payment.refresh_from_db()
        line.refresh_from_db()
    assert payment.status == "succeeded" and payment.paid_on == D1
    assert line.status == "matched" and line.payment_id == payment.pk
    assert line.matched_by == tresorier
    assert (payment.pk, "pending", "succeeded", association.pk) in signals_sent
    assert logged("bank_line.match") == 1


def test_a_received_cheque_is_matched_without_changing_it(association, tresorier, record, lines):
    line = lines["ADH-42"]
    paid_on = D3
    payment = record(amount_cents=3000, paid_on=paid_on)
    with scope(association=association):
        reconciliation.bank_line_match(
            association=association, acting_user=tresorier, line=line, payment=payment
        )
        payment.refresh_from_db()
    assert payment.paid_on == paid_on


def test_matching_refuses_wrong_pairs(association, tresorier, record, lines, other_association):
    payment = record(amount_cents=3000, status="pending")
    with scope(association=association):
        with pytest.raises(ValidationError, match="amount"):
            reconciliation.bank_line_match(
                association=association,
                acting_user=tresorier,
                line=lines["CHEQUES"],
                payment=payment,
            )
        with pytest.raises(ValidationError, match="Only money received"):
            debit = record(amount_cents=4520, status="pending")
            reconciliation.bank_line_match(
                association=association, acting_user=tresorier, line=lines["123"], payment=debit
            )
        reconciliation.bank_line_match(
            association=association, acting_user=tresorier, line=lines["ADH-42"], payment=payment
        )
        with pytest.raises(ValidationError, match="already matched"):
            reconciliation.bank_line_match(
                association=association,
                acting_user=tresorier,
                line=lines["LEFEBVRE"],
                payment=payment,
            )
        cancelled = record(amount_cents=3000, status="pending")
        services.payment_update_status(
            association=association, acting_user=tresorier, payment=cancelled, status="cancelled"
        )
        with pytest.raises(ValidationError, match="cannot be matched"):
            reconciliation.bank_line_match(
                association=association,
                acting_user=tresorier,
                line=lines["LEFEBVRE"],
                payment=cancelled,
            )
    with scope(association=other_association):
        other = services.payment_record(
            association=other_association,
            acting_user=None,
            amount_cents=3000,
            method="transfer",
            status="pending",
        )
    with scope(association=association), pytest.raises(ValidationError, match="Unknown payment"):
        reconciliation.bank_line_match(
            association=association,
            acting_user=tresorier,
            line=lines["LEFEBVRE"],
            payment=other,
        )


def test_a_payment_recorded_from_a_line_then_undone_is_cancelled(
    association, tresorier, lines, person
):
    line = lines["LEFEBVRE"]
    with scope(association=association):
        reconciliation.bank_line_record_payment(
            association=association, acting_user=tresorier, line=line, person=person
        )
        line.refresh_from_db()
        payment = line.payment
        assert (payment.method, payment.status, payment.paid_on) == ("transfer", "succeeded", D3)
        assert payment.person == person and payment.amount_cents == 3000
        reconciliation.bank_line_undo(association=association, acting_user=tresorier, line=line)
        line.refresh_from_db()
        payment.refresh_from_db()
    assert line.status == "unmatched" and line.payment is None
    assert payment.status == "cancelled"
    assert logged("bank_line.undo") == 1


def test_ignore_and_undo(association, tresorier, lines):
    line = lines["123"]
    with scope(association=association):
        reconciliation.bank_line_ignore(association=association, acting_user=tresorier, line=line)
        with pytest.raises(ValidationError):
            reconciliation.bank_line_ignore(
                association=association, acting_user=tresorier, line=line
            )
        reconciliation.bank_line_undo(association=association, acting_user=tresorier, line=line)
        line.refresh_from_db()
    assert line.status == "unmatched"


def test_totals_compare_expected_and_received(association, tresorier, record, lines):
    record(amount_cents=3000, status="pending")
    record(amount_cents=5000, paid_on=TODAY)
    period = reconciliation.default_period()
    period.since = min(period.since, D3)
    with scope(association=association):
        figures = reconciliation.totals(association, period)
    assert figures["expected_cents"] == 8000
    assert figures["awaited_cents"] == 3000
    assert figures["bank_in_cents"] == 3000 + 125000 + 3000
    assert figures["unmatched_count"] == 3


# --- Concurrency ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_of_the_same_payment_at_once_one_wins():
    owner = UserFactory()
    association = make_association(owner, name="Course")
    do_import(association, owner, credit_agricole())
    with scope(association=association):
        first, second = BankLine.objects.filter(association=association, amount_cents=3000)
        payment = services.payment_record(
            association=association,
            acting_user=owner,
            amount_cents=3000,
            method="transfer",
            status="pending",
        )

    def confirm(line):
        def run():
            with scope(association=association):
                return reconciliation.bank_line_match(
                    association=association, acting_user=owner, line=line, payment=payment
                )

        return run

    results = race([confirm(first), confirm(second)])
    won = [r for r in results if isinstance(r, BankLine)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(refused) == 1, results
    with scopes_disabled():
        assert BankLine.objects.filter(payment=payment).count() == 1
        assert (
            AuditLog.objects.filter(association=association, action="payment.status").count() == 1
        )


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_of_the_same_line_at_once_one_wins():
    owner = UserFactory()
    association = make_association(owner, name="Course")
    do_import(association, owner, credit_agricole())
    with scope(association=association):
        line = BankLine.objects.filter(association=association, amount_cents=3000).first()
        payments = [
            services.payment_record(
                association=association,
                acting_user=owner,
                amount_cents=3000,
                method="transfer",
                status="pending",
            )
            for _i in range(2)
        ]

    def confirm(payment):
        def run():
            with scope(association=association):
                return reconciliation.bank_line_match(
                    association=association, acting_user=owner, line=line, payment=payment
                )

        return run

    results = race([confirm(p) for p in payments])
    won = [r for r in results if isinstance(r, BankLine)]
    assert len(won) == 1, results
    with scopes_disabled():
        statuses = sorted(
            Payment.objects.filter(association=association).values_list("status", flat=True)
        )
        assert statuses == ["pending", "succeeded"]


def test_the_database_refuses_one_payment_on_two_lines(association, tresorier, record, lines):
    from django.db import IntegrityError, transaction

    payment = record(amount_cents=3000)
    with scope(association=association):
        BankLine.objects.filter(pk=lines["ADH-42"].pk).update(status="matched", payment=payment)
        with pytest.raises(IntegrityError), transaction.atomic():
            BankLine.objects.filter(pk=lines["LEFEBVRE"].pk).update(
                status="matched", payment=payment
            )


# --- Screens --------------------------------------------------------------------------------


def url(association, name="home", **kwargs):
    return reverse(
        f"reconciliation:{name}", kwargs={"association_slug": association.slug, **kwargs}
    )


def post_file(client, association, data, name="releve.csv"):
    return client.post(
        url(association, "upload"), {"file": SimpleUploadedFile(name, data, "text/csv")}
    )


@pytest.mark.parametrize("name", ["home", "awaited", "upload", "export"])
@pytest.mark.parametrize(
    "user_fixture,status", [("presidente", 200), ("tresorier", 200), ("benevole", 403)]
)
def test_pages_by_capability(request, client_for, association, name, user_fixture, status):
    client = client_for(request.getfixturevalue(user_fixture))
    assert client.get(url(association, name)).status_code == status


def test_a_member_without_the_capability_cannot_act(client_for, association, benevole, lines):
    client = client_for(benevole)
    line = lines["ADH-42"]
    assert post_file(client, association, qonto()).status_code == 403
    for name in ("line", "line_match", "line_record", "line_ignore", "line_undo"):
        assert client.post(url(association, name, line_uuid=line.uuid)).status_code == 403
    with scope(association=association):
        line.refresh_from_db()
    assert line.status == "unmatched"


def test_a_member_of_another_association_gets_404(
    client_for, association, tresorier, outsider, other_association, lines, record
):
    client = client_for(outsider)
    line = lines["ADH-42"]
    draft = upload(association, tresorier, qonto())
    payment = record(amount_cents=3000, status="pending")
    for name in ("home", "awaited", "upload", "export"):
        assert client.get(url(association, name)).status_code == 404
    for name in ("statement", "statement_mapping", "statement_import", "statement_discard"):
        assert client.post(url(association, name, statement_uuid=draft.uuid)).status_code == 404
    for name in ("line", "line_match", "line_record", "line_ignore", "line_undo"):
        response = client.post(
            url(association, name, line_uuid=line.uuid), {"payment": str(payment.uuid)}
        )
        assert response.status_code == 404
    # Under their own address, the victim's objects are unknown too.
    assert client.get(url(other_association, "line", line_uuid=line.uuid)).status_code == 404
    assert (
        client.get(url(other_association, "statement", statement_uuid=draft.uuid)).status_code
        == 404
    )
    assert (
        client.post(
            url(other_association, "line_match", line_uuid=line.uuid),
            {"payment": str(payment.uuid)},
        ).status_code
        == 404
    )
    with scope(association=association):
        line.refresh_from_db()
        payment.refresh_from_db()
    assert line.status == "unmatched" and payment.status == "pending"


def test_empty_states_say_what_to_do(client_for, association, tresorier):
    client = client_for(tresorier)
    home = client.get(url(association)).content.decode()
    assert "No bank statement imported yet" in home
    assert url(association, "upload") in home
    awaited = client.get(url(association, "awaited")).content.decode()
    assert "No payment is awaited" in awaited


def test_the_navigation_shows_the_entry_to_the_treasurer_only(
    client_for, association, tresorier, benevole
):
    target = url(association)
    page = reverse("people:list", kwargs={"association_slug": association.slug})
    assert target in client_for(tresorier).get(page).content.decode()
    assert target not in client_for(benevole).get(page).content.decode()


def test_the_treasurer_imports_a_statement_in_two_steps(client_for, association, tresorier):
    client = client_for(tresorier)
    response = post_file(client, association, societe_generale(), "export SG.csv")
    assert response.status_code == 302
    with scope(association=association):
        statement = BankStatement.objects.get(association=association)
    assert response["Location"] == url(association, "statement", statement_uuid=statement.uuid)
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert "DUPONT MARIE" in preview.content.decode()
    with scope(association=association):
        assert not BankLine.objects.filter(association=association).exists()  # preview only
    done = client.post(url(association, "statement_import", statement_uuid=statement.uuid))
    assert done.status_code == 302
    with scope(association=association):
        assert BankLine.objects.filter(association=association).count() == 3
    again = post_file(client, association, societe_generale(), "export SG.csv")
    page = client.get(again["Location"]).content.decode()
    assert "already imported" in page
    assert client.get(url(association, "upload")).status_code == 200


def test_an_unsure_file_goes_through_the_mapping_step(client_for, association, tresorier):
    client = client_for(tresorier)
    data = f"Jour;Texte;Somme\n{fr(D1)};VIR DUPONT;10,00\n{fr(D2)};FRAIS;-1,00\n".encode()
    response = post_file(client, association, data)
    with scope(association=association):
        statement = BankStatement.objects.get(association=association)
    mapping_url = url(association, "statement_mapping", statement_uuid=statement.uuid)
    assert response["Location"] == mapping_url
    page = client.get(mapping_url)
    assert page.status_code == 200 and "VIR DUPONT" in page.content.decode()
    bad = client.post(mapping_url, {"label": "1", "amount": "1"})
    assert bad.status_code == 200
    assert "Each column can be chosen once only" in bad.content.decode()
    assert client.post(mapping_url, {"date": "99"}).status_code == 200  # not a choice
    good = client.post(mapping_url, {"date": "0", "label": "1", "amount": "2"})
    assert good.status_code == 302
    client.post(url(association, "statement_import", statement_uuid=statement.uuid))
    with scope(association=association):
        amounts = sorted(
            BankLine.objects.filter(association=association).values_list("amount_cents", flat=True)
        )
    assert amounts == [-100, 1000]


@pytest.mark.parametrize(
    "data,name,message",
    [
        (b"%PDF-1.4 statement", "releve.pdf", "PDF"),
        (bytes(range(256)) * 50, "releve.csv", "not a CSV bank statement"),
        (b"", "empty.csv", "empty"),
        (b"just some words", "words.csv", "No operation was found"),
    ],
)
def test_garbage_uploads_get_a_clear_error(client_for, association, tresorier, data, name, message):
    client = client_for(tresorier)
    response = post_file(client, association, data, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    with scope(association=association):
        assert not BankStatement.objects.filter(association=association).exists()


def test_a_20_mb_upload_is_refused(client_for, association, tresorier, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    client = client_for(tresorier)
    response = post_file(client, association, b"0;" * (10 * 1024 * 1024))
    assert response.status_code == 400
    assert "5 MB" in response.content.decode()


def test_discarding_a_draft_forgets_it(
    client_for, association, tresorier, django_capture_on_commit_callbacks
):
    client = client_for(tresorier)
    post_file(client, association, qonto())
    with scope(association=association):
        statement = BankStatement.objects.get(association=association)
    stored = statement.file.name
    assert statement.file.storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(association, "statement_discard", statement_uuid=statement.uuid))
    with scope(association=association):
        assert not BankStatement.objects.filter(association=association).exists()
    assert not statement.file.storage.exists(stored)


def test_the_treasurer_confirms_the_suggestion_from_the_list(
    client_for, association, tresorier, record, lines
):
    payment = record(amount_cents=3000, status="pending", payer_name="Marie Dupont")
    client = client_for(tresorier)
    page = client.get(url(association)).content.decode()
    assert "Marie Dupont" in page and "Confirm" in page
    line = lines["ADH-42"]
    back = url(association) + "?status=unmatched"
    response = client.post(
        url(association, "line_match", line_uuid=line.uuid),
        {"payment": str(payment.uuid), "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    with scope(association=association):
        payment.refresh_from_db()
    assert payment.status == "succeeded"
    # Confirming again: a clear message, no 500.
    again = client.post(
        url(association, "line_match", line_uuid=line.uuid), {"payment": str(payment.uuid)}
    )
    assert again.status_code == 302
    assert "already" in client.get(again["Location"]).content.decode()


def test_an_unsafe_next_address_is_not_followed(client_for, association, tresorier, lines):
    client = client_for(tresorier)
    line = lines["123"]
    response = client.post(
        url(association, "line_ignore", line_uuid=line.uuid), {"next": "https://evil.example/"}
    )
    assert response["Location"] == url(association, "line", line_uuid=line.uuid)


def test_the_treasurer_searches_and_records_a_payment_for_a_contact(
    client_for, association, tresorier, lines, person
):
    client = client_for(tresorier)
    line = lines["LEFEBVRE"]
    page = client.get(url(association, "line", line_uuid=line.uuid), {"q": "le goff"})
    assert page.status_code == 200
    assert "Émilie" in page.content.decode()
    response = client.post(
        url(association, "line_record", line_uuid=line.uuid), {"contact": str(person.uuid)}
    )
    assert response.status_code == 302
    with scope(association=association):
        line.refresh_from_db()
        assert line.payment.person == person
        assert line.payment.payer_name == person.full_name


def test_recording_refuses_bad_input(client_for, association, tresorier, lines, other_person):
    client = client_for(tresorier)
    line = lines["LEFEBVRE"]
    target = url(association, "line_record", line_uuid=line.uuid)
    assert client.post(target, {"contact": str(other_person.uuid)}).status_code == 400
    assert client.post(target, {"contact": "not-a-uuid"}).status_code == 400
    assert client.post(target, {"payer_name": "x" * 300}).status_code == 400
    with scope(association=association):
        assert not Payment.objects.filter(association=association).exists()
        line.refresh_from_db()
    assert line.status == "unmatched"


def test_the_line_page_finds_payments_by_amount_and_name(
    client_for, association, tresorier, record, lines
):
    record(amount_cents=3000, status="pending", payer_name="Jeanne Lefèbvre", reference="ADH-7")
    record(amount_cents=3000, status="pending", payer_name="Paul Martin", reference="ADH-8")
    client = client_for(tresorier)
    line = lines["LEFEBVRE"]
    with scope(association=association):
        found = reconciliation.payment_search(association, "jeanne lefebvre")
    assert [p.payer_name for p in found] == ["Jeanne Lefèbvre"]
    for query in ("lefebvre", "LEFÈBVRE", "30,00", "adh-7"):
        page = client.get(url(association, "line", line_uuid=line.uuid), {"q": query})
        assert page.status_code == 200
        assert "Jeanne Lefèbvre" in page.content.decode()
    assert (
        client.post(
            url(association, "line_match", line_uuid=line.uuid), {"payment": "x"}
        ).status_code
        == 302
    )


def test_awaited_payments_show_the_late_ones(client_for, association, tresorier, record):
    old = record(amount_cents=1500, status="pending", payer_name="Ancien Retard")
    record(amount_cents=1600, status="pending", payer_name="Tout Recent")
    with scope(association=association):
        Payment.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=45))
    client = client_for(tresorier)
    page = client.get(url(association, "awaited")).content.decode()
    assert page.index("Ancien Retard") < page.index("Tout Recent")
    assert page.count("badge-expired") == 1
    home = client.get(url(association)).content.decode()
    assert "awaited for more than 30 days" in home
    lenient = client.get(url(association, "awaited"), {"days": "60"}).content.decode()
    assert lenient.count("badge-expired") == 0
    for junk in ("abc", "-5", "99999999999999999999"):
        assert client.get(url(association, "awaited"), {"days": junk}).status_code == 200


def test_filters_and_bad_filter_values(client_for, association, tresorier, lines):
    client = client_for(tresorier)
    base = url(association)
    since = (D3 - dt.timedelta(days=1)).isoformat()
    page = client.get(base, {"direction": "out", "status": "all", "since": since}).content.decode()
    assert "EDF" in page and "LEFEBVRE" not in page
    page = client.get(base, {"q": "lefebvre", "since": since}).content.decode()
    assert "LEFEBVRE" in page and "DUPONT" not in page
    for junk in ({"since": "yesterday"}, {"status": "<script>"}, {"page": "999"}):
        assert client.get(base, junk).status_code == 200


def test_the_list_query_count_does_not_grow_with_rows(
    client_for, association, tresorier, record, django_assert_max_num_queries
):
    client = client_for(tresorier)
    do_import(association, tresorier, credit_agricole())
    for amount in (3000, 125000):
        record(amount_cents=amount, status="pending")
    with django_assert_max_num_queries(25) as few:
        client.get(url(association))
    header = "Date;Libellé;Débit;Crédit\n"
    many = "".join(f"{fr(D1)};VIR {i};;{i},00\n" for i in range(1, 40))
    do_import(association, tresorier, (header + many).encode())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url(association))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export(client_for, association, tresorier, lines, record, fmt):
    payment = record(amount_cents=3000, status="pending", payer_name="Marie Dupont")
    with scope(association=association):
        reconciliation.bank_line_match(
            association=association, acting_user=tresorier, line=lines["ADH-42"], payment=payment
        )
    client = client_for(tresorier)
    since = (D3 - dt.timedelta(days=1)).isoformat()
    response = client.get(
        url(association, "export"),
        {"format": fmt, "status": "all", "direction": "all", "since": since},
    )
    assert response.status_code == 200
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
        assert "Marie Dupont" in text and "1 250,00".replace(" ", "\u202f") in text
        assert len(text.strip().splitlines()) == 1 + 4
        assert "45,20" in text and "'-" not in text
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.values)
        assert len(rows) == 1 + 4
        assert any(row[8] == "Marie Dupont" for row in rows[1:])
        assert sorted(row[1] for row in rows[1:] if row[1]) == [30, 30, 1250]
        assert [row[2] for row in rows[1:] if row[2]] == [45.2]


def test_activity_log_labels_are_registered():
    from essaim.core.selectors import ACTION_LABELS

    for action in ("bank_statement.import", "bank_line.match", "bank_line.undo"):
        assert action in ACTION_LABELS


# --- Privacy --------------------------------------------------------------------------------


def test_privacy_export_and_erasure(association, tresorier, lines, person):
    entry = next(e for e in registry.entries() if e.key == "bank_lines")
    line = lines["LEFEBVRE"]
    with scope(association=association):
        reconciliation.bank_line_record_payment(
            association=association, acting_user=tresorier, line=line, person=person
        )
        exported = entry.export_person(person)
        assert [row["amount_cents"] for row in exported] == [3000]
        assert "LEFEBVRE" in exported[0]["label"]
        entry.erase_person(person)
        line.refresh_from_db()
    assert (line.label, line.counterparty, line.search_text) == ("", "", "")
    assert line.amount_cents == 3000 and line.booked_on == D3


def test_retention_drops_names_of_old_lines_and_old_drafts(association, tresorier, lines):
    entry = next(e for e in registry.entries() if e.key == "bank_lines")
    draft = upload(association, tresorier, qonto())
    with scopes_disabled():
        BankStatement.objects.filter(pk=draft.pk).update(
            created_at=timezone.now() - dt.timedelta(days=3)
        )
        BankLine.objects.filter(pk=lines["ADH-42"].pk).update(booked_on=dt.date(2010, 1, 4))
        entry.apply_retention(timezone.now())
        old = BankLine.objects.get(pk=lines["ADH-42"].pk)
        recent = BankLine.objects.get(pk=lines["LEFEBVRE"].pk)
        assert old.label == "" and recent.label
        assert not BankStatement.objects.filter(pk=draft.pk).exists()


def test_another_association_persona_is_isolated_in_services(
    association, tresorier, lines, other_association, outsider
):
    with scope(association=other_association), pytest.raises(BankLine.DoesNotExist):
        reconciliation.bank_line_ignore(
            association=other_association, acting_user=outsider, line=lines["123"]
        )


def test_erased_contacts_are_never_offered(association):
    with scope(association=association):
        erased = PersonFactory(association=association, last_name="Effacee")
        erased.erased_at = timezone.now()
        erased.save()
        assert reconciliation.contact_search(association, "effacee") == []


def test_the_list_never_suggests_one_payment_for_two_lines(
    client_for, association, tresorier, record, lines
):
    payment = record(amount_cents=3000, status="pending", payer_name="Marie Dupont")
    with scope(association=association):
        both = [lines["ADH-42"], lines["LEFEBVRE"]]
        found = reconciliation.suggestions_for_lines(association, both, unique=True)
    # The line naming Marie Dupont gets her payment; the other line gets none.
    assert [s.payment.pk for s in found[lines["ADH-42"].pk]] == [payment.pk]
    assert lines["LEFEBVRE"].pk not in found
    page = client_for(tresorier).get(url(association)).content.decode()
    assert page.count(f'value="{payment.uuid}"') == 1


def test_files_being_checked_are_listed(client_for, association, tresorier):
    draft = upload(association, tresorier, qonto(), "qonto-export.csv")
    page = client_for(tresorier).get(url(association, "upload")).content.decode()
    assert "Files being checked" in page and "qonto-export.csv" in page
    assert url(association, "statement", statement_uuid=draft.uuid) in page
