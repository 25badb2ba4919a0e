"""Gifts and tax receipts through their services: the mentions of the Cerfa, numbering in
order without gaps, cancel and replace, the annual run, the yearly declaration, tax rates."""

import contextlib
import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from essaim.core.models import AuditLog, OutboxEmail
from essaim.fundraising import receipt_pdf, selectors, services, tax_rates
from essaim.fundraising.models import Gift, ReceiptCounter, ReceiptRun, TaxReceipt
from essaim.payments import services as payment_services
from essaim.payments.models import Payment
from essaim.people import services as people_services

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)
LAST_YEAR = timezone.localdate().year - 1


def pdf_text(receipt: TaxReceipt) -> str:
    with receipt.pdf.open("rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == receipt.sha256
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    # One space for any run of spaces and line ends; a ticked box reads "X label".
    return " ".join(text.split())


def issue(association, user, gifts, **kwargs):
    with scope(association=association):
        return services.receipt_issue(
            association=association, acting_user=user, gifts=gifts, **kwargs
        )


# --- Tax rates ----------------------------------------------------------------------------


def test_tax_rates_are_data_by_year():
    assert tax_rates.individual_reduction_cents(10000, 2026) == 6600
    assert tax_rates.cost_after_reduction_cents(10000, 2026) == 3400
    # 75 % up to the ceiling (1 000 €), 66 % above it.
    assert tax_rates.individual_reduction_cents(150000, 2026, aid=True) == 75000 + 33000
    # A year after the last one known keeps the last rates; one before the first is refused.
    assert tax_rates.rates_for(2099).year == max(tax_rates._table())
    with pytest.raises(LookupError):
        tax_rates.rates_for(1990)


@given(st.integers(min_value=1, max_value=10**9), st.booleans())
def test_reduction_never_exceeds_the_gift_and_costs_add_up(amount, aid):
    reduction = tax_rates.individual_reduction_cents(amount, 2026, aid=aid)
    assert 0 <= reduction <= amount * 75 // 100
    assert tax_rates.cost_after_reduction_cents(amount, 2026, aid=aid) + reduction == amount


# --- Gifts --------------------------------------------------------------------------------


def test_gift_of_money_records_its_payment_once(association, donor, give):
    gift = give(person=donor, amount_cents=12345, idempotency_key="form-1", reference="0001234")
    again = give(person=donor, amount_cents=12345, idempotency_key="form-1", reference="0001234")
    assert again.pk == gift.pk
    with scope(association=association):
        payment = Payment.objects.get()
        assert Gift.objects.count() == 1
    assert (payment.amount_cents, payment.method, payment.status) == (12345, "cheque", "succeeded")
    assert payment.paid_on == gift.received_on and payment.person == donor


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": -500}, "amount_cents"),
        ({"amount_cents": 10**13}, "amount_cents"),
        ({"amount_cents": "12,50"}, "amount_cents"),
        ({"method": ""}, "method"),
        ({"received_on": timezone.localdate() + dt.timedelta(days=2)}, "received_on"),
        ({"nature": "in_kind", "description": " "}, "description"),
        ({"donor_kind": "company", "company_name": ""}, "company_name"),
        ({"donor_kind": "company", "company_name": "ACME", "company_siren": "12"}, "company_siren"),
        ({"note": "a\x00b"}, "note"),
    ],
)
def test_bad_gifts_are_refused_and_nothing_is_written(association, give, fields, field):
    with pytest.raises(ValidationError) as refused:
        give(**fields)
    assert field in refused.value.message_dict
    with scope(association=association):
        assert not Gift.objects.exists() and not Payment.objects.exists()


def test_a_contact_of_another_association_cannot_give(give, other_person):
    with pytest.raises(ValidationError):
        give(person=other_person)


# --- Receipts -----------------------------------------------------------------------------


