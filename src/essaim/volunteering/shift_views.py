"""Shifts: the coordinator's screens under a mission (`can_manage_volunteers`) and the
volunteer's (their shifts, sign up / cancel, the link of the reminder, the calendar feed).

Back office, /a/<slug>/volunteering/:
  missions/<uuid>/shifts/            shifts of the mission by day (upcoming or past)
  missions/<uuid>/shifts/new/        one shift or a weekly series
  shifts/<uuid>/                     sign-ups, attendance, add a volunteer
  shifts/<uuid>/edit/ | cancel/      edit; cancel with notice (confirm page)
Volunteer:
  /account/volunteering/shifts/      their shifts and those open to them
  /volunteering/shift-cancel/<token>/  the reminder's link: a confirm page, POST cancels
  /volunteering/calendar/<uuid>/<token>.ics  the calendar feed
"""

import itertools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_scopes import scope, scopes_disabled

from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require
from essaim.lib import ratelimit
from essaim.lib.ical import CONTENT_TYPE, ical_calendar
from essaim.lib.text import fold, uuid_or_none
from essaim.people.models import Person

from . import shifts
from .models import Application, Mission, Shift, ShiftSignup
from .reference import all_skill_labels
from .shift_forms import ShiftCancelForm, ShiftForm

VOLUNTEERS = "can_manage_volunteers"


def _mission(association, mission_uuid) -> Mission:
    return get_object_or_404(Mission, association=association, uuid=mission_uuid)


def _shift(association, shift_uuid) -> Shift:
    return get_object_or_404(
        Shift.objects.select_related("mission"), association=association, uuid=shift_uuid
    )


def _by_day(rows, key=lambda s: s.starts_at):
    return [
        (day, list(group))
        for day, group in itertools.groupby(rows, key=lambda r: timezone.localtime(key(r)).date())
    ]


def _skill_labels(codes) -> list[str]:
    labels = all_skill_labels()
    return [labels.get(code, code) for code in codes]


# --- Back office -------------------------------------------------------------------------


@require(VOLUNTEERS)
def shift_list(request, association_slug: str, mission_uuid):
    association = request.seat.association
    mission = _mission(association, mission_uuid)
    past = request.GET.get("when") == "past"
    now = timezone.now()
    rows = Shift.objects.filter(association=association, mission=mission)
    if past:
        rows = rows.filter(ends_at__lt=now).order_by("-starts_at", "-id")
    else:
        rows = rows.filter(ends_at__gte=now).order_by("starts_at", "id")
    page = paginate(request, rows, per_page=50)
    return render(
        request,
        "volunteering/shift_list.html",
        {
            "association": association,
            "mission": mission,
            "page": page,
            "days": _by_day(page.object_list),
            "past": past,
            "query_string": query_without_page(request),
        },
    )


@require(VOLUNTEERS)
def shift_create(request, association_slug: str, mission_uuid):
    association = request.seat.association
    mission = _mission(association, mission_uuid)
    form = ShiftForm(
        request.POST or None,
        association=association,
        series=True,
        initial={"capacity": 2, "location": mission.address},
    )
    if request.method == "POST":
        shift = form.call_service(
            shifts.shift_create, association=association, acting_user=request.user, mission=mission
        )
        if shift is not None:
            if shift.series:
                count = Shift.objects.filter(association=association, series=shift.series).count()
                messages.success(
                    request, _("%(count)s shifts are created, one a week.") % {"count": count}
                )
            else:
                messages.success(request, _("The shift is created."))
            return redirect(
                "volunteering:shift_list",
                association_slug=association.slug,
                mission_uuid=mission.uuid,
            )
    return render(
        request,
        "volunteering/shift_form.html",
        {"association": association, "mission": mission, "form": form, "shift": None},
    )


@require(VOLUNTEERS)
def shift_edit(request, association_slug: str, shift_uuid):
    association = request.seat.association
    shift = _shift(association, shift_uuid)
    if shift.cancelled_at:
        messages.error(request, _("This shift is cancelled."))
        return redirect(
            "volunteering:shift_detail", association_slug=association.slug, shift_uuid=shift.uuid
        )
    form = ShiftForm(
        request.POST or None, association=association, initial=ShiftForm.initial_from(shift)
    )
    if request.method == "POST":
        saved = form.call_service(
            shifts.shift_update, association=association, acting_user=request.user, shift=shift
        )
        if saved is not None:
            messages.success(request, _("The shift is saved."))
            return redirect(
                "volunteering:shift_detail",
                association_slug=association.slug,
                shift_uuid=shift.uuid,
            )
    return render(
        request,
        "volunteering/shift_form.html",
        {"association": association, "mission": shift.mission, "form": form, "shift": shift},
    )


