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
