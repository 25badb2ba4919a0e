"""Back office of gifts and tax receipts: pages, access by capability, hostile input, the
receipt PDF as stored, exports, the annual run."""

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from essaim.core.models import AuditLog, OutboxEmail
from essaim.fundraising import services
from essaim.fundraising.models import FiscalSettings, Gift, ReceiptRun, TaxReceipt
from essaim.payments.models import Payment
from essaim.people import services as people_services
from essaim.people.models import Person
from tests.factories import PersonFactory

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


def url(association, name, **kwargs):
    return reverse(f"fundraising:{name}", kwargs={"association_slug": association.slug, **kwargs})


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def png_bytes(size=(120, 40), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def gift(eligible, donor, give):
    return give(person=donor, amount_cents=5000, reference="0001234")


@pytest.fixture
def receipt(eligible, gift, tresorier):
    with scope(association=eligible):
        return services.receipt_issue(association=eligible, acting_user=tresorier, gifts=[gift])


@pytest.fixture
def run(eligible, presidente):
    with scope(association=eligible):
        return ReceiptRun.objects.create(
            association=eligible, year=YESTERDAY.year, created_by=presidente
        )


def all_urls(association, gift, receipt, run):
    """Every fundraising URL of `association`, with the method that acts on it."""
    return [
        ("get", url(association, "gifts")),
        ("get", url(association, "gift_create")),
        ("post", url(association, "gift_create")),
        ("get", url(association, "donor_search") + "?donor_q=emilie"),
        ("get", url(association, "gift_export")),
        ("get", url(association, "gift_detail", gift_uuid=gift.uuid)),
        ("post", url(association, "gift_receipt_issue", gift_uuid=gift.uuid)),
        ("get", url(association, "receipts")),
        ("get", url(association, "receipt_export")),
        ("get", url(association, "annual")),
        ("post", url(association, "annual")),
        ("get", url(association, "run_status", run_uuid=run.uuid)),
        ("get", url(association, "settings")),
        ("post", url(association, "settings")),
        ("get", url(association, "signature")),
        ("get", url(association, "receipt_detail", receipt_uuid=receipt.uuid)),
        ("get", url(association, "receipt_pdf", receipt_uuid=receipt.uuid)),
        ("post", url(association, "receipt_cancel", receipt_uuid=receipt.uuid)),
        ("post", url(association, "receipt_send", receipt_uuid=receipt.uuid)),
    ]


# --- Access -------------------------------------------------------------------------------


def test_every_page_renders_for_the_treasurer_and_the_president(
    client_for, tresorier, presidente, eligible, gift, receipt, run
):
    pages = [
        (m, u)
        for m, u in all_urls(eligible, gift, receipt, run)
        if m == "get" and "signature" not in u
    ]
    for user in (tresorier, presidente):
        client = client_for(user)
        for _method, address in pages:
            response = client.get(address)
            assert response.status_code == 200, (user.email, address, response.status_code)
    # The navigation of the shell offers the app to whoever handles money.
    content = client_for(tresorier).get(reverse("core:dashboard", args=[eligible.slug]))
    assert url(eligible, "gifts") in content.content.decode()


def test_secretary_without_finances_gets_403_everywhere(
    client_for, secretaire, eligible, gift, receipt, run
):
    client = client_for(secretaire)
    for method, address in all_urls(eligible, gift, receipt, run):
        response = getattr(client, method)(address)
        assert response.status_code == 403, (method, address, response.status_code)
    dashboard = client.get(reverse("core:dashboard", args=[eligible.slug])).content.decode()
    assert url(eligible, "gifts") not in dashboard
    with scope(association=eligible):
        assert TaxReceipt.objects.count() == 1 and Gift.objects.count() == 1


def test_outsider_gets_404_on_every_url_with_our_objects(
    client_for, outsider, other_association, eligible, gift, receipt, run
):
    client = client_for(outsider)
    for method, address in all_urls(eligible, gift, receipt, run):
        assert getattr(client, method)(address).status_code == 404, (method, address)
    # Their own association's address with our objects' ids finds nothing either.
    for method, address in all_urls(other_association, gift, receipt, run):
        if any(str(o.uuid) in address for o in (gift, receipt, run)):
            assert getattr(client, method)(address).status_code == 404, (method, address)
    with scope(association=eligible):
        assert TaxReceipt.objects.get().status == TaxReceipt.Status.VALID


def test_anonymous_visitor_is_sent_to_login(client, eligible, gift, receipt, run):
    for _method, address in all_urls(eligible, gift, receipt, run):
        response = client.get(address)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Recording a gift ---------------------------------------------------------------------


def gift_post(**fields):
    data = {
        "donor_kind": "individual",
        "amount_cents": "12,50",
        "received_on": YESTERDAY.isoformat(),
        "nature": "money",
        "method": "cheque",
        "reference": "0004567",
        "form": "manual",
        "idempotency_key": "gift-form-test-1",
        "new-country": "FR",
    }
    data.update(fields)
    return data


def test_record_a_cheque_for_a_new_donor_with_an_address(client_for, tresorier, association):
    response = client_for(tresorier).post(
        url(association, "gift_create"),
        gift_post(
            **{
                "new-first_name": "Jeanne",
                "new-last_name": "Durand",
                "new-email": "jeanne@example.org",
                "new-address_line1": "8 rue des Lilas",
                "new-postcode": "75020",
                "new-city": "Paris",
            }
        ),
    )
    with scope(association=association):
        gift = Gift.objects.select_related("person", "payment").get()
    assert response.status_code == 302
    assert response["Location"] == url(association, "gift_detail", gift_uuid=gift.uuid)
    assert gift.amount_cents == 1250 and gift.received_on == YESTERDAY
    assert (gift.person.last_name, gift.person.city) == ("Durand", "Paris")
    assert gift.payment.method == "cheque" and gift.payment.reference == "0004567"
    assert gift.payment.status == Payment.Status.SUCCEEDED
    assert gift.recorded_by == tresorier


def test_record_a_gift_for_a_contact_found_by_search(client_for, tresorier, association, donor):
    client = client_for(tresorier)
    fragment = client.get(
        url(association, "donor_search") + "?donor_q=nguyen", HTTP_HX_REQUEST="true"
    )
    assert f'value="{donor.uuid}"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    assert (
        "Émilie"
        not in client.get(url(association, "donor_search") + "?donor_q=zzz").content.decode()
    )
    # Without JavaScript: the search box is a GET form of its own, listing the matches.
    response = client.get(url(association, "gift_create") + "?donor_q=%C3%A9milie")
    content = response.content.decode()
    assert response.status_code == 200 and f'value="{donor.uuid}"' in content
    assert 'value="émilie"' in content and "has-error" not in content
    assert 'form="donor-search"' in content
    response = client.post(
        url(association, "gift_create"), gift_post(person=str(donor.uuid), amount_cents="75")
    )
    assert response.status_code == 302
    with scope(association=association):
        gift = Gift.objects.get()
        assert gift.person == donor and gift.amount_cents == 7500
        assert Person.objects.count() == 2  # the présidente's record and the donor: no new one


