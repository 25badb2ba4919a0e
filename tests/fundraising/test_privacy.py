"""Gifts and tax receipts in the privacy registry: export, erasure under the receipts' legal
hold, retention after it, the hold on recent donors."""

import datetime as dt
import io
import json
import os
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.privacy import registry
from essaim.core.retention import apply_all
from essaim.fundraising import services
from essaim.fundraising.models import Gift, ReceiptRun, TaxReceipt
from essaim.people import services as people_services
from essaim.people.models import Person
from tests.factories import UserFactory


def entry(key):
    return next(e for e in registry.entries() if e.key == key)


@pytest.fixture
def receipt(eligible, donor, give, tresorier):
    gift = give(person=donor, amount_cents=5000, note="a donné à la kermesse")
    with scope(association=eligible):
        return services.receipt_issue(association=eligible, acting_user=tresorier, gifts=[gift])


def test_gifts_and_receipts_are_in_the_register():
    covered = registry.covered_models()
    assert {"fundraising.Gift", "fundraising.TaxReceipt", "fundraising.ReceiptRun"} <= covered
    for key in ("gifts", "tax_receipts"):
        assert entry(key).export_person and entry(key).erase_person and entry(key).apply_retention


def test_a_donor_gets_their_gifts_and_receipts_and_nobody_elses(
    eligible, donor, receipt, give, presidente
):
    with scope(association=eligible):
        someone = people_services.person_create(
            association=eligible, acting_user=presidente, last_name="Autre", city="Paris"
        )
    give(person=someone, amount_cents=999)
    with scope(association=eligible):
        gifts = entry("gifts").export_person(donor)
        receipts = entry("tax_receipts").export_person(donor)
    assert [(g["amount_cents"], g["payment_method"], g["note"]) for g in gifts] == [
        (5000, "cheque", "a donné à la kermesse")
    ]
    assert len(receipts) == 1 and receipts[0]["number"] == receipt.number
    assert receipts[0]["donor_as_printed"]["last_name"] == "NGUYỄN"


def test_the_account_export_holds_the_receipts(client_for, eligible, donor, receipt):
    user = UserFactory(email="emilie@example.org")
    with scopes_disabled():
        Person.objects.filter(pk=donor.pk).update(user=user)
    response = client_for(user).post(reverse("accounts:data_export"))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    document = json.loads(archive.read("mes-donnees.json"))
    data = {s["association"]: s["data"] for s in document["associations"]}[eligible.name]
    assert data["tax_receipts"][0]["number"] == receipt.number
    assert data["gifts"][0]["amount_cents"] == 5000


def test_erasure_keeps_the_receipt_as_issued_and_the_gift_without_its_donor(
    eligible, donor, receipt, presidente
):
    with scope(association=eligible):
        ReceiptRun.objects.create(
            association=eligible,
            year=2025,
            status="done",
            skipped=[
                {"person": str(donor.uuid), "donor": "Émilie Nguyễn", "reason": "adresse"},
                {"person": "", "donor": "Société X", "reason": "adresse"},
            ],
        )
        people_services.person_erase(association=eligible, acting_user=presidente, person=donor)
        gift = Gift.objects.get()
        kept = TaxReceipt.objects.get()
        run = ReceiptRun.objects.get()
    # The gift: an accounting record, without the donor.
    assert gift.person is None and gift.note == "" and gift.amount_cents == 5000
    assert gift.received_on and gift.nature == "money"
    # The receipt: under legal hold, exactly as issued (the duplicate the law asks to keep).
    assert kept.donor == receipt.donor and kept.donor["last_name"] == "NGUYỄN"
    with kept.pdf.open("rb") as handle:
        assert handle.read()
    assert kept.sha256 == receipt.sha256
    # The run's to-do list forgets the person.
    assert run.skipped == [{"person": "", "donor": "Société X", "reason": "adresse"}]


