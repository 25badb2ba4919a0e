import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from essaim.core import services
from essaim.core.capabilities import CAPABILITY_NAMES
from essaim.core.models import Association, AuditLog, Invitation, OutboxEmail, Role, RoleAssignment
from tests.factories import UserFactory, make_association


def test_association_create_makes_bureau_roles_and_seats_the_creator(presidente):
    association = make_association(presidente, name="Les Jardins d'Émile", rna="w 751 234 567")
    assert association.slug == "les-jardins-demile"
    assert association.rna == "W751234567"
    with scope(association=association):
        presets = set(Role.objects.values_list("preset", flat=True))
        assert presets == {"presidence", "tresorerie", "secretariat", "conseil", "benevole"}
        seat = RoleAssignment.objects.get(user=presidente)
        assert seat.role.preset == "presidence"
        assert seat.role.capabilities == frozenset(CAPABILITY_NAMES)
        log = AuditLog.objects.get(action="association.create")
        assert log.actor == presidente
        assert log.changes["name"] == [None, "Les Jardins d'Émile"]


@pytest.mark.parametrize(
    "field,value",
    [
        ("rna", "W12345678"),
        ("rna", "X751234567"),
        ("siren", "123456789"),
        ("siren", "12345"),
        ("siret", "73282932000075"),
        ("phone", "not a phone"),
    ],
)
def test_association_create_rejects_bad_identifiers(presidente, field, value):
    with pytest.raises(ValidationError) as error:
        make_association(presidente, name="Asso", **{field: value})
    assert field in error.value.message_dict
    assert Association.objects.count() == 0


def test_valid_french_identifiers_are_normalised(presidente):
    association = make_association(
        presidente, name="Asso", siren="732 829 320", siret="732 829 320 00074", rna="W2A1000123"
    )
    assert association.siren == "732829320"
    assert association.siret == "73282932000074"
    assert association.rna == "W2A1000123"


def test_siret_must_extend_siren(presidente):
    with pytest.raises(ValidationError) as error:
        make_association(presidente, name="Asso", siren="732829320", siret="55208131766522")
    assert "siret" in error.value.message_dict


def test_alsace_moselle_has_no_rna(presidente):
    with pytest.raises(ValidationError):
        make_association(presidente, name="Asso", rna="W751234567", alsace_moselle=True)
    association = make_association(presidente, name="Verein", alsace_moselle=True)
    assert association.rna == ""


def test_slug_is_unique_and_reserved_words_avoided(presidente):
    first = make_association(presidente, name="Solidarité")
    second = make_association(presidente, name="Solidarité")
    assert first.slug == "solidarite"
    assert second.slug == "solidarite-2"
    assert make_association(presidente, name="API").slug == "api-asso"
    with pytest.raises(ValidationError):
        make_association(presidente, name="x", slug="solidarite")


def test_association_update_logs_sensitive_before_after(association, presidente):
    with scope(association=association):
        services.association_update(
            association=association,
            acting_user=presidente,
            objet="Jardin partagé",
            siren="732829320",
        )
        log = AuditLog.objects.filter(action="association.update").get()
    assert log.changes == {"objet": True, "siren": ["", "732829320"]}


def test_invitation_flow(association, presidente, mailoutbox):
    with scope(association=association):
        role = Role.objects.get(association=association, preset="tresorerie")
        invitation, token = services.invitation_create(
            association=association, acting_user=presidente, email=" Karim@Example.org ", role=role
        )
    assert invitation.email == "karim@example.org"
    assert invitation.token_hash != token and len(token) > 30
    email = OutboxEmail.objects.get(to="karim@example.org")
    assert token in email.body_text and token in email.body_html
    assert "Les Amis du Quartier" in email.subject
    assert len(mailoutbox) == 0  # queued until the transaction commits (tests run inside one)
    karim = UserFactory(email="karim@example.org")
    assignment = services.invitation_accept(token=token, acting_user=karim)
    assert assignment.role == role
    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, acting_user=karim)


