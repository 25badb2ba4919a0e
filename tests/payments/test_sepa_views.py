"""Back office of SEPA direct debit: creditor settings, mandates, debit batches (the file for
the bank, the pre-notification of debtors, collection) and the bank's returns, as a treasurer
uses them; access by capability and across associations; bad input refused without a 500."""

import contextlib
import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled
from openpyxl import load_workbook

from essaim.core.models import AuditLog, OutboxEmail
from essaim.payments import debit_sources, mandates, sepa_forms
from essaim.payments.models import CreditorSettings, DebitBatch, DirectDebit, Mandate, Payment
from tests.factories import PersonFactory

IBAN = "FR7630006000011234567890189"
IBAN_DE = "DE89370400440532013000"
ICS = "FR72ZZZ123456"
CREDITOR_IBAN = "FR1420041010050500013M02606"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
SOURCE = "zz_tests"


def url(association, name, **kwargs):
    return reverse(
        f"payments_admin:{name}", kwargs={"association_slug": association.slug, **kwargs}
    )


@contextlib.contextmanager
def on_day(monkeypatch, day: dt.date):
    """Run as if today were `day` (views and services read timezone.localdate())."""
    real = timezone.localdate

    def fake(value=None, timezone=None):
        return real(value, timezone) if value is not None else day

    with monkeypatch.context() as patch:
        patch.setattr("django.utils.timezone.localdate", fake)
        yield


def outbox(template: str) -> list[OutboxEmail]:
    with scopes_disabled():
        return list(OutboxEmail.objects.filter(kind=template).order_by("id"))


def audit(association, action: str) -> list[AuditLog]:
    with scopes_disabled():
        return list(AuditLog.objects.filter(association=association, action=action))


@pytest.fixture
def creditor(association, tresorier):
    with scope(association=association):
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
def mandate(association, tresorier):
    def make(**fields):
        fields.setdefault("association", association)
        fields.setdefault("acting_user", tresorier)
        fields.setdefault("iban", IBAN)
        fields.setdefault("signed_on", timezone.localdate() - dt.timedelta(days=30))
        with scope(association=fields["association"]):
            return mandates.mandate_create(**fields)

    return make


@pytest.fixture
def debtor(association):
    with scope(association=association):
        return PersonFactory(
            association=association,
            first_name="Hélène",
            last_name="Dupré",
            email="helene@example.org",
        )


@pytest.fixture
def source():
    """A source of debits due, as the fundraising app registers its own: 15 € a month on
    every active mandate, its key the mandate and the month."""

    def due(association, collection_date):
        found = Mandate.objects.filter(association=association, status="active").order_by("id")
        return [
            debit_sources.DueDebit(
                mandate=mandate,
                amount_cents=1500,
                remittance=f"Don mensuel {collection_date:%m/%Y}",
                key=f"test:{mandate.uuid}:{collection_date:%Y-%m}",
                label="Don mensuel",
            )
            for mandate in found
        ]

    debit_sources.register(SOURCE, due)
    yield due
    debit_sources.unregister(SOURCE)


def _e2e_ids(batch: DebitBatch) -> list[str]:
    with scopes_disabled():
        return list(batch.debits.order_by("id").values_list("end_to_end_id", flat=True))


# --- Access -------------------------------------------------------------------------------

GET_PAGES = [
    ("sepa_batches", {}),
    ("sepa_settings", {}),
    ("sepa_mandates", {}),
    ("sepa_mandate_create", {}),
    ("sepa_debtor_search", {}),
    ("sepa_mandate_export", {}),
    ("sepa_batch_create", {}),
]


@pytest.fixture
def objects(association, tresorier, creditor, mandate, debtor, monkeypatch):
    """A mandate and a batch of `association`, for the access tests."""
    made = mandate(person=debtor)
    with scope(association=association):
        batch = mandates.debit_batch_create(
            association=association,
            acting_user=tresorier,
            collection_date=timezone.localdate() + dt.timedelta(days=5),
            items=[(made, 1000, "", "k1")],
        )
    return {"mandate_uuid": made.uuid, "batch_uuid": batch.uuid}


def _object_pages(objects):
    return [
        ("sepa_mandate", {"mandate_uuid": objects["mandate_uuid"]}),
        ("sepa_mandate_revoke", {"mandate_uuid": objects["mandate_uuid"]}),
        ("sepa_batch", {"batch_uuid": objects["batch_uuid"]}),
        ("sepa_batch_file", {"batch_uuid": objects["batch_uuid"]}),
    ]


POST_ONLY = ["sepa_batch_collected", "sepa_returns_import"]


def test_a_member_of_another_association_gets_404_everywhere(
    client_for, outsider, other_association, association, objects
):
    client = client_for(outsider)
    for name, kwargs in GET_PAGES + _object_pages(objects):
        assert client.get(url(association, name, **kwargs)).status_code == 404, name
        assert client.post(url(association, name, **kwargs), {"confirm": "on"}).status_code == 404
    for name in POST_ONLY:
        target = url(association, name, batch_uuid=objects["batch_uuid"])
        assert client.post(target, {"lines": "x;AM04"}).status_code == 404
    # Nothing changed, and nothing was downloaded in the victim's name.
    with scope(association=association):
        assert Mandate.objects.get(uuid=objects["mandate_uuid"]).status == "active"
    assert audit(association, "sepa.batch_download") == []


