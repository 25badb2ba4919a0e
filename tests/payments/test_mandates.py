"""SEPA direct debit with a database: creditor settings, mandates, batches, returns, lapse."""

import contextlib
import datetime as dt
import hashlib
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from essaim.core import scheduler
from essaim.core.privacy import registry
from essaim.payments import mandates, sepa
from essaim.payments.models import DebitBatch, DirectDebit, Mandate, Payment
from essaim.people import services as people_services

IBAN = "FR7630006000011234567890189"
IBAN_LBP = "FR1420041010050500013M02606"
IBAN_DE = "DE89370400440532013000"
ICS = "FR72ZZZ123456"
CREDITOR_IBAN = "FR1420041010050500013M02606"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


def _messages(excinfo) -> str:
    return " ".join(excinfo.value.messages)


@contextlib.contextmanager
def on_day(monkeypatch, day: dt.date):
    """Run as if today were `day` (the services read timezone.localdate())."""
    real = timezone.localdate

    def fake(value=None, timezone=None):
        return real(value, timezone) if value is not None else day

    with monkeypatch.context() as patch:
        patch.setattr("django.utils.timezone.localdate", fake)
        yield


@pytest.fixture
def creditor(association, tresorier, scoped):
    return mandates.creditor_settings_save(
        association=association,
        acting_user=tresorier,
        creditor_name="Les Amis du Quartier",
        creditor_id=ICS,
        iban=CREDITOR_IBAN,
        bic="PSSTFRPPXXX",
        prenotification_days=5,
    )


@pytest.fixture
def mandate(association, tresorier, scoped):
    def make(**fields):
        fields.setdefault("association", association)
        fields.setdefault("acting_user", tresorier)
        fields.setdefault("iban", IBAN)
        fields.setdefault("debtor_name", "Hélène Dupré")
        fields.setdefault("signed_on", timezone.localdate() - dt.timedelta(days=30))
        with scope(association=fields["association"]):
            return mandates.mandate_create(**fields)

    return make


@pytest.fixture
def batch(association, tresorier, creditor):
    def make(items, *, collection_date=None, **fields):
        return mandates.debit_batch_create(
            association=fields.get("association", association),
            acting_user=tresorier,
            collection_date=collection_date or timezone.localdate() + dt.timedelta(days=5),
            items=items,
        )

    return make


def _parse(batch: DebitBatch) -> list[dict]:
    with batch.file.open("rb") as handle:
        root = ET.fromstring(handle.read())
    rows = []
    for info in root.iterfind(".//p:PmtInf", NS):
        sequence = info.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS)
        for tx in info.iterfind("p:DrctDbtTxInf", NS):
            rows.append(
                {
                    "sequence": sequence,
                    "amount": tx.findtext("p:InstdAmt", namespaces=NS),
                    "rum": tx.findtext(".//p:MndtId", namespaces=NS),
                    "e2e": tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
                    "iban": tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
                    "date": info.findtext("p:ReqdColltnDt", namespaces=NS),
                    "creditor_id": info.findtext(
                        ".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS
                    ),
                }
            )
    return rows


# --- Creditor settings --------------------------------------------------------------------


def test_creditor_settings_are_checked_and_kept_once(association, tresorier, creditor):
    assert (creditor.creditor_id, creditor.iban, creditor.prenotification_days) == (
        ICS,
        CREDITOR_IBAN,
        5,
    )
    again = mandates.creditor_settings_save(
        association=association,
        acting_user=tresorier,
        creditor_name="Les Amis",
        creditor_id="fr72 zzz 123456",
        iban=CREDITOR_IBAN,
    )
    assert again.pk == creditor.pk and again.prenotification_days == 14
    assert again.bic == sepa.bic_of(CREDITOR_IBAN)


