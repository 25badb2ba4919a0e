"""Personal data held by volunteering.

The volunteer profile belongs to the citizen's account (deleted with it, editable and
erasable from the volunteer space). An association sees it only through an application,
which records the consent and a copy of what was shared; an application closed (refused,
withdrawn, or the mission closed) for APPLICATION_RETENTION is anonymised: the name, e-mail,
answers, message and shared profile go, the status and dates stay for the counts.
"""

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from essaim.core.privacy import PrivacyEntry, registry

from .models import Application, ApplicationMessage, Mission, VolunteerProfile

APPLICATION_RETENTION = dt.timedelta(days=2 * 365)


def _profile_export_user(user) -> list[dict]:
    profile = VolunteerProfile.objects.filter(user=user).first()
    if profile is None:
        return []
    return [
        {
            "skills": profile.skills,
            "causes": profile.causes,
            "availability": profile.availability,
            "postcode": profile.postcode,
            "commune": profile.commune,
            "radius_km": profile.radius_km,
            "remote_ok": profile.remote_ok,
            "languages": profile.languages,
            "about": profile.about,
            "updated_at": profile.updated_at.isoformat(),
        }
    ]


registry.register(
    PrivacyEntry(
        key="volunteer_profile",
        label=_("Volunteer profile"),
        data=_(
            "Your skills, causes, weekly availability, postcode and commune, travel radius, "
            "whether you welcome remote missions, languages and a few words about you."
        ),
        purpose=_("Suggesting missions that fit you and applying to them in one click."),
        legal_basis=_("Consent (you fill it in and can empty it at any time)."),
        retention=_("As long as your account; it goes when you delete your account."),
        models=("volunteering.VolunteerProfile",),
        export_user=_profile_export_user,
        order=500,
    )
)


def _applications_export_user(user) -> list[dict]:
    with scopes_disabled():
        rows = []
        for application in Application.objects.filter(user=user).select_related(
            "association", "mission"
        ):
            rows.append(
                {
                    "association": application.association.name,
                    "mission": application.mission.title,
                    "status": application.status,
                    "answers": application.answers,
                    "message": application.motivation,
                    "shared_profile": application.shared_profile,
                    "consent_at": application.consent_at.isoformat()
                    if application.consent_at
                    else "",
                    "source": application.source,
                    "created_at": application.created_at.isoformat(),
                    "messages": [
                        {
                            "from_team": message.from_team,
                            "body": message.body,
                            "at": message.created_at.isoformat(),
                        }
                        for message in application.messages.all()
                    ],
                }
            )
        return rows


def _applications_retention(now) -> int:
    cutoff = now - APPLICATION_RETENTION
    with scopes_disabled():
        old = Application.objects.filter(
            Q(status__in=("refused", "withdrawn")) | Q(mission__status=Mission.Status.CLOSED),
            updated_at__lt=cutoff,
        ).exclude(name="", email="", user__isnull=True)
        ids = list(old.values_list("pk", flat=True)[:10_000])
        ApplicationMessage.objects.filter(application_id__in=ids).delete()
        return Application.objects.filter(pk__in=ids).update(
            user=None,
            name="",
            email="",
            answers=[],
            motivation="",
            shared_profile={},
            updated_at=now,
        )


registry.register(
    PrivacyEntry(
        key="volunteer_applications",
        label=_("Applications to volunteer missions"),
        data=_(
            "Your applications: the mission, your answers to its questions, your message, the "
            "volunteer profile you agreed to share and when, the link you came by, the messages "
            "between you and the coordinators, and where each application stands."
        ),
        purpose=_("Letting the association answer you and organise its volunteers."),
        legal_basis=_("Consent given when applying; then the volunteering agreement."),
        retention=_(
            "Two years after the application is closed (refused, withdrawn, or the mission "
            "closed); then only the status and dates stay, without your name."
        ),
        models=("volunteering.Application", "volunteering.ApplicationMessage"),
        export_user=_applications_export_user,
        apply_retention=_applications_retention,
        order=501,
    )
)