def test_their_own_association_does_not_find_ours(
    client_for, outsider, other_association, association, objects
):
    """The outsider in their own association: our mandate and batch are 404 there too."""
    client = client_for(outsider)
    for name, kwargs in _object_pages(objects):
        assert client.get(url(other_association, name, **kwargs)).status_code == 404


def test_without_the_finance_capability_everything_is_refused(
    client_for, benevole, secretaire, association, objects
):
    for user in (benevole, secretaire):
        client = client_for(user)
        for name, kwargs in GET_PAGES + _object_pages(objects):
            assert client.get(url(association, name, **kwargs)).status_code == 403, name
        for name in POST_ONLY:
            target = url(association, name, batch_uuid=objects["batch_uuid"])
            assert client.post(target, {"lines": "x;AM04"}).status_code == 403
        revoke = url(association, "sepa_mandate_revoke", mandate_uuid=objects["mandate_uuid"])
        assert client.post(revoke, {"confirm": "on"}).status_code == 403
    with scope(association=association):
        assert Mandate.objects.get(uuid=objects["mandate_uuid"]).status == "active"


def test_every_page_opens_for_the_treasurer_and_the_presidente(
    client_for, tresorier, presidente, association, objects
):
    for user in (tresorier, presidente):
        client = client_for(user)
        for name, kwargs in GET_PAGES + _object_pages(objects):
            response = client.get(url(association, name, **kwargs))
            assert response.status_code == 200, name


def test_an_anonymous_visitor_is_sent_to_the_login(client, association):
    response = client.get(url(association, "sepa_batches"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_post_only_addresses_refuse_a_get(client_for, tresorier, association, objects):
    client = client_for(tresorier)
    for name in POST_ONLY:
        target = url(association, name, batch_uuid=objects["batch_uuid"])
        assert client.get(target).status_code == 405


def test_the_navigation_shows_the_entry_to_the_treasurer_only(
    client_for, association, tresorier, benevole
):
    target = url(association, "sepa_batches")
    dashboard = reverse("core:dashboard", kwargs={"association_slug": association.slug})
    assert target in client_for(tresorier).get(dashboard).content.decode()
    assert target not in client_for(benevole).get(dashboard).content.decode()


def test_the_navigation_marks_the_current_entry_only(client_for, association, tresorier):
    html = client_for(tresorier).get(url(association, "sepa_mandates")).content.decode()
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', html)
    assert url(association, "sepa_batches") in current
    assert url(association, "online") not in current
    html = client_for(tresorier).get(url(association, "online")).content.decode()
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', html)
    assert url(association, "online") in current and url(association, "sepa_batches") not in current


def test_new_audit_actions_have_labels():
    from essaim.core.templatetags.essaim import action_label

    for action in ("sepa.batch_download", "sepa.mandate_export"):
        assert action_label(action) != action


# --- Creditor settings --------------------------------------------------------------------


def settings_post(**fields):
    data = {
        "creditor_name": "Les Amis du Quartier",
        "creditor_id": "fr72 zzz 123456",
        "iban": "FR14 2004 1010 0505 0001 3M02 606",
        "bic": "",
        "prenotification_days": "7",
    }
    data.update(fields)
    return data


def test_the_treasurer_saves_the_creditor_settings(client_for, tresorier, association):
    client = client_for(tresorier)
    batches = client.get(url(association, "sepa_batches"))
    assert url(association, "sepa_settings") in batches.content.decode()  # the empty state
    response = client.post(url(association, "sepa_settings"), settings_post())
    assert response.status_code == 302
    with scope(association=association):
        saved = CreditorSettings.objects.get(association=association)
    assert (saved.creditor_id, saved.iban, saved.prenotification_days) == (
        ICS,
        CREDITOR_IBAN,
        7,
    )
    assert saved.bic  # found from the IBAN
    html = client.get(url(association, "sepa_settings")).content.decode()
    assert ICS in html and 'value="7"' in html
    assert audit(association, "sepa.creditor_settings")


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"creditor_id": "FR00ZZZ123456"}, "creditor_id"),
        ({"iban": "FR7630006000011234567890180"}, "iban"),
        ({"bic": "NOPE"}, "bic"),
        ({"prenotification_days": "30"}, "prenotification_days"),
        ({"prenotification_days": "abc"}, "prenotification_days"),
        ({"creditor_name": ""}, "creditor_name"),
        ({"creditor_name": "\x00\x01"}, "creditor_name"),
    ],
)
def test_bad_creditor_settings_are_refused_on_their_field(
    client_for, tresorier, association, fields, field
):
    response = client_for(tresorier).post(
        url(association, "sepa_settings"), settings_post(**fields)
    )
    assert response.status_code == 200
    assert response.context["form"].errors.get(field)
    with scope(association=association):
        assert not CreditorSettings.objects.filter(association=association).exists()


def test_no_batch_can_be_prepared_without_creditor_settings(client_for, tresorier, association):
    response = client_for(tresorier).get(url(association, "sepa_batch_create"))
    assert response.status_code == 302 and response["Location"] == url(association, "sepa_settings")


# --- Mandates -----------------------------------------------------------------------------


def mandate_post(**fields):
    data = {
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "bic": "",
        "signed_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "kind": "recurring",
        "debtor_name": "",
    }
    data.update(fields)
    return data


