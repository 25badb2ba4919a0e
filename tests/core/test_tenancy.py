"""Tenancy: another association's objects are a 404 everywhere, for every URL pattern."""

import importlib
import importlib.util
import pkgutil
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_scopes import ScopeError, scope, scopes_disabled

from essaim.api.services import apitoken_create
from essaim.core import services as core_services
from essaim.core.models import Role, RoleAssignment
from essaim.fundraising import services as fundraising_services
from essaim.fundraising.models import ReceiptRun, TaxReceipt
from essaim.people.models import Person


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def tenant_routes():
    routes = [
        (route, pattern)
        for route, pattern in _walk(get_resolver().url_patterns)
        if "<slug:association_slug>" in route
    ]
    assert len(routes) > 15, "the URL walk found too few association URLs"
    return routes


def _app_victims(association, presidente, person) -> dict:
    """Victim objects of the apps that build their own in `tests/<app>/victims.py`, a function
    `victims(association=, presidente=, person=) -> {URL parameter: value}` run in scope."""
    import tests

    found: dict = {}
    for info in pkgutil.iter_modules(tests.__path__):
        name = f"tests.{info.name}.victims"
        if info.ispkg and importlib.util.find_spec(name) is not None:
            module = importlib.import_module(name)
            found.update(
                module.victims(association=association, presidente=presidente, person=person)
            )
    return found


@pytest.fixture
def victim_objects(association, presidente):
    """One object of each kind that appears in association URLs, all of `association`."""
    with scope(association=association):
        person = Person.objects.create(association=association, last_name="Victime")
        other = Person.objects.create(association=association, last_name="Victime bis")
        role = Role.objects.get(association=association, preset="tresorerie")
        invitation, _token = core_services.invitation_create(
            association=association, acting_user=presidente, email="new@example.org", role=role
        )
        assignment = RoleAssignment.objects.get(association=association, user=presidente)
        api_token, _clear = apitoken_create(
            association=association,
            acting_user=presidente,
            seat_capabilities=role.capabilities | {"can_view_members"},
            name="site",
            capabilities={"can_view_members"},
            days=30,
        )
        from essaim.members import services as member_services

        mtype = member_services.membership_type_create(
            association=association, acting_user=presidente, name="Annuelle", amount_cents=2000
        )
        membership = member_services.membership_create(
            association=association, acting_user=presidente, person=person, membership_type=mtype
        )
        from essaim.members.importing import services as import_services

        import_job = import_services.import_job_create(
            association=association,
            acting_user=presidente,
            data="Nom;Prénom;Courriel\nVictime;Zoé;zoe@example.org\n".encode(),
            name="victimes.csv",
        )
        gift = fundraising_services.gift_record(
            association=association,
            acting_user=presidente,
            person=person,
            amount_cents=5000,
            received_on=membership.period_start,
            method="cheque",
        )
        # A receipt as issued: the number and the stored PDF are all the URLs need.
        receipt = TaxReceipt(
            association=association,
            year=2026,
            sequence=1,
            number="2026-000001",
            kind="single",
            donor_kind="individual",
            person=person,
            amount_cents=5000,
            first_gift_on=gift.received_on,
            last_gift_on=gift.received_on,
            issued_at=timezone.now(),
        )
        receipt.pdf.save("2026-000001.pdf", ContentFile(b"%PDF-1.4 victim"), save=True)
        receipt.gifts.set([gift])
        run = ReceiptRun.objects.create(association=association, year=2026)
        from essaim.fundraising.models import Campaign, GiftIntent, RecurringGift

        campaign = Campaign.objects.create(association=association, slug="toit", title="Toit")
        intent = GiftIntent.objects.create(
            association=association, campaign=campaign, amount_cents=1000, method="online"
        )
        recurring = RecurringGift.objects.create(
            association=association, person=person, amount_cents=1000, started_on=gift.received_on
        )
        from essaim.payments import bank_statements

        statement = bank_statements.bank_statement_upload(
            association=association,
            acting_user=presidente,
            data=f"Date;Libellé;Montant\n{timezone.localdate():%d/%m/%Y};VIR;30,00\n".encode(),
            file_name="releve.csv",
        )
        bank_statements.bank_statement_import(
            association=association, acting_user=presidente, statement=statement
        )
        bank_line = statement.lines.get()
        from essaim.payments.models import DebitBatch, Mandate

        mandate = Mandate.objects.create(
            association=association,
            person=person,
            debtor_name="Victime",
            rum="ESSAIM-VICTIM-0001",
            signed_on=gift.received_on,
            kind=Mandate.Kind.RECURRING,
        )
        batch = DebitBatch(
            association=association,
            collection_date=gift.received_on,
            sha256="0" * 64,
            count=0,
            total_cents=0,
        )
        batch.file.save("victim.xml", ContentFile(b"<Document/>"), save=True)
        more = _app_victims(association, presidente, person)
    return {
        **more,
        "mandate_uuid": mandate.uuid,
        "batch_uuid": batch.uuid,
        "statement_uuid": statement.uuid,
        "line_uuid": bank_line.uuid,
        "gift_uuid": gift.uuid,
        "receipt_uuid": receipt.uuid,
        "run_uuid": run.uuid,
        "campaign_uuid": campaign.uuid,
        "intent_uuid": intent.uuid,
        "recurring_uuid": recurring.uuid,
        "type_uuid": mtype.uuid,
        "membership_uuid": membership.uuid,
        "action": "pay",
        "person_uuid": person.uuid,
        "other_uuid": other.uuid,
        "role_uuid": role.uuid,
        "invitation_uuid": invitation.uuid,
        "assignment_uuid": assignment.uuid,
        "token_uuid": api_token.uuid,
        "job_uuid": import_job.uuid,
    }


