"""Personal data held by core: team seats, invitations, the activity log, the outbox."""

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from .models import AuditLog, Invitation, OutboxEmail, RoleAssignment
from .privacy import PrivacyEntry, registry


def _team_export_user(user) -> list[dict]:
    with scopes_disabled():
        seats = RoleAssignment.objects.filter(user=user).select_related("association", "role")
        return [
            {
                "association": seat.association.name,
                "role": seat.role.name,
                "capabilities": sorted(seat.role.capabilities),
                "since": seat.created_at.isoformat(),
            }
            for seat in seats
        ]


def _invitations_retention(now) -> int:
    # An invitation names an e-mail address: once it can no longer be used (expired,
    # withdrawn or accepted 30 days ago), it has no purpose left.
    cutoff = now - timedelta(days=30)
    deleted, _rows = Invitation.objects.filter(expires_at__lt=cutoff).delete()
    return deleted


registry.register(
    PrivacyEntry(
        key="team",
        label=_("Team and invitations"),
        data=_("Your seats in associations' teams, invitations sent to your e-mail address."),
        purpose=_("Giving team members the rights their role needs."),
        legal_basis=_("Legitimate interest of the association (running its organisation)."),
        retention=_("While you hold the role; invitations 30 days after they end."),
        models=("core.RoleAssignment", "core.Invitation"),
        export_user=_team_export_user,
        apply_retention=_invitations_retention,
        order=50,
    )
)


def _audit_export_user(user) -> list[dict]:
    with scopes_disabled():
        rows = AuditLog.objects.filter(actor=user).select_related("association")[:5000]
        return [
            {
                "date": row.created_at.isoformat(),
                "association": row.association.name if row.association else "",
                "action": row.action,
                "object": row.object_repr,
            }
            for row in rows
        ]


def _audit_erase_person(person) -> None:
    # The log keeps *that* something happened to the contact, not who they were: names and
    # before/after values are replaced.
    for row in AuditLog.objects.filter(
        association_id=person.association_id, object_type="person", object_id=str(person.uuid)
    ):
        row.object_repr = str(_("Anonymised contact"))
        row.changes = dict.fromkeys(row.changes, True)
        row.data = {k: v for k, v in row.data.items() if k in {"source", "count"}}
        row.save(update_fields=["object_repr", "changes", "data"])


def _audit_retention(now) -> int:
    cutoff = now - timedelta(days=settings.ESSAIM_AUDIT_RETENTION_DAYS)
    deleted, _rows = AuditLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted


registry.register(
    PrivacyEntry(
        key="audit",
        label=_("Activity log"),
        data=_("Who did what and when in the association's space, with changed values."),
        purpose=_("Security and accountability of the team's actions."),
        legal_basis=_("Legitimate interest (security of processing, RGPD art. 32)."),
        retention=_("One year."),
        models=("core.AuditLog",),
        export_user=_audit_export_user,
        erase_person=_audit_erase_person,
        apply_retention=_audit_retention,
        order=60,
    )
)


def _outbox_export_user(user) -> list[dict]:
    return [
        {
            "date": email.created_at.isoformat(),
            "subject": email.subject,
            "status": email.status,
        }
        for email in OutboxEmail.objects.filter(to__iexact=user.email)[:5000]
    ]


def _outbox_erase_person(person) -> None:
    if person.email:
        OutboxEmail.objects.filter(
            association_id=person.association_id, to__iexact=person.email
        ).delete()


def _outbox_retention(now) -> int:
    cutoff = now - timedelta(days=settings.ESSAIM_OUTBOX_RETENTION_DAYS)
    deleted, _rows = OutboxEmail.objects.filter(
        created_at__lt=cutoff, status__in=[OutboxEmail.Status.SENT, OutboxEmail.Status.FAILED]
    ).delete()
    return deleted


registry.register(
    PrivacyEntry(
        key="outbox",
        label=_("E-mails sent"),
        data=_("E-mails sent to you: address, subject, content, delivery status."),
        purpose=_("Delivering e-mails and proving they were sent."),
        legal_basis=_("Performance of the service you asked for; legitimate interest."),
        retention=_("90 days after sending."),
        models=("core.OutboxEmail",),
        export_user=_outbox_export_user,
        erase_person=_outbox_erase_person,
        apply_retention=_outbox_retention,
        order=70,
    )
)
