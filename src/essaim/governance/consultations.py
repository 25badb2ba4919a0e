"""Consultations (Decidim-like): a question put to all members with voting rights or to one
body; members write proposals, comment (one level of answers), support and amend them; a
proposal reaching the support threshold is retained for the team or the assembly.

Phases move forward only: proposals open → support → closed. Proposals and amendments are
written while proposals are open; supports are given while proposals or supports are open;
nothing is written once closed. Supports are unique per member and proposal (database
constraint); the proposal's `support_count` is updated under a row lock.
"""

import math

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log
from essaim.core.models import Association
from essaim.lib.text import fold, has_forbidden_characters, search_terms
from essaim.people.models import Person

from . import selectors
from .models import (
    Body,
    BodySeat,
    Consultation,
    ConsultationProposal,
    ProposalAmendment,
    ProposalComment,
    ProposalSupport,
)
from .quorum import parse_share

PHASE_ORDER = [Consultation.Phase.PROPOSALS, Consultation.Phase.SUPPORT, Consultation.Phase.CLOSED]
TITLE_MAX = 200
TEXT_MAX = 10_000
COMMENT_MAX = 3_000
REASON_MAX = 300


# --- Who takes part -----------------------------------------------------------------------


def people_asked(association: Association, body: Body | None) -> QuerySet[Person]:
    """The members of `body`, or all members with voting rights when there is no body."""
    if body is None:
        return selectors.voting_members(association)
    return Person.objects.filter(
        association=association,
        erased_at__isnull=True,
        pk__in=BodySeat.objects.filter(body=body).values("person_id"),
    )


def may_take_part(person: Person | None, association: Association, body: Body | None) -> bool:
    if person is None or person.association_id != association.pk or person.erased_at:
        return False
    return people_asked(association, body).filter(pk=person.pk).exists()


def _check_member(consultation: Consultation, person: Person) -> None:
    if not may_take_part(person, consultation.association, consultation.body):
        raise ValidationError(_("Only the members asked may take part in this consultation."))


def _clean_text(value, limit: int, field: str, empty_message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: empty_message})
    if len(value) > limit:
        raise ValidationError(
            {field: _("At most %(limit)d characters, please.") % {"limit": limit}}
        )
    if has_forbidden_characters(value):
        raise ValidationError({field: _("This text contains characters that are not allowed.")})
    return value


def _current_consultation(association: Association, proposal) -> Consultation:
    """The proposal's consultation as it is now (its phase may have moved meanwhile)."""
    consultation = Consultation.objects.filter(
        pk=proposal.consultation_id, association=association
    ).first()
    if consultation is None or proposal.association_id != association.pk:
        raise ValidationError(_("Unknown proposal."))
    return consultation


def support_needed(consultation: Consultation, asked: int | None = None) -> int | None:
    """The supports a proposal needs to be retained: the smaller of the number and the share
    of the members asked (whichever is set), or None when the consultation sets neither."""
    candidates = []
    if consultation.support_threshold:
        candidates.append(consultation.support_threshold)
    if consultation.support_share:
        if asked is None:
            asked = people_asked(consultation.association, consultation.body).count()
        share = parse_share(consultation.support_share)
        candidates.append(max(1, math.ceil(share * asked)))
    return min(candidates) if candidates else None


# --- Consultations ------------------------------------------------------------------------


