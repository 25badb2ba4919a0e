"""Back office of volunteering (`can_manage_volunteers`), under /a/<slug>/volunteering/.

Missions (list with their applications, form, publish and close), an application (the shared
profile, the answers, the messages, review / accept / refuse), the association's own skills,
and its response time.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require

from . import services
from .forms import MessageForm, MissionForm, SkillForm
from .models import Application, AssociationSkill, Mission, Responsiveness
from .reference import CAUSES, SLOTS, all_skill_labels, slots_from_mask

VOLUNTEERS = "can_manage_volunteers"


def _mission(association, mission_uuid) -> Mission:
    return get_object_or_404(Mission, association=association, uuid=mission_uuid)


def _responsiveness(association) -> Responsiveness | None:
    return Responsiveness.objects.filter(association=association).first()


def mission_labels(mission: Mission) -> dict:
    skills = all_skill_labels()
    slots = dict(SLOTS)
    return {
        "cause": dict(CAUSES).get(mission.cause, mission.cause),
        "skills": [skills.get(code, code) for code in mission.skills],
        "slots": [slots[s] for s in slots_from_mask(mission.availability)],
    }


@require(VOLUNTEERS)
def mission_list(request, association_slug: str):
    association = request.seat.association
    missions = Mission.objects.filter(association=association).annotate(
        to_answer=Count("applications", filter=Q(applications__status="submitted")),
        waiting=Count("applications", filter=Q(applications__status="waiting")),
    )
    status = request.GET.get("status", "")
    if status in Mission.Status.values:
        missions = missions.filter(status=status)
    page = paginate(request, missions.order_by("-created_at", "-id"))
    return render(
        request,
        "volunteering/missions.html",
        {
            "association": association,
            "page": page,
            "status": status,
            "statuses": Mission.Status.choices,
            "responsiveness": _responsiveness(association),
            "query_string": query_without_page(request),
        },
    )


@require(VOLUNTEERS)
def mission_create(request, association_slug: str):
    association = request.seat.association
    form = MissionForm(
        request.POST or None,
        association=association,
        initial={
            "places": 1,
            "contact_name": request.user.get_full_name(),
            "contact_email": request.user.email,
            "postcode": association.postcode,
        },
    )
    if request.method == "POST":
        mission = form.call_service(
            services.mission_create, association=association, acting_user=request.user
        )
        if mission is not None:
            messages.success(
                request, _("The mission is saved as a draft: check it, then publish it.")
            )
            return redirect(
                "volunteering:mission_detail",
                association_slug=association.slug,
                mission_uuid=mission.uuid,
            )
    return render(
        request,
        "volunteering/mission_form.html",
        {"association": association, "form": form, "mission": None},
    )


@require(VOLUNTEERS)
def mission_edit(request, association_slug: str, mission_uuid):
    association = request.seat.association
    mission = _mission(association, mission_uuid)
    form = MissionForm(
        request.POST or None, association=association, initial=MissionForm.initial_from(mission)
    )
    if request.method == "POST":
        saved = form.call_service(
            services.mission_update,
            association=association,
            acting_user=request.user,
            mission=mission,
        )
        if saved is not None:
            messages.success(request, _("The mission is saved."))
            return redirect(
                "volunteering:mission_detail",
                association_slug=association.slug,
                mission_uuid=saved.uuid,
            )
    return render(
        request,
        "volunteering/mission_form.html",
        {"association": association, "form": form, "mission": mission},
    )


@require(VOLUNTEERS)
def mission_detail(request, association_slug: str, mission_uuid):
    association = request.seat.association
    mission = _mission(association, mission_uuid)
    applications = Application.objects.filter(association=association, mission=mission).order_by(
        "created_at", "id"
    )
    return render(
        request,
        "volunteering/mission_detail.html",
        {
            "association": association,
            "mission": mission,
            "labels": mission_labels(mission),
            "applications": applications,
        },
    )


@require(VOLUNTEERS)
@require_POST
def mission_status(request, association_slug: str, mission_uuid, action: str):
    association = request.seat.association
    mission = _mission(association, mission_uuid)
    try:
        services.mission_set_status(
            association=association, acting_user=request.user, mission=mission, action=action
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The mission is published in the catalogue.")
            if action == "publish"
            else _("The mission is closed."),
        )
    return redirect(
        "volunteering:mission_detail", association_slug=association.slug, mission_uuid=mission.uuid
    )


@require(VOLUNTEERS)
def application_detail(request, association_slug: str, application_uuid):
    association = request.seat.association
    application = get_object_or_404(
        Application.objects.select_related("mission"),
        association=association,
        uuid=application_uuid,
    )
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_post(
                application=application,
                author=request.user,
                body=form.cleaned_data["body"],
                from_team=True,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your message is sent."))
            return redirect(
                "volunteering:application_detail",
                association_slug=association.slug,
                application_uuid=application.uuid,
            )
    shared = application.shared_profile or {}
    skills = all_skill_labels()
    slots = dict(SLOTS)
    return render(
        request,
        "volunteering/application_detail.html",
        {
            "association": association,
            "application": application,
            "mission": application.mission,
            "shared": shared,
            "shared_skills": [skills.get(c, c) for c in shared.get("skills", [])],
            "shared_slots": [slots[s] for s in slots_from_mask(shared.get("availability") or 0)],
            "messages_list": application.messages.all(),
            "form": form,
            "actions": [
                (action, label)
                for action, label in (
                    ("review", _("Put in review")),
                    ("accept", _("Accept")),
                    ("refuse", _("Refuse")),
                )
                if application.status in services.TEAM_ACTIONS[action][0]
            ],
        },
    )


@require(VOLUNTEERS)
@require_POST
def application_action(request, association_slug: str, application_uuid, action: str):
    association = request.seat.association
    application = get_object_or_404(Application, association=association, uuid=application_uuid)
    try:
        services.application_decide(
            association=association,
            acting_user=request.user,
            application=application,
            action=action,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The application is updated; the volunteer is told by e-mail."))
    return redirect(
        "volunteering:application_detail",
        association_slug=association.slug,
        application_uuid=application.uuid,
    )


@require(VOLUNTEERS)
def skills(request, association_slug: str):
    association = request.seat.association
    form = SkillForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.skill_add(
                association=association, acting_user=request.user, label=form.cleaned_data["label"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The skill is added."))
            return redirect("volunteering:skills", association_slug=association.slug)
    return render(
        request,
        "volunteering/skills.html",
        {
            "association": association,
            "form": form,
            "own": AssociationSkill.objects.filter(association=association).order_by("label"),
        },
    )
