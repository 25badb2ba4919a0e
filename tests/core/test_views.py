import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from PIL import Image

from essaim.core import services
from essaim.core.models import Association, AuditLog, Invitation, OutboxEmail, Role, RoleAssignment

pytestmark = pytest.mark.django_db


def aurl(association, name, **kwargs):
    return reverse(name, kwargs={"association_slug": association.slug, **kwargs})


def test_home_for_visitor_citizen_and_member(client, client_for, citizen, presidente, association):
    assert reverse("account_signup") in client.get("/").content.decode()
    content = client_for(citizen).get("/").content.decode()
    assert reverse("core:association_create") in content
    content = client_for(presidente).get("/").content.decode()
    assert aurl(association, "core:dashboard") in content


def test_create_association_through_the_form(client_for, citizen):
    client = client_for(citizen)
    response = client.post(
        reverse("core:association_create"),
        {"name": "Les Jardins d'Émile", "rna": "W123", "siren": "123456789"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "error-summary" in content and "Les Jardins d&#x27;Émile" in content
    assert not Association.objects.exists()
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, "PNG")
    response = client.post(
        reverse("core:association_create"),
        {
            "name": "Les Jardins d'Émile",
            "rna": "W751234567",
            "objet": "Jardiner ensemble",
            "logo": SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png"),
        },
    )
    association = Association.objects.get()
    assert response.status_code == 302
    assert response["Location"] == aurl(association, "core:dashboard")
    assert association.logo
    dashboard = client.get(response["Location"]).content.decode()
    assert "Les Jardins d&#x27;Émile" in dashboard
    assert aurl(association, "core:team") in dashboard  # next step: invite the bureau


def test_settings_form_updates_and_validates(client_for, presidente, association):
    client = client_for(presidente)
    response = client.post(
        aurl(association, "core:settings"),
        {"name": "Les Amis du Quartier", "siret": "12345", "person_retention_months": 36},
    )
    assert response.status_code == 200 and "has-error" in response.content.decode()
    response = client.post(
        aurl(association, "core:settings"),
        {"name": "Les Amis du Quartier", "siren": "732829320", "person_retention_months": 24},
    )
    assert response.status_code == 302
    association.refresh_from_db()
    assert association.siren == "732829320" and association.person_retention_months == 24


def test_team_invite_resend_revoke(client_for, presidente, association):
    client = client_for(presidente)
    with scope(association=association):
        role = Role.objects.get(association=association, preset="tresorerie")
    response = client.post(
        aurl(association, "core:team"), {"email": "karim@example.org", "role": role.pk}
    )
    assert response.status_code == 302
    assert OutboxEmail.objects.filter(to="karim@example.org", kind="invitation").count() == 1
    with scope(association=association):
        invitation = Invitation.objects.get()
    client.post(aurl(association, "core:invitation_resend", invitation_uuid=invitation.uuid))
    assert OutboxEmail.objects.filter(to="karim@example.org").count() == 2
    with scope(association=association):
        pending = Invitation.objects.get(revoked_at__isnull=True)
    client.post(aurl(association, "core:invitation_revoke", invitation_uuid=pending.uuid))
    with scope(association=association):
        assert not Invitation.objects.filter(revoked_at__isnull=True).exists()
    response = client.post(
        aurl(association, "core:team"), {"email": "pas-un-email", "role": role.pk}
    )
    assert response.status_code == 200 and "has-error" in response.content.decode()


def test_invitation_page_for_visitor_and_acceptance(
    client, client_for, presidente, association, citizen
):
    with scope(association=association):
        role = Role.objects.get(association=association, preset="secretariat")
        _invitation, token = services.invitation_create(
            association=association, acting_user=presidente, email=citizen.email, role=role
        )
    page = reverse("core:invitation_accept", kwargs={"token": token})
    content = client.get(page).content.decode()
    assert f"{reverse('account_signup')}?next=" in content
    logged = client_for(citizen)
    response = logged.post(page)
    assert response["Location"] == aurl(association, "core:dashboard")
    with scopes_disabled():
        assert RoleAssignment.objects.get(user=citizen).role == role
    assert (
        client.get(reverse("core:invitation_accept", kwargs={"token": "forged"})).status_code == 404
    )
    assert (
        "no longer valid" in client.get(page).content.decode()
        or "plus valable" in client.get(page).content.decode()
    )


def test_roles_pages(client_for, presidente, association):
    client = client_for(presidente)
    response = client.post(
        aurl(association, "core:role_create"),
        {"name": "Adhésions", "capabilities": ["can_view_members", "can_manage_members"]},
    )
    assert response.status_code == 302
    with scope(association=association):
        role = Role.objects.get(name="Adhésions")
    content = client.get(aurl(association, "core:roles")).content.decode()
    assert "Adhésions" in content
    response = client.post(
        aurl(association, "core:role_edit", role_uuid=role.uuid), {"delete": "1"}
    )
    assert response.status_code == 302
    with scope(association=association):
        assert not Role.objects.filter(pk=role.pk).exists()


def test_team_member_role_change_and_remove(client_for, presidente, association, tresorier):
    client = client_for(presidente)
    with scope(association=association):
        seat = RoleAssignment.objects.get(user=tresorier)
        conseil = Role.objects.get(association=association, preset="conseil")
    response = client.post(
        aurl(association, "core:team_member", assignment_uuid=seat.uuid), {"role": conseil.pk}
    )
    assert response.status_code == 302
    response = client.post(
        aurl(association, "core:team_member", assignment_uuid=seat.uuid), {"remove": "1"}
    )
    assert response.status_code == 302
    with scope(association=association):
        assert not RoleAssignment.objects.filter(pk=seat.pk).exists()
        actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"team.role_change", "team.remove"} <= actions