def test_the_contact_page_offers_to_record_their_gift(client_for, tresorier, association, donor):
    client = client_for(tresorier)
    detail = client.get(reverse("people:detail", args=[association.slug, donor.uuid]))
    link = url(association, "gift_create") + f"?person={donor.uuid}"
    assert link in detail.content.decode()
    form = client.get(link).content.decode()
    assert re.search(rf'value="{donor.uuid}"[^>]*checked', form)


def test_same_form_sent_twice_records_one_gift(client_for, tresorier, association):
    client = client_for(tresorier)
    data = gift_post(**{"new-last_name": "Durand", "new-city": "Paris"})
    first = client.post(url(association, "gift_create"), data)
    second = client.post(url(association, "gift_create"), data)
    assert first["Location"] == second["Location"]
    with scope(association=association):
        assert Gift.objects.count() == 1 and Payment.objects.count() == 1
        assert Person.objects.filter(last_name="Durand").count() == 1


@pytest.mark.parametrize(
    "amount",
    ["abc", "-5", "0", "0,00", "1e9", "12,345", "1.234", "\x00", "12\x0050", "999999999999", ""],
)
def test_hostile_amounts_are_refused_with_the_typed_values_kept(
    client_for, tresorier, association, amount
):
    response = client_for(tresorier).post(
        url(association, "gift_create"),
        gift_post(amount_cents=amount, **{"new-last_name": "Durand", "new-city": "Nantes"}),
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "error-summary" in content and 'href="#id_amount_cents"' in content
    assert 'value="Durand"' in content  # what was typed stays
    with scope(association=association):
        assert not Gift.objects.exists() and not Payment.objects.exists()
        assert not Person.objects.filter(last_name="Durand").exists()


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"description": "ordinateur\x00"}, "description"),
        ({"note": "\x00"}, "note"),
        ({"new-last_name": "Du\x00rand"}, "new-last_name"),
        ({"new-postcode": "ABCDE"}, "new-postcode"),
        ({"new-email": "pas-une-adresse"}, "new-email"),
        ({"method": ""}, "method"),
        ({"method": "bitcoin"}, "method"),
        ({"nature": "in_kind", "description": ""}, "description"),
        ({"received_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat()}, "received_on"),
        ({"received_on": "31/02/2026"}, "received_on"),
        ({"donor_kind": "company", "company_name": ""}, "company_name"),
        (
            {"donor_kind": "company", "company_name": "SARL X", "company_siren": "12345"},
            "company_siren",
        ),
    ],
)
def test_invalid_gifts_show_the_error_on_the_field(
    client_for, tresorier, association, fields, field
):
    data = gift_post(**{"new-last_name": "Durand", "new-city": "Nantes"})
    data.update(fields)
    response = client_for(tresorier).post(url(association, "gift_create"), data)
    content = response.content.decode()
    assert response.status_code == 200
    assert f'href="#id_{field}"' in content, content[content.find("error-summary") :][:800]
    with scope(association=association):
        assert not Gift.objects.exists()
        assert not Person.objects.filter(last_name="Durand").exists()  # rolled back with it