@pytest.mark.parametrize(
    ("fields", "field", "french"),
    [
        ({"creditor_id": "FR73ZZZ123456"}, "creditor_id", "clé de contrôle"),
        ({"iban": "FR7630006000011234567890188"}, "iban", "IBAN"),
        ({"bic": "BNPA"}, "bic", "8 ou 11 caractères"),
        ({"prenotification_days": 0}, "prenotification_days", "entre 1 et 14 jours"),
        ({"prenotification_days": 15}, "prenotification_days", "entre 1 et 14 jours"),
        ({"creditor_name": "   "}, "creditor_name", "nom"),
    ],
)
def test_bad_creditor_settings_are_refused_in_french(
    association, tresorier, scoped, fields, field, french
):
    values = {
        "creditor_name": "Les Amis",
        "creditor_id": ICS,
        "iban": CREDITOR_IBAN,
        "bic": "",
        "prenotification_days": 14,
        **fields,
    }
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        mandates.creditor_settings_save(association=association, acting_user=tresorier, **values)
    assert set(excinfo.value.message_dict) == {field}
    assert french in " ".join(excinfo.value.message_dict[field])
    assert mandates.creditor_settings_of(association) is None


# --- Mandates -----------------------------------------------------------------------------


def test_a_mandate_keeps_the_iban_encrypted_and_shows_its_end(mandate, person):
    created = mandate(person=person, debtor_name="", bic="agri frpp xxx")
    assert created.debtor_name == "Emilie Le Goff"  # the contact's name, in SEPA characters
    assert created.iban.reveal() == IBAN and created.iban_last4 == "0189"
    assert created.iban_masked == "…0189" and created.bic == "AGRIFRPPXXX"
    with scopes_disabled():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT iban FROM {Mandate._meta.db_table} WHERE id = %s", [created.pk])
            raw = cursor.fetchone()[0]
        assert raw.startswith("fernet:") and IBAN not in raw
        assert Mandate.objects.get(pk=created.pk).iban.reveal() == IBAN
    assert (created.status, created.kind, created.first_collection_done) == (
        "active",
        "recurring",
        False,
    )


def test_references_are_unique_and_never_hold_the_iban(mandate, association):
    made = [mandate(iban=iban) for iban in (IBAN, IBAN_LBP, IBAN_DE) * 10]
    rums = [m.rum for m in made]
    assert len(set(rums)) == len(rums)
    for m in made:
        assert len(m.rum) <= 35 and set(m.rum) <= sepa.SEPA_CHARACTERS
        assert not sepa.shares_iban_run(m.rum, m.iban.reveal(), sepa.GENERATED_IBAN_RUN)
        assert m.rum.startswith(sepa.rum_prefix(association.slug) + "-")


def test_a_reference_already_taken_is_not_given_again(mandate, monkeypatch, association):
    first = mandate()
    tokens = iter([first.rum, f"{sepa.rum_prefix(association.slug)}-ABCDEF-GHJKLM"])
    monkeypatch.setattr(
        "essaim.payments.mandates.sepa.rum_generate",
        lambda *, exists, **kw: next(t for t in tokens if not exists(t)),
    )
    assert mandate().rum.endswith("-ABCDEF-GHJKLM")


@pytest.mark.parametrize(
    ("fields", "field", "french"),
    [
        ({"iban": "FR7630006000011234567890188"}, "iban", "clé de contrôle"),
        ({"iban": "FR76300060000112345678901"}, "iban", "nombre de caractères"),
        ({"iban": ""}, "iban", "Indiquez l'IBAN"),
        ({"iban": "BR1800360305000010009795493C1"}, "iban", "SEPA"),
        ({"bic": "BNPA"}, "bic", "8 ou 11 caractères"),
        ({"bic": "BNPAXXPP"}, "bic", "n'est pas valide"),
        ({"debtor_name": "¤¤"}, "debtor_name", "titulaire du compte"),
        ({"kind": "weekly"}, "kind", "prélèvement"),
    ],
)
def test_bad_mandates_are_refused_in_french(mandate, fields, field, french):
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        mandate(**fields)
    assert set(excinfo.value.message_dict) == {field}
    assert french in " ".join(excinfo.value.message_dict[field])
    with scopes_disabled():
        assert not Mandate.objects.exists()


def test_a_mandate_cannot_be_signed_tomorrow(mandate):
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        mandate(signed_on=timezone.localdate() + dt.timedelta(days=1))
    assert "futur" in " ".join(excinfo.value.message_dict["signed_on"])
    assert mandate(signed_on=timezone.localdate()).signed_on == timezone.localdate()


