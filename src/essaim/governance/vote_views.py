"""Screens of votes.

Team (capability can_run_votes, under /a/<association>/governance/): the votes list, a vote
prepared from a meeting or an agenda item (or standalone), opened and closed by hand, the live
participation (counts only: never a partial result of a secret vote), the paper roll and the
paper ballots, results per method, publication, verification of the box, recount export.

Members (their account): the votes they can take part in, one ballot per represented person
(themselves and each proxy they hold), the receipt code shown once; the public page of a vote
(results once published, receipt check, recount export) needs no account.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_scopes import scope, scopes_disabled

from essaim.core.tenancy import require
from essaim.lib.spreadsheets import spreadsheet_response
from essaim.people.models import Person

from . import counting, selectors, votes
from .models import AgendaItem, Assembly, Attendance, Body, Vote, VoteMethod
from .vote_forms import (
    BallotError,
    PaperRollForm,
    ReceiptForm,
    VoteForm,
    choice_from_post,
    paper_choice_value,
    paper_choices,
)

CAP = "can_run_votes"


def yes_no_choices():
    return [
        ("yes", _("Yes")),
        ("no", _("No")),
        ("abstain", _("Abstain")),
        ("blank", _("Blank ballot")),
    ]


PAGE = 30


def _vote(request, vote_uuid) -> Vote:
    return get_object_or_404(
        Vote.objects.select_related("assembly", "agenda_item", "body"),
        association=request.seat.association,
        uuid=vote_uuid,
    )


def _to_vote(vote: Vote):
    return redirect("governance:vote", association_slug=vote.association.slug, vote_uuid=vote.uuid)


def _errors(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# --- Team: list and preparation ------------------------------------------------------------


_require = require(CAP)


@_require
def vote_list(request, association_slug: str):
    association = request.seat.association
    query = request.GET.get("q", "")[:100].strip()
    qs = votes.votes_of(association)
    if query:
        qs = qs.filter(title__icontains=query)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/votes.html",
        {"association": association, "page": page, "query": query},
    )


def _initial(association, assembly: Assembly | None, item: AgendaItem | None) -> dict:
    majority, custom = votes.default_majority(association, assembly)
    rules = selectors.rules_for(association)
    return {
        "title": item.title if item else "",
        "method": VoteMethod.YES_NO,
        "secret": True,
        "weighted": rules.weighted_votes,
        "majority": majority,
        "majority_custom": custom,
        "max_score": 5,
    }


@_require
def vote_create(request, association_slug: str, assembly_uuid=None):
    """Prepare a vote: from a meeting (?item=<agenda item> for a resolution), or standalone
    (?body=<body> for a board's vote; otherwise an online vote of the members)."""
    association = request.seat.association
    assembly = item = body = None
    if assembly_uuid:
        assembly = get_object_or_404(Assembly, association=association, uuid=assembly_uuid)
        item_uuid = request.GET.get("item") or request.POST.get("item")
        if item_uuid:
            try:
                item = AgendaItem.objects.filter(
                    association=association, assembly=assembly, uuid=item_uuid
                ).first()
            except ValidationError:
                item = None
            if item is None:
                raise Http404
    elif request.GET.get("body") or request.POST.get("body"):
        try:
            body = Body.objects.filter(
                association=association, uuid=request.GET.get("body") or request.POST.get("body")
            ).first()
        except ValidationError:
            body = None
        if body is None:
            raise Http404
    form = VoteForm(request.POST or None, initial=_initial(association, assembly, item))
    if request.method == "POST":
        vote = form.call_service(
            votes.vote_create,
            association=association,
            acting_user=request.user,
            assembly=None if item else assembly,
            agenda_item=item,
            body=body,
        )
        if vote is not None:
            messages.success(request, _("Vote prepared. Open it when the members may vote."))
            return _to_vote(vote)
    return render(
        request,
        "governance/vote_form.html",
        {
            "association": association,
            "assembly": assembly,
            "item": item,
            "body": body,
            "form": form,
            "bodies": list(Body.objects.filter(association=association)) if not assembly else [],
        },
        status=422 if form.errors else 200,
    )


# --- Team: one vote -----------------------------------------------------------------------


def _people(vote: Vote) -> list[Person]:
    """Who may hand in a paper ballot (for the teller's list)."""
    association = vote.association
    if vote.assembly_id:
        ids = Attendance.objects.filter(assembly=vote.assembly).values("person_id")
        return list(
            Person.objects.filter(association=association, pk__in=ids).order_by("sort_name", "id")
        )
    if vote.body_id:
        return [seat.person for seat in vote.body.seats.select_related("person")]
    return list(
        selectors.voting_members(association, votes.vote_day(vote)).order_by("sort_name", "id")[
            :2000
        ]
    )


def _givers(vote: Vote) -> list[Person]:
    if not vote.assembly_id:
        return []
    return [
        p.giver
        for p in selectors.live_proxies(vote.assembly)
        .select_related("giver")
        .order_by("giver__sort_name")
    ]


def _detail_context(request, vote: Vote, **extra) -> dict:
    association = vote.association
    result = votes.vote_result(vote)
    context = {
        "association": association,
        "vote": vote,
        "options": list(vote.options.all()),
        "result": result,
        "participation": votes.participation(vote),
        "paper_form": None,
        "paper_choices": paper_choices(vote)
        if vote.method in (VoteMethod.YES_NO, VoteMethod.SINGLE)
        else [],
        "grades": list(enumerate(vote.grades or counting.DEFAULT_GRADES)),
        "yes_no_choices": yes_no_choices(),
        "ranks": list(range(1, vote.options.count() + 1)),
        "scores": list(range(0, vote.max_score + 1)),
        "roll": None,
    }
    if vote.is_open:
        context["paper_form"] = extra.pop("paper_form", None) or PaperRollForm(
            people=_people(vote), represented=_givers(vote), vote=vote
        )
    if not vote.secret:
        context["roll"] = list(
            vote.roll.select_related("voter", "represented").order_by("represented__sort_name")
        )
    if result["counts"] and vote.method == VoteMethod.RANKED:
        labels = [o["label"] for o in result["options"]]
        context["matrix"] = list(zip(labels, result["counts"]["pairwise"], strict=True))
        context["matrix_labels"] = labels
    return context | extra


@_require
def vote_detail(request, association_slug: str, vote_uuid):
    vote = _vote(request, vote_uuid)
    return render(request, "governance/vote.html", _detail_context(request, vote))


@_require
def vote_participation(request, association_slug: str, vote_uuid):
    """The live participation box alone (polled every 5 s while the vote is open)."""
    vote = _vote(request, vote_uuid)
    return render(
        request,
        "governance/vote_participation_box.html",
        {"association": vote.association, "vote": vote, "participation": votes.participation(vote)},
    )


@_require
@require_POST
def vote_state(request, association_slug: str, vote_uuid, action: str):
    """Open, close (and seal) or publish the vote."""
    vote = _vote(request, vote_uuid)
    service, success = {
        "open": (votes.vote_open, _("The vote is open: members can vote now.")),
        "close": (
            votes.vote_close,
            _("The vote is closed; the ballot box is sealed and counted."),
        ),
        "publish": (votes.vote_publish, _("The result and the final hash are published.")),
    }.get(action, (None, ""))
    if service is None:
        raise Http404
    try:
        service(association=request.seat.association, acting_user=request.user, vote=vote)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, success)
    return _to_vote(vote)