@require(VOLUNTEERS)
def shift_cancel(request, association_slug: str, shift_uuid):
    association = request.seat.association
    shift = _shift(association, shift_uuid)
    form = ShiftCancelForm(request.POST or None)
    if request.method == "POST" and form.call_service(
        shifts.shift_cancel, association=association, acting_user=request.user, shift=shift
    ):
        messages.success(
            request, _("The shift is cancelled; the volunteers signed up are told by e-mail.")
        )
        return redirect(
            "volunteering:shift_detail",
            association_slug=association.slug,
            shift_uuid=shift.uuid,
        )
    return render(
        request,
        "volunteering/shift_cancel.html",
        {
            "association": association,
            "shift": shift,
            "mission": shift.mission,
            "when": shifts.when(shift),
            "form": form,
            "signed_up": ShiftSignup.objects.filter(
                shift=shift, status=ShiftSignup.Status.SIGNED_UP
            ).count(),
        },
    )


def _candidates(association, shift: Shift) -> list:
    """Accepted applicants of the mission not already signed up."""
    taken = ShiftSignup.objects.filter(
        shift=shift, status__in=ShiftSignup.ACTIVE, user__isnull=False
    ).values("user_id")
    return list(
        Application.objects.filter(
            association=association,
            mission=shift.mission,
            status=Application.Status.ACCEPTED,
            user__isnull=False,
        )
        .exclude(user_id__in=taken)
        .select_related("user")
        .order_by("name")[:200]
    )


@require(VOLUNTEERS)
def shift_detail(request, association_slug: str, shift_uuid):
    association = request.seat.association
    shift = _shift(association, shift_uuid)
    signups = list(
        ShiftSignup.objects.filter(shift=shift)
        .select_related("user", "person")
        .order_by("status", "name", "id")
    )
    query = (request.GET.get("q") or "").strip()[:100]
    contacts = []
    if query:
        words = fold(query).split()
        rows = Person.objects.filter(association=association, erased_at__isnull=True)
        for word in words[:5]:
            rows = rows.filter(search_text__contains=word)
        contacts = list(rows.order_by("sort_name", "id")[:10])
    started = shift.starts_at <= timezone.now()
    return render(
        request,
        "volunteering/shift_detail.html",
        {
            "association": association,
            "shift": shift,
            "mission": shift.mission,
            "when": shifts.when(shift),
            "qualifications": _skill_labels(shift.qualifications),
            "active": [s for s in signups if s.status != ShiftSignup.Status.CANCELLED],
            "cancelled": [s for s in signups if s.status == ShiftSignup.Status.CANCELLED],
            "candidates": _candidates(association, shift) if not shift.cancelled_at else [],
            "contacts": contacts,
            "query": query,
            "started": started,
            "over": shift.ends_at <= timezone.now(),
        },
    )


