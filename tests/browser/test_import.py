"""The treasurer imports the member list the former secretary left: a file with errors; she
checks it, fixes the columns, imports, downloads the report of the rows left out.

Visible text may still be the English source where a French translation is missing:
selectors use URLs, names and classes rather than wording.
"""

import re

import pytest
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from essaim.members import services
from essaim.members.importing import services as import_services
from essaim.members.models import DuesPayment, ImportJob, Membership
from essaim.people.models import Person
from tests.browser.helpers import submit
from tests.browser.test_contacts import PHONE, sign_in

pytestmark = pytest.mark.xdist_group("browser")

# French Excel's "CSV (séparateur : point-virgule)": cp1252, semicolons, an empty line. The
# "Cotisation" column says whether the dues were paid (oui/non), not how much: Essaim first
# takes it for the amount, and every row is rejected until the column is fixed.
FILE = (
    "Nom;Prénom;Courriel;Téléphone;Ville;Cotisation\r\n"
    "Dupont;Marie;marie.dupont@example.org;06 12 34 56 78;Paris;oui\r\n"
    "Le Goff;Émilie;emilie@exemple;;Brest;non\r\n"
    "Martin;Jean;;01 23 45 67 89;Lyon;oui\r\n"
    ";;;;;\r\n"
    "Nguyen;Lan;lan.nguyen@example.org;;Rennes;non\r\n"
).encode("cp1252")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_treasurer_imports_a_file_with_errors_fixes_the_columns_and_imports(
    browsing, association, presidente, tresorier, tmp_path
):
    with scope(association=association):
        annual = services.membership_type_create(
            association=association, acting_user=presidente, name="Annuelle", amount_cents=2000
        )
    page = browsing.new_page(**PHONE)
    sign_in(browsing, page, tresorier.email)
    browsing.check(page)
    members = f"/a/{association.slug}/members/"
    page.goto(members)
    browsing.check(page)

    # From the member list to the import page, on her phone.
    page.locator(f"main a[href='{members}import/']").first.click()
    expect(page).to_have_url(browsing.url(f"{members}import/"))
    browsing.check(page)
    path = tmp_path / "adherents-2025.csv"
    path.write_bytes(FILE)
    page.set_input_files("input[name=file]", str(path))
    submit(page)

    # The columns screen: Essaim recognised the titles and the file.
    expect(page).to_have_url(re.compile(r"/members/import/[0-9a-f-]{36}/columns/$"))
    columns_url = page.url
    cotisation = page.get_by_label("Cotisation", exact=True)
    expect(cotisation).to_have_value("amount")
    expect(page.get_by_label("Courriel", exact=True)).to_have_value("email")
    expect(page.locator("select[name=default_type]")).to_have_value(str(annual.pk))
    browsing.check(page)
    submit(page, "form.mapping-form")

    # The check: every row rejected, "oui" is not an amount. Nothing is written.
    expect(page).to_have_url(re.compile(r"/members/import/[0-9a-f-]{36}/$"))
    job_url = page.url
    rows = page.locator("table.import-rows tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator(".badge-import-rejected")).to_have_count(4)
    expect(rows.first).to_contain_text("oui")
    browsing.check(page)
    with scope(association=association):
        assert not Person.objects.filter(association=association, source="import").exists()

    # She changes the column: "Cotisation" says whether the dues were paid.
    page.locator("main a[href$='/columns/']").first.click()
    expect(page).to_have_url(columns_url)
    browsing.check(page)
    page.get_by_label("Cotisation", exact=True).select_option("paid")
    submit(page, "form.mapping-form")

    # Checked again: three contacts to create, one e-mail address to correct.
    expect(page).to_have_url(job_url)
    expect(page.locator(".badge-import-created")).to_have_count(3)
    rejected = page.locator(
        "table.import-rows tbody tr", has=page.locator(".badge-import-rejected")
    )
    expect(rejected).to_have_count(1)
    expect(rejected).to_contain_text("Émilie")
    browsing.check(page)

    # Import: the work runs in the background; the page says when it is done.
    page.locator("main form[action$='/start/'] button[type=submit]").click()
    expect(page).to_have_url(job_url)
    expect(page.locator(".notice-success")).to_be_visible()
    expect(page.locator(".import-figures li").first).to_contain_text("3")
    browsing.check(page)

    # The report of the rows left out, to correct in a spreadsheet.
    with page.expect_download() as download:
        page.locator("main a[href$='/report/']").first.click()
    report = tmp_path / "rapport.csv"
    download.value.save_as(report)
    text = report.read_bytes().decode("utf-8-sig")
    assert "emilie@exemple" in text and "Le Goff" in text
    assert "Dupont" not in text

    page.goto(members + "?period=all")
    expect(page.locator("table.member-table tbody tr")).to_have_count(3)
    browsing.check(page)
    with scope(association=association):
        assert Membership.objects.filter(association=association).count() == 3
        # The treasurer records payments: "oui" rows are paid, the "non" one waits.
        assert DuesPayment.objects.filter(association=association).count() == 2
        job = ImportJob.objects.get(association=association)
        assert job.counts["rows"] == 4 and job.counts["blank_lines"] == 1
        assert (job.counts["created"], job.counts["rejected"]) == (3, 1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_progress_bar_follows_the_import_and_says_when_it_is_done(
    browsing, association, presidente
):
    with scope(association=association):
        job = import_services.import_job_create(
            association=association, acting_user=presidente, data=FILE, name="adherents.csv"
        )
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.RUNNING,
            total_rows=4,
            processed_rows=2,
            heartbeat_at=timezone.now(),
        )
    page = browsing.new_page()
    sign_in(browsing, page, presidente.email)
    browsing.check(page)
    page.goto(f"/a/{association.slug}/members/import/{job.uuid}/")
    expect(page.locator("#import-status progress")).to_have_attribute("value", "2")
    browsing.check(page)
    with scope(association=association):
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=3)
    expect(page.locator("#import-status progress")).to_have_attribute("value", "3")
    with scope(association=association):
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.DONE,
            processed_rows=4,
            finished_at=timezone.now(),
            counts={
                "rows": 4,
                "created": 4,
                "updated": 0,
                "skipped": 0,
                "rejected": 0,
                "memberships": 0,
                "payments": 0,
                "blank_lines": 1,
            },
        )
    # The polled fragment asks for a reload: the page shows the result by itself.
    expect(page.locator(".notice-success")).to_be_visible(timeout=10_000)
    expect(page.locator("#import-status")).to_have_count(0)
    browsing.check(page)