def test_a_donor_is_required_unless_the_gift_is_anonymous(client_for, tresorier, association):
    client = client_for(tresorier)
    response = client.post(url(association, "gift_create"), gift_post())
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    response = client.post(
        url(association, "gift_create"), gift_post(person="not-a-uuid", amount_cents="5")
    )
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    response = client.post(
        url(association, "gift_create"), gift_post(anonymous="on", method="cash")
    )
    assert response.status_code == 302
    with scope(association=association):
        gift = Gift.objects.get()
        assert gift.person is None and gift.payment.method == "cash"
    detail = client_for(tresorier).get(response["Location"]).content.decode()
    assert "Issue the tax receipt" not in detail and "Émettre le reçu fiscal" not in detail


def test_a_gift_of_another_associations_contact_is_refused(
    client_for, tresorier, association, other_person
):
    response = client_for(tresorier).post(
        url(association, "gift_create"), gift_post(person=str(other_person.uuid))
    )
    assert response.status_code == 200
    with scopes_disabled():
        assert not Gift.objects.exists()


def test_gift_in_kind_for_a_company(client_for, tresorier, association, donor):
    response = client_for(tresorier).post(
        url(association, "gift_create"),
        gift_post(
            person=str(donor.uuid),
            nature="in_kind",
            method="cheque",  # ignored: no payment for goods
            description="Deux ordinateurs portables",
            donor_kind="company",
            company_name="Boulangerie Éclair",
            company_siren="732 829 320",
            company_legal_form="SARL",
            amount_cents="1 200",
        ),
    )
    assert response.status_code == 302
    with scope(association=association):
        gift = Gift.objects.get()
    assert (gift.company_name, gift.company_siren, gift.payment) == (
        "Boulangerie Éclair",
        "732829320",
        None,
    )
    assert gift.amount_cents == 120000