def test_receipt_carries_every_mandatory_mention(eligible, donor, give, tresorier):
    gift = give(person=donor, amount_cents=123450, method="transfer")
    receipt = issue(eligible, tresorier, [gift])
    year = timezone.localdate().year
    assert receipt.number == f"{year}-000001" and receipt.is_valid
    text = pdf_text(receipt)
    for mention in (
        "Reçu au titre des dons à certains organismes d'intérêt général",
        "11580*05",
        f"Numéro d'ordre du reçu : {year}-000001",
        "Les Amis du Quartier" if "Amis" in eligible.name else eligible.name,
        "N° RNA : W751234567",
        "12 rue Saint-Maur",
        "Animer la vie du quartier",
        "Œuvre ou organisme d'intérêt général",
        "NGUYỄN",
        "Émilie",
        "3 rue Oberkampf",
        "75011",
        "*** 1 234,50 euros ***",
        "mille deux cent trente-quatre euros et cinquante centimes",
        f"Date du versement ou du don : {gift.received_on:%d/%m/%Y}",
        "certifie sur l'honneur",
        "X 200 du CGI X 238 bis du CGI 978 du CGI",
        "X Déclaration de don manuel",
        "X Numéraire",
        "Remise d'espèces Chèque X Virement, prélèvement, carte bancaire",
        "Fait à Paris",
        "Hélène Martin, Présidente",
    ):
        assert mention in text, mention
    with scope(association=eligible):
        assert AuditLog.objects.filter(action="receipt.issue").count() == 1


def test_company_receipt_follows_cerfa_16216(eligible, give, tresorier, donor):
    gift = give(
        person=donor,
        donor_kind="company",
        company_name="Boulangerie Durand SARL",
        company_siren="123456789",
        company_legal_form="SARL",
        amount_cents=50000,
    )
    text = pdf_text(issue(eligible, tresorier, [gift]))
    assert (
        "16216*01" in text and "Reçu des dons et versements effectués par les entreprises" in text
    )
    assert "Boulangerie Durand SARL" in text and "123456789" in text and "238 bis du CGI" in text


def test_waived_expenses_have_their_own_nature(eligible, give, tresorier, donor):
    gift = give(
        person=donor, nature="expenses", amount_cents=8640, description="Trajets du vide-grenier"
    )
    assert gift.payment is None
    text = pdf_text(issue(eligible, tresorier, [gift]))
    assert "Frais engagés par un bénévole" in text and "Trajets du vide-grenier" in text
    assert "mode de versement" not in text


def test_receipts_are_refused_with_every_reason(association, donor, give, tresorier, presidente):
    gift = give(person=donor)
    with pytest.raises(ValidationError) as refused:
        issue(association, tresorier, [gift])
    messages = " ".join(refused.value.messages)
    assert "may issue tax receipts" in messages or "reçus fiscaux" in messages
    assert len(refused.value.messages) >= 3  # not eligible, no RNA/SIREN, no purpose…
    with scopes_disabled():
        assert not TaxReceipt.objects.exists()
        assert not ReceiptCounter.objects.filter(last__gt=0).exists()


def test_a_donor_without_address_or_a_pending_payment_gets_no_receipt(
    eligible, give, tresorier, presidente
):
    with scope(association=eligible):
        nameless = people_services.person_create(
            association=eligible, acting_user=presidente, last_name="Sansadresse"
        )
    with pytest.raises(ValidationError, match=r"address|adresse"):
        issue(eligible, tresorier, [give(person=nameless)])
    with scope(association=eligible):
        pending = payment_services.payment_record(
            association=eligible,
            acting_user=tresorier,
            amount_cents=3000,
            method="sepa_debit",
            status="pending",
        )
        nameless.address_line1, nameless.city = "5 rue Neuve", "Paris"
        nameless.save()
    awaited = give(person=nameless, amount_cents=3000, payment=pending)
    with pytest.raises(ValidationError, match=r"not received|pas reçu|n'est pas reçu"):
        issue(eligible, tresorier, [awaited])
    with scopes_disabled():  # refused before a number was taken
        assert not ReceiptCounter.objects.filter(association=eligible, last__gt=0).exists()


def test_one_valid_receipt_per_gift_and_cancel_replace_keeps_both(eligible, donor, give, tresorier):
    gift = give(person=donor, amount_cents=2000)
    first = issue(eligible, tresorier, [gift])
    with pytest.raises(ValidationError):
        issue(eligible, tresorier, [gift])
    with scope(association=eligible):
        donor.address_line1 = "8 rue de la Roquette"
        donor.save()
        with pytest.raises(ValidationError):
            services.receipt_cancel(
                association=eligible, acting_user=tresorier, receipt=first, reason="  "
            )
        replacement = services.receipt_cancel(
            association=eligible, acting_user=tresorier, receipt=first, reason="Adresse erronée"
        )
        first.refresh_from_db()
    assert first.status == TaxReceipt.Status.CANCELLED and first.cancel_reason == "Adresse erronée"
    assert replacement.replaces == first and replacement.sequence == first.sequence + 1
    text = pdf_text(replacement)
    assert f"annule et remplace le reçu n° {first.number}" in text
    assert "8 rue de la Roquette" in text
    assert "3 rue Oberkampf" in pdf_text(first)  # the cancelled PDF is kept unchanged
    with scope(association=eligible), pytest.raises(ValidationError):
        services.receipt_cancel(
            association=eligible, acting_user=tresorier, receipt=first, reason="encore"
        )