@_require
@require_POST
def vote_delete(request, association_slug: str, vote_uuid):
    vote = _vote(request, vote_uuid)
    target = (
        redirect(
            "governance:assembly",
            association_slug=vote.association.slug,
            assembly_uuid=vote.assembly.uuid,
        )
        if vote.assembly_id
        else redirect("governance:votes", association_slug=vote.association.slug)
    )
    try:
        votes.vote_delete(association=request.seat.association, acting_user=request.user, vote=vote)
    except ValidationError as error:
        _errors(request, error)
        return _to_vote(vote)
    messages.success(request, _("Vote removed."))
    return target


@_require
@require_POST
def vote_verify(request, association_slug: str, vote_uuid):
    vote = _vote(request, vote_uuid)
    check = votes.vote_verify(
        association=request.seat.association, acting_user=request.user, vote=vote
    )
    if check.ok:
        messages.success(
            request,
            _("The ballot box matches its seal: %(count)d ballots, final hash %(hash)s.")
            % {"count": check.ballots, "hash": vote.final_hash},
        )
    else:
        messages.error(
            request,
            _("The ballot box does not match its seal: %(problems)s")
            % {"problems": " ".join(p.message for p in check.problems)},
        )
    return _to_vote(vote)


@_require
@require_POST
def vote_paper_roll(request, association_slug: str, vote_uuid):
    """A teller marks a paper voter on the roll (and, for a public vote, their choice)."""
    association = request.seat.association
    vote = _vote(request, vote_uuid)
    people = _people(vote)
    givers = _givers(vote)
    form = PaperRollForm(request.POST, people=people, represented=givers, vote=vote)
    if form.is_valid():
        voter = {p.uuid: p for p in people}.get(form.cleaned_data["voter"])
        represented_uuid = form.cleaned_data.get("represented")
        represented = (
            {p.uuid: p for p in givers}.get(represented_uuid) if represented_uuid else voter
        )
        if voter is None or represented is None:
            form.add_error("voter", _("Choose a member present."))
        else:
            try:
                votes.vote_paper_record(
                    association=association,
                    acting_user=request.user,
                    vote=vote,
                    voter=voter,
                    represented=represented,
                    choice=paper_choice_value(form.cleaned_data.get("choice") or ""),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("%(name)s is marked on the roll as voting on paper.") % {"name": represented},
                )
                return _to_vote(vote)
    context = _detail_context(request, vote, paper_form=form)
    return render(request, "governance/vote.html", context, status=422)