def test_a_contact_of_another_association_is_refused(mandate, other_person):
    with pytest.raises(ValidationError) as excinfo:
        mandate(person=other_person)
    assert "person" in excinfo.value.message_dict


def test_sequence_types_follow_the_mandate(mandate):
    one_off = mandate(kind="one_off")
    recurring = mandate()
    assert mandates.mandate_sequence_type(one_off) == "OOFF"
    assert mandates.mandate_sequence_type(recurring) == "FRST"
    recurring.first_collection_done = True
    assert mandates.mandate_sequence_type(recurring) == "RCUR"


def test_revoking_is_final_and_repeatable(mandate, association, tresorier):
    created = mandate()
    revoked = mandates.mandate_revoke(
        association=association, acting_user=tresorier, mandate=created
    )
    assert revoked.status == "revoked" and revoked.revoked_at is not None
    again = mandates.mandate_revoke(association=association, acting_user=tresorier, mandate=created)
    assert again.revoked_at == revoked.revoked_at


def test_another_association_cannot_revoke_a_mandate(mandate, other_association, outsider):
    created = mandate()
    with scope(association=other_association), pytest.raises(Http404):
        mandates.mandate_revoke(
            association=other_association, acting_user=outsider, mandate=created
        )
    with scopes_disabled():
        assert Mandate.objects.get(pk=created.pk).status == "active"


def test_recurring_mandates_unused_for_36_months_lapse(mandate):
    today = timezone.localdate()
    old = mandate(signed_on=today - dt.timedelta(days=3 * 366 + 1))
    used_lately = mandate(signed_on=today - dt.timedelta(days=5 * 365))
    Mandate.objects.filter(pk=used_lately.pk).update(
        last_used_on=today - dt.timedelta(days=35 * 30)
    )
    used_long_ago = mandate(signed_on=today - dt.timedelta(days=5 * 365))
    Mandate.objects.filter(pk=used_long_ago.pk).update(last_used_on=today - dt.timedelta(days=1100))
    one_off = mandate(kind="one_off", signed_on=today - dt.timedelta(days=4 * 365))
    recent = mandate()

    assert mandates.mandates_lapse(timezone.now()) == 2
    status = dict(Mandate.objects.values_list("pk", "status"))
    assert status[old.pk] == status[used_long_ago.pk] == "lapsed"
    assert status[used_lately.pk] == status[one_off.pk] == status[recent.pk] == "active"
    assert mandates.mandates_lapse(timezone.now()) == 0


def test_lapse_counts_calendar_months():
    assert mandates.lapse_cutoff(dt.date(2026, 11, 27)) == dt.date(2023, 11, 27)
    assert mandates.lapse_cutoff(dt.date(2028, 2, 29)) == dt.date(2025, 2, 28)


def test_the_lapse_runs_every_day():
    job = next(j for j in scheduler.jobs() if j.name == "payments_sepa_mandates_lapse")
    assert job.interval == dt.timedelta(days=1)


# --- Debit batches ------------------------------------------------------------------------


def test_a_batch_records_pending_payments_and_a_valid_pain008(
    batch, mandate, person, association, signals_sent
):
    recurring = mandate(person=person)
    one_off = mandate(kind="one_off", iban=IBAN_DE, debtor_name="Jürgen Weiß")
    day = timezone.localdate() + dt.timedelta(days=5)
    made = batch(
        [
            (recurring, 2500, "Cotisation 2026", "dues-2026-1"),
            (one_off, 10050, "Don ponctuel", "gift-7"),
        ],
        collection_date=day,
    )
    assert (made.count, made.total_cents, made.status) == (2, 12550, "exported")
    with made.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == made.sha256

    rows = {row["rum"]: row for row in _parse(made)}
    assert rows[recurring.rum]["sequence"] == "FRST" and rows[recurring.rum]["amount"] == "25.00"
    assert rows[one_off.rum]["sequence"] == "OOFF" and rows[one_off.rum]["amount"] == "100.50"
    assert rows[one_off.rum]["iban"] == IBAN_DE
    assert {row["date"] for row in rows.values()} == {day.isoformat()}
    assert {row["creditor_id"] for row in rows.values()} == {ICS}

    payments = Payment.objects.filter(sepa_debit__batch=made).order_by("amount_cents")
    assert [(p.amount_cents, p.status, p.method, p.provider) for p in payments] == [
        (2500, "pending", "sepa_debit", "sepa"),
        (10050, "pending", "sepa_debit", "sepa"),
    ]
    assert {p.provider_reference for p in payments} == {row["e2e"] for row in rows.values()}
    assert payments[0].person == person and payments[0].reference == "Cotisation 2026"
    assert len(signals_sent) == 2
    recurring.refresh_from_db()
    assert recurring.first_collection_done and recurring.last_used_on == day