def test_numbers_have_no_gap_when_an_issue_fails(eligible, donor, give, tresorier, monkeypatch):
    good = give(person=donor)
    issue(eligible, tresorier, [good])

    def broken(document):
        raise RuntimeError("disk full")

    monkeypatch.setattr(receipt_pdf, "render", broken)
    with pytest.raises(RuntimeError):
        issue(eligible, tresorier, [give(person=donor, amount_cents=700)])
    monkeypatch.undo()
    third = issue(eligible, tresorier, [give(person=donor, amount_cents=800)])
    assert third.sequence == 2  # the failed issue took no number
    with scope(association=eligible):
        assert TaxReceipt.objects.count() == 2


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.booleans(), min_size=1, max_size=6))
def test_numbering_is_consecutive_whatever_fails(
    eligible, donor, give, tresorier, monkeypatch, outcomes
):
    with scope(association=eligible):
        before = list(
            TaxReceipt.objects.filter(association=eligible).values_list("sequence", flat=True)
        )
    original = receipt_pdf.render
    for succeeds in outcomes:
        gift = give(person=donor, amount_cents=1000)

        def render(document, succeeds=succeeds):
            if not succeeds:
                raise RuntimeError("broken printer")
            return original(document)

        monkeypatch.setattr(receipt_pdf, "render", render)
        with contextlib.suppress(RuntimeError):
            issue(eligible, tresorier, [gift])
    monkeypatch.setattr(receipt_pdf, "render", original)
    with scope(association=eligible):
        sequences = sorted(
            TaxReceipt.objects.filter(association=eligible).values_list("sequence", flat=True)
        )
    assert sequences == list(range(1, len(before) + sum(outcomes) + 1))


def test_numbering_is_per_association(eligible, give, tresorier, outsider, other_association):
    other = services.fiscal_settings_for  # noqa: F841 (documenting the second tenant below)
    with scopes_disabled():
        other_association.rna = "W691234567"
        other_association.objet = "Réparer des vélos"
        other_association.address_line1 = "1 quai"
        other_association.city = "Lyon"
        other_association.save()
    with scope(association=other_association):
        services.fiscal_settings_update(
            association=other_association,
            acting_user=outsider,
            eligible=True,
            signatory_name="Julien Moreau",
        )
        person = people_services.person_create(
            association=other_association,
            acting_user=outsider,
            last_name="Petit",
            address_line1="2 rue",
            city="Lyon",
        )
        theirs = services.gift_record(
            association=other_association,
            acting_user=outsider,
            person=person,
            amount_cents=1000,
            received_on=YESTERDAY,
            method="cash",
        )
    assert issue(other_association, outsider, [theirs]).sequence == 1
    with pytest.raises(ValidationError):
        issue(eligible, tresorier, [theirs])  # another association's gift


# --- Annual run and declaration -----------------------------------------------------------