def test_a_mandate_for_a_contact_found_by_search(client_for, tresorier, association, debtor):
    client = client_for(tresorier)
    search = client.get(url(association, "sepa_debtor_search"), {"debtor_q": "helene dupre"})
    assert str(debtor.uuid) in search.content.decode()
    page = client.get(url(association, "sepa_mandate_create"), {"debtor_q": "dupré"})
    assert str(debtor.uuid) in page.content.decode()
    response = client.post(
        url(association, "sepa_mandate_create"), mandate_post(person=str(debtor.uuid))
    )
    assert response.status_code == 302
    with scope(association=association):
        made = Mandate.objects.get(association=association)
    assert made.person == debtor and made.debtor_name == "Helene Dupre"
    assert made.iban.reveal() == IBAN and made.kind == "recurring"
    assert response["Location"] == url(association, "sepa_mandate", mandate_uuid=made.uuid)
    detail = client.get(response["Location"]).content.decode()
    assert made.rum in detail and "…0189" in detail
    assert IBAN not in detail and "FR76 3000" not in detail


def test_a_mandate_for_a_new_debtor_creates_the_contact(client_for, tresorier, association):
    response = client_for(tresorier).post(
        url(association, "sepa_mandate_create"),
        mandate_post(
            **{
                "new-first_name": "Paul",
                "new-last_name": "Nguyen",
                "new-email": "paul@example.org",
                "kind": "one_off",
                "debtor_name": "Marie Nguyen",
                "bic": "agrifrpp",
            }
        ),
    )
    assert response.status_code == 302
    with scope(association=association):
        made = Mandate.objects.select_related("person").get(association=association)
    assert made.person.email == "paul@example.org" and made.person.last_name == "Nguyen"
    assert made.debtor_name == "Marie Nguyen" and made.kind == "one_off"
    assert made.bic == "AGRIFRPP"


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"iban": "FR7630006000011234567890180"}, "iban"),
        ({"iban": "US12345678901234567890"}, "iban"),
        ({"iban": ""}, "iban"),
        ({"bic": "XX"}, "bic"),
        ({"signed_on": "2099-01-01"}, "signed_on"),
        ({"signed_on": "hier"}, "signed_on"),
        ({"kind": "forever"}, "kind"),
    ],
)
def test_bad_mandates_are_refused_and_nothing_is_written(
    client_for, tresorier, association, debtor, fields, field
):
    response = client_for(tresorier).post(
        url(association, "sepa_mandate_create"),
        mandate_post(person=str(debtor.uuid), **fields),
    )
    assert response.status_code == 200
    assert response.context["form"].errors.get(field)
    with scope(association=association):
        assert not Mandate.objects.filter(association=association).exists()


def test_a_mandate_needs_a_debtor(client_for, tresorier, association):
    client = client_for(tresorier)
    response = client.post(url(association, "sepa_mandate_create"), mandate_post())
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    response = client.post(
        url(association, "sepa_mandate_create"), mandate_post(**{"new-email": "x@example.org"})
    )
    assert response.status_code == 200 and response.context["debtor_form"].errors
    response = client.post(
        url(association, "sepa_mandate_create"),
        mandate_post(**{"new-last_name": "Nguyen", "new-email": "pas une adresse"}),
    )
    assert response.status_code == 200 and response.context["debtor_form"].errors["email"]
    with scope(association=association):
        assert not Mandate.objects.filter(association=association).exists()
        # The new contact is not created when the mandate is refused.
        from essaim.people.models import Person

        assert not Person.objects.filter(association=association, last_name="Nguyen").exists()


def test_a_bad_iban_for_a_new_debtor_creates_no_contact(client_for, tresorier, association):
    from essaim.people.models import Person

    response = client_for(tresorier).post(
        url(association, "sepa_mandate_create"),
        mandate_post(iban="FR76 0000", **{"new-last_name": "Nguyen"}),
    )
    assert response.status_code == 200 and response.context["form"].errors["iban"]
    with scope(association=association):
        assert not Person.objects.filter(association=association, last_name="Nguyen").exists()


