"""Reads of core: dashboard figures, team counts, the activity log."""

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from . import dashboard
from .models import Association, AuditLog, RoleAssignment

# Labels of the activity log's actions; apps add theirs with register_action_labels().
ACTION_LABELS = {
    "association.create": _("Association created"),
    "association.update": _("Association details changed"),
    "association.logo": _("Logo changed"),
    "role.create": _("Role created"),
    "role.update": _("Role changed"),
    "role.delete": _("Role deleted"),
    "team.role_change": _("Team member's role changed"),
    "team.remove": _("Team member removed"),
    "invitation.create": _("Invitation sent"),
    "invitation.revoke": _("Invitation withdrawn"),
    "invitation.accept": _("Invitation accepted"),
    "person.create": _("Contact added"),
    "person.update": _("Contact changed"),
    "person.merge": _("Contacts merged"),
    "person.erase": _("Contact anonymised"),
    "person.bulk_tag": _("Tag added to contacts"),
    "person.export": _("Contacts exported"),
    "consent.record": _("Consent recorded"),
    "person.account_linked": _("Contact linked to an account"),
    "apitoken.create": _("API token created"),
    "apitoken.revoke": _("API token revoked"),
}


def register_action_labels(labels: dict) -> None:
    ACTION_LABELS.update(labels)


# Field names as shown in the activity log.
FIELD_LABELS = {
    "name": _("name"),
    "rna": _("RNA number"),
    "siren": _("SIREN number"),
    "siret": _("SIRET number"),
    "alsace_moselle": _("Alsace-Moselle"),
    "objet": _("purpose"),
    "address_line1": _("address"),
    "address_line2": _("address (continued)"),
    "postcode": _("postcode"),
    "city": _("town"),
    "country": _("country"),
    "email": _("e-mail"),
    "phone": _("phone"),
    "website": _("website"),
    "logo": _("logo"),
    "person_retention_months": _("retention of contacts"),
    "role": _("role"),
    "capabilities": _("rights"),
    "first_name": _("first name"),
    "last_name": _("last name"),
    "birth_date": _("date of birth"),
    "notes": _("notes"),
    "tags": _("tags"),
    "user": _("account"),
}


def dashboard_stats(association: Association, capabilities=None) -> list[dict]:
    return dashboard.figures_for(association, capabilities or frozenset())


def getting_started_steps(association: Association, seat) -> list[dict]:
    return dashboard.steps_for(association, seat.capabilities)


def role_member_counts(association: Association) -> dict[int, int]:
    return dict(
        RoleAssignment.objects.filter(association=association)
        .values("role_id")
        .annotate(n=Count("id"))
        .values_list("role_id", "n")
    )


def audit_search(*, association: Association, action: str = "", query: str = "") -> QuerySet:
    qs = AuditLog.objects.filter(association=association).select_related("actor")
    if action:
        qs = qs.filter(action=action)
    for term in query.split()[:4]:
        qs = qs.filter(Q(object_repr__icontains=term) | Q(actor_label__icontains=term))
    return qs.order_by("-created_at", "-id")


def audit_actions(association: Association) -> list[tuple[str, str]]:
    present = (
        AuditLog.objects.filter(association=association)
        .order_by()
        .values_list("action", flat=True)
        .distinct()
    )
    return sorted(((a, str(ACTION_LABELS.get(a, a))) for a in present), key=lambda x: x[1])