def _missions_export_user(user) -> list[dict]:
    with scopes_disabled():
        return [
            {
                "association": mission.association.name,
                "mission": mission.title,
                "contact_name": mission.contact_name,
                "contact_email": mission.contact_email,
                "created_at": mission.created_at.isoformat(),
            }
            for mission in Mission.objects.filter(created_by=user).select_related("association")
        ]


registry.register(
    PrivacyEntry(
        key="volunteer_missions",
        label=_("Volunteer missions"),
        data=_("Which team member created each mission; the contact person named on it."),
        purpose=_("Knowing who answers for a mission; telling volunteers whom to ask."),
        legal_basis=_("Legitimate interest of the association (running its organisation)."),
        retention=_("As long as the mission; the link to the account goes with the account."),
        models=("volunteering.Mission",),
        export_user=_missions_export_user,
        order=502,
    )
)


# --- Shifts and hours ------------------------------------------------------------------------

SIGNUP_RETENTION = dt.timedelta(days=2 * 365)
# Hours feed the yearly statement for the Compte d'Engagement Citoyen and the attestations,
# and the accounts (contributions in kind) kept with the annual accounts: six years.
HOURS_RETENTION_YEARS = 6


def _signup_row(signup) -> dict:
    return {
        "association": signup.association.name,
        "mission": signup.shift.mission.title,
        "starts_at": signup.shift.starts_at.isoformat(),
        "ends_at": signup.shift.ends_at.isoformat(),
        "status": signup.status,
        "added_by_team": signup.added_by_id is not None,
        "created_at": signup.created_at.isoformat(),
        "cancelled_at": signup.cancelled_at.isoformat() if signup.cancelled_at else "",
        "reminded_at": signup.reminded_at.isoformat() if signup.reminded_at else "",
    }


def _signups_export_user(user) -> list[dict]:
    from .models import ShiftSignup

    with scopes_disabled():
        return [
            _signup_row(s)
            for s in ShiftSignup.objects.filter(user=user).select_related(
                "association", "shift__mission"
            )
        ]


def _signups_export_person(person) -> list[dict]:
    from .models import ShiftSignup

    return [
        _signup_row(s)
        for s in ShiftSignup.objects.filter(
            association_id=person.association_id, person=person
        ).select_related("association", "shift__mission")
    ]


def _signups_erase_person(person) -> None:
    from .models import ShiftSignup

    ShiftSignup.objects.filter(association_id=person.association_id, person=person).update(
        person=None, name=""
    )


def _signups_retention(now) -> int:
    from .models import ShiftSignup

    cutoff = now - SIGNUP_RETENTION
    with scopes_disabled():
        old = ShiftSignup.objects.filter(shift__ends_at__lt=cutoff).exclude(
            name="", user__isnull=True, person__isnull=True
        )
        ids = list(old.values_list("pk", flat=True)[:10_000])
        return ShiftSignup.objects.filter(pk__in=ids).update(user=None, person=None, name="")


registry.register(
    PrivacyEntry(
        key="volunteer_shift_signups",
        label=_("Sign-ups for volunteer shifts"),
        data=_(
            "The shifts you signed up for or the team added you to, when you cancelled, "
            "whether you came, and when the reminder was sent."
        ),
        purpose=_("Organising the shifts: places, reminders, attendance, your calendar."),
        legal_basis=_("The volunteering agreement between you and the association."),
        retention=_("Two years after the shift; then only the counts stay, without your name."),
        models=("volunteering.Shift", "volunteering.ShiftSignup"),
        export_user=_signups_export_user,
        export_person=_signups_export_person,
        erase_person=_signups_erase_person,
        apply_retention=_signups_retention,
        order=503,
    )
)


def _hours_row(entry) -> dict:
    return {
        "association": entry.association.name,
        "mission": entry.mission.title if entry.mission else "",
        "date": entry.worked_on.isoformat(),
        "minutes": entry.minutes,
        "activity": entry.activity,
        "source": entry.source,
        "status": entry.status,
        "refusal_reason": entry.refusal_reason,
        "decided_at": entry.decided_at.isoformat() if entry.decided_at else "",
    }