@_require
@require_POST
def vote_paper_ballots(request, association_slug: str, vote_uuid):
    """Tellers enter the paper ballots of a secret vote: a total per choice (yes / no /
    single choice), or one ballot at a time for the other methods."""
    association = request.seat.association
    vote = _vote(request, vote_uuid)
    entries = []
    try:
        if vote.method in (VoteMethod.YES_NO, VoteMethod.SINGLE):
            for value, _label in paper_choices(vote):
                raw = (request.POST.get(f"total-{value}") or "0").strip() or "0"
                if not raw.isdigit():
                    raise ValidationError(_("A number of votes is a whole number, 0 or more."))
                entries.append((paper_choice_value(value), int(raw)))
        else:
            keys = votes.option_keys(vote)
            entries.append((choice_from_post(vote, request.POST, "paper-", keys), 1))
        added = votes.vote_paper_ballots_add(
            association=association, acting_user=request.user, vote=vote, entries=entries
        )
    except BallotError as error:
        messages.error(request, str(error) or _("Fill in the ballot, or tick “blank ballot”."))
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request, _("%(count)d paper votes added to the ballot box.") % {"count": added}
        )
    return _to_vote(vote)


@_require
def vote_export(request, association_slug: str, vote_uuid, fmt: str):
    vote = _vote(request, vote_uuid)
    return _export(vote, fmt)


def _export(vote: Vote, fmt: str):
    try:
        data = votes.recount_export(vote)
    except ValidationError as error:
        raise Http404 from error
    if fmt == "json":
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})
        response["Content-Disposition"] = f'attachment; filename="vote-{vote.uuid}.json"'
        return response
    return spreadsheet_response(
        votes.RECOUNT_CSV_HEADER,
        votes.recount_rows(vote),
        fmt="csv",
        name=f"vote-{vote.uuid}",
        title="ballots",
    )


# --- Members ------------------------------------------------------------------------------


def _my_votes(user):
    """(vote, person) pairs the account's contacts may take part in, open ones first."""
    with scopes_disabled():
        persons = list(
            Person.objects.filter(user=user, erased_at__isnull=True).select_related("association")
        )
        rows = []
        for person in persons:
            qs = (
                Vote.objects.filter(association_id=person.association_id)
                .exclude(status=Vote.Status.DRAFT)
                .select_related("assembly", "association", "body")
            )
            for vote in qs.order_by("-opened_at")[:50]:
                rows.append((vote, person))
    return rows


def _may_see(vote: Vote, person: Person) -> bool:
    if vote.assembly_id:
        return (
            vote.assembly.convocations.filter(person=person).exists()
            or Attendance.objects.filter(assembly=vote.assembly, person=person).exists()
        )
    if vote.body_id:
        return vote.body.seats.filter(person=person).exists()
    return selectors.is_voting_member(person, votes.vote_day(vote))


@login_required
@never_cache
def my_votes(request):
    rows = []
    for vote, person in _my_votes(request.user):
        with scope(association=vote.association):
            if not _may_see(vote, person):
                continue
            ballots = votes.ballots_for(vote, person) if vote.is_open else []
            rows.append(
                {
                    "vote": vote,
                    "person": person,
                    "to_cast": sum(1 for b in ballots if b["eligible"] and not b["cast"]),
                    "cast": sum(1 for b in ballots if b["cast"]),
                }
            )
    rows.sort(
        key=lambda r: (
            not r["vote"].is_open,
            -(r["vote"].opened_at.timestamp() if r["vote"].opened_at else 0),
        )
    )
    return render(request, "governance/vote_member_list.html", {"rows": rows})