def test_audit_log_filters_and_csv(client_for, presidente, association, person):
    client = client_for(presidente)
    response = client.get(aurl(association, "core:audit") + "?action=association.create")
    assert response.context["page"].paginator.count == 1
    csv = client.get(aurl(association, "core:audit") + "?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert "association.create" in csv.content.decode("utf-8")


def test_mfa_required_after_grace_period(client_for, association, tresorier, settings):
    with scope(association=association):
        RoleAssignment.objects.filter(user=tresorier).update(
            sensitive_since=timezone.now() - dt.timedelta(days=settings.ESSAIM_MFA_GRACE_DAYS + 1)
        )
    client = client_for(tresorier)
    response = client.get(aurl(association, "people:list"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_index")
    assert client.get(aurl(association, "core:dashboard")).status_code == 200  # shows the way


def test_mfa_not_required_for_volunteers(client_for, association, benevole):
    with scope(association=association):
        RoleAssignment.objects.filter(user=benevole).update(
            created_at=timezone.now() - dt.timedelta(days=365)
        )
    assert client_for(benevole).get(aurl(association, "core:privacy_register")).status_code == 200


def test_mfa_grace_notice_is_shown(client_for, presidente, association):
    content = client_for(presidente).get(aurl(association, "core:dashboard")).content.decode()
    assert reverse("mfa_index") in content


def test_language_switch(client, client_for, citizen):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.get("/").content.decode().count('lang="en"') >= 1
    response = client.post(
        reverse("set_language"), {"language": "fr", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    logged = client_for(citizen)
    logged.post(reverse("set_language"), {"language": "en", "next": "/"})
    citizen.refresh_from_db()
    assert citizen.language == "en"


def test_error_pages_are_french(client):
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert (
        "Page introuvable" in response.content.decode()
        or "Page not found" in response.content.decode()
    )


def test_healthz(client):
    response = client.get("/healthz")
    assert response.json() == {"status": "ok", "db": "ok"}


def test_demo_mailbox_only_when_enabled(client, settings):
    settings.ESSAIM_DEMO_MAILBOX = False
    assert client.get(reverse("core:demo_mailbox")).status_code == 404
    settings.ESSAIM_DEMO_MAILBOX = True
    email = OutboxEmail.objects.create(
        to="a@example.org", subject="Bonjour", body_text="http://x/y"
    )
    assert "Bonjour" in client.get(reverse("core:demo_mailbox")).content.decode()
    detail = client.get(reverse("core:demo_mailbox_detail", kwargs={"email_uuid": email.uuid}))
    assert 'href="http://x/y"' in detail.content.decode()


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