def test_first_then_recurring(batch, mandate):
    recurring = mandate()
    first = batch([(recurring, 1000, "mois 1", "m1")])
    second = batch([(recurring, 1000, "mois 2", "m2")])
    assert [row["sequence"] for row in _parse(first)] == ["FRST"]
    assert [row["sequence"] for row in _parse(second)] == ["RCUR"]
    assert list(DirectDebit.objects.order_by("id").values_list("sequence_type", flat=True)) == [
        "FRST",
        "RCUR",
    ]


def test_a_one_off_mandate_is_debited_once(batch, mandate):
    one_off = mandate(kind="one_off")
    batch([(one_off, 1000, "", "once")])
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        batch([(one_off, 1000, "", "twice")])
    assert "déjà" in _messages(excinfo)


@pytest.mark.parametrize("days", [0, 4])
def test_a_collection_day_before_the_pre_notification_is_refused(batch, mandate, days):
    created = mandate()
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        batch([(created, 1000, "", "k")], collection_date=timezone.localdate() + dt.timedelta(days))
    earliest = (timezone.localdate() + dt.timedelta(days=5)).strftime("%d/%m/%Y")
    assert "5 jours" in _messages(excinfo) and earliest in _messages(excinfo)
    assert not Payment.objects.exists() and not DebitBatch.objects.exists()


def test_no_batch_without_creditor_settings(association, tresorier, mandate):
    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        mandates.debit_batch_create(
            association=association,
            acting_user=tresorier,
            collection_date=timezone.localdate() + dt.timedelta(days=20),
            items=[(mandate(), 1000, "", "k")],
        )
    assert "ICS" in _messages(excinfo)


@pytest.mark.parametrize("amount", [0, -500, 10.5, True, 2_000_000_000])
def test_bad_amounts_are_refused_and_nothing_is_written(batch, mandate, amount):
    good, bad = mandate(), mandate()
    with pytest.raises(ValidationError) as excinfo:
        batch([(good, 1000, "", "a"), (bad, amount, "", "b")])
    assert bad.rum in _messages(excinfo)
    assert not Payment.objects.exists() and not DebitBatch.objects.exists()
    good.refresh_from_db()
    assert not good.first_collection_done and good.last_used_on is None


def test_revoked_and_lapsed_mandates_are_refused(batch, mandate, association, tresorier):
    revoked = mandates.mandate_revoke(
        association=association, acting_user=tresorier, mandate=mandate()
    )
    lapsed = mandate()
    Mandate.objects.filter(pk=lapsed.pk).update(status="lapsed")
    # Not yet marked by the daily job, but unused for more than 36 months.
    stale = mandate(signed_on=timezone.localdate() - dt.timedelta(days=3 * 366 + 1))
    for refused, word in ((revoked, "révoqué"), (lapsed, "caduc"), (stale, "caduc")):
        with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
            batch([(refused, 1000, "", f"k{refused.pk}")])
        assert word in _messages(excinfo) and refused.rum in _messages(excinfo)
    assert not Payment.objects.exists()


def test_a_mandate_of_another_association_cannot_be_debited(
    batch, mandate, other_association, outsider, association
):
    mine = mandate()
    theirs = mandate(association=other_association, acting_user=outsider)
    with pytest.raises(Http404):
        batch([(mine, 1000, "", "a"), (theirs, 1000, "", "b")])
    with scopes_disabled():
        assert not Payment.objects.exists() and not DebitBatch.objects.exists()
        assert Mandate.objects.get(pk=theirs.pk).last_used_on is None