@transaction.atomic
def consultation_create(
    *,
    association: Association,
    acting_user,
    title: str,
    description: str = "",
    theme: str = "",
    body: Body | None = None,
    support_threshold: int | None = None,
    support_share: str = "",
    ends_on=None,
) -> Consultation:
    errors = {}
    try:
        title = _clean_text(title, TITLE_MAX, "title", _("Write the question you ask."))
    except ValidationError as error:
        errors.update(error.message_dict)
    if has_forbidden_characters(description or "") or has_forbidden_characters(theme or ""):
        errors["description"] = _("This text contains characters that are not allowed.")
    if body is not None and body.association_id != association.pk:
        errors["body"] = _("Unknown body.")
    if support_threshold is not None and not 1 <= int(support_threshold) <= 1_000_000:
        errors["support_threshold"] = _("At least 1 support, or empty.")
    if support_share:
        try:
            parse_share(support_share)
        except ValueError:
            errors["support_share"] = _(
                "Write a share such as 1/4, 25 % or 0.25 (more than 0, at most all members)."
            )
    if errors:
        raise ValidationError(errors)
    consultation = Consultation.objects.create(
        association=association,
        title=title,
        description=(description or "").strip(),
        theme=(theme or "").strip()[:100],
        body=body,
        support_threshold=support_threshold,
        support_share=(support_share or "").strip(),
        ends_on=ends_on,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    audit_log(
        association=association, actor=acting_user, action="consultation.create", obj=consultation
    )
    return consultation


@transaction.atomic
def consultation_set_phase(
    *, association: Association, acting_user, consultation: Consultation, phase: str
) -> Consultation:
    consultation = Consultation.objects.select_for_update().get(
        pk=consultation.pk, association=association
    )
    if phase not in Consultation.Phase.values:
        raise ValidationError({"phase": _("Choose a phase.")})
    if PHASE_ORDER.index(phase) <= PHASE_ORDER.index(consultation.phase):
        raise ValidationError(
            {"phase": _("A consultation moves forward only: proposals, support, closed.")}
        )
    before = consultation.phase
    consultation.phase = phase
    consultation.save(update_fields=["phase", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="consultation.phase",
        obj=consultation,
        changes={"phase": [before, phase]},
    )
    return consultation


def consultations_close_due(today=None) -> int:
    """Close the consultations whose last day (`ends_on`) has passed (any association)."""
    from django_scopes import scope, scopes_disabled

    today = today or timezone.localdate()
    with scopes_disabled():
        due = list(
            Consultation.objects.select_related("association")
            .filter(ends_on__lt=today)
            .exclude(phase=Consultation.Phase.CLOSED)
        )
    for consultation in due:
        with scope(association=consultation.association):
            consultation_set_phase(
                association=consultation.association,
                acting_user=None,
                consultation=consultation,
                phase=Consultation.Phase.CLOSED,
            )
    return len(due)


# --- Proposals ----------------------------------------------------------------------------


def _search_text(proposal: ConsultationProposal) -> str:
    return fold(f"{proposal.title} {proposal.text}")[:5000]


@transaction.atomic
def proposal_create(
    *,
    association: Association,
    acting_user,
    consultation: Consultation,
    author: Person,
    title: str,
    text: str,
) -> ConsultationProposal:
    consultation = Consultation.objects.select_for_update().get(
        pk=consultation.pk, association=association
    )
    if consultation.phase != Consultation.Phase.PROPOSALS:
        raise ValidationError(_("Proposals are closed in this consultation."))
    _check_member(consultation, author)
    errors = {}
    try:
        title = _clean_text(title, TITLE_MAX, "title", _("Give your proposal a title."))
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        text = _clean_text(text, TEXT_MAX, "text", _("Describe your proposal."))
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    proposal = ConsultationProposal(
        association=association, consultation=consultation, author=author, title=title, text=text
    )
    proposal.search_text = _search_text(proposal)
    proposal.save()
    audit_log(association=association, actor=acting_user, action="proposal.create", obj=proposal)
    return proposal


@transaction.atomic
def proposal_support(
    *, association: Association, acting_user, proposal: ConsultationProposal, person: Person
) -> ConsultationProposal:
    """Support a proposal, once per member; it is retained when it reaches the threshold."""
    proposal = (
        ConsultationProposal.objects.select_for_update()
        .select_related("consultation")
        .get(pk=proposal.pk, association=association)
    )
    consultation = proposal.consultation
    if consultation.phase == Consultation.Phase.CLOSED:
        raise ValidationError(_("This consultation is closed."))
    if proposal.status == ConsultationProposal.Status.HIDDEN:
        raise ValidationError(_("This proposal was hidden by the team."))
    _check_member(consultation, person)
    try:
        with transaction.atomic():
            ProposalSupport.objects.create(
                association=association, proposal=proposal, person=person
            )
    except IntegrityError:
        raise ValidationError(_("You already support this proposal.")) from None
    proposal.support_count = ProposalSupport.objects.filter(proposal=proposal).count()
    fields = ["support_count", "updated_at"]
    needed = support_needed(consultation)
    if (
        needed is not None
        and proposal.support_count >= needed
        and proposal.status == ConsultationProposal.Status.PUBLISHED
    ):
        proposal.status = ConsultationProposal.Status.RETAINED
        proposal.retained_at = timezone.now()
        fields += ["status", "retained_at"]
    proposal.save(update_fields=fields)
    audit_log(
        association=association,
        actor=acting_user,
        action="proposal.support",
        obj=proposal,
        data={"supports": proposal.support_count},
    )
    if "retained_at" in fields:
        audit_log(
            association=association,
            actor=acting_user,
            action="proposal.retain",
            obj=proposal,
            data={"supports": proposal.support_count, "needed": needed},
        )
    return proposal


@transaction.atomic
def proposal_hide(
    *, association: Association, acting_user, proposal: ConsultationProposal, reason: str
) -> ConsultationProposal:
    reason = _clean_text(reason, REASON_MAX, "reason", _("Say why you hide it."))
    proposal = ConsultationProposal.objects.select_for_update().get(
        pk=proposal.pk, association=association
    )
    proposal.status = ConsultationProposal.Status.HIDDEN
    proposal.hidden_reason = reason
    proposal.save(update_fields=["status", "hidden_reason", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="proposal.hide",
        obj=proposal,
        data={"reason": reason},
    )
    return proposal


@transaction.atomic
def proposal_to_agenda(
    *, association: Association, acting_user, proposal: ConsultationProposal, assembly
):
    """Put a retained proposal on the agenda of a general meeting not yet started, as a
    resolution; the item says where it comes from."""
    from . import services as governance_services

    proposal = ConsultationProposal.objects.select_related("consultation").get(
        pk=proposal.pk, association=association
    )
    if proposal.status != ConsultationProposal.Status.RETAINED:
        raise ValidationError(_("Only a retained proposal is put on the agenda."))
    if assembly.association_id != association.pk:
        raise ValidationError({"assembly": _("Unknown general meeting.")})
    description = _(
        "Proposal retained in the consultation “%(consultation)s” (%(supports)d supports)."
    ) % {"consultation": proposal.consultation.title, "supports": proposal.support_count}
    item = governance_services.agenda_item_add(
        association=association,
        acting_user=acting_user,
        assembly=assembly,
        title=proposal.title,
        description=f"{description}\n\n{proposal.text}"[:10_000],
        is_resolution=True,
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="proposal.to_agenda",
        obj=proposal,
        data={"assembly": str(assembly.uuid), "item": str(item.uuid)},
    )
    return item


# --- Comments -----------------------------------------------------------------------------


@transaction.atomic
def comment_add(
    *,
    association: Association,
    acting_user,
    proposal: ConsultationProposal,
    author: Person,
    text: str,
    parent: ProposalComment | None = None,
) -> ProposalComment:
    consultation = _current_consultation(association, proposal)
    proposal.refresh_from_db(fields=["status"])
    if consultation.phase == Consultation.Phase.CLOSED:
        raise ValidationError(_("This consultation is closed."))
    if proposal.status == ConsultationProposal.Status.HIDDEN:
        raise ValidationError(_("This proposal was hidden by the team."))
    _check_member(consultation, author)
    text = _clean_text(text, COMMENT_MAX, "text", _("Write your comment."))
    if parent is not None:
        if parent.proposal_id != proposal.pk:
            raise ValidationError(_("Unknown comment."))
        # One level of answers: an answer to an answer joins the same thread.
        parent = parent.parent or parent
    comment = ProposalComment.objects.create(
        association=association, proposal=proposal, parent=parent, author=author, text=text
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="proposal.comment",
        obj=proposal,
        data={"comment": str(comment.uuid)},
    )
    return comment


@transaction.atomic
def comment_hide(
    *, association: Association, acting_user, comment: ProposalComment, reason: str
) -> ProposalComment:
    reason = _clean_text(reason, REASON_MAX, "reason", _("Say why you hide it."))
    comment.hidden_reason = reason
    comment.hidden_at = timezone.now()
    comment.save(update_fields=["hidden_reason", "hidden_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="proposal.comment_hide",
        obj=comment.proposal,
        data={"comment": str(comment.uuid), "reason": reason},
    )
    return comment


# --- Amendments ---------------------------------------------------------------------------


@transaction.atomic
def amendment_propose(
    *,
    association: Association,
    acting_user,
    proposal: ConsultationProposal,
    author: Person,
    text: str,
    reason: str = "",
) -> ProposalAmendment:
    consultation = _current_consultation(association, proposal)
    proposal.refresh_from_db(fields=["status"])
    if consultation.phase != Consultation.Phase.PROPOSALS:
        raise ValidationError(_("Amendments are written while proposals are open."))
    if proposal.status == ConsultationProposal.Status.HIDDEN:
        raise ValidationError(_("This proposal was hidden by the team."))
    _check_member(consultation, author)
    if author.pk == proposal.author_id:
        raise ValidationError(_("You wrote this proposal: change it rather than amend it."))
    text = _clean_text(text, TEXT_MAX, "text", _("Write the text you suggest."))
    reason = (reason or "").strip()[:500]
    if has_forbidden_characters(reason):
        raise ValidationError({"reason": _("This text contains characters that are not allowed.")})
    amendment = ProposalAmendment.objects.create(
        association=association, proposal=proposal, author=author, text=text, reason=reason
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="proposal.amend",
        obj=proposal,
        data={"amendment": str(amendment.uuid)},
    )
    return amendment


@transaction.atomic
def amendment_decide(
    *,
    association: Association,
    acting_user,
    amendment: ProposalAmendment,
    accept: bool,
    by_person: Person | None = None,
) -> ProposalAmendment:
    """Accept (the proposal takes the amended text) or reject an amendment. `by_person`:
    the member answering from their space, who must be the proposal's author; None when
    the team answers (its view checks the capability)."""
    amendment = (
        ProposalAmendment.objects.select_for_update()
        .select_related("proposal__consultation")
        .get(pk=amendment.pk, association=association)
    )
    proposal = amendment.proposal
    if by_person is not None and by_person.pk != proposal.author_id:
        raise ValidationError(_("Only the proposal's author or the team answer an amendment."))
    if amendment.status != ProposalAmendment.Status.PENDING:
        raise ValidationError(_("This amendment was already answered."))
    if proposal.consultation.phase == Consultation.Phase.CLOSED:
        raise ValidationError(_("This consultation is closed."))
    amendment.status = (
        ProposalAmendment.Status.ACCEPTED if accept else ProposalAmendment.Status.REJECTED
    )
    amendment.decided_at = timezone.now()
    amendment.save(update_fields=["status", "decided_at", "updated_at"])
    if accept:
        proposal.text = amendment.text
        proposal.search_text = _search_text(proposal)
        proposal.save(update_fields=["text", "search_text", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="proposal.amendment_accept" if accept else "proposal.amendment_reject",
        obj=proposal,
        data={"amendment": str(amendment.uuid)},
    )
    return amendment


# --- Reads --------------------------------------------------------------------------------

SORTS = {"support": ["-support_count", "-created_at", "-id"], "new": ["-created_at", "-id"]}


def proposals_of(
    consultation: Consultation,
    *,
    query: str = "",
    sort: str = "support",
    with_hidden: bool = False,
) -> QuerySet[ConsultationProposal]:
    proposals = ConsultationProposal.objects.filter(
        association=consultation.association, consultation=consultation
    ).select_related("author")
    if not with_hidden:
        proposals = proposals.exclude(status=ConsultationProposal.Status.HIDDEN)
    for term in search_terms(query):
        proposals = proposals.filter(search_text__contains=term)
    return proposals.order_by(*SORTS.get(sort, SORTS["support"]))


def comments_of(proposal: ConsultationProposal) -> list[ProposalComment]:
    """Top-level comments, each with `.thread` (its answers), oldest first."""
    comments = list(
        ProposalComment.objects.filter(proposal=proposal)
        .select_related("author")
        .order_by("created_at", "id")
    )
    threads = {c.pk: c for c in comments if c.parent_id is None}
    for comment in threads.values():
        comment.thread = []
    for comment in comments:
        if comment.parent_id in threads:
            threads[comment.parent_id].thread.append(comment)
    return list(threads.values())


def visible_to(person: Person, voting: bool) -> Q:
    """Asked to all members with voting rights (when `person` has them), or to their bodies."""
    bodies = Q(body_id__in=BodySeat.objects.filter(person=person).values("body_id"))
    return (Q(body__isnull=True) | bodies) if voting else bodies


def consultations_for(
    association: Association, person: Person, voting: bool = True
) -> QuerySet[Consultation]:
    """The consultations `person` is asked to."""
    return Consultation.objects.filter(association=association).filter(visible_to(person, voting))


def export_rows(consultation: Consultation):
    header = [
        _("Title"),
        _("Author"),
        _("Status"),
        _("Supports"),
        _("Comments"),
        _("Amendments"),
        _("Published on"),
        _("Proposal"),
    ]
    proposals = proposals_of(consultation, with_hidden=True, sort="support")
    from django.db.models import Count

    proposals = proposals.annotate(
        n_comments=Count("comments", distinct=True), n_amendments=Count("amendments", distinct=True)
    )

    def rows(spreadsheet: bool):
        for p in proposals.iterator(chunk_size=500):
            created = timezone.localtime(p.created_at)
            yield [
                p.title,
                p.author.full_name or str(p.author),
                p.get_status_display(),
                p.support_count,
                p.n_comments,
                p.n_amendments,
                created.replace(tzinfo=None) if spreadsheet else created.strftime("%d/%m/%Y"),
                p.text if p.status != ConsultationProposal.Status.HIDDEN else "",
            ]

    return header, rows