# --- Gift list ----------------------------------------------------------------------------


def test_gift_list_filters_totals_and_live_search(client_for, tresorier, association, donor, give):
    give(person=donor, amount_cents=5000)
    give(person=donor, amount_cents=2000, nature="in_kind", description="Livres", method="")
    other = give(
        person=None, amount_cents=1000, method="cash", received_on=dt.date(YESTERDAY.year - 1, 6, 1)
    )
    client = client_for(tresorier)
    year = YESTERDAY.year
    response = client.get(url(association, "gifts") + f"?year={year}")
    assert response.context["page"].paginator.count == 2
    assert response.context["totals"] == {
        "year": year,
        "total_cents": 7000,
        "count": 2,
        "donors": 1,
        "without_receipt": 2,
    }
    assert "70,00" in response.content.decode()
    assert client.get(url(association, "gifts") + "?year=all").context["page"].paginator.count == 3
    assert (
        client.get(url(association, "gifts") + f"?year={year}&nature=in_kind")
        .context["page"]
        .paginator.count
        == 1
    )
    search = client.get(url(association, "gifts") + "?year=all&q=nguyen")
    assert search.context["page"].paginator.count == 2
    partial = client.get(url(association, "gifts") + "?year=all&q=nguyen", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert str(other.uuid) not in partial.content.decode()
    for query in (
        "?year=zzz",
        "?year=99999999",
        "?nature=nope",
        "?receipt=%00",
        "?page=-1",
        "?q=" + "x" * 5000,
    ):
        assert client.get(url(association, "gifts") + query).status_code in (200, 400), query


def test_gift_list_query_count_does_not_grow(client_for, tresorier, eligible, donor, give):
    client = client_for(tresorier)
    give(person=donor)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(eligible, "gifts") + "?year=all").status_code == 200
    for i in range(12):
        with scope(association=eligible):
            person = PersonFactory(association=eligible, address_line1=f"{i} rue Haute")
        gift = give(person=person, amount_cents=1000 + i)
        if i % 2:
            with scope(association=eligible):
                services.receipt_issue(association=eligible, acting_user=None, gifts=[gift])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url(eligible, "gifts") + "?year=all")
    assert response.context["page"].paginator.count == 13
    assert len(few) == len(many), [q["sql"] for q in many]
    assert (
        client.get(url(eligible, "gifts") + "?year=all&receipt=issued")
        .context["page"]
        .paginator.count
        == 6
    )
    assert (
        client.get(url(eligible, "gifts") + "?year=all&receipt=none")
        .context["page"]
        .paginator.count
        == 7
    )


