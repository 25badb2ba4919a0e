import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope
from openpyxl import load_workbook

from essaim.people.models import Person, Tag
from tests.factories import PersonFactory


def url(association, name, **kwargs):
    return reverse(f"people:{name}", kwargs={"association_slug": association.slug, **kwargs})


def make_people(association, count, **fields):
    with scope(association=association):
        tag, _ = Tag.objects.get_or_create(association=association, name="jardin")
        people = PersonFactory.create_batch(count, association=association, **fields)
        for p in people:
            p.tags.add(tag)
        return people


def test_list_query_count_does_not_grow_with_rows(client_for, presidente, association):
    client = client_for(presidente)
    make_people(association, 3)
    client.get(url(association, "list"))  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(association, "list")).status_code == 200
    make_people(association, 45)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(association, "list")).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many]
    assert len(few) <= 10


def test_list_paginates_and_keeps_filters(client_for, presidente, association, settings):
    settings.ESSAIM_PAGE_SIZE = 10
    make_people(association, 25, city="Lyon")
    client = client_for(presidente)
    response = client.get(url(association, "list") + "?q=lyon&page=2")
    content = response.content.decode()
    assert response.context["page"].number == 2
    assert "q=lyon&amp;page=3" in content and "q=lyon&amp;page=1" in content
    assert client.get(url(association, "list") + "?page=999").context["page"].number == 3
    assert client.get(url(association, "list") + "?page=abc").context["page"].number == 1


