"""Personal data held by members: memberships, households, dues payments."""

import datetime as dt

from django.db.models import Max, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from essaim.core.models import Association, RoleAssignment
from essaim.core.privacy import PrivacyEntry, registry
from essaim.people.models import Person
from essaim.people.services import person_erase

from .models import Membership, MembershipSettings


def _export(person) -> list[dict]:
    return [
        {
            "type": m.membership_type.name,
            "start": m.period_start.isoformat(),
            "end": m.period_end.isoformat() if m.period_end else "",
            "rate": m.rate,
            "dues_cents": m.amount_due_cents,
            "paid_on": m.paid_on.isoformat() if m.paid_on else "",
            "payment_method": m.payment.method if m.payment else "",
            "resigned_at": m.resigned_at.isoformat() if m.resigned_at else "",
            "excluded_at": m.excluded_at.isoformat() if m.excluded_at else "",
            "household": m.household.name if m.household else "",
        }
        for m in Membership.objects.filter(person=person).select_related(
            "membership_type", "payment", "household"
        )
    ]


def _erase(person) -> None:
    # Dues are accounting records (kept 10 years, Code de commerce L123-22): the memberships
    # and payments stay, attached to the anonymised contact; what identifies or describes
    # the person goes.
    Membership.objects.filter(person=person).update(reduced_proof="", exclusion_reason="")


def _retention(now) -> int:
    """Anonymise former members `retention_months` after they left, if nothing else
    happened since (no new membership, no other activity)."""
    erased = 0
    today = now.date()
    for association in Association.objects.all().iterator():
        settings = MembershipSettings.objects.filter(association=association).first()
        months = settings.retention_months if settings else 12
        cutoff = today - dt.timedelta(days=30 * months)
        left = (
            Membership.objects.filter(association=association)
            .values("person_id")
            .annotate(
                last_day=Max(
                    Coalesce(
                        TruncDate("excluded_at"),
                        TruncDate("resigned_at"),
                        "grace_until",
                        "period_end",
                    )
                ),
            )
        )
        lifetime = Membership.objects.filter(
            association=association,
            period_end__isnull=True,
            resigned_at__isnull=True,
            excluded_at__isnull=True,
        ).values("person_id")
        team = RoleAssignment.objects.filter(association=association).values("user_id")
        candidates = (
            Person.objects.filter(
                association=association,
                erased_at__isnull=True,
                last_activity_at__date__lt=cutoff,
                pk__in=left.filter(last_day__lt=cutoff).values("person_id"),
            )
            .exclude(pk__in=lifetime)
            .exclude(Q(user_id__in=team))
        )
        for person in candidates.iterator():
            person_erase(
                association=association,
                acting_user=None,
                person=person,
                reason="retention:members",
            )
            erased += 1
    return erased


def _current_members(association):
    """Members whose membership has not ended are not "inactive contacts", whatever their
    last activity: a lifetime member who never logs in stays."""
    today = timezone.localdate()
    return (
        Membership.objects.filter(association=association, excluded_at__isnull=True)
        .filter(resigned_at__isnull=True)
        .filter(Q(period_end__isnull=True) | Q(grace_until__gte=today))
        .values("person_id")
    )


registry.register_retention_hold(_current_members)

registry.register(
    PrivacyEntry(
        key="memberships",
        label=_("Memberships and dues"),
        data=_("Membership periods, type and rate, proof of a reduced rate, dues and payments."),
        purpose=_("Managing members, their dues and their voting rights."),
        legal_basis=_("Membership contract (statutes); legal obligation for accounting records."),
        retention=_(
            "While you are a member, then as long as the association has set (12 months by "
            "default) before anonymisation; amounts and dates of dues stay 10 years as "
            "accounting records, without your identity."
        ),
        models=("members.Membership", "members.Household", "members.DuesPayment"),
        export_person=_export,
        erase_person=_erase,
        apply_retention=_retention,
        order=500,
    )
)


# --- Imports of spreadsheets ---------------------------------------------------------------


def _imports_export_user(user) -> list[dict]:
    from .models import ImportJob

    with scopes_disabled():
        jobs = ImportJob.objects.filter(created_by=user).select_related("association")
        return [
            {
                "association": job.association.name,
                "file": job.original_name,
                "date": job.created_at.isoformat(),
                "status": job.status,
                "counts": job.counts,
            }
            for job in jobs
        ]


def _imports_erase_person(person) -> None:
    """The person's name and messages leave the row results of recent imports (the uploaded
    file itself is deleted with them, 30 days after the import)."""
    from .importing import engine
    from .models import ImportChunk

    chunks = ImportChunk.objects.filter(
        association_id=person.association_id, job__purged_at__isnull=True
    )
    for chunk in chunks.only("pk", "results"):
        results = engine.decode_results_blob(chunk.results)
        touched = False
        for result in results:
            if result[4] == person.pk:
                result[2], result[3], touched = str(_("Anonymised contact")), [], True
        if touched:
            ImportChunk.objects.filter(pk=chunk.pk).update(results=engine.pack(results))


def _imports_retention(now) -> int:
    from .importing.services import import_jobs_purge

    return import_jobs_purge(now)


registry.register(
    PrivacyEntry(
        key="member_imports",
        label=_("Imports of member lists"),
        data=_(
            "The spreadsheet uploaded by the team (every column of it), the result of each "
            "of its rows, who imported it and when."
        ),
        purpose=_("Bringing an association's existing member list into Essaim, with a report."),
        legal_basis=_("Legitimate interest of the association (keeping its member list)."),
        retention=_(
            "The file and the result of each row are deleted 30 days after the import (or "
            "after the upload, when the import is not carried out); the counts stay."
        ),
        models=("members.ImportJob", "members.ImportChunk"),
        export_user=_imports_export_user,
        erase_person=_imports_erase_person,
        apply_retention=_imports_retention,
        order=510,
    )
)