def test_new_invitation_replaces_pending_one(association, presidente):
    with scope(association=association):
        role = Role.objects.get(association=association, preset="conseil")
        first, first_token = services.invitation_create(
            association=association, acting_user=presidente, email="a@example.org", role=role
        )
        services.invitation_create(
            association=association, acting_user=presidente, email="A@example.org", role=role
        )
        first.refresh_from_db()
    assert first.status == "revoked"
    with pytest.raises(ValidationError):
        services.invitation_accept(token=first_token, acting_user=UserFactory())


def test_cannot_invite_existing_team_member(association, presidente, tresorier):
    with scope(association=association), pytest.raises(ValidationError):
        services.invitation_create(
            association=association,
            acting_user=presidente,
            email=tresorier.email.upper(),
            role=Role.objects.get(association=association, preset="conseil"),
        )


def test_expired_invitation_is_refused(association, presidente):
    from datetime import timedelta

    from django.utils import timezone

    with scope(association=association):
        role = Role.objects.get(association=association, preset="conseil")
        invitation, token = services.invitation_create(
            association=association, acting_user=presidente, email="late@example.org", role=role
        )
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(1))
    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, acting_user=UserFactory())


def test_last_administrator_cannot_be_removed_or_demoted(association, presidente, tresorier):
    with scope(association=association):
        seat = RoleAssignment.objects.get(user=presidente)
        with pytest.raises(ValidationError):
            services.assignment_remove(
                association=association, acting_user=presidente, assignment=seat
            )
        with pytest.raises(ValidationError):
            services.assignment_change_role(
                association=association,
                acting_user=presidente,
                assignment=seat,
                role=Role.objects.get(association=association, preset="conseil"),
            )
        presidence = Role.objects.get(association=association, preset="presidence")
        with pytest.raises(ValidationError):
            services.role_update(
                association=association,
                acting_user=presidente,
                role=presidence,
                name="Présidence",
                capabilities={"can_view_members"},
            )
        # With a second administrator, it works.
        other = RoleAssignment.objects.get(user=tresorier)
        services.assignment_change_role(
            association=association, acting_user=presidente, assignment=other, role=presidence
        )
        services.assignment_remove(association=association, acting_user=presidente, assignment=seat)
        assert not RoleAssignment.objects.filter(user=presidente).exists()


def test_role_crud_and_audit(association, presidente, tresorier):
    with scope(association=association):
        role = services.role_create(
            association=association,
            acting_user=presidente,
            name="Responsable adhésions",
            capabilities={"can_view_members", "can_manage_members"},
        )
        assert role.is_sensitive
        with pytest.raises(ValidationError):
            services.role_create(
                association=association,
                acting_user=presidente,
                name="responsable ADHÉSIONS",
                capabilities=set(),
            )
        with pytest.raises(ValidationError):
            services.role_create(
                association=association, acting_user=presidente, name="X", capabilities={"can_fly"}
            )
        services.role_update(
            association=association,
            acting_user=presidente,
            role=role,
            name="Adhésions",
            capabilities={"can_view_members"},
        )
        log = AuditLog.objects.filter(action="role.update").get()
        assert log.changes["capabilities"] == [
            ["can_manage_members", "can_view_members"],
            ["can_view_members"],
        ]
        tresorerie = Role.objects.get(association=association, preset="tresorerie")
        with pytest.raises(ValidationError):  # still held by the tresorier
            services.role_delete(association=association, acting_user=presidente, role=tresorerie)
        services.role_delete(association=association, acting_user=presidente, role=role)
        assert not Role.objects.filter(pk=role.pk).exists()


def test_logo_must_be_a_real_image(association, presidente):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("logo.png", b"<?php echo 'hi'; ?>", content_type="image/png")
    with pytest.raises(ValidationError):
        services.association_set_logo(association=association, acting_user=presidente, logo=fake)
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "#0f4c81").save(buffer, "PNG")
    real = SimpleUploadedFile("Logo Émile.png", buffer.getvalue(), content_type="image/png")
    services.association_set_logo(association=association, acting_user=presidente, logo=real)
    association.refresh_from_db()
    assert association.logo.name.startswith(f"associations/{association.slug}/logo-")
    assert "Émile" not in association.logo.name


def test_scoped_managers_block_unscoped_reads(association):
    from django_scopes import ScopeError

    with pytest.raises(ScopeError):
        Role.objects.count()
    with scopes_disabled():
        assert Role.objects.count() == 5