@require(VOLUNTEERS)
@require_POST
def signup_add(request, association_slug: str, shift_uuid):
    association = request.seat.association
    shift = _shift(association, shift_uuid)
    user = person = None
    user_uuid = uuid_or_none(request.POST.get("user", ""))
    person_uuid = uuid_or_none(request.POST.get("person", ""))
    if user_uuid:
        application = (
            Application.objects.filter(
                association=association,
                mission=shift.mission,
                user__uuid=user_uuid,
                status=Application.Status.ACCEPTED,
            )
            .select_related("user")
            .first()
        )
        user = application.user if application else None
    elif person_uuid:
        person = Person.objects.filter(association=association, uuid=person_uuid).first()
    try:
        if user is None and person is None:
            raise ValidationError(_("Choose one volunteer."))
        shifts.signup_add(
            association=association,
            acting_user=request.user,
            shift=shift,
            user=user,
            person=person,
            override=request.POST.get("override") == "1",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The volunteer is added to the shift."))
    return redirect(
        "volunteering:shift_detail", association_slug=association.slug, shift_uuid=shift.uuid
    )


@require(VOLUNTEERS)
@require_POST
def signup_action(request, association_slug: str, signup_uuid, action: str):
    association = request.seat.association
    signup = get_object_or_404(
        ShiftSignup.objects.select_related("shift"), association=association, uuid=signup_uuid
    )
    try:
        if action == "remove":
            shifts.signup_cancel(signup=signup, acting_user=request.user, by_team=True)
            messages.success(request, _("The volunteer is removed from the shift."))
        elif action in shifts.ATTENDANCE:
            shifts.signup_mark(
                association=association, acting_user=request.user, signup=signup, status=action
            )
            messages.success(
                request,
                _("Marked as present; the hours are recorded and approved.")
                if action == "attended"
                else _("Marked as absent."),
            )
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(
        "volunteering:shift_detail",
        association_slug=association.slug,
        shift_uuid=signup.shift.uuid,
    )


# --- Volunteer side ------------------------------------------------------------------------


def open_shifts_for(user, *, now=None, limit: int = 100) -> list[Shift]:
    """Upcoming shifts, not cancelled, of the missions where the user's application is
    accepted, with places left and sign-ups still open."""
    now = now or timezone.now()
    with scopes_disabled():
        missions = Application.objects.filter(user=user, status=Application.Status.ACCEPTED).values(
            "mission_id"
        )
        return list(
            Shift.objects.filter(
                mission_id__in=missions, cancelled_at__isnull=True, starts_at__gt=now
            )
            .filter(Q(signup_deadline__isnull=True) | Q(signup_deadline__gt=now))
            .exclude(
                pk__in=ShiftSignup.objects.filter(
                    user=user, status=ShiftSignup.Status.SIGNED_UP
                ).values("shift_id")
            )
            .select_related("mission", "association")
            .order_by("starts_at", "id")[:limit]
        )


def calendar_url(user) -> str:
    from django.conf import settings

    return settings.ESSAIM_BASE_URL + reverse(
        "volunteering_public:calendar",
        kwargs={"user_uuid": user.uuid, "token": shifts.calendar_token(user.uuid)},
    )


@login_required
def my_shifts(request):
    now = timezone.now()
    with scopes_disabled():
        mine = list(
            ShiftSignup.objects.filter(
                user=request.user,
                status=ShiftSignup.Status.SIGNED_UP,
                shift__ends_at__gte=now,
            )
            .select_related("shift__mission", "association")
            .order_by("shift__starts_at", "id")[:100]
        )
        past = list(
            ShiftSignup.objects.filter(user=request.user, shift__ends_at__lt=now)
            .exclude(status=ShiftSignup.Status.CANCELLED)
            .select_related("shift__mission", "association")
            .order_by("-shift__starts_at", "-id")[:20]
        )
    for signup in mine:
        signup.can_cancel = now < signup.shift.deadline and not signup.shift.cancelled_at
    from . import services

    profile = services.profile_of(request.user)
    skills = profile.skills if profile else []
    available = open_shifts_for(request.user, now=now)
    for shift in available:
        shift.missing = _skill_labels(shifts.missing_qualifications(shift, skills))
    return render(
        request,
        "volunteering/public/shift_mine.html",
        {
            "mine": _by_day(mine, key=lambda s: s.shift.starts_at),
            "available": _by_day(available),
            "past": past,
            "calendar_url": calendar_url(request.user),
        },
    )


@login_required
@require_POST
def shift_signup(request, shift_uuid):
    with scopes_disabled():
        shift = Shift.objects.select_related("association").filter(uuid=shift_uuid).first()
    if shift is None or not shifts.accepted_on(shift.mission, request.user):
        raise Http404
    if ratelimit.hit(request, "volunteering.shift", limit=60, period=3600):
        messages.error(request, _("Too many sign-ups in a short time: try again later."))
        return redirect("volunteering_public:shifts")
    try:
        with scope(association=shift.association):
            shifts.signup_create(shift=shift, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You are signed up. You will get a reminder the day before."))
    return redirect("volunteering_public:shifts")


def _own_signup(request, signup_uuid) -> ShiftSignup:
    with scopes_disabled():
        signup = (
            ShiftSignup.objects.select_related("shift__mission", "association")
            .filter(uuid=signup_uuid, user=request.user)
            .first()
        )
    if signup is None:
        raise Http404
    return signup


@login_required
@require_POST
def signup_cancel(request, signup_uuid):
    signup = _own_signup(request, signup_uuid)
    try:
        with scope(association=signup.association):
            shifts.signup_cancel(signup=signup, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your place is freed. Thank you for telling us."))
    return redirect("volunteering_public:shifts")


def shift_cancel_link(request, token: str):
    """The reminder's "I cannot come" link: GET shows a confirm page, only POST cancels."""
    signup = shifts.signup_from_token(token)
    if signup is None:
        raise Http404
    shift = signup.shift
    done = False
    error = None
    if request.method == "POST":
        if ratelimit.hit(request, "volunteering.shift_cancel", limit=30, period=3600):
            error = _("Too many attempts: try again later.")
        else:
            try:
                with scope(association=signup.association):
                    shifts.signup_cancel(signup=signup, acting_user=signup.user)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                done = True
    return render(
        request,
        "volunteering/public/shift_cancel_link.html",
        {
            "signup": signup,
            "shift": shift,
            "mission": shift.mission,
            "association": signup.association,
            "when": shifts.when(shift),
            "done": done,
            "error": error,
            "open": signup.status == ShiftSignup.Status.SIGNED_UP
            and timezone.now() < shift.deadline,
        },
        status=200,
    )


def calendar(request, user_uuid, token: str):
    user = shifts.user_from_calendar_token(user_uuid, token)
    if user is None:
        raise Http404
    body = ical_calendar(shifts.calendar_events(user), name=_("My volunteer shifts"))
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "private, max-age=900"
    response["Content-Disposition"] = 'inline; filename="essaim-shifts.ics"'
    return response