def test_a_contact_of_another_association_cannot_be_chosen(
    client_for, tresorier, association, other_person
):
    response = client_for(tresorier).post(
        url(association, "sepa_mandate_create"), mandate_post(person=str(other_person.uuid))
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    with scopes_disabled():
        assert not Mandate.objects.exists()
    search = client_for(tresorier).get(
        url(association, "sepa_debtor_search"), {"debtor_q": "Ailleurs"}
    )
    assert str(other_person.uuid) not in search.content.decode()


def test_the_list_searches_filters_counts_and_paginates(
    client_for, tresorier, association, mandate, debtor, settings, django_assert_max_num_queries
):
    settings.ESSAIM_PAGE_SIZE = 3
    first = mandate(person=debtor)
    others = [mandate(debtor_name=f"Débiteur {n}") for n in range(4)]
    with scope(association=association):
        mandates.mandate_revoke(association=association, acting_user=tresorier, mandate=others[0])
    client = client_for(tresorier)
    response = client.get(url(association, "sepa_mandates"))
    assert response.context["total"] == 5
    counts = {s["value"]: s["count"] for s in response.context["statuses"]}
    assert counts == {"active": 4, "revoked": 1, "lapsed": 0}
    assert response.context["page"].paginator.num_pages == 2
    page2 = client.get(url(association, "sepa_mandates"), {"page": "2"})
    assert len(page2.context["page"].object_list) == 2
    by_name = client.get(url(association, "sepa_mandates"), {"q": "hélène"})
    assert [m.pk for m in by_name.context["page"].object_list] == [first.pk]
    by_rum = client.get(url(association, "sepa_mandates"), {"q": others[2].rum.lower()})
    assert [m.pk for m in by_rum.context["page"].object_list] == [others[2].pk]
    revoked = client.get(url(association, "sepa_mandates"), {"status": "revoked"})
    assert [m.pk for m in revoked.context["page"].object_list] == [others[0].pk]
    junk = client.get(url(association, "sepa_mandates"), {"status": "<script>", "page": "x"})
    assert junk.status_code == 200 and junk.context["page"].paginator.count == 5
    html = response.content.decode()
    assert IBAN not in html and "…0189" in html
    # The number of queries does not grow with the rows shown.
    with django_assert_max_num_queries(12) as few:
        client.get(url(association, "sepa_mandates"))
    settings.ESSAIM_PAGE_SIZE = 50
    for n in range(10):
        mandate(debtor_name=f"Autre {n}", person=debtor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url(association, "sepa_mandates"))


def test_the_export_has_no_bank_details(client_for, tresorier, association, mandate, debtor):
    made = mandate(person=debtor)
    client = client_for(tresorier)
    response = client.get(url(association, "sepa_mandate_export"), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 2 and made.rum in rows[1] and "helene@example.org" in rows[1]
    assert IBAN not in text and "0189" not in text and made.bic not in text
    response = client.get(url(association, "sepa_mandate_export"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row]
    assert made.rum in values and not any("0189" in value for value in values)
    assert len(audit(association, "sepa.mandate_export")) == 2


def test_revoking_asks_for_confirmation_first(client_for, tresorier, association, mandate, debtor):
    made = mandate(person=debtor)
    client = client_for(tresorier)
    target = url(association, "sepa_mandate_revoke", mandate_uuid=made.uuid)
    page = client.get(target)
    assert page.status_code == 200 and 'name="confirm"' in page.content.decode()
    refused = client.post(target, {})
    assert refused.status_code == 200 and refused.context["form"].errors["confirm"]
    made.refresh_from_db()
    assert made.status == "active"
    done = client.post(target, {"confirm": "on"})
    assert done.status_code == 302
    made.refresh_from_db()
    assert made.status == "revoked" and made.revoked_at is not None
    # Again: nothing more happens, back to the mandate.
    assert client.post(target, {"confirm": "on"}).status_code == 302
    assert len(audit(association, "sepa.mandate_revoke")) == 1


def test_an_unknown_mandate_or_batch_is_404(client_for, tresorier, association, creditor):
    client = client_for(tresorier)
    unknown = "12345678-1234-5678-1234-567812345678"
    assert client.get(url(association, "sepa_mandate", mandate_uuid=unknown)).status_code == 404
    assert client.get(url(association, "sepa_batch", batch_uuid=unknown)).status_code == 404
    assert client.get(url(association, "sepa_batch_file", batch_uuid=unknown)).status_code == 404


# --- Batches ------------------------------------------------------------------------------


def test_the_new_batch_page_lists_what_is_due_all_ticked(
    client_for, tresorier, association, creditor, mandate, debtor, source
):
    first = mandate(person=debtor)
    second = mandate(debtor_name="Jean Martin")
    revoked = mandate(debtor_name="Ancien Donateur")
    with scope(association=association):
        mandates.mandate_revoke(association=association, acting_user=tresorier, mandate=revoked)
    client = client_for(tresorier)
    response = client.get(url(association, "sepa_batch_create"))
    earliest = timezone.localdate() + dt.timedelta(days=5)
    assert response.context["collection_date"] == earliest
    assert response.context["count"] == 2 and response.context["total_cents"] == 3000
    html = response.content.decode()
    assert html.count('type="checkbox" name="debit"') == 2 and html.count(" checked") >= 2
    assert first.rum in html and second.rum in html and revoked.rum not in html
    assert f'min="{earliest.isoformat()}"' in html


def test_a_day_before_the_pre_notification_is_refused(
    client_for, tresorier, association, creditor, mandate, source
):
    mandate(debtor_name="Jean Martin")
    client = client_for(tresorier)
    too_soon = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = client.get(url(association, "sepa_batch_create"), {"collection_date": too_soon})
    assert response.status_code == 200 and response.context["day_form"].errors
    assert response.context["lines"] == []
    response = client.post(
        url(association, "sepa_batch_create"), {"collection_date": too_soon, "debit": ["x"]}
    )
    assert response.status_code == 200
    for junk in ("demain", "2026-13-45", "9" * 40):
        response = client.get(url(association, "sepa_batch_create"), {"collection_date": junk})
        assert response.status_code == 200 and response.context["day_form"].errors
    with scopes_disabled():
        assert not DebitBatch.objects.exists()


def test_a_batch_needs_a_ticked_debit_that_is_still_due(
    client_for, tresorier, association, creditor, mandate, source
):
    mandate(debtor_name="Jean Martin")
    client = client_for(tresorier)
    day = (timezone.localdate() + dt.timedelta(days=6)).isoformat()
    response = client.post(url(association, "sepa_batch_create"), {"collection_date": day})
    assert response.status_code == 200 and response.context["errors"]
    response = client.post(
        url(association, "sepa_batch_create"), {"collection_date": day, "debit": ["forged:key"]}
    )
    assert response.status_code == 200 and response.context["errors"]
    with scopes_disabled():
        assert not DebitBatch.objects.exists() and not Payment.objects.exists()


def test_creating_a_batch_tells_every_debtor_with_an_address(
    client_for, tresorier, association, creditor, mandate, debtor, source
):
    first = mandate(person=debtor)
    mandate(debtor_name="Sans Adresse")  # no contact: no e-mail, the treasurer is told
    left_out = mandate(debtor_name="Pas Cette Fois")
    client = client_for(tresorier)
    day = timezone.localdate() + dt.timedelta(days=8)
    page = client.get(url(association, "sepa_batch_create"), {"collection_date": day.isoformat()})
    keys = [line["due"].key for line in page.context["lines"] if line["due"].mandate != left_out]
    response = client.post(
        url(association, "sepa_batch_create"),
        {"collection_date": day.isoformat(), "debit": keys},
    )
    assert response.status_code == 302
    with scope(association=association):
        batch = DebitBatch.objects.get(association=association)
        assert batch.count == 2 and batch.total_cents == 3000 and batch.collection_date == day
        assert not DirectDebit.objects.filter(mandate=left_out).exists()
    assert response["Location"] == url(association, "sepa_batch", batch_uuid=batch.uuid)
    emails = outbox("sepa_prenotification")
    assert [e.to for e in emails] == ["helene@example.org"]
    body = emails[0].body_text
    assert "15,00" in body and day.strftime("%d/%m/%Y") in body
    assert first.rum in body and ICS in body and "Les Amis du Quartier" in body
    assert "…0189" in body and IBAN not in body and IBAN not in emails[0].body_html
    assert day.strftime("%d/%m/%Y") in emails[0].subject
    assert first.rum in emails[0].body_html and ICS in emails[0].body_html
    # Sent twice (a double click): the same batch, no second e-mail.
    again = client.post(
        url(association, "sepa_batch_create"),
        {"collection_date": day.isoformat(), "debit": keys},
    )
    assert again.status_code == 302 and again["Location"] == response["Location"]
    with scopes_disabled():
        assert DebitBatch.objects.count() == 1
    assert len(outbox("sepa_prenotification")) == 1


def test_a_batch_refused_by_the_service_writes_nothing_and_sends_nothing(
    client_for, tresorier, association, creditor, mandate, debtor, source, monkeypatch
):
    mandate(person=debtor)
    client = client_for(tresorier)
    day = (timezone.localdate() + dt.timedelta(days=8)).isoformat()
    page = client.get(url(association, "sepa_batch_create"), {"collection_date": day})
    keys = [line["due"].key for line in page.context["lines"]]

    def refuse(**kwargs):
        from django.core.exceptions import ValidationError

        raise ValidationError("Refusé par la banque")

    monkeypatch.setattr(mandates, "debit_batch_create", refuse)
    response = client.post(
        url(association, "sepa_batch_create"), {"collection_date": day, "debit": keys}
    )
    assert response.status_code == 200 and "Refusé par la banque" in response.context["errors"]
    assert outbox("sepa_prenotification") == []


def test_the_file_download_is_the_stored_file_and_is_logged(
    client_for, tresorier, association, objects
):
    client = client_for(tresorier)
    response = client.get(url(association, "sepa_batch_file", batch_uuid=objects["batch_uuid"]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    with scope(association=association):
        batch = DebitBatch.objects.get(uuid=objects["batch_uuid"])
    assert content.startswith(b"<?xml") and IBAN.encode() in content
    import hashlib

    assert hashlib.sha256(content).hexdigest() == batch.sha256
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    logs = audit(association, "sepa.batch_download")
    assert len(logs) == 1 and logs[0].data["sha256"] == batch.sha256


def test_a_missing_file_is_404(client_for, tresorier, association, objects):
    with scope(association=association):
        batch = DebitBatch.objects.get(uuid=objects["batch_uuid"])
        batch.file.storage.delete(batch.file.name)
    response = client_for(tresorier).get(url(association, "sepa_batch_file", batch_uuid=batch.uuid))
    assert response.status_code == 404


def test_a_batch_is_not_marked_collected_before_its_day(
    client_for, tresorier, association, objects
):
    client = client_for(tresorier)
    detail = client.get(url(association, "sepa_batch", batch_uuid=objects["batch_uuid"]))
    assert detail.context["can_collect"] is False
    collected = url(association, "sepa_batch_collected", batch_uuid=objects["batch_uuid"])
    assert not detail.content.decode().count(collected)
    response = client.post(collected, follow=True)
    assert response.status_code == 200
    with scope(association=association):
        assert DebitBatch.objects.get(uuid=objects["batch_uuid"]).status == "exported"
        assert Payment.objects.get().status == "pending"


# --- Returns ------------------------------------------------------------------------------


@pytest.fixture
def collected(association, tresorier, creditor, mandate, debtor, monkeypatch):
    """A batch of two debits built 10 days ago and collected 5 days ago."""
    today = timezone.localdate()
    with on_day(monkeypatch, today - dt.timedelta(days=10)):
        first = mandate(person=debtor)
        second = mandate(iban=IBAN_DE, debtor_name="Jean Martin")
        with scope(association=association):
            batch = mandates.debit_batch_create(
                association=association,
                acting_user=tresorier,
                collection_date=today - dt.timedelta(days=5),
                items=[(first, 3000, "Cotisation 2027", "a"), (second, 4500, "", "b")],
            )
            mandates.debit_batch_prenotify(association=association, batch=batch)
    with scope(association=association):
        mandates.debit_batch_mark_collected(
            association=association, acting_user=tresorier, batch=batch
        )
    return batch, first, second


def returns_post(client, association, batch, **data):
    return client.post(url(association, "sepa_returns_import", batch_uuid=batch.uuid), data)


def _upload(content: bytes, name="retours.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.mark.parametrize(
    "make",
    [
        lambda ref: f"Référence;Motif de rejet\r\n{ref};AM04\r\n".encode("cp1252"),
        lambda ref: f"\ufeffEndToEndId,Reason\n{ref},am04\n".encode(),
        lambda ref: f"{ref};AM04\n".encode(),
        lambda ref: f"15/12/2026;Hélène Dupré;30,00;{ref};AM04\n".encode("cp1252"),
    ],
    ids=["cp1252-semicolon-header", "utf8-bom-comma-header", "no-header", "more-columns"],
)
def test_a_returns_file_fails_the_payment_and_tells_the_debtor(
    client_for, tresorier, association, collected, make
):
    batch, first, _second = collected
    reference = _e2e_ids(batch)[0]
    with translation.override("fr"):
        response = returns_post(
            client_for(tresorier), association, batch, report=_upload(make(reference))
        )
    assert response.status_code == 200, response.context.get("errors")
    assert [d.end_to_end_id for d in response.context["returned"]] == [reference]
    assert response.context["emailed"] == 1
    with scope(association=association):
        payment = Payment.objects.get(sepa_debit__end_to_end_id=reference)
        other = Payment.objects.exclude(pk=payment.pk).get()
    assert payment.status == "failed" and payment.status_reason.startswith("AM04")
    assert other.status == "succeeded"
    emails = outbox("sepa_debit_returned")
    assert [e.to for e in emails] == ["helene@example.org"]
    with translation.override("fr"):
        reason = str(mandates.RETURN_REASONS["AM04"])
    body = emails[0].body_text
    assert reason in body and "AM04" in body and "30,00" in body and first.rum in body
    assert reason in emails[0].body_html and "Cotisation 2027" in body
    assert "Les Amis du Quartier" in emails[0].subject


def test_pasted_lines_and_a_report_imported_twice(client_for, tresorier, association, collected):
    batch, _first, _second = collected
    references = _e2e_ids(batch)
    client = client_for(tresorier)
    lines = f"{references[0]} MS02\n\n{references[1]}\tAC04\n"
    response = returns_post(client, association, batch, lines=lines)
    assert response.status_code == 200 and len(response.context["returned"]) == 2
    # The second debtor has no contact, hence no e-mail.
    assert response.context["emailed"] == 1
    again = returns_post(client, association, batch, lines=lines)
    assert again.status_code == 200
    assert again.context["returned"] == [] and again.context["skipped"] == 2
    assert len(outbox("sepa_debit_returned")) == 1
    assert len(audit(association, "sepa.returns_import")) == 1


def test_unknown_references_are_reported_and_nothing_is_imported(
    client_for, tresorier, association, collected
):
    batch, _first, _second = collected
    known = _e2e_ids(batch)[0]
    text = f"{known};AM04\n20261201-FFFFFFFFFFFFFFFF;AC04\nINCONNUE-42;MD06\n"
    response = returns_post(client_for(tresorier), association, batch, lines=text)
    assert response.status_code == 200
    errors = " ".join(response.context["errors"])
    assert "20261201-FFFFFFFFFFFFFFFF" in errors and "INCONNUE-42" in errors
    assert "2" in errors and "3" in errors  # by line of the report
    assert known not in errors
    with scopes_disabled():
        assert not Payment.objects.filter(status="failed").exists()
    assert outbox("sepa_debit_returned") == []


def test_a_bad_reason_code_is_reported_by_line(client_for, tresorier, association, collected):
    batch, _first, _second = collected
    known = _e2e_ids(batch)
    text = f"Reference;Code\n{known[0]};AM04\n{known[1]};insuffisant\n"
    response = returns_post(client_for(tresorier), association, batch, lines=text)
    assert response.status_code == 200 and len(response.context["errors"]) == 1
    error = response.context["errors"][0]
    assert "3" in error and "INSUFFISAN" in error  # the line, and the code as read (10 chars)
    with scopes_disabled():
        assert not Payment.objects.filter(status="failed").exists()


@pytest.mark.parametrize(
    "content,name",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "photo.csv"),
        (b"PK\x03\x04\x14\x00\x06\x00rest-of-a-workbook", "retours.xlsx"),
        (b"", "vide.csv"),
        (b"\n\n  \n", "blanc.csv"),
        (b"Reference;Motif\n", "titres.csv"),
        ("Bonjour,\nvoici le relevé du mois.\nCordialement\n".encode(), "lettre.txt"),
        (b"x" * (sepa_forms.RETURNS_MAX_BYTES + 1), "gros.csv"),
    ],
    ids=["image", "workbook", "empty", "blank", "titles-only", "prose", "too-large"],
)
def test_a_file_of_garbage_gives_a_clear_error(
    client_for, tresorier, association, collected, content, name
):
    batch, _first, _second = collected
    response = returns_post(
        client_for(tresorier), association, batch, report=_upload(content, name)
    )
    assert response.status_code == 200
    form = response.context["returns_form"]
    assert form.errors or response.context["errors"]
    assert "returned" not in response.context
    with scopes_disabled():
        assert not Payment.objects.filter(status="failed").exists()


def test_the_import_needs_a_file_or_lines_not_both(client_for, tresorier, association, collected):
    batch, _first, _second = collected
    client = client_for(tresorier)
    assert returns_post(client, association, batch).context["returns_form"].errors
    both = returns_post(client, association, batch, lines="a;AM04", report=_upload(b"a;AM04\n"))
    assert both.context["returns_form"].errors


def test_returns_of_another_association_are_unknown(
    client_for, outsider, other_association, tresorier, association, collected, mandate
):
    """The outsider imports our references in their own association: not found there."""
    batch, _first, _second = collected
    with scope(association=other_association):
        mandates.creditor_settings_save(
            association=other_association,
            acting_user=outsider,
            creditor_name="Collectif",
            creditor_id=ICS,
            iban=CREDITOR_IBAN,
            prenotification_days=1,
        )
        theirs = mandate(association=other_association, acting_user=outsider, debtor_name="X")
        their_batch = mandates.debit_batch_create(
            association=other_association,
            acting_user=outsider,
            collection_date=timezone.localdate() + dt.timedelta(days=1),
            items=[(theirs, 1000, "", "z")],
        )
    reference = _e2e_ids(batch)[0]
    response = returns_post(
        client_for(outsider), other_association, their_batch, lines=f"{reference};AM04"
    )
    assert response.status_code == 200 and response.context["errors"]
    with scope(association=association):
        assert Payment.objects.get(sepa_debit__end_to_end_id=reference).status == "succeeded"


def test_a_deceased_debtor_is_not_emailed(client_for, tresorier, association, collected):
    batch, _first, _second = collected
    reference = _e2e_ids(batch)[0]
    response = returns_post(client_for(tresorier), association, batch, lines=f"{reference};MD07")
    assert response.status_code == 200 and len(response.context["returned"]) == 1
    assert response.context["emailed"] == 0 and outbox("sepa_debit_returned") == []


# --- Pure parts of the forms --------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("20261201-0123456789ABCDEF;AM04", [(1, "20261201-0123456789ABCDEF", "AM04")]),
        ("Code;Référence\nAM04;REF-1\n", [(2, "REF-1", "AM04")]),
        ("REF-1,ms02\r\nREF-2,AC04", [(1, "REF-1", "MS02"), (2, "REF-2", "AC04")]),
        ('"REF-1";"AM04"', [(1, "REF-1", "AM04")]),
        ("REF-1 AM04\nREF-2 DNOR\n", [(1, "REF-1", "AM04"), (2, "REF-2", "DNOR")]),
        ("Reference;Code\nREF-1;\n", [(2, "REF-1", "")]),
    ],
)
def test_parse_returns(text, expected):
    got = [(line.number, line.reference, line.code) for line in sepa_forms.parse_returns(text)]
    assert got == expected


def test_an_unknown_first_line_is_not_taken_for_titles():
    lines = sepa_forms.parse_returns("INCONNUE;AM04\nREF-2;AC04")
    assert [line.reference for line in lines] == ["INCONNUE", "REF-2"]


def test_decode_report_reads_cp1252_and_utf8():
    assert sepa_forms.decode_report("Référence".encode("cp1252")) == "Référence"
    assert sepa_forms.decode_report("\ufeffRéférence".encode()) == "Référence"


# --- The whole journey --------------------------------------------------------------------


def test_settings_mandate_batch_download_collected_returns(
    client_for, tresorier, association, debtor, source, monkeypatch
):
    client = client_for(tresorier)
    today = timezone.localdate()
    start = today - dt.timedelta(days=10)
    with on_day(monkeypatch, start):
        assert client.post(url(association, "sepa_settings"), settings_post()).status_code == 302
        response = client.post(
            url(association, "sepa_mandate_create"),
            mandate_post(person=str(debtor.uuid), signed_on=start.isoformat()),
        )
        assert response.status_code == 302
        day = start + dt.timedelta(days=7)
        page = client.get(url(association, "sepa_batch_create"), {"collection_date": str(day)})
        keys = [line["due"].key for line in page.context["lines"] if line["checked"]]
        assert len(keys) == 1
        created = client.post(
            url(association, "sepa_batch_create"), {"collection_date": str(day), "debit": keys}
        )
        assert created.status_code == 302
        batch_url = created["Location"]
        detail = client.get(batch_url)
        assert detail.context["can_collect"] is False
    with scope(association=association):
        batch = DebitBatch.objects.get(association=association)
        made = Mandate.objects.get(association=association)
    assert len(outbox("sepa_prenotification")) == 1

    # The file for the bank: the debtor's IBAN, the creditor's ICS, the day of collection.
    download = client.get(url(association, "sepa_batch_file", batch_uuid=batch.uuid))
    root = ET.fromstring(b"".join(download.streaming_content))
    assert root.findtext(".//p:DrctDbtTxInf/p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN
    assert root.findtext(".//p:ReqdColltnDt", namespaces=NS) == day.isoformat()
    assert root.findtext(".//p:MndtId", namespaces=NS) == made.rum
    assert root.findtext(".//p:InstdAmt", namespaces=NS) == "15.00"

    # The day has come (today is 3 days after): mark collected.
    detail = client.get(batch_url)
    assert detail.context["can_collect"] is True
    collected = client.post(url(association, "sepa_batch_collected", batch_uuid=batch.uuid))
    assert collected.status_code == 302
    with scope(association=association):
        payment = Payment.objects.get(association=association)
    assert payment.status == "succeeded" and payment.paid_on == day

    # The bank returns it.
    reference = _e2e_ids(batch)[0]
    done = returns_post(
        client,
        association,
        batch,
        report=_upload(f"Référence;Motif\n{reference};AC04\n".encode("cp1252")),
    )
    assert done.status_code == 200 and len(done.context["returned"]) == 1
    payment.refresh_from_db()
    assert payment.status == "failed" and payment.status_reason.startswith("AC04")
    assert [e.to for e in outbox("sepa_debit_returned")] == ["helene@example.org"]
    listing = client.get(url(association, "sepa_batches"))
    assert [b.failed for b in listing.context["page"].object_list] == [1]
    mandate_page = client.get(url(association, "sepa_mandate", mandate_uuid=made.uuid))
    with scopes_disabled():
        assert [d.pk for d in mandate_page.context["debits"]] == [batch.debits.get().pk]
    assert "AC04" in mandate_page.content.decode()
    with scopes_disabled():
        actions = {log.action for log in AuditLog.objects.filter(association=association)}
    assert {
        "sepa.creditor_settings",
        "sepa.mandate_create",
        "sepa.batch_create",
        "sepa.batch_download",
        "sepa.batch_collected",
        "sepa.returns_import",
    } <= actions


# --- The e-mail helpers as units ----------------------------------------------------------


def test_prenotify_counts_the_debtors_without_an_address(association, tresorier, objects, mandate):
    with scope(association=association):
        batch = DebitBatch.objects.get(uuid=objects["batch_uuid"])
        assert mandates.debit_batch_prenotify(association=association, batch=batch) == (1, 0)
        erased = mandate(debtor_name="Sans Contact")
        other = mandates.debit_batch_create(
            association=association,
            acting_user=tresorier,
            collection_date=timezone.localdate() + dt.timedelta(days=9),
            items=[(erased, 500, "", "k2")],
        )
        assert mandates.debit_batch_prenotify(association=association, batch=other) == (0, 1)


@pytest.mark.parametrize(
    "code,advice", [("AC04", "account"), ("AM04", "funds"), ("MS02", "refused"), ("ZZ99", "other")]
)
def test_each_reason_gets_its_advice(code, advice):
    assert mandates.return_advice(code) == advice


def test_the_returned_e_mail_says_what_to_do_for_the_reason(
    client_for, tresorier, association, collected
):
    batch, _first, _second = collected
    reference = _e2e_ids(batch)[0]
    client = client_for(tresorier)
    bodies = []
    for code in ("AC04", "AM04"):
        with scope(association=association):
            Payment.objects.filter(sepa_debit__end_to_end_id=reference).update(
                status="succeeded", status_reason=""
            )
        returns_post(client, association, batch, lines=f"{reference};{code}")
        bodies.append(outbox("sepa_debit_returned")[-1].body_text)
    assert len(bodies) == 2 and bodies[0] != bodies[1]
    assert "AC04" in bodies[0] and "AM04" in bodies[1]


def test_the_list_names_the_contact_once_when_it_is_the_holder(
    client_for, tresorier, association, mandate, debtor
):
    same = mandate(person=debtor)  # "Helene Dupre" for the bank, "Hélène Dupré" the contact
    parent = mandate(person=debtor, debtor_name="Marc Dupré")
    response = client_for(tresorier).get(url(association, "sepa_mandates"))
    differs = {m.pk: m.holder_differs for m in response.context["page"].object_list}
    assert differs == {same.pk: False, parent.pk: True}


def test_debtors_can_reply_to_the_association(association, tresorier, objects):
    with scopes_disabled():
        association.email = "tresorerie@amis-quartier.example"
        association.save()
    with scope(association=association):
        batch = DebitBatch.objects.get(uuid=objects["batch_uuid"])
        mandates.debit_batch_prenotify(association=association, batch=batch)
    email = outbox("sepa_prenotification")[-1]
    assert email.reply_to == "tresorerie@amis-quartier.example"
    assert "tresorerie@amis-quartier.example" in email.body_text
    assert "tresorerie@amis-quartier.example" in email.body_html


def test_the_same_mandate_form_sent_twice_records_one_mandate(
    client_for, tresorier, association, debtor
):
    client = client_for(tresorier)
    page = client.get(url(association, "sepa_mandate_create")).content.decode()
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', page).group(1)
    data = mandate_post(person=str(debtor.uuid), form_token=token)
    first = client.post(url(association, "sepa_mandate_create"), data)
    second = client.post(url(association, "sepa_mandate_create"), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    with scope(association=association):
        assert Mandate.objects.filter(association=association).count() == 1
    # Another form (another token) records another mandate.
    other = client.post(
        url(association, "sepa_mandate_create"),
        mandate_post(person=str(debtor.uuid), form_token="f" * 32),
    )
    assert other.status_code == 302 and other["Location"] != first["Location"]


def test_a_batch_is_never_built_without_a_day(
    client_for, tresorier, association, creditor, mandate, source
):
    mandate(debtor_name="Jean Martin")
    client = client_for(tresorier)
    page = client.get(url(association, "sepa_batch_create"))
    keys = [line["due"].key for line in page.context["lines"]]
    response = client.post(url(association, "sepa_batch_create"), {"debit": keys})
    assert response.status_code == 200 and response.context["day_form"].errors
    with scopes_disabled():
        assert not DebitBatch.objects.exists()
