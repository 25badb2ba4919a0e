"""The privacy registry end to end: export, erasure, retention, coverage."""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.accounts.models import User
from essaim.core.models import AuditLog, OutboxEmail
from essaim.core.privacy import registry
from essaim.core.retention import apply_all
from essaim.people import services as people_services
from essaim.people.models import Person
from tests.factories import UserFactory

PERSONAL_FIELD_NAMES = {"email", "first_name", "last_name", "phone", "to", "ip", "user_agent"}

# Models that reference a person or account but hold no personal data of their own.
NOT_PERSONAL = {
    "core.Role": "capability set of an association",
    "core.Association": "the tenant: an organisation, not a natural person",
    "core.ScheduledJob": "periodic job bookkeeping",
}


def _personal_models():
    user_model = apps.get_model("accounts", "User")
    person_model = apps.get_model("people", "Person")
    for model in apps.get_models():
        label = f"{model._meta.app_label}.{model.__name__}"
        names = {f.name for f in model._meta.get_fields() if getattr(f, "concrete", False)}
        points = any(
            getattr(f, "related_model", None) in (user_model, person_model)
            for f in model._meta.get_fields()
            if getattr(f, "concrete", False) and f.is_relation
        )
        if (names & PERSONAL_FIELD_NAMES or points) and model.__module__.startswith(
            ("essaim", "allauth")
        ):
            yield label


def test_every_model_with_personal_data_is_in_the_registry():
    covered = registry.covered_models()
    missing = [
        label for label in _personal_models() if label not in covered and label not in NOT_PERSONAL
    ]
    assert not missing, f"personal data outside the privacy registry: {missing}"


def test_registry_entries_are_complete():
    for entry in registry.entries():
        assert entry.label and entry.purpose and entry.legal_basis and entry.retention, entry.key
        assert entry.export_user or entry.export_person, f"{entry.key} cannot be exported"


@pytest.fixture
def citizen_in_two(association, other_association, presidente, outsider, citizen):
    with scope(association=association):
        mine = people_services.person_create(
            association=association,
            acting_user=presidente,
            first_name="Marc",
            last_name="Petit",
            email=citizen.email,
            notes="aide au jardin",
            tags=["jardin"],
            user=citizen,
        )
        people_services.consent_record(
            association=association,
            acting_user=presidente,
            person=mine,
            topic="newsletter",
            granted=True,
            source="online",
        )
        people_services.person_create(
            association=association,
            acting_user=presidente,
            last_name="Quelqu'un d'autre",
            email="x@example.org",
        )
    with scope(association=other_association):
        people_services.person_create(
            association=other_association,
            acting_user=outsider,
            last_name="Petit",
            first_name="Marc",
            user=citizen,
        )
    return citizen