def test_retention_deletes_receipts_after_the_sixth_year(eligible, donor, receipt, give, tresorier):
    with scope(association=eligible):
        recent = services.receipt_issue(
            association=eligible, acting_user=tresorier, gifts=[give(person=donor)]
        )
    this_year = timezone.localdate().year
    with scopes_disabled():
        # Issued 7 years ago: the end of the sixth year after it has passed.
        TaxReceipt.objects.filter(pk=receipt.pk).update(year=this_year - 7)
        # Issued 6 years ago: kept until the end of this year.
        TaxReceipt.objects.filter(pk=recent.pk).update(year=this_year - 6)
    path = receipt.pdf.path
    results = apply_all()
    assert results["tax_receipts"] == 1
    with scopes_disabled():
        old = TaxReceipt.objects.get(pk=receipt.pk)
        kept = TaxReceipt.objects.get(pk=recent.pk)
    assert (old.number, old.amount_cents, old.first_gift_on) == (
        receipt.number,
        5000,
        receipt.first_gift_on,
    )
    assert old.donor == {"kind": "individual"} and old.person is None and not old.pdf
    assert not os.path.exists(path)
    assert kept.donor["last_name"] == "NGUYỄN" and kept.pdf and kept.person_id == donor.pk
    assert apply_all()["tax_receipts"] == 0  # done once


def test_retention_forgets_old_run_reports(eligible, presidente):
    with scope(association=eligible):
        old = ReceiptRun.objects.create(
            association=eligible,
            year=2020,
            status=ReceiptRun.Status.DONE,
            skipped=[{"person": "", "donor": "Jean Dupont", "reason": "adresse"}],
        )
        recent = ReceiptRun.objects.create(
            association=eligible,
            year=2025,
            status=ReceiptRun.Status.DONE,
            skipped=[{"person": "", "donor": "Anne Martin", "reason": "adresse"}],
        )
        ReceiptRun.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - dt.timedelta(days=400)
        )
    apply_all()
    with scopes_disabled():
        assert ReceiptRun.objects.get(pk=old.pk).skipped == []
        assert ReceiptRun.objects.get(pk=recent.pk).skipped[0]["donor"] == "Anne Martin"


def test_old_gifts_forget_their_donor_like_payments(eligible, donor, give):
    old = give(person=donor, note="vieux don")
    recent = give(person=donor, note="récent")
    with scopes_disabled():
        Gift.objects.filter(pk=old.pk).update(received_on=dt.date(2000, 5, 1))
    apply_all()
    with scopes_disabled():
        assert Gift.objects.get(pk=old.pk).person is None
        assert Gift.objects.get(pk=old.pk).note == ""
        assert Gift.objects.get(pk=recent.pk).person_id == donor.pk


def test_recent_donors_are_not_erased_as_inactive_contacts(eligible, presidente, give):
    with scope(association=eligible):
        donor = people_services.person_create(
            association=eligible, acting_user=presidente, last_name="Fidèle", city="Paris"
        )
        idle = people_services.person_create(
            association=eligible, acting_user=presidente, last_name="Oublié", city="Paris"
        )
        old_donor = people_services.person_create(
            association=eligible, acting_user=presidente, last_name="Ancien", city="Paris"
        )
    give(person=donor, method="cash")
    give(person=old_donor, method="cash")
    with scopes_disabled():
        Gift.objects.filter(person=old_donor).update(
            received_on=dt.date(timezone.localdate().year - 3, 6, 1)
        )
        Person.objects.filter(pk__in=[donor.pk, idle.pk, old_donor.pk]).update(
            last_activity_at=timezone.now() - dt.timedelta(days=5000)
        )
    apply_all()
    with scopes_disabled():
        assert not Person.objects.get(pk=donor.pk).is_erased
        assert Person.objects.get(pk=idle.pk).is_erased
        assert Person.objects.get(pk=old_donor.pk).is_erased
