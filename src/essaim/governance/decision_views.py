"""Async decisions: the team's screens (under /a/<association>/governance/decisions/), the
members' (under /account/decisions/), the members' participation page (consultations,
decisions, minutes of their meetings, summary e-mail preference) and the digest stop link."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_scopes import scope, scopes_disabled

from essaim.core.flash import flash_error
from essaim.core.tenancy import require
from essaim.people.models import Person

from . import consultations as consultation_services
from . import decisions as services
from . import digests
from . import minutes as minutes_services
from .consultation_views import may_take_part, member_of
from .decision_forms import (
    ConsentAnswerForm,
    DecisionForm,
    DigestPreferenceForm,
    OutcomeForm,
    PollAnswerForm,
)
from .minutes_views import pdf_response
from .models import Body, Convocation, Decision, DecisionAnswer, Minutes

CAP = "can_run_votes"
PAGE_SIZE = 20


def _decision(request, decision_uuid) -> Decision:
    return get_object_or_404(Decision, association=request.seat.association, uuid=decision_uuid)


def _to_decision(decision):
    return redirect(
        "governance:decision",
        association_slug=decision.association.slug,
        decision_uuid=decision.uuid,
    )


def _context(decision: Decision) -> dict:
    return {
        "decision": decision,
        "counts": services.outcome_counts(decision),
        "participation": services.participation(decision),
        "answers": services.answers_shown(decision),
        "deadline": timezone.localtime(decision.deadline),
        "is_poll": services.is_poll(decision),
        "positions": DecisionAnswer.Position,
    }


# --- Team ---------------------------------------------------------------------------------


@require(CAP)
def decisions(request, association_slug: str):
    association = request.seat.association
    rows = Decision.objects.filter(association=association).select_related("body")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/decisions.html",
        {"association": association, "page": page, "now": timezone.now()},
    )


@require(CAP)
def decision_create(request, association_slug: str):
    association = request.seat.association
    bodies = list(Body.objects.filter(association=association).exclude(kind="general_meeting"))
    people = consultation_services.people_asked(association, None).order_by("sort_name", "id")[:500]
    form = DecisionForm(
        request.POST or None,
        bodies=bodies,
        people=people,
        initial={
            "process": Decision.Process.CONSENT,
            "deadline": timezone.localtime() + timezone.timedelta(days=7),
        },
    )
    if request.method == "POST":
        created = form.call_service(
            services.decision_create, association=association, acting_user=request.user
        )
        if created is not None:
            messages.success(request, _("Decision open: members may answer until the deadline."))
            return _to_decision(created)
    return render(
        request,
        "governance/decision_form.html",
        {"association": association, "form": form},
        status=422 if form.errors else 200,
    )


@require(CAP)
def decision_detail(request, association_slug: str, decision_uuid):
    association = request.seat.association
    decision = _decision(request, decision_uuid)
    form = OutcomeForm(request.POST or None, initial={"outcome": decision.outcome})
    if request.method == "POST":
        saved = form.call_service(
            services.decision_outcome,
            association=association,
            acting_user=request.user,
            decision=decision,
        )
        if saved is not None:
            messages.success(request, _("Outcome published."))
            return _to_decision(decision)
    return render(
        request,
        "governance/decision.html",
        {"association": association, "team": True, "outcome_form": form} | _context(decision),
        status=422 if form.errors else 200,
    )


@require(CAP)
@require_POST
def decision_close(request, association_slug: str, decision_uuid):
    decision = _decision(request, decision_uuid)
    try:
        services.decision_close(
            association=request.seat.association, acting_user=request.user, decision=decision
        )
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("Decision closed. Write its outcome."))
    return _to_decision(decision)


# --- Members ------------------------------------------------------------------------------


def _own_decision(request, decision_uuid) -> tuple[Decision, Person]:
    with scopes_disabled():
        decision = (
            Decision.objects.select_related("association", "body", "proposer")
            .filter(uuid=decision_uuid)
            .first()
        )
    if decision is None:
        raise Http404
    person = member_of(request, decision.association)
    if not may_take_part(person, decision.association, decision.body):
        raise Http404
    return decision, person


@login_required
@never_cache
def member_decision(request, decision_uuid):
    decision, person = _own_decision(request, decision_uuid)
    association = decision.association
    with scope(association=association):
        mine = DecisionAnswer.objects.filter(decision=decision, person=person).first()
        initial = {}
        if mine is not None:
            initial = {"position": mine.position, "choices": mine.choices, "reason": mine.reason}
        if services.is_poll(decision):
            form = PollAnswerForm(
                request.POST if "answer" in request.POST else None,
                decision=decision,
                initial=initial,
            )
        else:
            form = ConsentAnswerForm(
                request.POST if "answer" in request.POST else None, initial=initial
            )
        is_proposer = decision.proposer_id == person.pk
        outcome_form = OutcomeForm(
            request.POST if "outcome" in request.POST else None,
            initial={"outcome": decision.outcome},
        )
        if request.method == "POST" and "answer" in request.POST:
            saved = form.call_service(
                services.decision_answer,
                association=association,
                acting_user=request.user,
                decision=decision,
                person=person,
            )
            if saved is not None:
                messages.success(
                    request, _("Your answer is recorded. You may change it until the deadline.")
                )
                return redirect("governance_public:decision", decision_uuid=decision.uuid)
        elif request.method == "POST" and "outcome" in request.POST and is_proposer:
            saved = outcome_form.call_service(
                services.decision_outcome,
                association=association,
                acting_user=request.user,
                decision=decision,
                by_person=person,
            )
            if saved is not None:
                messages.success(request, _("Outcome published."))
                return redirect("governance_public:decision", decision_uuid=decision.uuid)
        elif request.method == "POST":
            raise Http404
        open_now = decision.status == Decision.Status.OPEN and decision.deadline > timezone.now()
        return render(
            request,
            "governance/decision_member.html",
            {
                "association": association,
                "person": person,
                "mine": mine,
                "form": form if open_now else None,
                "outcome_form": outcome_form
                if is_proposer and decision.status == Decision.Status.CLOSED
                else None,
                "team": False,
            }
            | _context(decision),
            status=422 if form.errors or outcome_form.errors else 200,
        )


@login_required
@never_cache
def participation(request):
    """Every association of the account: its open consultations and decisions, the final
    minutes of the meetings the member was convened to, and the summary e-mail choice."""
    with scopes_disabled():
        persons = list(
            Person.objects.select_related("association")
            .filter(user=request.user, erased_at__isnull=True)
            .order_by("association__name", "id")
        )
    sections = []
    for person in persons:
        association = person.association
        with scope(association=association):
            if request.method == "POST" and request.POST.get("person") == str(person.uuid):
                form = DigestPreferenceForm(request.POST)
                if form.is_valid():
                    digests.preference_set(
                        association=association,
                        acting_user=request.user,
                        person=person,
                        frequency=form.cleaned_data["frequency"],
                    )
                    messages.success(request, _("Your choice is saved."))
                    return redirect("governance_public:participation")
            voting = consultation_services.may_take_part(person, association, None)
            consultation_list = list(
                consultation_services.consultations_for(association, person, voting=voting)
                .exclude(phase="closed")
                .order_by("-created_at")[:50]
            )
            decision_list = list(
                services.decisions_for(association, person, voting=voting).order_by("-created_at")[
                    :50
                ]
            )
            answered = set(
                DecisionAnswer.objects.filter(person=person).values_list("decision_id", flat=True)
            )
            for decision in decision_list:
                decision.answered = decision.pk in answered
            convened = Convocation.objects.filter(person=person).values("assembly_id")
            minutes = list(
                Minutes.objects.filter(assembly_id__in=convened, status=Minutes.Status.FROZEN)
                .select_related("assembly")
                .order_by("-assembly__starts_at", "-version")[:20]
            )
            if not (consultation_list or decision_list or minutes or voting):
                continue
            sections.append(
                {
                    "association": association,
                    "person": person,
                    "consultations": consultation_list,
                    "decisions": decision_list,
                    "minutes": minutes,
                    "form": DigestPreferenceForm(
                        initial={"frequency": digests.frequency_of(person)}
                    ),
                }
            )
    return render(request, "governance/decision_participation.html", {"sections": sections})


@login_required
def member_minutes(request, minutes_uuid):
    """A frozen PV, for the members convened to its meeting."""
    with scopes_disabled():
        found = (
            Minutes.objects.select_related("assembly__association")
            .filter(uuid=minutes_uuid, status=Minutes.Status.FROZEN)
            .first()
        )
        convened = (
            found is not None
            and Convocation.objects.filter(
                assembly=found.assembly, person__user=request.user, person__erased_at__isnull=True
            ).exists()
        )
    if not convened:
        raise Http404
    with scope(association=found.association):
        return pdf_response(found, minutes_services.minutes_bytes(found))


@never_cache
def digest_stop(request, token: str):
    """The link at the bottom of every digest: one click (POST) and no more digests."""
    person = digests.stop_person(token)
    if person is None:
        raise Http404
    done = False
    if request.method == "POST":
        with scope(association=person.association):
            digests.preference_set(
                association=person.association,
                acting_user=None,
                person=person,
                frequency=digests.Frequency.NEVER,
            )
        done = True
    return render(
        request,
        "governance/digest_stop.html",
        {"association": person.association, "done": done},
    )