def _hours_export_user(user) -> list[dict]:
    from .models import HoursEntry

    with scopes_disabled():
        return [
            _hours_row(e)
            for e in HoursEntry.objects.filter(user=user).select_related("association", "mission")
        ]


def _hours_export_person(person) -> list[dict]:
    from .models import HoursEntry

    return [
        _hours_row(e)
        for e in HoursEntry.objects.filter(
            association_id=person.association_id, person=person
        ).select_related("association", "mission")
    ]


def _hours_erase_person(person) -> None:
    from .models import HoursEntry

    HoursEntry.objects.filter(association_id=person.association_id, person=person).update(
        person=None, name="", activity="", refusal_reason=""
    )


def _hours_retention(now) -> int:
    from .models import HoursEntry

    cutoff = dt.date(now.year - HOURS_RETENTION_YEARS, 1, 1)
    with scopes_disabled():
        old = HoursEntry.objects.filter(worked_on__lt=cutoff).exclude(
            name="", user__isnull=True, person__isnull=True
        )
        ids = list(old.values_list("pk", flat=True)[:10_000])
        return HoursEntry.objects.filter(pk__in=ids).update(
            user=None, person=None, name="", activity="", refusal_reason="", updated_at=now
        )


registry.register(
    PrivacyEntry(
        key="volunteer_hours",
        label=_("Volunteer hours"),
        data=_(
            "The hours you gave: date, duration, mission, what you did, whether they come from "
            "a shift or your declaration, and the coordinator's decision."
        ),
        purpose=_(
            "Approving and totalling volunteer hours: attestations, the yearly statement for "
            "the Compte d'Engagement Citoyen, the valuation of volunteering in the accounts."
        ),
        legal_basis=_(
            "The volunteering agreement; the association's legitimate interest for its accounts."
        ),
        retention=_(
            "Six full years after the year worked; then only the durations stay, without your name."
        ),
        models=("volunteering.HoursEntry", "volunteering.VolunteeringSettings"),
        export_user=_hours_export_user,
        export_person=_hours_export_person,
        erase_person=_hours_erase_person,
        apply_retention=_hours_retention,
        order=504,
    )
)


def _recognition_export_user(user) -> list[dict]:
    from essaim.core.models import AuditLog

    with scopes_disabled():
        return [
            {
                "document": entry.action.split(".")[0],
                "association": entry.association.name if entry.association else "",
                "at": entry.created_at.isoformat(),
                "year": (entry.data or {}).get("year"),
                "minutes": (entry.data or {}).get("minutes"),
                "code": (entry.data or {}).get("code", ""),
            }
            for entry in AuditLog.objects.filter(
                actor=user,
                action__in=(
                    "volunteer_attestation.issue",
                    "volunteer_statement.issue",
                    "volunteer_passport.issue",
                ),
            ).select_related("association")
        ]


registry.register(
    PrivacyEntry(
        key="volunteer_recognition",
        label=_("Volunteer attestations, hours statements and passport"),
        data=_(
            "The documents are drawn when asked for, from your approved hours, your missions and "
            "your profile's skills, and are not kept. The activity log keeps who issued which "
            "document and when, with the total of hours and the attestation's verification code. "
            "The views of a mission's page are counted per day and link, without knowing who "
            "viewed it."
        ),
        purpose=_(
            "Recognising volunteering (attestation, Compte d'Engagement Citoyen, skills); "
            "checking that an attestation is genuine; knowing which missions and links bring "
            "volunteers."
        ),
        legal_basis=_(
            "Your request (your own documents); the association's legitimate interest "
            "(attestations it issues, counts of views)."
        ),
        retention=_(
            "Documents: not kept. Activity log: as long as the association's activity log. "
            "Counts of views: as long as the mission."
        ),
        models=("volunteering.MissionView",),
        export_user=_recognition_export_user,
        order=505,
    )
)