def test_annual_run_issues_one_receipt_per_donor_and_nature(
    eligible, donor, give, tresorier, presidente, django_capture_on_commit_callbacks
):
    with scope(association=eligible):
        second = people_services.person_create(
            association=eligible,
            acting_user=presidente,
            first_name="Marc",
            last_name="Petit",
            address_line1="1 rue",
            postcode="75011",
            city="Paris",
        )
        homeless = people_services.person_create(
            association=eligible, acting_user=presidente, last_name="Sanslogis"
        )
    for month in (1, 4, 9):
        give(person=donor, amount_cents=2000, received_on=dt.date(LAST_YEAR, month, 10))
    give(
        person=donor,
        nature="expenses",
        description="Trajets",
        amount_cents=4500,
        received_on=dt.date(LAST_YEAR, 5, 2),
    )
    give(person=second, amount_cents=10000, method="cash", received_on=dt.date(LAST_YEAR, 12, 31))
    give(person=homeless, amount_cents=500, received_on=dt.date(LAST_YEAR, 6, 1))
    give(person=second, amount_cents=999, received_on=YESTERDAY)  # not that year
    already = give(person=second, amount_cents=300, received_on=dt.date(LAST_YEAR, 2, 1))
    issue(eligible, tresorier, [already])

    with django_capture_on_commit_callbacks() as callbacks, scope(association=eligible):
        run = services.receipt_run_start(
            association=eligible, acting_user=tresorier, year=LAST_YEAR
        )
    for callback in callbacks:  # the task runs as a worker does: outside any tenant scope
        callback()
    with scopes_disabled():
        run.refresh_from_db()
    assert run.status == ReceiptRun.Status.DONE, run.error
    assert (run.total, run.processed, run.issued) == (4, 4, 3)
    assert len(run.skipped) == 1 and run.skipped[0]["donor"].endswith("Sanslogis")
    assert "address" in run.skipped[0]["reason"] or "adresse" in run.skipped[0]["reason"]
    with scope(association=eligible):
        annual = TaxReceipt.objects.filter(kind="annual").order_by("sequence")
        amounts = sorted(r.amount_cents for r in annual)
        assert amounts == [4500, 6000, 10000]
        sequences = [r.sequence for r in annual]
        assert sequences == list(range(sequences[0], sequences[0] + 3))
        money = annual.get(person=donor, amount_cents=6000)
    text = pdf_text(money)
    assert f"du 10/01/{LAST_YEAR} au 10/09/{LAST_YEAR}" in text and f"annuel {LAST_YEAR}" in text
    # Émilie gets two (money, expenses); Marc Petit has no e-mail address.
    assert OutboxEmail.objects.filter(kind="receipt_issued").count() == 2

    # Run again: everybody who could be receipted is; nothing new.
    with scope(association=eligible), django_capture_on_commit_callbacks(execute=True):
        again = services.receipt_run_start(
            association=eligible, acting_user=tresorier, year=LAST_YEAR
        )
    again.refresh_from_db()
    assert (again.issued, len(again.skipped)) == (0, 1)

    with scope(association=eligible):
        figures = selectors.declaration_222_bis(eligible, timezone.localdate().year)
    assert figures == {"year": timezone.localdate().year, "amount_cents": 20800, "count": 4}


def test_annual_run_refused_when_not_eligible_or_running(association, tresorier):
    with scope(association=association), pytest.raises(ValidationError):
        services.receipt_run_start(association=association, acting_user=tresorier, year=LAST_YEAR)


def test_fiscal_settings_validation(eligible, presidente):
    with scope(association=eligible):
        for fields, field in (
            ({"category": "other", "category_other": ""}, "category_other"),
            ({"category": "public_utility"}, "public_utility_decree_on"),
            ({"category": "nope"}, "category"),
            (
                {"article_200": False, "article_238_bis": False, "article_978": False},
                "article_200",
            ),
        ):
            with pytest.raises(ValidationError) as refused:
                services.fiscal_settings_update(
                    association=eligible, acting_user=presidente, **fields
                )
            assert field in refused.value.message_dict
        fiscal = services.fiscal_settings_for(eligible)
    assert fiscal.category == "general_interest" and fiscal.article_200


def test_a_stalled_run_can_be_restarted_and_resumes(
    eligible, donor, give, tresorier, django_capture_on_commit_callbacks
):
    give(person=donor, amount_cents=2000, received_on=dt.date(LAST_YEAR, 3, 1))
    give(person=None, amount_cents=700, received_on=dt.date(LAST_YEAR, 3, 2))  # anonymous
    with scope(association=eligible):
        first = services.receipt_run_start(
            association=eligible, acting_user=tresorier, year=LAST_YEAR
        )  # queued; its worker never comes (no on_commit callbacks run)
        with pytest.raises(ValidationError, match=r"already|déjà"):
            services.receipt_run_start(association=eligible, acting_user=tresorier, year=LAST_YEAR)
        ReceiptRun.objects.filter(pk=first.pk).update(
            status="running",
            started_at=timezone.now() - dt.timedelta(hours=1),
            heartbeat_at=timezone.now() - dt.timedelta(minutes=30),
        )
        with django_capture_on_commit_callbacks(execute=True):
            second = services.receipt_run_start(
                association=eligible, acting_user=tresorier, year=LAST_YEAR
            )
        first.refresh_from_db()
        second.refresh_from_db()
    assert first.status == "failed" and first.error
    # The anonymous gift is not a donor to receipt: one receipt, nobody skipped.
    assert (second.status, second.total, second.issued, second.skipped) == ("done", 1, 1, [])
    services.receipt_run_execute(first.pk)  # the lost task arriving late changes nothing
    with scope(association=eligible):
        assert TaxReceipt.objects.count() == 1