def test_the_same_item_twice_is_debited_once(batch, mandate):
    created = mandate()
    made = batch([(created, 1000, "", "dues-2026"), (created, 1000, "", "dues-2026")])
    assert made.count == 1 and Payment.objects.count() == 1
    again = batch([(created, 1000, "", "dues-2026")])
    assert again.pk == made.pk and Payment.objects.count() == 1
    assert DebitBatch.objects.count() == 1


def test_a_new_batch_leaves_out_what_was_already_debited(batch, mandate):
    first, second = mandate(), mandate()
    batch([(first, 1000, "", "a")])
    made = batch([(first, 1000, "", "a"), (second, 2000, "", "b")])
    assert made.count == 1 and [row["rum"] for row in _parse(made)] == [second.rum]
    assert Payment.objects.count() == 2


def test_a_key_used_for_another_amount_is_refused(batch, mandate):
    created = mandate()
    batch([(created, 1000, "", "a")])
    with pytest.raises(ValidationError):
        batch([(created, 1500, "", "a")])
    assert Payment.objects.count() == 1


def test_a_mandate_twice_in_one_batch_is_refused(batch, mandate):
    created = mandate()
    with pytest.raises(ValidationError) as excinfo:
        batch([(created, 1000, "", "a"), (created, 2000, "", "b")])
    assert created.rum in _messages(excinfo)


# --- Collection and returns ---------------------------------------------------------------


@pytest.fixture
def collected_batch(batch, mandate, monkeypatch, person):
    """A batch built 10 days ago, collected 5 days ago."""
    today = timezone.localdate()
    with on_day(monkeypatch, today - dt.timedelta(days=10)):
        first, second = mandate(person=person), mandate(iban=IBAN_DE)
        made = batch(
            [(first, 3000, "", "a"), (second, 4500, "", "b")],
            collection_date=today - dt.timedelta(days=5),
        )
    return made, first, second


def test_marking_collected_receives_the_payments(
    collected_batch, association, tresorier, signals_sent
):
    made, _first, _second = collected_batch
    done = mandates.debit_batch_mark_collected(
        association=association, acting_user=tresorier, batch=made
    )
    assert done.status == "collected" and done.collected_at is not None
    payments = Payment.objects.filter(sepa_debit__batch=made)
    assert {(p.status, p.paid_on) for p in payments} == {("succeeded", made.collection_date)}
    assert [previous for _pk, previous, _status, _assoc in signals_sent] == ["pending", "pending"]
    again = mandates.debit_batch_mark_collected(
        association=association, acting_user=tresorier, batch=made
    )
    assert again.collected_at == done.collected_at and len(signals_sent) == 2


def test_a_batch_is_not_collected_before_its_day(batch, mandate, association, tresorier):
    made = batch([(mandate(), 1000, "", "a")])
    with pytest.raises(ValidationError):
        mandates.debit_batch_mark_collected(
            association=association, acting_user=tresorier, batch=made
        )
    assert Payment.objects.get().status == "pending"


def test_another_association_cannot_mark_a_batch(collected_batch, other_association, outsider):
    made, _first, _second = collected_batch
    with scope(association=other_association), pytest.raises(Http404):
        mandates.debit_batch_mark_collected(
            association=other_association, acting_user=outsider, batch=made
        )


def test_returns_fail_the_payments_with_the_reason(
    collected_batch, association, tresorier, signals_sent
):
    made, first, second = collected_batch
    mandates.debit_batch_mark_collected(association=association, acting_user=tresorier, batch=made)
    returned = DirectDebit.objects.get(mandate=first)
    with translation.override("fr"):
        failed = mandates.debit_returns_import(
            association=association,
            acting_user=tresorier,
            rows=[(returned.end_to_end_id, "am04")],
        )
    assert [p.pk for p in failed] == [returned.payment_id]
    payment = Payment.objects.get(pk=returned.payment_id)
    assert payment.status == "failed" and payment.status_reason == "AM04 – provision insuffisante"
    assert signals_sent[-1][1:3] == ("succeeded", "failed")
    assert Payment.objects.get(sepa_debit__mandate=second).status == "succeeded"
    # The first debit never went through: the next one is a first debit again.
    first.refresh_from_db()
    assert mandates.mandate_sequence_type(first) == "FRST"
    # The same report imported again changes nothing.
    assert (
        mandates.debit_returns_import(
            association=association, acting_user=tresorier, rows=[(returned.end_to_end_id, "AM04")]
        )
        == []
    )


