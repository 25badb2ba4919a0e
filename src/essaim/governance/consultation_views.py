"""Consultations: the team's screens (under /a/<association>/governance/consultations/) and
the members' (under /account/consultations/, for the members asked only: others get 404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_scopes import scope, scopes_disabled

from essaim.core.flash import flash_error
from essaim.core.tenancy import require
from essaim.lib.spreadsheets import spreadsheet_response
from essaim.people.models import Person

from . import consultations as services
from .decision_forms import AmendmentForm, CommentForm, ConsultationForm, HideForm, ProposalForm
from .models import (
    Assembly,
    Body,
    Consultation,
    ConsultationProposal,
    ProposalAmendment,
    ProposalComment,
    ProposalSupport,
)

CAP = "can_run_votes"
PAGE_SIZE = 20


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _list_params(request) -> tuple[str, str, str]:
    query = (request.GET.get("q") or "").strip()[:100]
    sort = request.GET.get("sort") if request.GET.get("sort") in services.SORTS else "support"
    return query, sort, urlencode({"q": query, "sort": sort})


# --- Team ---------------------------------------------------------------------------------


def _consultation(request, consultation_uuid) -> Consultation:
    return get_object_or_404(
        Consultation, association=request.seat.association, uuid=consultation_uuid
    )


def _proposal(request, consultation, proposal_uuid) -> ConsultationProposal:
    return get_object_or_404(
        ConsultationProposal.objects.select_related("author", "consultation"),
        association=request.seat.association,
        consultation=consultation,
        uuid=proposal_uuid,
    )


def _to_consultation(consultation):
    return redirect(
        "governance:consultation",
        association_slug=consultation.association.slug,
        consultation_uuid=consultation.uuid,
    )


def _to_team_proposal(proposal):
    return redirect(
        "governance:consultation_proposal",
        association_slug=proposal.association.slug,
        consultation_uuid=proposal.consultation.uuid,
        proposal_uuid=proposal.uuid,
    )


@require(CAP)
def consultations(request, association_slug: str):
    association = request.seat.association
    rows = Consultation.objects.filter(association=association).select_related("body")
    return render(
        request,
        "governance/consultations.html",
        {"association": association, "page": _page(request, rows)},
    )


@require(CAP)
def consultation_create(request, association_slug: str):
    association = request.seat.association
    bodies = list(Body.objects.filter(association=association).exclude(kind="general_meeting"))
    form = ConsultationForm(request.POST or None, bodies=bodies)
    if request.method == "POST":
        created = form.call_service(
            services.consultation_create, association=association, acting_user=request.user
        )
        if created is not None:
            messages.success(request, _("Consultation opened: members may write proposals."))
            return _to_consultation(created)
    return render(
        request,
        "governance/consultation_form.html",
        {"association": association, "form": form},
        status=422 if form.errors else 200,
    )


@require(CAP)
def consultation_detail(request, association_slug: str, consultation_uuid):
    association = request.seat.association
    consultation = _consultation(request, consultation_uuid)
    query, sort, query_string = _list_params(request)
    proposals = services.proposals_of(consultation, query=query, sort=sort, with_hidden=True)
    return render(
        request,
        "governance/consultation.html",
        {
            "association": association,
            "consultation": consultation,
            "page": _page(request, proposals),
            "query": query,
            "sort": sort,
            "query_string": query_string,
            "needed": services.support_needed(consultation),
            "asked": services.people_asked(association, consultation.body).count(),
            "next_phase": _next_phase(consultation),
        },
    )


def _next_phase(consultation):
    order = services.PHASE_ORDER
    index = order.index(consultation.phase)
    if index + 1 < len(order):
        phase = order[index + 1]
        return {"value": phase, "label": Consultation.Phase(phase).label}
    return None


@require(CAP)
@require_POST
def consultation_phase(request, association_slug: str, consultation_uuid):
    consultation = _consultation(request, consultation_uuid)
    try:
        services.consultation_set_phase(
            association=request.seat.association,
            acting_user=request.user,
            consultation=consultation,
            phase=request.POST.get("phase", ""),
        )
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("Phase changed."))
    return _to_consultation(consultation)


@require(CAP)
def consultation_export(request, association_slug: str, consultation_uuid):
    consultation = _consultation(request, consultation_uuid)
    header, rows = services.export_rows(consultation)
    return spreadsheet_response(
        header,
        rows,
        fmt=request.GET.get("format", "csv"),
        name="consultation",
        title=_("Proposals"),
    )


@require(CAP)
def consultation_proposal(request, association_slug: str, consultation_uuid, proposal_uuid):
    association = request.seat.association
    consultation = _consultation(request, consultation_uuid)
    proposal = _proposal(request, consultation, proposal_uuid)
    return render(
        request,
        "governance/consultation_proposal.html",
        {
            "association": association,
            "consultation": consultation,
            "proposal": proposal,
            "comments": services.comments_of(proposal),
            "amendments": list(proposal.amendments.select_related("author")),
            "hide_form": HideForm(),
            "team": True,
            "assemblies": list(
                Assembly.objects.filter(
                    association=association,
                    status__in=(Assembly.Status.DRAFT, Assembly.Status.CONVENED),
                ).order_by("starts_at")
            )
            if proposal.status == ConsultationProposal.Status.RETAINED
            else [],
        },
    )


@require(CAP)
@require_POST
def proposal_hide(request, association_slug: str, consultation_uuid, proposal_uuid):
    consultation = _consultation(request, consultation_uuid)
    proposal = _proposal(request, consultation, proposal_uuid)
    try:
        services.proposal_hide(
            association=request.seat.association,
            acting_user=request.user,
            proposal=proposal,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("Proposal hidden. The reason is kept in the activity log."))
    return _to_team_proposal(proposal)


@require(CAP)
@require_POST
def proposal_to_agenda(request, association_slug: str, consultation_uuid, proposal_uuid):
    consultation = _consultation(request, consultation_uuid)
    proposal = _proposal(request, consultation, proposal_uuid)
    assembly = None
    try:
        assembly = Assembly.objects.filter(
            association=request.seat.association, uuid=request.POST.get("assembly", "")
        ).first()
    except ValidationError:  # not a UUID
        assembly = None
    if assembly is None:
        messages.error(request, _("Choose a general meeting."))
        return _to_team_proposal(proposal)
    try:
        services.proposal_to_agenda(
            association=request.seat.association,
            acting_user=request.user,
            proposal=proposal,
            assembly=assembly,
        )
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(
            request,
            _("The proposal is on the agenda of “%(title)s”.") % {"title": assembly.title},
        )
    return _to_team_proposal(proposal)


@require(CAP)
@require_POST
def comment_hide(request, association_slug: str, consultation_uuid, proposal_uuid, comment_uuid):
    consultation = _consultation(request, consultation_uuid)
    proposal = _proposal(request, consultation, proposal_uuid)
    comment = get_object_or_404(
        ProposalComment,
        association=request.seat.association,
        proposal=proposal,
        uuid=comment_uuid,
    )
    try:
        services.comment_hide(
            association=request.seat.association,
            acting_user=request.user,
            comment=comment,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("Comment hidden."))
    return _to_team_proposal(proposal)


@require(CAP)
@require_POST
def team_amendment_decide(
    request, association_slug: str, consultation_uuid, proposal_uuid, amendment_uuid
):
    consultation = _consultation(request, consultation_uuid)
    proposal = _proposal(request, consultation, proposal_uuid)
    amendment = get_object_or_404(
        ProposalAmendment,
        association=request.seat.association,
        proposal=proposal,
        uuid=amendment_uuid,
    )
    try:
        services.amendment_decide(
            association=request.seat.association,
            acting_user=request.user,
            amendment=amendment,
            accept=request.POST.get("answer") == "accept",
        )
    except ValidationError as error:
        flash_error(request, error)
    return _to_team_proposal(proposal)


# --- Members ------------------------------------------------------------------------------


def member_of(request, association) -> Person | None:
    with scope(association=association):
        return (
            Person.objects.filter(
                association=association, user=request.user, erased_at__isnull=True
            )
            .order_by("id")
            .first()
        )


def may_take_part(person, association, body) -> bool:
    with scope(association=association):
        return services.may_take_part(person, association, body)


def _own_consultation(request, consultation_uuid) -> tuple[Consultation, Person]:
    with scopes_disabled():
        consultation = (
            Consultation.objects.select_related("association", "body")
            .filter(uuid=consultation_uuid)
            .first()
        )
    if consultation is None:
        raise Http404
    person = member_of(request, consultation.association)
    if not may_take_part(person, consultation.association, consultation.body):
        raise Http404
    return consultation, person


def _own_proposal(request, proposal_uuid) -> tuple[ConsultationProposal, Person]:
    with scopes_disabled():
        proposal = (
            ConsultationProposal.objects.select_related(
                "consultation__association", "consultation__body", "author"
            )
            .filter(uuid=proposal_uuid)
            .exclude(status=ConsultationProposal.Status.HIDDEN)
            .first()
        )
    if proposal is None:
        raise Http404
    consultation = proposal.consultation
    person = member_of(request, consultation.association)
    if not may_take_part(person, consultation.association, consultation.body):
        raise Http404
    return proposal, person


def _to_member_consultation(consultation):
    return redirect("governance_public:consultation", consultation_uuid=consultation.uuid)


def _to_member_proposal(proposal):
    return redirect("governance_public:proposal", proposal_uuid=proposal.uuid)


@login_required
@never_cache
def member_consultation(request, consultation_uuid):
    consultation, person = _own_consultation(request, consultation_uuid)
    association = consultation.association
    with scope(association=association):
        form = ProposalForm(request.POST or None)
        if request.method == "POST":
            created = form.call_service(
                services.proposal_create,
                association=association,
                acting_user=request.user,
                consultation=consultation,
                author=person,
            )
            if created is not None:
                messages.success(request, _("Your proposal is published."))
                return _to_member_proposal(created)
        query, sort, query_string = _list_params(request)
        page = _page(request, services.proposals_of(consultation, query=query, sort=sort))
        supported = set(
            ProposalSupport.objects.filter(
                person=person, proposal_id__in=[p.pk for p in page]
            ).values_list("proposal_id", flat=True)
        )
        return render(
            request,
            "governance/consultation_member.html",
            {
                "consultation": consultation,
                "association": association,
                "person": person,
                "page": page,
                "supported": supported,
                "query": query,
                "sort": sort,
                "query_string": query_string,
                "needed": services.support_needed(consultation),
                "form": form,
            },
            status=422 if form.errors else 200,
        )


@login_required
@require_POST
def member_support(request, proposal_uuid):
    proposal, person = _own_proposal(request, proposal_uuid)
    association = proposal.association
    with scope(association=association):
        try:
            services.proposal_support(
                association=association, acting_user=request.user, proposal=proposal, person=person
            )
        except ValidationError as error:
            flash_error(request, error)
        else:
            messages.success(request, _("Thank you: your support is counted."))
    if request.POST.get("next") == "proposal":
        return _to_member_proposal(proposal)
    return _to_member_consultation(proposal.consultation)


@login_required
@never_cache
def member_proposal(request, proposal_uuid):
    proposal, person = _own_proposal(request, proposal_uuid)
    association = proposal.association
    with scope(association=association):
        comment_form = CommentForm(request.POST if "comment" in request.POST else None)
        amend_form = AmendmentForm(request.POST if "amend" in request.POST else None)
        if request.method == "POST" and "comment" in request.POST:
            parent = None
            if comment_form.is_valid() and comment_form.cleaned_data.get("parent"):
                parent = ProposalComment.objects.filter(
                    proposal=proposal, uuid=comment_form.cleaned_data["parent"]
                ).first()
            if comment_form.is_valid():
                try:
                    services.comment_add(
                        association=association,
                        acting_user=request.user,
                        proposal=proposal,
                        author=person,
                        text=comment_form.cleaned_data["text"],
                        parent=parent,
                    )
                except ValidationError as error:
                    comment_form.add_service_errors(error)
                else:
                    messages.success(request, _("Comment published."))
                    return _to_member_proposal(proposal)
        elif request.method == "POST" and "amend" in request.POST:
            created = amend_form.call_service(
                services.amendment_propose,
                association=association,
                acting_user=request.user,
                proposal=proposal,
                author=person,
            )
            if created is not None:
                messages.success(request, _("Amendment sent to the proposal's author."))
                return _to_member_proposal(proposal)
        elif request.method == "POST":
            raise Http404
        invalid = comment_form.errors or amend_form.errors
        return render(
            request,
            "governance/consultation_proposal.html",
            {
                "association": association,
                "consultation": proposal.consultation,
                "proposal": proposal,
                "person": person,
                "comments": services.comments_of(proposal),
                "amendments": list(proposal.amendments.select_related("author")),
                "supported": ProposalSupport.objects.filter(
                    proposal=proposal, person=person
                ).exists(),
                "comment_form": comment_form,
                "amend_form": amend_form,
                "is_author": proposal.author_id == person.pk,
                "team": False,
            },
            status=422 if invalid else 200,
        )


@login_required
@require_POST
def member_amendment_decide(request, proposal_uuid, amendment_uuid):
    proposal, person = _own_proposal(request, proposal_uuid)
    association = proposal.association
    with scope(association=association):
        amendment = get_object_or_404(ProposalAmendment, proposal=proposal, uuid=amendment_uuid)
        try:
            services.amendment_decide(
                association=association,
                acting_user=request.user,
                amendment=amendment,
                accept=request.POST.get("answer") == "accept",
                by_person=person,
            )
        except ValidationError as error:
            flash_error(request, error)
    return _to_member_proposal(proposal)