def test_gift_export_csv_and_xlsx(client_for, tresorier, association, donor, give):
    give(person=donor, amount_cents=123450, reference="=HYPERLINK(1)")
    give(person=None, amount_cents=500, method="cash", note="tronc de la fête")
    client = client_for(tresorier)
    response = client.get(url(association, "gift_export") + "?year=all&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert re.match(
        r'attachment; filename="dons-\d{4}-\d\d-\d\d\.csv"', response["Content-Disposition"]
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 3
    header = rows[0]
    by_name = {row[header.index(rows[0][1])]: row for row in rows[1:]}
    emilie = by_name["Nguyễn"]
    assert emilie[header.index(rows[0][5])] == "1\u202f234,50"
    assert "'=HYPERLINK(1)" in emilie  # a formula is never run by the spreadsheet
    response = client.get(url(association, "gift_export") + "?year=all&format=xlsx&q=nguyen")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert len(values) == 2 and float(values[1][5]) == 1234.5
    with scope(association=association):
        assert AuditLog.objects.filter(action="gift.export").count() == 2


# --- Receipts -----------------------------------------------------------------------------


def test_treasurer_issues_the_receipt_and_downloads_the_stored_pdf(
    client_for, tresorier, eligible, gift
):
    client = client_for(tresorier)
    detail = client.get(url(eligible, "gift_detail", gift_uuid=gift.uuid)).content.decode()
    assert url(eligible, "gift_receipt_issue", gift_uuid=gift.uuid) in detail
    # 50 € cost 17 € after the 66 % reduction.
    assert "17,00" in detail
    response = client.post(
        url(eligible, "gift_receipt_issue", gift_uuid=gift.uuid), {"send_email": "on"}
    )
    with scope(association=eligible):
        receipt = TaxReceipt.objects.get()
    assert response["Location"] == url(eligible, "receipt_detail", receipt_uuid=receipt.uuid)
    assert receipt.emailed_at is not None
    email = OutboxEmail.objects.get(to="emilie@example.org")
    assert reverse("fundraising_public:receipts") in email.body_text
    assert receipt.number in email.body_text

    download = client.get(url(eligible, "receipt_pdf", receipt_uuid=receipt.uuid))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="recu-{receipt.number}.pdf"'
    assert download["Cache-Control"] == "private, no-store"
    data = body(download)
    text = pdf_text(data)
    assert f"Numéro d'ordre du reçu : {receipt.number}" in text
    assert "cinquante euros" in text
    assert "NGUYỄN" in text and "Émilie" in text
    assert "3 rue Oberkampf" in text

    # Served from the stored file, never drawn again: a file changed on disk comes back as is.
    with open(receipt.pdf.path, "ab") as handle:
        handle.write(b"%stored-bytes-marker")
    again = body(client.get(url(eligible, "receipt_pdf", receipt_uuid=receipt.uuid)))
    assert again.endswith(b"%stored-bytes-marker") and again.startswith(data)

    # A second click issues nothing more.
    client.post(url(eligible, "gift_receipt_issue", gift_uuid=gift.uuid))
    with scope(association=eligible):
        assert TaxReceipt.objects.count() == 1


def test_a_missing_pdf_file_is_a_404_not_a_500(client_for, tresorier, receipt):
    receipt.pdf.storage.delete(receipt.pdf.name)
    response = client_for(tresorier).get(
        url(receipt.association, "receipt_pdf", receipt_uuid=receipt.uuid)
    )
    assert response.status_code == 404


def test_issuing_is_refused_with_the_reasons(client_for, tresorier, association, donor, give):
    gift = give(person=donor)
    client = client_for(tresorier)
    detail = client.get(url(association, "gift_detail", gift_uuid=gift.uuid)).content.decode()
    assert url(association, "settings") in detail  # what to complete, and where
    assert url(association, "gift_receipt_issue", gift_uuid=gift.uuid) not in detail
    response = client.post(url(association, "gift_receipt_issue", gift_uuid=gift.uuid), follow=True)
    assert response.status_code == 200
    assert "notice-error" in response.content.decode()
    with scope(association=association):
        assert not TaxReceipt.objects.exists()


def test_a_donor_without_address_gets_no_receipt(client_for, tresorier, eligible, give):
    with scope(association=eligible):
        person = people_services.person_create(
            association=eligible, acting_user=tresorier, first_name="Paul", last_name="Sansadresse"
        )
    gift = give(person=person)
    response = client_for(tresorier).post(
        url(eligible, "gift_receipt_issue", gift_uuid=gift.uuid), follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("postal address" in m or "adresse postale" in m for m in messages), messages
    with scope(association=eligible):
        assert not TaxReceipt.objects.exists()


def test_cancel_and_replace_a_receipt(client_for, tresorier, eligible, receipt, donor):
    client = client_for(tresorier)
    cancel = url(eligible, "receipt_cancel", receipt_uuid=receipt.uuid)
    for reason in ("", "   ", "faute\x00"):
        response = client.post(cancel, {"reason": reason, "reissue": "on"})
        assert response.status_code == 200 and "error-summary" in response.content.decode()
    with scope(association=eligible):
        assert TaxReceipt.objects.get().is_valid
        people_services.person_update(
            association=eligible, acting_user=tresorier, person=donor, address_line1="9 rue Neuve"
        )
    response = client.post(cancel, {"reason": "Mauvaise adresse", "reissue": "on"})
    with scope(association=eligible):
        old, new = TaxReceipt.objects.order_by("sequence")
    assert response["Location"] == url(eligible, "receipt_detail", receipt_uuid=new.uuid)
    assert old.status == "cancelled" and old.cancel_reason == "Mauvaise adresse"
    assert new.is_valid and new.replaces == old and new.number != old.number
    text = pdf_text(body(client.get(url(eligible, "receipt_pdf", receipt_uuid=new.uuid))))
    assert "9 rue Neuve" in text and f"annule et remplace le reçu n° {old.number}" in text
    page = client.get(url(eligible, "receipt_detail", receipt_uuid=old.uuid)).content.decode()
    assert url(eligible, "receipt_detail", receipt_uuid=new.uuid) in page
    assert cancel not in page  # a cancelled receipt cannot be cancelled again
    response = client.post(cancel, {"reason": "encore"})
    assert response.status_code == 200
    with scope(association=eligible):
        assert TaxReceipt.objects.count() == 2


def test_cancel_without_replacement(client_for, tresorier, eligible, receipt):
    response = client_for(tresorier).post(
        url(eligible, "receipt_cancel", receipt_uuid=receipt.uuid), {"reason": "Chèque impayé"}
    )
    assert response["Location"] == url(eligible, "receipt_detail", receipt_uuid=receipt.uuid)
    with scope(association=eligible):
        assert list(TaxReceipt.objects.values_list("status", flat=True)) == ["cancelled"]


def test_send_the_receipt_again(client_for, tresorier, eligible, receipt):
    client = client_for(tresorier)
    client.post(url(eligible, "receipt_send", receipt_uuid=receipt.uuid))
    assert OutboxEmail.objects.filter(to="emilie@example.org").count() == 1


def test_receipt_list_declaration_and_exports(client_for, tresorier, eligible, donor, give):
    with scope(association=eligible):
        first = services.receipt_issue(
            association=eligible,
            acting_user=tresorier,
            gifts=[give(person=donor, amount_cents=5000)],
        )
        second = services.receipt_issue(
            association=eligible,
            acting_user=tresorier,
            gifts=[give(person=donor, amount_cents=2500)],
        )
        services.receipt_cancel(
            association=eligible,
            acting_user=tresorier,
            receipt=second,
            reason="doublon",
            reissue=False,
        )
    client = client_for(tresorier)
    year = first.year
    response = client.get(url(eligible, "receipts") + f"?declaration={year}")
    assert response.context["declaration"] == {"year": year, "amount_cents": 5000, "count": 1}
    assert response.context["page"].paginator.count == 2
    assert (
        client.get(url(eligible, "receipts") + "?status=cancelled").context["page"].paginator.count
        == 1
    )
    assert (
        client.get(url(eligible, "receipts") + f"?q={first.number}").context["page"].paginator.count
        == 1
    )
    assert client.get(url(eligible, "receipts") + "?q=nguyen").context["page"].paginator.count == 2
    partial = client.get(url(eligible, "receipts") + "?q=nguyen", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    for query in ("?year=%00", "?declaration=abc", "?status=zzz", "?page=999"):
        assert client.get(url(eligible, "receipts") + query).status_code in (200, 400)

    response = client.get(url(eligible, "receipt_export") + "?format=csv")
    text = response.content.decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [row[0] for row in rows[1:]] == [second.number, first.number]
    assert "NGUYỄN Émilie" in rows[2] and "50,00" in rows[2]
    assert "doublon" in rows[1]
    workbook = load_workbook(
        io.BytesIO(client.get(url(eligible, "receipt_export") + "?format=xlsx").content)
    )
    assert [row[0] for row in list(workbook.active.values)[1:]] == [second.number, first.number]


# --- Settings -----------------------------------------------------------------------------


SETTINGS = {
    "eligible": "on",
    "category": "general_interest",
    "article_200": "on",
    "article_238_bis": "on",
    "signatory_name": "Karim Benali",
    "signatory_title": "Trésorier",
    "place": "Paris",
}


def test_settings_are_saved_with_a_signature(client_for, tresorier, association):
    client = client_for(tresorier)
    page = client.get(url(association, "settings")).content.decode()
    assert "RNA" in page  # what is still missing
    signature = io.BytesIO(png_bytes())
    signature.name = "signature.png"
    response = client.post(url(association, "settings"), {**SETTINGS, "signature": signature})
    assert response.status_code == 302
    with scope(association=association):
        fiscal = FiscalSettings.objects.get()
    assert fiscal.eligible and fiscal.signatory_name == "Karim Benali" and fiscal.signature
    image = client.get(url(association, "signature"))
    assert image["Content-Type"] == "image/png" and body(image) == png_bytes()
    page = client.get(url(association, "settings")).content.decode()
    assert url(association, "signature") in page
    response = client.post(url(association, "settings"), {**SETTINGS, "remove_signature": "on"})
    with scope(association=association):
        assert not FiscalSettings.objects.get().signature
    assert client.get(url(association, "signature")).status_code == 404


@pytest.mark.parametrize(
    "name,content",
    [
        ("signature.png", b"this is not an image at all"),
        ("signature.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),  # a PNG header, then nothing
        ("signature.gif", None),  # a real image, but not PNG or JPEG
        ("signature.png", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"),
    ],
)
def test_a_signature_that_is_not_a_png_or_jpeg_is_refused(
    client_for, tresorier, association, name, content
):
    upload = io.BytesIO(content if content is not None else png_bytes(fmt="GIF"))
    upload.name = name
    response = client_for(tresorier).post(
        url(association, "settings"), {**SETTINGS, "signature": upload}
    )
    assert response.status_code == 200
    assert 'href="#id_signature"' in response.content.decode()
    with scope(association=association):
        assert not FiscalSettings.objects.filter(signature__gt="").exists()


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"category": "other", "category_other": ""}, "category_other"),
        ({"category": "public_utility"}, "public_utility_decree_on"),
        ({"category": "nonsense"}, "category"),
        ({"article_200": "", "article_238_bis": ""}, "article_200"),
        ({"signatory_name": "Karim\x00"}, "signatory_name"),
        ({"public_utility_decree_on": "2026-13-45"}, "public_utility_decree_on"),
    ],
)
def test_invalid_settings_show_the_error_on_the_field(
    client_for, tresorier, association, fields, field
):
    data = {**SETTINGS, **fields}
    data = {k: v for k, v in data.items() if v != ""}
    response = client_for(tresorier).post(url(association, "settings"), data)
    assert response.status_code == 200
    assert f'href="#id_{field}"' in response.content.decode()
    with scope(association=association):
        assert not FiscalSettings.objects.filter(eligible=True).exists()


# --- Annual receipts ----------------------------------------------------------------------


def test_annual_run_issues_receipts_and_lists_the_donors_left_out(
    client_for, tresorier, eligible, donor, give, django_capture_on_commit_callbacks
):
    year = YESTERDAY.year
    give(person=donor, amount_cents=3000, received_on=dt.date(year, 1, 1))
    give(person=donor, amount_cents=2000, received_on=YESTERDAY)
    with scope(association=eligible):
        homeless = people_services.person_create(
            association=eligible, acting_user=tresorier, first_name="Paul", last_name="Sansadresse"
        )
    give(person=homeless, amount_cents=1000)
    client = client_for(tresorier)
    page = client.get(url(eligible, "annual") + f"?year={year}")
    assert page.context["to_issue"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(eligible, "annual"), {"year": str(year), "send_emails": "on"})
    assert response.status_code == 302
    with scope(association=eligible):
        run = ReceiptRun.objects.get()
        receipt = TaxReceipt.objects.get()
    assert run.status == ReceiptRun.Status.DONE and (run.issued, len(run.skipped)) == (1, 1)
    assert receipt.amount_cents == 5000 and receipt.kind == "annual"
    page = client.get(url(eligible, "annual")).content.decode()
    assert "Sansadresse" in page
    assert reverse("people:detail", args=[eligible.slug, homeless.uuid]) in page
    status = client.get(url(eligible, "run_status", run_uuid=run.uuid), HTTP_HX_REQUEST="true")
    assert status["HX-Refresh"] == "true"
    assert OutboxEmail.objects.filter(to="emilie@example.org").count() == 1


def test_annual_run_in_progress_is_polled_and_cannot_start_twice(
    client_for, tresorier, eligible, run
):
    with scope(association=eligible):
        ReceiptRun.objects.filter(pk=run.pk).update(
            status="running", total=200, processed=50, heartbeat_at=timezone.now()
        )
    client = client_for(tresorier)
    page = client.get(url(eligible, "annual")).content.decode()
    status_url = url(eligible, "run_status", run_uuid=run.uuid)
    assert f'hx-get="{status_url}"' in page and 'value="50"' in page
    fragment = client.get(status_url, HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in fragment and "<html" not in fragment.content.decode()
    response = client.post(url(eligible, "annual"), {"year": str(YESTERDAY.year)})
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    with scope(association=eligible):
        assert ReceiptRun.objects.count() == 1
        ReceiptRun.objects.filter(pk=run.pk).update(
            heartbeat_at=timezone.now() - dt.timedelta(hours=1)
        )
    assert "notice-warning" in client.get(status_url).content.decode()
    # The stalled run no longer holds the form back; starting again stops it.
    assert 'name="year"' in client.get(url(eligible, "annual")).content.decode()
    response = client.post(url(eligible, "annual"), {"year": str(YESTERDAY.year)})
    assert response.status_code == 302
    with scope(association=eligible):
        assert ReceiptRun.objects.get(pk=run.pk).status == "failed"
        assert ReceiptRun.objects.count() == 2


@pytest.mark.parametrize("year", ["1999", "abc", "\x00", str(timezone.localdate().year + 1)])
def test_annual_run_refuses_a_bad_year(client_for, tresorier, eligible, year):
    response = client_for(tresorier).post(url(eligible, "annual"), {"year": year})
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    with scope(association=eligible):
        assert not ReceiptRun.objects.exists()


def test_receipt_list_query_count_does_not_grow(client_for, tresorier, eligible, donor, give):
    client = client_for(tresorier)
    with scope(association=eligible):
        services.receipt_issue(association=eligible, acting_user=None, gifts=[give(person=donor)])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(eligible, "receipts")).status_code == 200
    for i in range(8):
        with scope(association=eligible):
            person = PersonFactory(association=eligible, address_line1=f"{i} rue Basse")
            receipt = services.receipt_issue(
                association=eligible, acting_user=None, gifts=[give(person=person)]
            )
            if i % 2:
                services.receipt_cancel(
                    association=eligible, acting_user=None, receipt=receipt, reason="erreur"
                )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url(eligible, "receipts"))
    assert response.context["page"].paginator.count == 13
    assert len(few) == len(many), [q["sql"] for q in many]


def test_the_same_form_sent_again_with_another_amount_is_refused(
    client_for, tresorier, association
):
    client = client_for(tresorier)
    data = gift_post(**{"new-last_name": "Durand", "new-city": "Paris"})
    client.post(url(association, "gift_create"), data)
    response = client.post(url(association, "gift_create"), {**data, "amount_cents": "99"})
    assert response.status_code == 200 and 'href="#id_amount_cents"' in response.content.decode()
    with scope(association=association):
        assert Gift.objects.get().amount_cents == 1250
        assert Person.objects.filter(last_name="Durand").count() == 1
