"""Services of core: associations, roles, team seats and invitations.

Each service takes keyword-only arguments including `association=` (except the one that
creates it) and `acting_user=`, runs in a transaction, writes the activity log and returns
the object. Validation errors are raised as django ValidationError with translated messages.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from essaim.lib import identifiers
from essaim.lib.text import fold

from .audit import audit_log, diff, snapshot
from .capabilities import CAPABILITY_NAMES, PRESET_ORDER, PRESETS, SENSITIVE_CAPABILITIES
from .emails import email_enqueue
from .models import Association, Invitation, Role, RoleAssignment
from .signals import seat_created

ASSOCIATION_FIELDS = (
    "name",
    "rna",
    "alsace_moselle",
    "siren",
    "siret",
    "objet",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "email",
    "phone",
    "website",
    "person_retention_months",
)
ASSOCIATION_SENSITIVE = ("name", "rna", "siren", "siret", "alsace_moselle")
RESERVED_SLUGS = {"new", "api", "admin", "static", "media", "accounts", "account", "a"}


def normalize_association_fields(data: dict) -> dict:
    """Normalise identifiers and phone; raise ValidationError with one message per field."""
    errors = {}
    cleaned = dict(data)
    for field, normalizer in (
        ("rna", identifiers.normalize_rna),
        ("siren", identifiers.normalize_siren),
        ("siret", identifiers.normalize_siret),
        ("phone", identifiers.normalize_phone),
    ):
        if field in cleaned:
            try:
                cleaned[field] = normalizer(cleaned[field] or "")
            except ValueError as exc:
                errors[field] = str(exc)
    if cleaned.get("alsace_moselle") and cleaned.get("rna"):
        errors["rna"] = _("Associations registered in Alsace-Moselle have no RNA number.")
    siren, siret = cleaned.get("siren"), cleaned.get("siret")
    if siren and siret and not siret.startswith(siren) and "siret" not in errors:
        errors["siret"] = _("The SIRET must start with the SIREN.")
    if "name" in cleaned and not (cleaned["name"] or "").strip():
        errors["name"] = _("Give the association's name.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def unique_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "association"
    if base in RESERVED_SLUGS:
        base = f"{base}-asso"
    slug, counter = base, 2
    while Association.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


def _create_preset_roles(association: Association) -> dict[str, Role]:
    roles = {}
    for key in PRESET_ORDER:
        label, capabilities = PRESETS[key]
        roles[key] = Role.objects.create(
            association=association,
            name=str(label),
            preset=key,
            **{name: name in capabilities for name in CAPABILITY_NAMES},
        )
    return roles


@transaction.atomic
def association_create(*, acting_user, name: str, slug: str = "", **fields) -> Association:
    """Create an association, its bureau roles, and seat its creator as president."""
    data = normalize_association_fields({"name": name, **fields})
    slug = slugify(slug)[:60] if slug else unique_slug(name)
    if slug in RESERVED_SLUGS:
        raise ValidationError({"slug": _("This address is reserved; choose another one.")})
    if Association.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("This address is already taken; choose another one.")})
    logo = data.pop("logo", None)
    association = Association(slug=slug, created_by=acting_user, **data)
    association.full_clean(exclude=["logo"])
    try:
        with transaction.atomic():
            association.save()
    except IntegrityError as exc:  # two people creating the same slug at the same time
        raise ValidationError(
            {"slug": _("This address is already taken; choose another one.")}
        ) from exc
    if logo:
        association_set_logo(association=association, acting_user=acting_user, logo=logo)
    with scope(association=association):
        roles = _create_preset_roles(association)
        assignment = RoleAssignment.objects.create(
            association=association,
            user=acting_user,
            role=roles["presidence"],
            sensitive_since=timezone.now(),
        )
        seat_created.send(
            sender=RoleAssignment,
            association=association,
            assignment=assignment,
            acting_user=acting_user,
        )
        audit_log(
            association=association,
            actor=acting_user,
            action="association.create",
            obj=association,
            changes=diff({}, snapshot(association, ASSOCIATION_SENSITIVE), ASSOCIATION_SENSITIVE),
        )
    return association


@transaction.atomic
def association_update(*, association: Association, acting_user, **fields) -> Association:
    data = normalize_association_fields(fields)
    data.pop("logo", None)
    unknown = set(data) - set(ASSOCIATION_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    before = snapshot(association, data.keys())
    for name, value in data.items():
        setattr(association, name, value)
    association.full_clean(exclude=["logo"])
    association.save()
    changes = diff(before, snapshot(association, data.keys()), ASSOCIATION_SENSITIVE)
    if changes:
        audit_log(
            association=association,
            actor=acting_user,
            action="association.update",
            obj=association,
            changes=changes,
        )
    return association


MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 4000


def validate_logo(logo: UploadedFile) -> None:
    """An uploaded logo must be a real PNG, JPEG, GIF or WebP image of sensible size."""
    from PIL import Image, UnidentifiedImageError

    if logo.size > MAX_LOGO_BYTES:
        raise ValidationError({"logo": _("The logo must weigh less than 2 MB.")})
    try:
        logo.seek(0)
        with Image.open(logo) as image:
            image.verify()
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            {"logo": _("This file is not an image we can read (PNG, JPEG, GIF or WebP).")}
        ) from exc
    finally:
        logo.seek(0)
    if kind not in {"PNG", "JPEG", "GIF", "WEBP"}:
        raise ValidationError({"logo": _("The logo must be a PNG, JPEG, GIF or WebP image.")})
    if width > MAX_LOGO_PIXELS or height > MAX_LOGO_PIXELS:
        raise ValidationError({"logo": _("The logo must be at most 4000 × 4000 pixels.")})


@transaction.atomic
def association_set_logo(*, association: Association, acting_user, logo) -> Association:
    if logo is False or logo is None:
        if association.logo:
            association.logo.delete(save=False)
        association.logo = ""
    else:
        validate_logo(logo)
        if association.logo:
            association.logo.delete(save=False)
        association.logo = logo
    association.save(update_fields=["logo", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="association.logo",
        obj=association,
        changes={"logo": True},
    )
    return association


# --- Roles --------------------------------------------------------------------------------


def _settings_holders(association: Association, exclude_assignment=None, exclude_role=None):
    qs = RoleAssignment.objects.filter(association=association, role__can_change_settings=True)
    if exclude_assignment is not None:
        qs = qs.exclude(pk=exclude_assignment.pk)
    if exclude_role is not None:
        qs = qs.exclude(role=exclude_role)
    return qs


def _check_role_name(association: Association, name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the role a name.")})
    if len(name) > 80:
        raise ValidationError({"name": _("At most %(limit)d characters.") % {"limit": 80}})
    # Compared folded in Python: SQLite's iexact ignores case only for ASCII ("É" ≠ "é").
    others = Role.objects.filter(association=association).exclude(pk=exclude_pk)
    if any(fold(other) == fold(name) for other in others.values_list("name", flat=True)):
        raise ValidationError({"name": _("A role with this name already exists.")})
    return name


@transaction.atomic
def role_create(
    *, association: Association, acting_user, name: str, capabilities: set[str]
) -> Role:
    unknown = set(capabilities) - set(CAPABILITY_NAMES)
    if unknown:
        raise ValidationError({"capabilities": _("Unknown capability.")})
    role = Role.objects.create(
        association=association,
        name=_check_role_name(association, name),
        **{c: c in capabilities for c in CAPABILITY_NAMES},
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="role.create",
        obj=role,
        changes={"capabilities": [[], sorted(capabilities)]},
    )
    return role


@transaction.atomic
def role_update(
    *, association: Association, acting_user, role: Role, name: str, capabilities: set[str]
) -> Role:
    role = Role.objects.select_for_update().get(pk=role.pk, association=association)
    unknown = set(capabilities) - set(CAPABILITY_NAMES)
    if unknown:
        raise ValidationError({"capabilities": _("Unknown capability.")})
    if (
        "can_change_settings" not in capabilities
        and role.can_change_settings
        and not _settings_holders(association, exclude_role=role).exists()
    ):
        raise ValidationError(
            {
                "capabilities": _(
                    "At least one team member must keep the right to administer the "
                    "association, or nobody could manage it any more."
                )
            }
        )
    before = {"name": role.name, "capabilities": sorted(role.capabilities)}
    became_sensitive = not role.is_sensitive and bool(set(capabilities) & SENSITIVE_CAPABILITIES)
    role.name = _check_role_name(association, name, exclude_pk=role.pk)
    for c in CAPABILITY_NAMES:
        setattr(role, c, c in capabilities)
    role.save()
    if became_sensitive:
        RoleAssignment.objects.filter(role=role, sensitive_since__isnull=True).update(
            sensitive_since=timezone.now()
        )
    after = {"name": role.name, "capabilities": sorted(role.capabilities)}
    changes = diff(before, after, sensitive=("name", "capabilities"))
    if changes:
        audit_log(
            association=association,
            actor=acting_user,
            action="role.update",
            obj=role,
            changes=changes,
        )
    return role


@transaction.atomic
def role_delete(*, association: Association, acting_user, role: Role) -> None:
    if RoleAssignment.objects.filter(role=role).exists():
        raise ValidationError(_("Team members still hold this role: give them another role first."))
    Invitation.objects.filter(role=role, accepted_at__isnull=True).delete()
    audit_log(association=association, actor=acting_user, action="role.delete", obj=role)
    role.delete()


# --- Team seats ---------------------------------------------------------------------------


@transaction.atomic
def assignment_change_role(
    *, association: Association, acting_user, assignment: RoleAssignment, role: Role
) -> RoleAssignment:
    if role.association_id != association.pk or assignment.association_id != association.pk:
        raise PermissionDenied
    if (
        assignment.role.can_change_settings
        and not role.can_change_settings
        and not _settings_holders(association, exclude_assignment=assignment).exists()
    ):
        raise ValidationError(
            {
                "role": _(
                    "This is the last person who can administer the association: give this "
                    "right to someone else first."
                )
            }
        )
    before = assignment.role.name
    if role.is_sensitive and not assignment.role.is_sensitive:
        assignment.sensitive_since = timezone.now()
    assignment.role = role
    assignment.save()
    audit_log(
        association=association,
        actor=acting_user,
        action="team.role_change",
        obj=assignment,
        object_repr=assignment.user.email,
        changes={"role": [before, role.name]},
    )
    return assignment


@transaction.atomic
def assignment_remove(*, association: Association, acting_user, assignment: RoleAssignment) -> None:
    if (
        assignment.role.can_change_settings
        and not _settings_holders(association, exclude_assignment=assignment).exists()
    ):
        raise ValidationError(
            _(
                "This is the last person who can administer the association: give this right "
                "to someone else first."
            )
        )
    audit_log(
        association=association,
        actor=acting_user,
        action="team.remove",
        obj=assignment,
        object_repr=assignment.user.email,
        changes={"role": [assignment.role.name, None]},
    )
    assignment.delete()


# --- Invitations --------------------------------------------------------------------------


def invitation_url(token: str) -> str:
    return settings.ESSAIM_BASE_URL + reverse("core:invitation_accept", kwargs={"token": token})


@transaction.atomic
def invitation_create(
    *, association: Association, acting_user, email: str, role: Role, message: str = ""
) -> tuple[Invitation, str]:
    """Invite `email` into `role`; returns the invitation and the clear token (sent by mail)."""
    email = (email or "").strip().lower()
    if role.association_id != association.pk:
        raise PermissionDenied
    with scopes_disabled():
        already = RoleAssignment.objects.filter(
            association=association, user__email__iexact=email
        ).exists()
    if already:
        raise ValidationError({"email": _("This person is already in the team.")})
    # A new invitation replaces a pending one for the same address: one link works.
    Invitation.objects.filter(
        association=association,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=timezone.now())
    token, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        association=association,
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=acting_user,
        expires_at=timezone.now() + timedelta(days=settings.ESSAIM_INVITATION_DAYS),
    )
    email_enqueue(
        to=email,
        template="invitation",
        association=association,
        context={
            "inviter": acting_user.display_name,
            "role": role.name,
            "url": invitation_url(token),
            "message": message.strip()[:2000],
            "days": settings.ESSAIM_INVITATION_DAYS,
        },
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="invitation.create",
        obj=invitation,
        changes={"email": [None, email], "role": [None, role.name]},
    )
    return invitation, token


@transaction.atomic
def invitation_revoke(*, association: Association, acting_user, invitation: Invitation) -> None:
    if invitation.status != "pending":
        raise ValidationError(_("This invitation can no longer be withdrawn."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    audit_log(
        association=association, actor=acting_user, action="invitation.revoke", obj=invitation
    )


def invitation_by_token(token: str) -> Invitation | None:
    with scopes_disabled():
        return (
            Invitation.objects.select_related("association", "role")
            .filter(token_hash=Invitation.hash_token(token or ""))
            .first()
        )


@transaction.atomic
def invitation_accept(*, token: str, acting_user) -> RoleAssignment:
    """Seat `acting_user` in the invitation's association; the token works once."""
    with scopes_disabled():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("association", "role")
            .filter(token_hash=Invitation.hash_token(token or ""))
            .first()
        )
        if invitation is None or invitation.status != "pending":
            raise ValidationError(_("This invitation is no longer valid."))
        association = invitation.association
        if RoleAssignment.objects.filter(association=association, user=acting_user).exists():
            raise ValidationError(_("You are already in this association's team."))
        assignment = RoleAssignment.objects.create(
            association=association,
            user=acting_user,
            role=invitation.role,
            sensitive_since=timezone.now() if invitation.role.is_sensitive else None,
        )
        seat_created.send(
            sender=RoleAssignment,
            association=association,
            assignment=assignment,
            acting_user=acting_user,
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = acting_user
        invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
        audit_log(
            association=association,
            actor=acting_user,
            action="invitation.accept",
            obj=invitation,
            data={"role": invitation.role.name, "invited_email": invitation.email},
        )
    return assignment
