"""Writes of volunteering: the volunteer's profile, missions, applications and messages.

Places: an application submitted, in review or accepted holds one of the mission's places;
taking one is a single conditional UPDATE (`places_taken < places`) and a database CHECK
refuses more, so of two volunteers racing for the last place exactly one gets it and the
other joins the waiting list. A place freed (refused, withdrawn) goes to the first person
waiting, who is told by e-mail.
"""

import datetime as dt
import statistics

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log, diff, snapshot
from essaim.core.emails import email_enqueue
from essaim.core.models import Association, RoleAssignment
from essaim.lib.text import fold, has_forbidden_characters

from . import places
from .models import (
    Application,
    ApplicationMessage,
    AssociationSkill,
    Mission,
    Responsiveness,
    VolunteerProfile,
)
from .reference import CAUSE_CODES, FULL_WEEK, LANGUAGE_CODES, all_skill_labels

MAX_RADIUS_KM = 200
MAX_PLACES = 10_000
MAX_QUESTIONS = 10
MAX_SOURCE = 40
REMINDER_DAYS = getattr(settings, "ESSAIM_VOLUNTEER_REMINDER_DAYS", 3)


def _absolute(path: str) -> str:
    return settings.ESSAIM_BASE_URL + path


def _clean_text(value, *, field: str, errors: dict, max_length: int, required=False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Give a text.")
        return ""
    if has_forbidden_characters(value):
        errors[field] = _("This text contains characters that are not allowed.")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > max_length:
        errors[field] = _("This text is too long (%(max)s characters at most).") % {
            "max": max_length
        }
    return value


def _codes(value, allowed, *, field: str, errors: dict) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errors[field] = _("Give a list.")
        return []
    unknown = [v for v in value if v not in allowed]
    if unknown:
        errors[field] = _("Unknown value: %(value)s.") % {"value": str(unknown[0])[:40]}
        return []
    return list(dict.fromkeys(value))


def _mask(value, *, field: str, errors: dict) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= FULL_WEEK:
        errors[field] = _("Give the days and times of the week.")
        return 0
    return value


# --- Profile ------------------------------------------------------------------------------


def profile_of(user) -> VolunteerProfile | None:
    return VolunteerProfile.objects.filter(user=user).first()


@transaction.atomic
def profile_update(
    *,
    user,
    skills=(),
    causes=(),
    availability: int = 0,
    postcode: str = "",
    insee: str = "",
    radius_km: int = 10,
    remote_ok: bool = False,
    languages=(),
    about: str = "",
) -> VolunteerProfile:
    errors: dict[str, str] = {}
    profile = VolunteerProfile.objects.select_for_update().filter(user=user).first()
    profile = profile or VolunteerProfile(user=user)
    profile.skills = _codes(list(skills), all_skill_labels(), field="skills", errors=errors)
    profile.causes = _codes(list(causes), CAUSE_CODES, field="causes", errors=errors)
    profile.languages = _codes(list(languages), LANGUAGE_CODES, field="languages", errors=errors)
    profile.availability = _mask(availability, field="availability", errors=errors)
    profile.about = _clean_text(about, field="about", errors=errors, max_length=2000)
    if isinstance(radius_km, bool) or not isinstance(radius_km, int):
        errors["radius_km"] = _("Give a distance in kilometres.")
    elif not 0 <= radius_km <= MAX_RADIUS_KM:
        errors["radius_km"] = _("Give a distance between 0 and %(max)s km.") % {
            "max": MAX_RADIUS_KM
        }
    else:
        profile.radius_km = radius_km
    profile.remote_ok = bool(remote_ok)
    code = places.normalise_postcode(postcode)
    if code:
        try:
            commune = places.locate(code, insee or "")
        except ValidationError as error:
            errors["postcode"] = error.messages[0]
        else:
            profile.postcode, profile.insee, profile.commune = code, commune.insee, commune.name
            profile.lat, profile.lon = commune.lat, commune.lon
    else:
        profile.postcode = profile.insee = profile.commune = ""
        profile.lat = profile.lon = None
    if errors:
        raise ValidationError(errors)
    profile.save()
    return profile


def profile_share(profile: VolunteerProfile | None, user) -> dict:
    """What an application shows the association, with the volunteer's consent."""
    data = {
        "name": user.get_full_name() if hasattr(user, "get_full_name") else "",
        "email": user.email,
    }
    if profile is not None:
        data.update(
            skills=profile.skills,
            causes=profile.causes,
            availability=profile.availability,
            commune=profile.commune,
            postcode=profile.postcode,
            languages=profile.languages,
            about=profile.about,
        )
    return data


# --- Skills of an association -------------------------------------------------------------


@transaction.atomic
def skill_add(*, association: Association, acting_user, label: str) -> AssociationSkill:
    errors: dict[str, str] = {}
    label = _clean_text(label, field="label", errors=errors, max_length=80, required=True)
    code = slugify(label)[:50]
    if not errors and not code:
        errors["label"] = _("Give the skill a name with letters.")
    if not errors and code in all_skill_labels():
        errors["label"] = _("This skill is already in the list.")
    if errors:
        raise ValidationError(errors)
    skill = AssociationSkill.objects.create(
        association=association, code=f"{code}-{association.pk}", label=label
    )
    audit_log(
        association=association, actor=acting_user, action="volunteer_skill.create", obj=skill
    )
    return skill


# --- Missions -----------------------------------------------------------------------------

MISSION_FIELDS = (
    "title",
    "description",
    "cause",
    "skills",
    "remote",
    "address",
    "postcode",
    "insee",
    "kind",
    "starts_on",
    "ends_on",
    "time_commitment",
    "availability",
    "places",
    "min_age",
    "documents",
    "questions",
    "contact_name",
    "contact_email",
)


def _validate_mission(association: Association, mission: Mission) -> None:
    errors: dict[str, str] = {}
    mission.title = " ".join(
        _clean_text(
            mission.title, field="title", errors=errors, max_length=150, required=True
        ).split()
    )
    mission.description = _clean_text(
        mission.description, field="description", errors=errors, max_length=10_000, required=True
    )
    for name, size in (
        ("address", 200),
        ("time_commitment", 150),
        ("documents", 300),
        ("contact_name", 150),
        ("contact_email", 254),
    ):
        setattr(
            mission,
            name,
            _clean_text(getattr(mission, name), field=name, errors=errors, max_length=size),
        )
    if mission.contact_email and "contact_email" not in errors:
        try:
            validate_email(mission.contact_email)
        except ValidationError:
            errors["contact_email"] = _("Enter a valid e-mail address.")
    if mission.cause not in CAUSE_CODES:
        errors["cause"] = _("Choose the cause of the mission.")
    known = all_skill_labels()
    mission.skills = _codes(mission.skills, known, field="skills", errors=errors)
    if mission.kind not in Mission.Kind.values:
        errors["kind"] = _("Choose one-off or recurring.")
    mission.availability = _mask(mission.availability, field="availability", errors=errors)
    for name in ("starts_on", "ends_on"):
        value = getattr(mission, name)
        if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
            errors[name] = _("Give a date.")
    if (
        "starts_on" not in errors
        and "ends_on" not in errors
        and mission.starts_on
        and mission.ends_on
        and mission.ends_on < mission.starts_on
    ):
        errors["ends_on"] = _("The end must not come before the start.")
    if isinstance(mission.places, bool) or not isinstance(mission.places, int):
        errors["places"] = _("Give a number of places.")
    elif mission.places < 1:
        errors["places"] = _("A mission needs at least one place.")
    elif mission.places > MAX_PLACES:
        errors["places"] = _("%(max)s places at most.") % {"max": MAX_PLACES}
    elif mission.pk and mission.places < mission.places_taken:
        errors["places"] = _(
            "%(taken)s places are already taken: refuse applications before reducing the places."
        ) % {"taken": mission.places_taken}
    if mission.min_age is not None and (
        isinstance(mission.min_age, bool)
        or not isinstance(mission.min_age, int)
        or not 0 <= mission.min_age <= 99
    ):
        errors["min_age"] = _("Give an age between 0 and 99.")
    questions = mission.questions or []
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        errors["questions"] = _("Give the questions as a list of texts.")
    elif any(has_forbidden_characters(q) for q in questions):
        errors["questions"] = _("This text contains characters that are not allowed.")
    else:
        questions = [" ".join(q.split())[:300] for q in questions if q.strip()]
        if len(questions) > MAX_QUESTIONS:
            errors["questions"] = _("%(max)s questions at most.") % {"max": MAX_QUESTIONS}
        mission.questions = questions
    code = places.normalise_postcode(mission.postcode)
    if code:
        try:
            commune = places.locate(code, mission.insee or "")
        except ValidationError as error:
            errors["postcode"] = error.messages[0]
        else:
            mission.postcode, mission.insee, mission.commune = code, commune.insee, commune.name
            mission.lat, mission.lon = commune.lat, commune.lon
    else:
        mission.postcode = mission.insee = mission.commune = ""
        mission.lat = mission.lon = None
        if not mission.remote:
            errors["postcode"] = _(
                "Give the postcode where the mission takes place, or make it remote."
            )
    if errors:
        raise ValidationError(errors)
    mission.search_text = search_text(mission, association)
    mission.skill_list = " ".join(mission.skills)


def search_text(mission: Mission, association: Association) -> str:
    """Folded words of the mission for the catalogue's accent-insensitive search."""
    return fold(" ".join((mission.title, mission.description, mission.commune, association.name)))


@transaction.atomic
def mission_create(*, association: Association, acting_user, **fields) -> Mission:
    unknown = set(fields) - set(MISSION_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    mission = Mission(association=association, created_by=acting_user, **fields)
    _validate_mission(association, mission)
    mission.save()
    audit_log(association=association, actor=acting_user, action="mission.create", obj=mission)
    return mission


@transaction.atomic
def mission_update(*, association: Association, acting_user, mission: Mission, **fields) -> Mission:
    mission = Mission.objects.select_for_update().get(pk=mission.pk, association=association)
    before = snapshot(mission, MISSION_FIELDS)
    for name, value in fields.items():
        if name not in MISSION_FIELDS:
            raise TypeError(f"unknown field {name}")
        setattr(mission, name, value)
    _validate_mission(association, mission)
    mission.save()
    changes = diff(before, snapshot(mission, MISSION_FIELDS))
    if changes:
        audit_log(
            association=association,
            actor=acting_user,
            action="mission.update",
            obj=mission,
            changes=changes,
        )
    _sync_full(mission.pk)
    _promote(association, mission.pk)
    mission.refresh_from_db()
    return mission


MISSION_ACTIONS = {
    "publish": (("draft", "closed"), "published"),
    "close": (("draft", "published", "full"), "closed"),
}


@transaction.atomic
def mission_set_status(
    *, association: Association, acting_user, mission: Mission, action: str
) -> Mission:
    if action not in MISSION_ACTIONS:
        raise ValidationError(_("Unknown action."))
    mission = Mission.objects.select_for_update().get(pk=mission.pk, association=association)
    allowed, target = MISSION_ACTIONS[action]
    if mission.status not in allowed:
        raise ValidationError(_("This mission cannot be changed this way now."))
    mission.status = target
    if target == Mission.Status.PUBLISHED and mission.published_at is None:
        mission.published_at = timezone.now()
    mission.save(update_fields=["status", "published_at", "updated_at"])
    audit_log(association=association, actor=acting_user, action=f"mission.{action}", obj=mission)
    if target == Mission.Status.PUBLISHED:
        _sync_full(mission.pk)
        _promote(association, mission.pk)
        mission.refresh_from_db()
    return mission


def _sync_full(mission_id: int) -> None:
    """published ↔ full as places are taken and freed."""
    Mission.objects.filter(
        pk=mission_id, status=Mission.Status.PUBLISHED, places_taken__gte=F("places")
    ).update(status=Mission.Status.FULL)
    Mission.objects.filter(
        pk=mission_id, status=Mission.Status.FULL, places_taken__lt=F("places")
    ).update(status=Mission.Status.PUBLISHED)


def _take_place(mission_id: int) -> bool:
    """One conditional UPDATE: true for exactly as many callers as there are places left."""
    try:
        with transaction.atomic():
            taken = Mission.objects.filter(
                pk=mission_id,
                status=Mission.Status.PUBLISHED,
                places_taken__lt=F("places"),
            ).update(places_taken=F("places_taken") + 1)
    except IntegrityError:  # the CHECK constraint: another transaction took it first
        return False
    if taken:
        _sync_full(mission_id)
    return bool(taken)


def _free_place(association, mission_id: int) -> None:
    Mission.objects.filter(pk=mission_id, places_taken__gt=0).update(
        places_taken=F("places_taken") - 1
    )
    _sync_full(mission_id)
    _promote(association, mission_id)


def _promote(association, mission_id: int) -> None:
    """Give the places left to the people waiting, first come first served."""
    waiting = (
        Application.objects.select_for_update()
        .filter(association=association, mission_id=mission_id, status=Application.Status.WAITING)
        .order_by("created_at", "id")
    )
    for application in waiting:
        if not _take_place(mission_id):
            return
        application.status = Application.Status.SUBMITTED
        application.save(update_fields=["status", "updated_at"])
        audit_log(
            association=association, actor=None, action="application.promote", obj=application
        )
        _notify_applicant(application, "promoted")


# --- Applications -------------------------------------------------------------------------


def _coordinators(association) -> list[str]:
    emails = list(
        RoleAssignment.objects.filter(
            association=association, role__can_manage_volunteers=True
        ).values_list("user__email", flat=True)
    )
    return sorted({e for e in emails if e})


def _team_url(application: Application) -> str:
    return _absolute(
        reverse(
            "volunteering:application_detail",
            kwargs={
                "association_slug": application.association.slug,
                "application_uuid": application.uuid,
            },
        )
    )


def _space_url(application: Application) -> str:
    return _absolute(
        reverse("volunteering_public:application", kwargs={"application_uuid": application.uuid})
    )


def _notify_applicant(application: Application, event: str) -> None:
    if not application.email:
        return
    email_enqueue(
        to=application.email,
        template="volunteer_status",
        association=application.association,
        context={
            "event": event,
            "name": application.name,
            "mission_title": application.mission.title,
            "space_url": _space_url(application),
        },
    )


def _notify_team(application: Application, template: str, extra: dict | None = None) -> None:
    recipients = set(_coordinators(application.association))
    if application.mission.contact_email:
        recipients.add(application.mission.contact_email)
    for to in sorted(recipients):
        email_enqueue(
            to=to,
            template=template,
            association=application.association,
            context={
                "name": application.name,
                "mission_title": application.mission.title,
                "team_url": _team_url(application),
                **(extra or {}),
            },
        )


@transaction.atomic
def application_submit(
    *,
    mission: Mission,
    user,
    answers=(),
    motivation: str = "",
    consent: bool = False,
    source: str = "",
) -> Application:
    """Apply to a published mission: a place if one is left, else the waiting list."""
    errors: dict[str, str] = {}
    association = mission.association
    mission = Mission.objects.get(pk=mission.pk)
    if mission.status not in (Mission.Status.PUBLISHED, Mission.Status.FULL):
        raise ValidationError(_("This mission does not take applications."))
    if not consent:
        errors["consent"] = _(
            "Tick the box to share your volunteer profile with the association: "
            "it needs it to answer you."
        )
    answers = list(answers or [])
    if len(answers) != len(mission.questions) or not all(isinstance(a, str) for a in answers):
        errors["answers"] = _("Answer each question of the mission.")
    else:
        cleaned = []
        for index, answer in enumerate(answers):
            text = _clean_text(
                answer, field=f"answer_{index}", errors=errors, max_length=2000, required=True
            )
            cleaned.append({"question": mission.questions[index], "answer": text})
        answers = cleaned
    motivation = _clean_text(motivation, field="motivation", errors=errors, max_length=3000)
    source = slugify(str(source or ""))[:MAX_SOURCE]
    if Application.objects.filter(mission=mission, user=user, status__in=Application.OPEN).exists():
        errors["__all__"] = _("You have already applied to this mission.")
    if errors:
        raise ValidationError(errors)
    profile = profile_of(user)
    held = _take_place(mission.pk)
    application = Application(
        association=association,
        mission=mission,
        user=user,
        status=Application.Status.SUBMITTED if held else Application.Status.WAITING,
        answers=answers,
        motivation=motivation,
        shared_profile=profile_share(profile, user),
        consent_at=timezone.now(),
        name=(user.get_full_name() or user.email)[:200],
        email=user.email,
        source=source,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as error:
        raise ValidationError(_("You have already applied to this mission.")) from error
    audit_log(association=association, actor=user, action="application.submit", obj=application)
    _notify_team(application, "volunteer_applied", {"waiting": not held})
    responsiveness_refresh(association)
    return application


TEAM_ACTIONS = {
    "review": (("submitted",), "in_review"),
    "accept": (("submitted", "in_review"), "accepted"),
    "refuse": (("submitted", "in_review", "waiting", "accepted"), "refused"),
}


@transaction.atomic
def application_decide(
    *, association: Association, acting_user, application: Application, action: str
) -> Application:
    if action not in TEAM_ACTIONS:
        raise ValidationError(_("Unknown action."))
    application = Application.objects.select_for_update().get(
        pk=application.pk, association=association
    )
    allowed, target = TEAM_ACTIONS[action]
    if application.status not in allowed:
        raise ValidationError(_("This application cannot be changed this way now."))
    held = application.status in Application.HOLDS_PLACE
    was_accepted = application.status == Application.Status.ACCEPTED
    now = timezone.now()
    application.status = target
    if application.answered_at is None:
        application.answered_at = now
    if target in ("accepted", "refused"):
        application.decided_at = now
    application.save(update_fields=["status", "answered_at", "decided_at", "updated_at"])
    audit_log(
        association=association, actor=acting_user, action=f"application.{action}", obj=application
    )
    if target in ("accepted", "refused"):
        _notify_applicant(application, target)
    if target == "refused" and held:
        _free_place(association, application.mission_id)
    if target == "refused" and was_accepted:
        from .shifts import signups_release

        signups_release(application=application, acting_user=acting_user, now=now)
    responsiveness_refresh(association)
    return application


@transaction.atomic
def application_withdraw(*, user, application: Application) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk, user=user)
    if application.status not in Application.OPEN:
        raise ValidationError(_("This application is already closed."))
    held = application.status in Application.HOLDS_PLACE
    was_accepted = application.status == Application.Status.ACCEPTED
    application.status = Application.Status.WITHDRAWN
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at", "updated_at"])
    audit_log(
        association=application.association,
        actor=user,
        action="application.withdraw",
        obj=application,
    )
    _notify_team(application, "volunteer_withdrawn")
    if held:
        _free_place(application.association, application.mission_id)
    if was_accepted:
        from .shifts import signups_release

        signups_release(application=application, acting_user=user)
    return application


@transaction.atomic
def message_post(
    *, application: Application, author, body: str, from_team: bool
) -> ApplicationMessage:
    errors: dict[str, str] = {}
    body = _clean_text(body, field="body", errors=errors, max_length=5000, required=True)
    if errors:
        raise ValidationError(errors)
    message = ApplicationMessage.objects.create(
        association=application.association,
        application=application,
        author=author,
        from_team=from_team,
        body=body,
    )
    if from_team:
        if application.answered_at is None:
            Application.objects.filter(pk=application.pk).update(answered_at=message.created_at)
            responsiveness_refresh(application.association)
        if application.email:
            email_enqueue(
                to=application.email,
                template="volunteer_message",
                association=application.association,
                context={
                    "mission_title": application.mission.title,
                    "body": body,
                    "url": _space_url(application),
                },
            )
    else:
        _notify_team(
            application, "volunteer_message", {"body": body, "url": _team_url(application)}
        )
    return message


# --- Responsiveness and reminders --------------------------------------------------------


def responsiveness_refresh(association: Association) -> Responsiveness:
    """Share of applications answered and median time to the first answer (last 200)."""
    apps = Application.objects.filter(association=association).exclude(
        status=Application.Status.WAITING
    )
    total = apps.count()
    answered = list(
        apps.filter(answered_at__isnull=False)
        .order_by("-created_at")
        .values_list("created_at", "answered_at")[:200]
    )
    answered_count = apps.filter(answered_at__isnull=False).count()
    median = (
        statistics.median((a - c).total_seconds() / 3600 for c, a in answered) if answered else None
    )
    stats, _created = Responsiveness.objects.update_or_create(
        association=association,
        defaults={"applications": total, "answered": answered_count, "median_hours": median},
    )
    return stats


def send_reminders(now=None, days: int | None = None) -> int:
    """E-mail coordinators about applications left unanswered for `days` days (once per period)."""
    from django_scopes import scopes_disabled

    now = now or timezone.now()
    days = REMINDER_DAYS if days is None else days
    cutoff = now - dt.timedelta(days=days)
    sent = 0
    with scopes_disabled():
        pending = (
            Application.objects.filter(
                status=Application.Status.SUBMITTED,
                answered_at__isnull=True,
                created_at__lte=cutoff,
            )
            .exclude(reminded_at__gt=cutoff)
            .select_related("association", "mission")
            .order_by("association_id", "created_at")
        )
        by_association: dict[int, list[Application]] = {}
        for application in pending[:5000]:
            by_association.setdefault(application.association_id, []).append(application)
        for applications in by_association.values():
            association = applications[0].association
            with transaction.atomic():
                for to in _coordinators(association):
                    email_enqueue(
                        to=to,
                        template="volunteer_reminder",
                        association=association,
                        context={
                            "days": days,
                            "applications": [
                                {
                                    "name": a.name,
                                    "mission_title": a.mission.title,
                                    "url": _team_url(a),
                                }
                                for a in applications
                            ],
                        },
                    )
                    sent += 1
                Application.objects.filter(pk__in=[a.pk for a in applications]).update(
                    reminded_at=now
                )
    return sent