def test_a_return_with_an_unknown_reference_refuses_the_whole_report(
    collected_batch, association, tresorier
):
    _made, first, _second = collected_batch
    known = DirectDebit.objects.get(mandate=first).end_to_end_id
    for rows in ([(known, "AM04"), ("20260101-UNKNOWN", "AC04")], [(known, "??")]):
        with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
            mandates.debit_returns_import(association=association, acting_user=tresorier, rows=rows)
        assert "Ligne 2" in _messages(excinfo) or "Ligne 1" in _messages(excinfo)
    assert not Payment.objects.filter(status="failed").exists()


def test_returns_of_another_association_are_not_found(collected_batch, other_association, outsider):
    _made, first, _second = collected_batch
    known = DirectDebit.objects.get(mandate=first).end_to_end_id
    with scope(association=other_association), pytest.raises(ValidationError):
        mandates.debit_returns_import(
            association=other_association, acting_user=outsider, rows=[(known, "AM04")]
        )
    with scopes_disabled():
        assert Payment.objects.get(sepa_debit__mandate=first).status == "pending"


# --- Privacy ------------------------------------------------------------------------------


@pytest.fixture
def entry():
    return next(e for e in registry.entries() if e.key == "sepa_mandates")


def test_mandates_are_in_the_register(entry):
    for model in ("payments.Mandate", "payments.DirectDebit", "payments.DebitBatch"):
        assert model in registry.covered_models()
    assert entry.export_person and entry.erase_person and entry.apply_retention


def test_a_person_gets_their_mandates_with_the_iban_masked(entry, batch, mandate, person):
    mine = mandate(person=person)
    mandate(iban=IBAN_DE, debtor_name="Quelqu'un d'autre")
    batch([(mine, 2500, "", "a")])
    rows = entry.export_person(person)
    assert len(rows) == 1
    assert rows[0]["rum"] == mine.rum and rows[0]["iban"] == "…0189"
    assert IBAN not in str(rows) and "30006000" not in str(rows)
    assert [d["amount_cents"] for d in rows[0]["debits"]] == [2500]


def test_erasure_revokes_and_blanks_the_mandate_but_keeps_the_trace(
    batch, mandate, person, association, presidente
):
    mine = mandate(person=person)
    made = batch([(mine, 2500, "", "a")])
    Payment.objects.update(status="cancelled")  # nothing awaited: the erasure may proceed
    people_services.person_erase(
        association=association, acting_user=presidente, person=person, reason="demande"
    )
    kept = Mandate.objects.get(pk=mine.pk)
    assert (kept.rum, kept.signed_on, kept.status) == (mine.rum, mine.signed_on, "revoked")
    assert kept.revoked_at is not None and kept.person is None
    assert (kept.iban.reveal(), kept.iban_last4, kept.bic, kept.debtor_name) == ("", "", "", "")
    debit = DirectDebit.objects.get(batch=made)
    assert (debit.mandate_id, debit.amount_cents) == (mine.pk, 2500)


def test_retention_blanks_ended_mandates_after_14_months(entry, mandate):
    today = timezone.localdate()
    old = mandate(signed_on=today - dt.timedelta(days=800))
    Mandate.objects.filter(pk=old.pk).update(
        status="lapsed", last_used_on=today - dt.timedelta(days=500)
    )
    in_use = mandate(signed_on=today - dt.timedelta(days=800))
    recent_end = mandate(signed_on=today - dt.timedelta(days=800))
    Mandate.objects.filter(pk=recent_end.pk).update(
        status="revoked", revoked_at=timezone.now(), last_used_on=today - dt.timedelta(days=100)
    )
    assert entry.apply_retention(timezone.now()) == 1
    assert Mandate.objects.get(pk=old.pk).iban.reveal() == ""
    assert Mandate.objects.get(pk=in_use.pk).iban.reveal() == IBAN
    assert Mandate.objects.get(pk=recent_end.pk).iban.reveal() == IBAN
    assert entry.apply_retention(timezone.now()) == 0