def _fill(route: str, slug: str, objects: dict) -> str:
    def replace(match):
        name = match.group(2)
        if name == "association_slug":
            return slug
        if name in objects:
            return str(objects[name])
        raise AssertionError(f"no test object for URL parameter {name!r} in {route}")

    path = re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)
    return "/" + path


def test_every_association_url_is_404_for_a_member_of_another_association(
    client_for, outsider, other_association, association, victim_objects
):
    client = client_for(outsider)
    checked = 0
    for route, _pattern in tenant_routes():
        url = _fill(route, association.slug, victim_objects)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"
            checked += 1
    assert checked > 30


def test_own_association_urls_with_foreign_objects_are_404(
    client_for, outsider, other_association, association, victim_objects
):
    """The outsider uses their own association's address with the victim's object ids."""
    client = client_for(outsider)
    for route, _pattern in tenant_routes():
        if not any(
            f"<{c}:" in route or f":{n}>" in route for c in ("uuid",) for n in victim_objects
        ):
            continue
        url = _fill(route, other_association.slug, victim_objects)
        # A POST-only view answers GET with 405 before looking anything up: nothing leaks.
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url).status_code == 404, url


def test_unknown_association_and_non_member_look_the_same(client_for, citizen, association):
    client = client_for(citizen)
    assert client.get(f"/a/{association.slug}/").status_code == 404
    assert client.get("/a/does-not-exist/").status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, association, victim_objects):
    for route, _pattern in tenant_routes():
        url = _fill(route, association.slug, victim_objects)
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]


def test_scoped_query_without_scope_raises(association):
    with pytest.raises(ScopeError):
        list(Person.objects.all())
    with scopes_disabled():
        assert Person.objects.count() == 1  # the présidente's own contact record


def test_scope_filters_other_association_rows(association, other_association, person, other_person):
    with scope(association=association):
        assert person in Person.objects.all() and other_person not in Person.objects.all()
    with scope(association=other_association):
        assert other_person in Person.objects.all() and person not in Person.objects.all()


@pytest.mark.parametrize(
    "user_fixture,name,status",
    [
        ("benevole", "core:settings", 403),
        ("benevole", "core:team", 403),
        ("benevole", "people:list", 403),
        ("benevole", "core:dashboard", 200),
        ("benevole", "core:privacy_register", 200),
        ("tresorier", "people:list", 200),
        ("tresorier", "core:team", 403),
        ("tresorier", "core:audit", 403),
        ("secretaire", "people:create", 200),
        ("secretaire", "api_tokens:list", 403),
    ],
)
def test_capabilities_decide_access(request, client_for, association, user_fixture, name, status):
    from django.urls import reverse

    user = request.getfixturevalue(user_fixture)
    response = client_for(user).get(reverse(name, kwargs={"association_slug": association.slug}))
    assert response.status_code == status