def _own_vote(request, vote_uuid) -> tuple[Vote, Person]:
    with scopes_disabled():
        vote = (
            Vote.objects.select_related("association", "assembly", "body")
            .filter(uuid=vote_uuid)
            .exclude(status=Vote.Status.DRAFT)
            .first()
        )
        person = (
            Person.objects.filter(
                user=request.user, association_id=vote.association_id, erased_at__isnull=True
            ).first()
            if vote
            else None
        )
    if vote is None or person is None:
        raise Http404
    with scope(association=vote.association):
        if not _may_see(vote, person):
            raise Http404
    return vote, person


@login_required
@never_cache
def ballot(request, vote_uuid):
    """The member's ballot page: one ballot for themselves and one per proxy they hold.
    A POST casts one of them and shows its receipt code, once."""
    vote, person = _own_vote(request, vote_uuid)
    association = vote.association
    receipt = None
    error = ""
    posted = None
    with scope(association=association):
        keys = votes.option_keys(vote)
        if request.method == "POST":
            target = request.POST.get("for", "")
            rows = {str(r["person"].uuid): r for r in votes.ballots_for(vote, person)}
            row = rows.get(target)
            posted = target
            if row is None:
                raise Http404
            try:
                choice = choice_from_post(vote, request.POST, f"b{target}-", keys)
                receipt = votes.vote_cast(
                    association=association,
                    acting_user=request.user,
                    vote=vote,
                    voter=person,
                    represented=row["person"],
                    choice=choice,
                )
            except BallotError as exc:
                error = str(exc) or _("Fill in your ballot, or choose a blank ballot.")
            except ValidationError as exc:
                error = " ".join(exc.messages)
        ballots = votes.ballots_for(vote, person) if vote.is_open else []
        for row in ballots:
            row["prefix"] = f"b{row['person'].uuid}-"
        context = {
            "vote": vote,
            "association": association,
            "person": person,
            "options": list(vote.options.all()),
            "ballots": ballots,
            "receipt": receipt,
            "error": error,
            "posted": posted,
            "grades": list(enumerate(vote.grades or counting.DEFAULT_GRADES)),
            "yes_no_choices": yes_no_choices(),
            "ranks": list(range(1, len(keys) + 1)),
            "scores": list(range(0, vote.max_score + 1)),
            "result": votes.vote_result(vote) if vote.status == Vote.Status.PUBLISHED else None,
        }
        status = 422 if error else 200
        return render(request, "governance/vote_member_ballot.html", context, status=status)


# --- Public page of a vote ----------------------------------------------------------------


def _public_vote(vote_uuid) -> Vote:
    with scopes_disabled():
        vote = (
            Vote.objects.select_related("association")
            .filter(uuid=vote_uuid)
            .exclude(status=Vote.Status.DRAFT)
            .first()
        )
    if vote is None:
        raise Http404
    return vote


@never_cache
def public_vote(request, vote_uuid):
    """Anyone with the link: the published result and final hash, the receipt check, the
    recount export. Before publication, only the receipt check."""
    vote = _public_vote(vote_uuid)
    with scope(association=vote.association):
        form = ReceiptForm(request.POST or None)
        check = None
        if request.method == "POST" and form.is_valid():
            check = votes.receipt_check(vote, form.cleaned_data["code"])
            if check is None:
                form.add_error("code", _("A receipt code has 16 letters and digits."))
        published = vote.status == Vote.Status.PUBLISHED
        context = {
            "vote": vote,
            "association": vote.association,
            "form": form,
            "check": check,
            "result": votes.vote_result(vote) if published else None,
            "options": list(vote.options.all()),
        }
        if published and vote.method == VoteMethod.RANKED:
            labels = [o["label"] for o in context["result"]["options"]]
            context["matrix"] = list(
                zip(labels, context["result"]["counts"]["pairwise"], strict=True)
            )
            context["matrix_labels"] = labels
        return render(request, "governance/vote_public.html", context)


def public_vote_export(request, vote_uuid, fmt: str):
    vote = _public_vote(vote_uuid)
    if vote.status != Vote.Status.PUBLISHED:
        raise Http404
    with scope(association=vote.association):
        return _export(vote, fmt)
