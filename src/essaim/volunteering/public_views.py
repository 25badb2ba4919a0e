"""Public pages of volunteering: the catalogue of missions of every association (/missions/),
a mission's page and applying, and the volunteer's space (/account/volunteering/): profile,
"missions for you", applications and their messages.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_scopes import scope, scopes_disabled

from essaim.core.pagination import query_without_page
from essaim.lib import ratelimit
from essaim.lib.text import uuid_or_none

from . import funnels, matching, services
from .forms import ApplyForm, MessageForm, ProfileForm, SearchForm
from .models import Application, Mission
from .views import mission_labels

PAGE_SIZE = 20


def _public_mission(mission_uuid) -> Mission:
    with scopes_disabled():
        mission = (
            Mission.objects.select_related("association")
            .filter(uuid=mission_uuid, status__in=(Mission.Status.PUBLISHED, Mission.Status.FULL))
            .first()
        )
    if mission is None:
        raise Http404
    return mission


def catalogue(request):
    form = SearchForm(request.GET or None)
    profile = services.profile_of(request.user) if request.user.is_authenticated else None
    seeker = matching.Seeker.from_profile(profile)
    rows, error = [], None
    data = form.cleaned_data if form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        error = _("Check the search fields.")
    filters = matching.Filters(
        query=data.get("q") or "",
        cause=data.get("cause") or "",
        skills=(data["skill"],) if data.get("skill") else (),
        on_date=data.get("date"),
        remote=bool(data.get("remote")),
        postcode=data.get("postcode") or "",
        distance_km=data.get("distance"),
        sort=data.get("sort") or "score",
    )
    try:
        rows = matching.search(filters, seeker)
    except ValidationError as exc:
        form.add_error("postcode", exc.messages[0])
        error = exc.messages[0]
    paginator = Paginator(rows, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    results = matching.hydrate(list(page.object_list))
    return render(
        request,
        "volunteering/public/catalogue.html",
        {
            "form": form,
            "page": page,
            "results": results,
            "count": len(rows),
            "capped": len(rows) >= matching.MAX_CANDIDATES,
            "error": error,
            "profile": profile,
            "query_string": query_without_page(request),
        },
        status=200,
    )


def mission_page(request, mission_uuid):
    mission = _public_mission(mission_uuid)
    own = None
    if request.user.is_authenticated:
        with scopes_disabled():
            own = Application.objects.filter(
                mission=mission, user=request.user, status__in=Application.OPEN
            ).first()
    source = (request.GET.get("src") or "")[:40]
    if source:
        request.session[f"volunteering_source:{mission.uuid}"] = source
    funnels.record_from_request(
        request, mission, source or request.session.get(f"volunteering_source:{mission.uuid}", "")
    )
    return render(
        request,
        "volunteering/public/mission.html",
        {"mission": mission, "labels": mission_labels(mission), "own": own, "source": source},
    )


@login_required
def apply(request, mission_uuid):
    mission = _public_mission(mission_uuid)
    form = ApplyForm(request.POST or None, mission=mission)
    profile = services.profile_of(request.user)
    status = 200
    if request.method == "POST":
        if ratelimit.hit(request, "volunteering.apply", limit=30, period=3600):
            form.add_error(None, _("Too many applications in a short time: try again later."))
            status = 429
        elif form.is_valid():
            try:
                with scope(association=mission.association):
                    application = services.application_submit(
                        mission=mission,
                        user=request.user,
                        source=request.session.get(f"volunteering_source:{mission.uuid}", ""),
                        **form.service_fields(),
                    )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if application.status == Application.Status.WAITING:
                    messages.info(
                        request,
                        _(
                            "The mission is full: you are on its waiting list and will be told "
                            "when a place frees up."
                        ),
                    )
                else:
                    messages.success(
                        request,
                        _("Your application is sent: the association will answer you here."),
                    )
                return redirect(
                    "volunteering_public:application", application_uuid=application.uuid
                )
    return render(
        request,
        "volunteering/public/apply.html",
        {"mission": mission, "form": form, "profile": profile},
        status=status,
    )


@login_required
def space(request):
    profile = services.profile_of(request.user)
    with scopes_disabled():
        applications = list(
            Application.objects.filter(user=request.user)
            .select_related("mission", "association")
            .order_by("-created_at")[:50]
        )
    suggestions = []
    if profile is not None:
        applied = [a.mission_id for a in applications]
        suggestions = matching.hydrate(matching.missions_for(profile, exclude_ids=applied))
    return render(
        request,
        "volunteering/public/space.html",
        {"profile": profile, "applications": applications, "suggestions": suggestions},
    )


@login_required
def profile_edit(request):
    profile = services.profile_of(request.user)
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_from(profile))
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=request.user, **form.service_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your volunteer profile is saved."))
            return redirect("volunteering_public:space")
    return render(
        request, "volunteering/public/profile_form.html", {"form": form, "profile": profile}
    )


def _own_application(request, application_uuid) -> Application:
    uuid = uuid_or_none(str(application_uuid))
    with scopes_disabled():
        application = (
            Application.objects.select_related("mission", "association")
            .filter(uuid=uuid, user=request.user)
            .first()
        )
    if application is None:
        raise Http404
    return application


@login_required
def application(request, application_uuid):
    application = _own_application(request, application_uuid)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with scope(association=application.association):
                services.message_post(
                    application=application,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    from_team=False,
                )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your message is sent."))
            return redirect("volunteering_public:application", application_uuid=application.uuid)
    with scopes_disabled():
        thread = list(application.messages.all())
    return render(
        request,
        "volunteering/public/application.html",
        {
            "application": application,
            "mission": application.mission,
            "thread": thread,
            "form": form,
        },
    )


@login_required
@require_POST
def application_withdraw(request, application_uuid):
    application = _own_application(request, application_uuid)
    try:
        with scope(association=application.association):
            services.application_withdraw(user=request.user, application=application)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your application is withdrawn."))
    return redirect("volunteering_public:application", application_uuid=application.uuid)