def test_citizen_downloads_all_their_data(client_for, citizen_in_two):
    response = client_for(citizen_in_two).post(reverse("accounts:data_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"LISEZ-MOI.txt", "mes-donnees.json", "compte/account.csv"} <= names
    assert "les-amis-du-quartier/contacts.csv" in names
    assert "les-amis-du-quartier/consents.csv" in names
    assert "collectif-velo-solidaire/contacts.csv" in names
    document = json.loads(archive.read("mes-donnees.json"))
    assert document["account"]["account"][0]["email"] == citizen_in_two.email
    sections = {s["association"]: s["data"] for s in document["associations"]}
    assert sections["Les Amis du Quartier"]["contacts"][0]["notes"] == "aide au jardin"
    assert sections["Les Amis du Quartier"]["consents"][0]["agreed"] is True
    everything = json.dumps(document, ensure_ascii=False)
    assert "Quelqu'un d'autre" not in everything  # nobody else's data
    csv_text = archive.read("les-amis-du-quartier/contacts.csv").decode("utf-8")
    assert csv_text.startswith("\ufeff") and ";" in csv_text


def test_export_requires_post_and_login(client, client_for, citizen):
    assert client.post(reverse("accounts:data_export")).status_code == 302
    assert client_for(citizen).get(reverse("accounts:data_export")).status_code == 405


def test_admin_erases_a_person_through_the_page(client_for, presidente, association, person):
    url = reverse(
        "people:erase", kwargs={"association_slug": association.slug, "person_uuid": person.uuid}
    )
    client = client_for(presidente)
    response = client.post(url, {"reason": "demande par courriel"})
    assert response.status_code == 200  # confirmation box not ticked: nothing happens
    with scope(association=association):
        assert not Person.objects.get(pk=person.pk).is_erased
    response = client.post(url, {"confirm": "on", "reason": "demande par courriel"})
    assert response.status_code == 302
    with scope(association=association):
        erased = Person.objects.get(pk=person.pk)
        assert erased.is_erased and erased.last_name == ""
        log = AuditLog.objects.get(action="person.erase")
    assert log.data == {"reason": "demande par courriel"}
    assert "Le Goff" not in log.object_repr


def test_erasure_is_refused_to_roles_without_the_capability(
    client_for, tresorier, benevole, association, person
):
    url = reverse(
        "people:erase", kwargs={"association_slug": association.slug, "person_uuid": person.uuid}
    )
    assert client_for(benevole).post(url, {"confirm": "on"}).status_code == 403


def test_erasure_runs_every_registered_eraser_in_order(association, presidente, person):
    calls = []
    from essaim.core.privacy import PrivacyEntry

    for key, order in (("late", 999), ("early", 1)):
        registry.register(
            PrivacyEntry(
                key=f"test_{key}",
                label="t",
                data="t",
                purpose="t",
                legal_basis="t",
                retention="t",
                erase_person=lambda p, key=key: calls.append((key, p.last_name)),
                order=order,
            )
        )
    try:
        with scope(association=association):
            people_services.person_erase(
                association=association, acting_user=presidente, person=person
            )
    finally:
        registry.unregister("test_late")
        registry.unregister("test_early")
    # Both ran before the contact row itself was blanked (order 1000): a legally required
    # record (a tax receipt) can still copy the name it must keep.
    assert calls == [("early", "Le Goff"), ("late", "Le Goff")]


def test_retention_anonymises_inactive_contacts_and_prunes_logs(association, presidente, tresorier):
    old = timezone.now() - dt.timedelta(days=4 * 365)
    with scope(association=association):
        stale = people_services.person_create(
            association=association, acting_user=presidente, last_name="Ancien"
        )
        fresh = people_services.person_create(
            association=association, acting_user=presidente, last_name="Récent"
        )
        team = people_services.person_create(
            association=association, acting_user=presidente, last_name="Benali", user=tresorier
        )
        Person.objects.filter(pk__in=[stale.pk, team.pk]).update(last_activity_at=old)
    with scopes_disabled():
        AuditLog.objects.create(association=association, action="person.update", created_at=old)
        sent = OutboxEmail.objects.create(
            to="a@example.org", subject="s", body_text="b", status="sent"
        )
        OutboxEmail.objects.filter(pk=sent.pk).update(created_at=old)
    ghost = UserFactory(email="ghost@example.org", verified=False)
    User.objects.filter(pk=ghost.pk).update(date_joined=old)

    results = apply_all()

    assert results["contacts"] == 1
    with scopes_disabled():
        assert Person.objects.get(pk=stale.pk).is_erased
        assert not Person.objects.get(pk=fresh.pk).is_erased
        assert not Person.objects.get(pk=team.pk).is_erased  # a team member's record stays
        assert not AuditLog.objects.filter(created_at__lt=old + dt.timedelta(days=1)).exists()
    assert not OutboxEmail.objects.filter(pk=sent.pk).exists()
    assert not User.objects.filter(pk=ghost.pk).exists()
    assert User.objects.filter(pk=presidente.pk).exists()
    # Running it again changes nothing: the rules are idempotent.
    assert apply_all()["contacts"] == 0


def test_retention_task_is_scheduled_daily():
    from essaim.core import scheduler

    jobs = {job.name: job for job in scheduler.jobs()}
    assert jobs["privacy_retention"].interval == dt.timedelta(days=1)


def test_scheduler_claims_each_job_once(db):
    from essaim.core import scheduler

    now = timezone.now()
    # Tests use the immediate task backend: enqueueing runs the job right away.
    assert "privacy_retention" in scheduler.enqueue_due(now)
    assert "privacy_retention" not in scheduler.enqueue_due(now + dt.timedelta(hours=1))
    assert "privacy_retention" in scheduler.enqueue_due(now + dt.timedelta(days=1, minutes=1))


def test_account_deletion(client_for, citizen_in_two, association, presidente):
    client = client_for(citizen_in_two)
    response = client.post(reverse("accounts:delete"), {"password": "wrong"})
    assert response.status_code == 200
    response = client.post(reverse("accounts:delete"), {"password": "correct-horse-battery"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=citizen_in_two.pk).exists()
    with scopes_disabled():
        # The associations keep their contact record, unlinked from the deleted account.
        assert Person.objects.filter(last_name="Petit", user__isnull=True).count() == 2


def test_last_administrator_cannot_delete_account(client_for, presidente, association):
    response = client_for(presidente).post(
        reverse("accounts:delete"), {"password": "correct-horse-battery"}
    )
    assert response.status_code == 200
    assert User.objects.filter(pk=presidente.pk).exists()
    assert "Les Amis du Quartier" in response.content.decode()


def test_run_periodic_command_runs_due_jobs_in_process(db):
    from django.core.management import call_command

    from essaim.core.models import ScheduledJob

    out = io.StringIO()
    call_command("run_periodic", stdout=out)
    assert "privacy_retention" in out.getvalue()
    assert ScheduledJob.objects.get(name="privacy_retention").last_result.startswith("{")
    out = io.StringIO()
    call_command("run_periodic", stdout=out)
    assert "privacy_retention" not in out.getvalue()  # not due again within the day