def test_search_is_accent_insensitive_and_htmx_returns_results_only(
    client_for, presidente, association, person
):
    client = client_for(presidente)
    response = client.get(url(association, "list") + "?q=EMILIE+le+goff")
    assert "Émilie" in response.content.decode()
    partial = client.get(url(association, "list") + "?q=emilie", HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "Émilie" in body and "<html" not in body
    empty = client.get(url(association, "list") + "?q=zzzz").content.decode()
    assert "Émilie" not in empty


def test_empty_list_says_what_to_do(client_for, presidente, association):
    content = client_for(presidente).get(url(association, "list")).content.decode()
    assert url(association, "create") in content


def test_create_keeps_typed_values_on_error(client_for, presidente, association):
    client = client_for(presidente)
    response = client.post(
        url(association, "create"),
        {
            "first_name": "Zoé",
            "last_name": "Durand",
            "email": "zoe@",
            "country": "FR",
            "postcode": "123",
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'value="Zoé"' in content and 'value="zoe@"' in content
    assert "has-error" in content
    with scope(association=association):
        assert not Person.objects.exclude(source="account").exists()


def test_create_then_edit(client_for, presidente, association):
    client = client_for(presidente)
    response = client.post(
        url(association, "create"),
        {
            "first_name": "Zoé",
            "last_name": "Durand",
            "email": "zoe@example.org",
            "phone": "06 12 34 56 78",
            "country": "FR",
            "postcode": "75011",
            "birth_date": "14/07/1985",
            "tags": "bureau, jardin",
        },
    )
    assert response.status_code == 302
    with scope(association=association):
        person = Person.objects.get(last_name="Durand")
    assert person.birth_date.isoformat() == "1985-07-14"
    response = client.post(
        url(association, "edit", person_uuid=person.uuid),
        {"first_name": "Zoé", "last_name": "Durand-Petit", "country": "FR", "tags": "bureau"},
    )
    assert response.status_code == 302
    with scope(association=association):
        person.refresh_from_db()
        assert person.last_name == "Durand-Petit"
        assert [t.name for t in person.tags.all()] == ["bureau"]


def test_detail_shows_consents_and_history(client_for, presidente, association, person):
    client = client_for(presidente)
    response = client.post(
        url(association, "consent_add", person_uuid=person.uuid),
        {"topic": "photos", "granted": "0", "source": "paper", "note": "classeur 2026"},
    )
    assert response.status_code == 302
    content = client.get(url(association, "detail", person_uuid=person.uuid)).content.decode()
    assert "classeur 2026" in content


def test_export_csv_and_xlsx(client_for, presidente, association):
    make_people(association, 3)
    with scope(association=association):
        PersonFactory(association=association, last_name="=HYPERLINK(1)", first_name="Évil")
    client = client_for(presidente)
    response = client.get(url(association, "export") + "?format=csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    header = text.splitlines()[0]
    assert ";" in header
    assert "'=HYPERLINK(1)" in text  # formula neutralised
    assert len(text.strip().splitlines()) == 6  # header, 3 + 1 contacts, the présidente
    xlsx = client.get(url(association, "export") + "?format=xlsx")
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert workbook.active.max_row == 6


def test_export_is_for_member_managers_only(client_for, tresorier, benevole, association):
    assert client_for(benevole).get(url(association, "export")).status_code == 403


def test_bulk_tag_and_bulk_export(client_for, presidente, association):
    people = make_people(association, 3)
    client = client_for(presidente)
    selected = [str(p.uuid) for p in people[:2]] + ["not-a-uuid"]
    response = client.post(
        url(association, "bulk"), {"action": "tag", "tag": "AG 2026", "selected": selected}
    )
    assert response.status_code == 302
    with scope(association=association):
        assert Tag.objects.get(name="AG 2026").persons.count() == 2
    response = client.post(url(association, "bulk"), {"action": "export", "selected": selected})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    response = client.post(
        url(association, "bulk"), {"action": "tag", "tag": "", "selected": selected}
    )
    assert response.status_code == 302  # with an error message, nothing changed


def test_bulk_ignores_other_associations_rows(client_for, presidente, association, other_person):
    client = client_for(presidente)
    response = client.post(
        url(association, "bulk"),
        {"action": "tag", "tag": "pirate", "selected": [str(other_person.uuid)]},
    )
    assert response.status_code == 302
    with scope(association=other_person.association):
        assert not other_person.tags.exists()


def test_duplicates_and_merge(client_for, presidente, association):
    with scope(association=association):
        a = PersonFactory(
            association=association, first_name="Anne", last_name="Roux", email="anne@example.org"
        )
        b = PersonFactory(
            association=association,
            first_name="Anne",
            last_name="Roux",
            email="ANNE@example.org",
            city="Lyon",
        )
    client = client_for(presidente)
    content = client.get(url(association, "duplicates")).content.decode()
    merge_url = url(association, "merge", person_uuid=a.uuid, other_uuid=b.uuid)
    assert merge_url in content
    form_page = client.get(merge_url)
    assert "take_city" in form_page.content.decode()
    response = client.post(merge_url, {"take_email": "keep", "take_city": "other"})
    assert response.status_code == 302
    with scope(association=association):
        kept = Person.objects.get(first_name="Anne")
    assert kept.pk == a.pk and kept.city == "Lyon" and kept.email == "anne@example.org"


@pytest.mark.parametrize("name", ["create", "duplicates"])
def test_viewer_roles_cannot_write(client_for, association, request, name):
    user = request.getfixturevalue("benevole")
    assert client_for(user).get(url(association, name)).status_code == 403


def test_pages_hold_the_same_rows_as_a_plain_slice(association, settings):
    from django.core.paginator import Paginator

    from essaim.people import selectors

    make_people(association, 23)
    with scope(association=association):
        plain = list(selectors.person_search(association=association, order="-name"))
        pages = Paginator(
            selectors.person_list_page(
                selectors.person_search(association=association, order="-name")
            ),
            10,
        )
        seen = [p.pk for number in pages.page_range for p in pages.page(number).object_list]
        assert pages.count == len(plain) == 24
        assert seen == [p.pk for p in plain]
        searched = Paginator(
            selectors.person_list_page(
                selectors.person_search(association=association, query="example")
            ),
            10,
        )
        assert [p.sort_name for p in searched.page(1).object_list] == sorted(
            p.sort_name for p in searched.page(1).object_list
        )


def test_tag_filter_and_counts_stay_inside_the_association(association, other_association):
    from essaim.people import selectors

    make_people(association, 2)
    make_people(other_association, 3)  # another "jardin" tag, in another association
    with scope(association=association):
        Tag.objects.create(association=association, name="vide")
        counts = {t.name: t.count for t in selectors.tags_with_counts(association)}
        assert counts == {"jardin": 2, "vide": 0}
        assert selectors.person_search(association=association, tag="jardin").count() == 2
