"""Votes: services (create, open, cast, paper ballots, close and seal, publish) and selectors
(who may vote, participation, results, recount export, receipt check).

Secrecy. The roll (`RollEntry`: who voted, for whom) and the box (`Ballot`: what was voted)
are written in the same transaction when a member casts a ballot online, so that a ballot is
never counted without its voter being marked, nor the reverse. Nothing links them afterwards:
no foreign key, no timestamp on a ballot, random UUID keys. While the vote is open the
database itself still knows the order of the rows (SQLite rowid, PostgreSQL ctid and the
transaction id `xmin` that a roll entry and its ballot share): at closing, `vote_close`
rewrites the whole box in one transaction, in a random order and under new random keys,
then chains it; the rows of the casting are gone (PostgreSQL keeps their dead versions until
VACUUM: autovacuum, or `VACUUM governance_ballot` after a sensitive vote). No log line and no
AuditLog row carries a ballot's content or receipt.

Counting is never done here: `recount.count_box` maps a vote to essaim.governance.counting,
the same function the standalone recount script uses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from essaim.core.audit import audit_log
from essaim.core.models import Association
from essaim.lib.text import has_forbidden_characters
from essaim.people.models import Person

from . import ballot_box, counting, recount, selectors
from .models import (
    AgendaItem,
    Assembly,
    AssemblyKind,
    Attendance,
    Ballot,
    Body,
    BodySeat,
    Majority,
    RollEntry,
    Vote,
    VoteMethod,
    VoteOption,
)
from .quorum import parse_share

MAX_OPTIONS = 30
OPTION_METHODS = (
    VoteMethod.SINGLE,
    VoteMethod.APPROVAL,
    VoteMethod.RANKED,
    VoteMethod.JUDGMENT,
    VoteMethod.SCORE,
)
YES_NO_CHOICES = (counting.YES, counting.NO, counting.ABSTAIN)


# --- Helpers ------------------------------------------------------------------------------


def _user(acting_user):
    return acting_user if getattr(acting_user, "is_authenticated", False) else None


def _lock(vote: Vote) -> Vote:
    return Vote.objects.select_for_update().get(pk=vote.pk)


def option_keys(vote: Vote) -> list[str]:
    return [o.key for o in vote.options.all()] if vote.method != VoteMethod.YES_NO else []


def majority_spec(vote: Vote) -> dict:
    """The vote's majority as recount/counting read it."""
    if vote.majority == Majority.CUSTOM and vote.majority_custom:
        share = parse_share(vote.majority_custom)
        return {"name": "qualified", "fraction": f"{share.numerator}/{share.denominator}"}
    return {"name": vote.majority if vote.majority != Majority.CUSTOM else "simple"}


def vote_spec(vote: Vote) -> dict:
    """What counting needs to know of the vote (plain data, see recount.count_box)."""
    return {
        "uuid": str(vote.uuid),
        "title": vote.title,
        "method": vote.method,
        "options": [{"key": o.key, "label": o.label} for o in vote.options.all()],
        "majority": majority_spec(vote),
        "max_score": vote.max_score,
        "grades": list(vote.grades or counting.DEFAULT_GRADES),
        "weighted": vote.weighted,
        "secret": vote.secret,
    }


INVALID_MESSAGES = {
    "unknown_option": gettext_lazy("This option is not on the ballot."),
    "duplicate_option": gettext_lazy("An option appears twice on this ballot."),
    "score_out_of_range": gettext_lazy("A score must be a whole number between 0 and %(max)d."),
    "missing_score": gettext_lazy("Give a score to every option."),
    "grade_out_of_range": gettext_lazy("Choose one of the grades offered."),
    "missing_grade": gettext_lazy("Give a grade to every option."),
    "not_a_yes_no": gettext_lazy("Answer yes, no or abstain."),
}


def clean_choice(vote: Vote, choice: Any, keys: list[str] | None = None) -> Any:
    """The choice in its stored form, checked by the counting module itself (a ballot it
    would refuse is refused now, with a clear message). None is a blank ballot."""
    keys = option_keys(vote) if keys is None else keys
    method = vote.method
    if choice in (None, "", [], {}):
        return None
    try:
        if method == VoteMethod.YES_NO:
            if choice not in YES_NO_CHOICES:
                raise counting.InvalidBallot("not yes/no", 0, "not_a_yes_no")
        elif method == VoteMethod.SINGLE:
            if not isinstance(choice, str):
                raise counting.InvalidBallot("shape", 0, "unknown_option")
        elif method in (VoteMethod.APPROVAL, VoteMethod.RANKED):
            if not isinstance(choice, list) or len(choice) > len(keys) * 2:
                raise counting.InvalidBallot("shape", 0, "shape")
            if not all(isinstance(c, str) for c in choice):
                raise counting.InvalidBallot("shape", 0, "unknown_option")
            if len(set(choice)) != len(choice):
                raise counting.InvalidBallot("dup", 0, "duplicate_option")
            if method == VoteMethod.APPROVAL:
                choice = sorted(choice, key=lambda k: keys.index(k) if k in keys else -1)
        elif method in (VoteMethod.JUDGMENT, VoteMethod.SCORE):
            if not isinstance(choice, dict) or len(choice) > len(keys):
                raise counting.InvalidBallot("shape", 0, "missing_grade")
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in choice.values()):
                raise counting.InvalidBallot(
                    "shape",
                    0,
                    "grade_out_of_range" if method == VoteMethod.JUDGMENT else "score_out_of_range",
                )
            choice = {str(k): v for k, v in choice.items()}
        spec = vote_spec(vote) | {"options": keys}
        recount.count_box(spec, [(1, recount.counting_choice(method, choice))])
    except counting.InvalidBallot as error:
        message = INVALID_MESSAGES.get(
            error.code, gettext_lazy("This ballot is not filled in correctly.")
        )
        text = str(message)
        if error.code == "score_out_of_range":
            text = text % {"max": vote.max_score}
        raise ValidationError({"choice": text}) from error
    return choice


# --- Creating and opening -----------------------------------------------------------------


def default_majority(association: Association, assembly: Assembly | None) -> tuple[str, str]:
    rules = selectors.rules_for(association)
    if assembly is not None and assembly.kind == AssemblyKind.EXTRAORDINARY:
        return rules.majority_extraordinary, rules.majority_extraordinary_custom
    return rules.majority_ordinary, rules.majority_ordinary_custom


@transaction.atomic
def vote_create(
    *,
    association: Association,
    acting_user,
    title: str,
    method: str = VoteMethod.YES_NO,
    assembly: Assembly | None = None,
    agenda_item: AgendaItem | None = None,
    body: Body | None = None,
    description: str = "",
    options: list[str] | tuple = (),
    secret: bool = True,
    weighted: bool | None = None,
    majority: str | None = None,
    majority_custom: str = "",
    max_score: int = 5,
    grades: list[str] | None = None,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
) -> Vote:
    """A vote being prepared: on an agenda item (its assembly's majority by default, from
    the statutes rules per kind of meeting), or standalone (a body's vote, or an online
    vote of the members when the statutes allow remote voting)."""
    errors: dict[str, str] = {}
    if agenda_item is not None:
        if agenda_item.association_id != association.pk:
            raise ValidationError(
                {"agenda_item": _("This agenda item is not in your association.")}
            )
        assembly = agenda_item.assembly
        title = title or agenda_item.title
    for thing in (assembly, body):
        if thing is not None and thing.association_id != association.pk:
            raise ValidationError(_("This meeting or body is not in your association."))
    if assembly is not None and body is not None:
        errors["body"] = _("A vote belongs to a general meeting or to a body, not both.")
    if assembly is not None and assembly.status == Assembly.Status.CLOSED:
        errors["title"] = _("This meeting is closed: it can no longer hold a vote.")
    title = (title or "").strip()
    description = description or ""
    if not title:
        errors["title"] = _("Write the question put to the vote.")
    elif has_forbidden_characters(title) or has_forbidden_characters(description):
        errors["title"] = _("This text contains characters that are not allowed.")
    if method not in VoteMethod.values:
        errors["method"] = _("Choose a voting method.")
    rules = selectors.rules_for(association)
    if assembly is None and body is None and not rules.remote_voting_allowed:
        errors["method"] = _(
            "Your statutes rules do not allow remote voting: an online vote of the members "
            "needs it (Governance → Statutes rules)."
        )
    labels = [str(o).strip() for o in options if str(o).strip()]
    if method in OPTION_METHODS:
        if len(labels) < 2:
            errors["options"] = _("Give at least two options, one per line.")
        elif len(labels) > MAX_OPTIONS:
            errors["options"] = _("%(max)d options at most.") % {"max": MAX_OPTIONS}
        elif len({label.casefold() for label in labels}) != len(labels):
            errors["options"] = _("Two options have the same text.")
        elif any(len(label) > 200 or has_forbidden_characters(label) for label in labels):
            errors["options"] = _("An option is too long or contains characters not allowed.")
    else:
        labels = []
    if majority is None:
        majority, majority_custom = default_majority(association, assembly)
    if majority not in Majority.values:
        errors["majority"] = _("Choose a majority.")
    elif majority == Majority.CUSTOM:
        try:
            parse_share(majority_custom)
        except ValueError:
            errors["majority_custom"] = _(
                "Write a share such as 3/4 or 60 % (more than 0, at most all)."
            )
    if method == VoteMethod.SCORE and not 1 <= int(max_score or 0) <= 100:
        errors["max_score"] = _("The highest score is between 1 and 100.")
    grades = list(grades or counting.DEFAULT_GRADES)
    if method == VoteMethod.JUDGMENT and not 2 <= len(grades) <= 10:
        errors["grades"] = _("Between 2 and 10 grades.")
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = _("The vote must close after it opens.")
    if errors:
        raise ValidationError(errors)
    if weighted is None:
        weighted = rules.weighted_votes and body is None
    vote = Vote.objects.create(
        association=association,
        assembly=assembly,
        agenda_item=agenda_item,
        body=body,
        title=title[:200],
        description=description,
        method=method,
        majority=majority,
        majority_custom=majority_custom if majority == Majority.CUSTOM else "",
        secret=bool(secret),
        weighted=bool(weighted) and body is None,
        max_score=int(max_score or 5),
        grades=grades,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=_user(acting_user),
    )
    VoteOption.objects.bulk_create(
        VoteOption(vote=vote, association=association, key=str(i), position=i, label=label[:200])
        for i, label in enumerate(labels, start=1)
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="vote.create",
        obj=vote,
        data={"method": method, "secret": vote.secret, "weighted": vote.weighted},
    )
    return vote


@transaction.atomic
def vote_open(*, association: Association, acting_user, vote: Vote) -> Vote:
    """Open the ballot box. A meeting's vote opens while the meeting is in session."""
    vote = _lock(vote)
    if vote.status != Vote.Status.DRAFT:
        raise ValidationError(_("This vote has already been opened."))
    if vote.assembly_id and vote.assembly.status != Assembly.Status.OPEN:
        raise ValidationError(_("Open the meeting first: its votes open during the session."))
    vote.status = Vote.Status.OPEN
    vote.opened_at = timezone.now()
    vote.save(update_fields=["status", "opened_at", "updated_at"])
    audit_log(association=association, actor=acting_user, action="vote.open", obj=vote)
    return vote


@transaction.atomic
def vote_delete(*, association: Association, acting_user, vote: Vote) -> None:
    vote = _lock(vote)
    if vote.status != Vote.Status.DRAFT:
        raise ValidationError(_("Only a vote not opened yet can be removed."))
    audit_log(association=association, actor=acting_user, action="vote.delete", obj=vote)
    vote.delete()


# --- Who may vote -------------------------------------------------------------------------


def vote_day(vote: Vote) -> dt.date:
    if vote.assembly_id:
        return selectors.assembly_day(vote.assembly)
    return timezone.localdate(vote.opened_at) if vote.opened_at else timezone.localdate()


def _weight_of(vote: Vote, person: Person) -> int | None:
    """The person's voting weight in this vote (1 unweighted), or None without voting rights."""
    if vote.body_id:
        return 1 if BodySeat.objects.filter(body_id=vote.body_id, person=person).exists() else None
    weight = (
        selectors._voting_memberships(vote.association, vote_day(vote))
        .filter(person=person)
        .aggregate(w=Max("membership_type__voting_weight"))["w"]
    )
    if not weight:
        return None
    return int(weight) if vote.weighted else 1


def check_eligible(vote: Vote, voter: Person, represented: Person) -> int:
    """Whether `voter` may cast the ballot of `represented` (themselves, or a member whose
    live proxy they hold); returns the ballot's weight, raises ValidationError otherwise."""
    association_id = vote.association_id
    if voter.association_id != association_id or represented.association_id != association_id:
        raise ValidationError(_("This person is not a member of the association."))
    if voter.erased_at or represented.erased_at:
        raise ValidationError(_("This person has no voting rights in this vote."))
    weight = _weight_of(vote, represented)
    if weight is None:
        raise ValidationError(_("This person has no voting rights in this vote."))
    if vote.assembly_id:
        assembly = vote.assembly
        present = set(
            Attendance.objects.filter(
                assembly=assembly, person_id__in={voter.pk, represented.pk}
            ).values_list("person_id", flat=True)
        )
        if voter.pk not in present:
            raise ValidationError(
                _("Only members checked in at the meeting vote (on site or online).")
            )
        if voter.pk != represented.pk:
            if represented.pk in present:
                raise ValidationError(_("This member is present: they vote themselves."))
            if _weight_of(vote, voter) is None:
                raise ValidationError(_("This person has no voting rights in this vote."))
            if (
                not selectors.live_proxies(assembly)
                .filter(giver=represented, holder=voter)
                .exists()
            ):
                raise ValidationError(_("You do not hold this member's proxy."))
    elif voter.pk != represented.pk:
        raise ValidationError(_("Proxies apply to general meetings only."))
    return weight


def ballots_for(vote: Vote, voter: Person) -> list[dict]:
    """The ballots `voter` may cast: their own and one per proxy held, each with its weight
    and whether it was already cast (and how)."""
    people = [voter]
    if vote.assembly_id:
        people += [
            p.giver
            for p in selectors.live_proxies(vote.assembly)
            .filter(holder=voter)
            .select_related("giver")
            .order_by("giver__sort_name")
        ]
    done = dict(
        RollEntry.objects.filter(vote=vote, represented__in=people).values_list(
            "represented_id", "channel"
        )
    )
    rows = []
    for person in people:
        try:
            weight = check_eligible(vote, voter, person)
            reason = ""
        except ValidationError as error:
            weight, reason = 0, " ".join(error.messages)
        rows.append(
            {
                "person": person,
                "own": person.pk == voter.pk,
                "weight": weight,
                "eligible": weight > 0,
                "reason": reason,
                "cast": done.get(person.pk),
            }
        )
    return rows


# --- Casting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CastReceipt:
    represented: Person
    code: str  # shown once; empty for a paper ballot
    weight: int


def _check_window(vote: Vote) -> None:
    now = timezone.now()
    if vote.status == Vote.Status.DRAFT or (vote.opens_at and now < vote.opens_at):
        raise ValidationError(_("This vote is not open yet."))
    if vote.status != Vote.Status.OPEN or (vote.closes_at and now >= vote.closes_at):
        raise ValidationError(_("This vote is closed: no more ballots are accepted."))


def _roll_add(vote: Vote, voter: Person, represented: Person, channel: str, weight: int, public):
    try:
        with transaction.atomic():
            return RollEntry.objects.create(
                vote=vote,
                association_id=vote.association_id,
                represented=represented,
                voter=voter,
                channel=channel,
                weight=weight,
                public_choice=public,
            )
    except IntegrityError as error:
        if voter.pk == represented.pk:
            message = _("You have already voted in this vote.")
        else:
            message = _("A ballot has already been cast for %(name)s.") % {"name": represented}
        raise ValidationError(message) from error


def vote_cast(
    *,
    association: Association,
    acting_user,
    vote: Vote,
    voter: Person,
    represented: Person | None = None,
    choice: Any,
) -> CastReceipt:
    """Cast one ballot online: `voter` for themselves, or for `represented` whose proxy they
    hold. The roll entry is unique per (vote, represented person) in the database: a
    second ballot is refused, even sent at the same moment. Returns the receipt code, shown
    once and stored nowhere but hashed on the ballot."""
    represented = represented or voter
    if vote.association_id != association.pk:
        raise ValidationError(_("This vote is not in your association."))
    keys = option_keys(vote)
    choice = clean_choice(vote, choice, keys)
    with transaction.atomic():
        # The vote's row, locked: closing (which seals the box) waits for ballots being cast,
        # and a ballot never lands in a box already sealed.
        vote = _lock(vote)
        _check_window(vote)
        weight = check_eligible(vote, voter, represented)
        _roll_add(
            vote,
            voter,
            represented,
            RollEntry.Channel.ONLINE,
            weight,
            None if vote.secret else choice,
        )
        code = ballot_box.new_receipt_code()
        Ballot.objects.create(
            vote=vote,
            association=association,
            channel=Ballot.Channel.ONLINE,
            weight=weight,
            choice=choice,
            receipt_hash=ballot_box.receipt_hash(str(vote.uuid), code),
        )
        audit_log(
            association=association,
            actor=acting_user,
            action="vote.cast",
            obj=vote,
            # The roll's facts only (who voted, for whom): never the choice nor the receipt.
            data={
                "voter": str(voter.uuid),
                "for": str(represented.uuid) if represented.pk != voter.pk else "",
            },
        )
    return CastReceipt(represented=represented, code=code, weight=weight)


@transaction.atomic
def vote_paper_record(
    *,
    association: Association,
    acting_user,
    vote: Vote,
    voter: Person,
    represented: Person | None = None,
    choice: Any = None,
) -> RollEntry:
    """A teller marks on the roll that `voter` voted on paper (for themselves or for the
    member they represent): they can no longer vote online. For a public vote the choice is
    entered with it (one ballot); for a secret vote the paper ballots are entered apart
    (`vote_paper_ballots_add`), never beside a name."""
    represented = represented or voter
    if vote.association_id != association.pk:
        raise ValidationError(_("This vote is not in your association."))
    if not vote.secret:
        choice = clean_choice(vote, choice)
    vote = _lock(vote)
    _check_window(vote)
    weight = check_eligible(vote, voter, represented)
    entry = _roll_add(
        vote, voter, represented, RollEntry.Channel.PAPER, weight, None if vote.secret else choice
    )
    if not vote.secret:
        Ballot.objects.create(
            vote=vote,
            association=association,
            channel=Ballot.Channel.PAPER,
            weight=weight,
            choice=choice,
        )
    audit_log(
        association=association,
        actor=acting_user,
        action="vote.paper_roll",
        obj=vote,
        data={
            "voter": str(voter.uuid),
            "for": str(represented.uuid) if represented.pk != voter.pk else "",
        },
    )
    return entry


def _paper_totals(vote: Vote) -> tuple[int, int]:
    """(weight marked on the roll as paper, weight of the paper ballots in the box)."""
    roll = RollEntry.objects.filter(vote=vote, channel=RollEntry.Channel.PAPER).aggregate(
        w=Sum("weight")
    )["w"]
    box = Ballot.objects.filter(vote=vote, channel=Ballot.Channel.PAPER).aggregate(w=Sum("weight"))[
        "w"
    ]
    return roll or 0, box or 0


@transaction.atomic
def vote_paper_ballots_add(
    *, association: Association, acting_user, vote: Vote, entries: list[tuple[Any, int]]
) -> int:
    """Tellers enter the paper ballots of a secret vote: `entries` is a list of
    (choice, number of votes): (choice, 1) for one ballot read aloud, or a total counted on
    the table (a total is one ballot row weighing that number). The paper box can never
    weigh more than the paper voters marked on the roll. Returns the weight added."""
    if vote.association_id != association.pk:
        raise ValidationError(_("This vote is not in your association."))
    if not vote.secret:
        raise ValidationError(
            _("In a public vote, enter each paper ballot with the voter's name on the roll.")
        )
    keys = option_keys(vote)
    cleaned = []
    for choice, number in entries:
        if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= 100000:
            raise ValidationError({"number": _("A number of votes is a whole number, 0 or more.")})
        if number:
            cleaned.append((clean_choice(vote, choice, keys), number))
    if not cleaned:
        raise ValidationError({"number": _("Enter at least one ballot.")})
    vote = _lock(vote)
    if vote.status != Vote.Status.OPEN:
        raise ValidationError(_("Paper ballots are entered while the vote is open."))
    roll, box = _paper_totals(vote)
    added = sum(number for _choice, number in cleaned)
    if box + added > roll:
        raise ValidationError(
            {
                "number": _(
                    "The paper box would hold %(box)d votes for %(roll)d paper voters marked "
                    "on the roll: mark the voters first, or check the count."
                )
                % {"box": box + added, "roll": roll}
            }
        )
    Ballot.objects.bulk_create(
        Ballot(
            vote=vote,
            association=association,
            channel=Ballot.Channel.PAPER,
            weight=number,
            choice=choice,
        )
        for choice, number in ballot_box.shuffled(cleaned)
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="vote.paper_ballots",
        obj=vote,
        data={"votes": added},  # how many, never what
    )
    return added


# --- Closing, sealing, verifying, publishing ------------------------------------------------


def _box_rows(vote: Vote) -> list[dict]:
    return [
        {
            "position": b.position,
            "channel": b.channel,
            "weight": b.weight,
            "choice": b.choice,
            "receipt_hash": b.receipt_hash,
            "chain_hash": b.chain_hash,
        }
        for b in Ballot.objects.filter(vote=vote).order_by("position", "id")
    ]


def vote_verify_box(vote: Vote) -> ballot_box.Verification:
    """Recompute the chain of a sealed box: any ballot changed, removed or added is found,
    and the online ballots must match the online voters of the roll one for one."""
    check = ballot_box.verify(
        str(vote.uuid),
        vote.method,
        option_keys(vote),
        _box_rows(vote),
        expected_final_hash=vote.final_hash,
        expected_count=vote.ballot_count,
    )
    online_roll = RollEntry.objects.filter(vote=vote, channel=RollEntry.Channel.ONLINE).count()
    online_box = Ballot.objects.filter(vote=vote, channel=Ballot.Channel.ONLINE).count()
    if online_roll != online_box:
        check.ok = False
        check.problems.append(
            ballot_box.Problem(
                "count",
                None,
                f"{online_box} online ballots for {online_roll} online voters on the roll.",
            )
        )
    return check


def _count(vote: Vote) -> dict:
    spec = vote_spec(vote) | {"options": option_keys(vote)}
    pairs = [
        (b.weight, recount.counting_choice(vote.method, b.choice))
        for b in Ballot.objects.filter(vote=vote).only("weight", "choice")
    ]
    return recount.count_box(spec, pairs)


@transaction.atomic
def vote_close(*, association: Association, acting_user, vote: Vote) -> Vote:
    """Close the box and seal it: the ballots are rewritten in a random order under new
    random keys (nothing of the order of casting survives), numbered, hash-chained; the
    final hash, the count and the result are stored; the chain is verified at once."""
    vote = _lock(vote)
    if vote.status != Vote.Status.OPEN:
        raise ValidationError(
            _("This vote is not open.")
            if vote.status == Vote.Status.DRAFT
            else _("This vote is already closed.")
        )
    rows = [
        {
            "channel": b.channel,
            "weight": b.weight,
            "choice": b.choice,
            "receipt_hash": b.receipt_hash,
        }
        for b in Ballot.objects.filter(vote=vote)
    ]
    sealed, final = ballot_box.chain(
        str(vote.uuid), vote.method, option_keys(vote), ballot_box.shuffled(rows)
    )
    Ballot.objects.filter(vote=vote).delete()
    Ballot.objects.bulk_create(
        [
            Ballot(
                vote=vote,
                association=association,
                channel=b["channel"],
                weight=b["weight"],
                choice=b["choice"],
                receipt_hash=b["receipt_hash"],
                position=b["position"],
                chain_hash=b["chain_hash"],
            )
            for b in sealed
        ],
        batch_size=1000,
    )
    vote.status = Vote.Status.CLOSED
    vote.closed_at = timezone.now()
    vote.ballot_count = len(sealed)
    vote.final_hash = final
    vote.result = _count(vote)
    vote.save(
        update_fields=[
            "status",
            "closed_at",
            "ballot_count",
            "final_hash",
            "result",
            "updated_at",
        ]
    )
    check = vote_verify_box(vote)
    audit_log(
        association=association,
        actor=acting_user,
        action="vote.close",
        obj=vote,
        data={"ballots": len(sealed), "final_hash": final, "verified": check.ok},
    )
    return vote


@transaction.atomic
def vote_publish(*, association: Association, acting_user, vote: Vote) -> Vote:
    """Publish the result and the final hash, after checking the box once more: a box
    tampered with since the closing is refused with what was found."""
    vote = _lock(vote)
    if vote.status == Vote.Status.PUBLISHED:
        return vote
    if vote.status != Vote.Status.CLOSED:
        raise ValidationError(_("Close the vote before publishing its result."))
    check = vote_verify_box(vote)
    if not check.ok:
        audit_log(
            association=association,
            actor=acting_user,
            action="vote.verify",
            obj=vote,
            data={"ok": False, "problems": [p.code for p in check.problems]},
        )
        raise ValidationError(
            _("The ballot box does not match its seal: %(problems)s Nothing was published.")
            % {"problems": " ".join(p.message for p in check.problems)}
        )
    vote.status = Vote.Status.PUBLISHED
    vote.published_at = timezone.now()
    vote.save(update_fields=["status", "published_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="vote.publish",
        obj=vote,
        data={"final_hash": vote.final_hash},
    )
    return vote


def vote_verify(*, association: Association, acting_user, vote: Vote) -> ballot_box.Verification:
    """The "verify the box" action of the team (logged, as CNIL 2019-053 asks)."""
    check = vote_verify_box(vote)
    audit_log(
        association=association,
        actor=acting_user,
        action="vote.verify",
        obj=vote,
        data={"ok": check.ok, "problems": [p.code for p in check.problems]},
    )
    return check


# --- Selectors ----------------------------------------------------------------------------


def votes_of(association: Association, assembly: Assembly | None = None):
    qs = Vote.objects.filter(association=association).select_related(
        "assembly", "agenda_item", "body"
    )
    if assembly is not None:
        qs = qs.filter(assembly=assembly)
    return qs.order_by("-created_at", "-id")


def electorate(vote: Vote) -> dict:
    """Who may vote, as counts: heads (people) and total weight."""
    association = vote.association
    if vote.body_id:
        heads = BodySeat.objects.filter(body_id=vote.body_id).count()
        return {"heads": heads, "weight": heads}
    weights = selectors.voting_weights(association, vote_day(vote))
    if vote.assembly_id:
        assembly = vote.assembly
        present = set(
            Attendance.objects.filter(assembly=assembly).values_list("person_id", flat=True)
        )
        represented = set(
            selectors.live_proxies(assembly)
            .filter(holder_id__in=present)
            .exclude(giver_id__in=present)
            .values_list("giver_id", flat=True)
        )
        people = [p for p in present | represented if p in weights]
    else:
        people = list(weights)
    return {
        "heads": len(people),
        "weight": sum(weights[p] if vote.weighted else 1 for p in people),
    }


def participation(vote: Vote) -> dict:
    """Counts only (never what was voted): the live figures shown while a vote is open."""
    rows = {
        row["channel"]: row
        for row in RollEntry.objects.filter(vote=vote)
        .values("channel")
        .annotate(
            heads=Count("id"),
            weight=Sum("weight"),
            proxies=Count("id", filter=~Q(voter_id=F("represented_id"))),
        )
    }
    online = rows.get(RollEntry.Channel.ONLINE, {})
    paper = rows.get(RollEntry.Channel.PAPER, {})
    roll_paper, box_paper = _paper_totals(vote)
    voted = (online.get("heads") or 0) + (paper.get("heads") or 0)
    return {
        "electorate": electorate(vote),
        "voted": voted,
        "voted_weight": (online.get("weight") or 0) + (paper.get("weight") or 0),
        "online": online.get("heads") or 0,
        "paper": paper.get("heads") or 0,
        "by_proxy": (online.get("proxies") or 0) + (paper.get("proxies") or 0),
        "paper_roll_weight": roll_paper,
        "paper_box_weight": box_paper,
    }


def _majority_label(vote: Vote) -> str:
    if vote.majority == Majority.CUSTOM and vote.majority_custom:
        return _("at least %(share)s of the votes cast") % {"share": vote.majority_custom}
    return str(Majority(vote.majority).label) if vote.majority in Majority.values else ""


def _tie_explanation(vote: Vote, counts: dict, labels: dict) -> str:
    if vote.method == VoteMethod.YES_NO:
        if counts.get("tie"):
            return _("As many yes as no: the motion is not adopted (no casting vote in Essaim).")
        if not counts.get("yes") and counts.get("ballots"):
            return _("No yes vote: the motion is not adopted.")
        return ""
    if not counts.get("tie"):
        if counts.get("winner") is None and counts.get("ballots", 0) == counts.get("blank", 0):
            return _("No ballot expressed a choice: nobody is elected.")
        return ""
    names = ", ".join(labels.get(k, k) for k in counts.get("tied", []))
    explanations = {
        VoteMethod.SINGLE: _("%(names)s have the same number of votes."),
        VoteMethod.APPROVAL: _("%(names)s have the same number of approvals."),
        VoteMethod.SCORE: _("%(names)s have the same total score."),
        VoteMethod.RANKED: _(
            "No option beats %(names)s by the strongest paths (Schulze): they are tied."
        ),
        VoteMethod.JUDGMENT: _(
            "%(names)s received exactly the same grades: majority judgment cannot separate them."
        ),
    }
    return (
        explanations.get(vote.method, "%(names)s are tied.") % {"names": names}
        + " "
        + _("No winner is declared: the meeting decides how to break the tie (a new vote, a draw).")
    )


def vote_result(vote: Vote) -> dict:
    """The result of a vote, for the screens, the API and the minutes (procès-verbal).

    Returns a dict (plain data, JSON-able):

    - ``uuid``, ``title``, ``method`` (yes_no, single, approval, ranked, judgment, score),
      ``method_label``, ``secret``, ``weighted``, ``status``, ``sealed`` (closed or published),
      ``published``, ``opened_at``/``closed_at``/``published_at`` (ISO strings or None);
    - ``majority``: ``{"name", "fraction"?, "label"}`` (meaningful for yes_no);
    - ``options``: ``[{"key", "label"}]`` in the order shown;
    - ``counts``: None until the vote is sealed; then recount.count_box's output: for yes_no
      ``yes``, ``no``, ``abstain``, ``blank``, ``ballots``, ``expressed``, ``required``,
      ``adopted``, ``margin``, ``yes_percent``…; for the other methods ``tallies`` (one per
      option, with its ``label``), ``winner``, ``ranking``, ``tie``, ``tied``, plus
      ``pairwise``/``strongest_paths`` (ranked) or ``grades``/``majority_grade`` (judgment).
      Every figure is weighted when the vote is;
    - ``ballots`` (rows in the box) and ``weight`` (their total weight), ``blank``,
      ``abstain`` (yes_no), ``voters`` (people who voted, from the roll), ``by_proxy``;
    - ``channels``: ``{"online": {"voters", "ballots", "weight"}, "paper": {...}}``;
    - ``adopted`` (yes_no: bool; else None), ``winners`` (keys; several when tied or none),
      ``winner_labels``, ``tie`` (bool), ``tie_explanation`` (a sentence for the minutes);
    - ``final_hash`` (the seal, "" before closing), ``ballot_count`` (sealed),
      ``verified`` (the box still matches its seal: bool, None before closing).

    Before closing, a secret vote's result is never computed: ``counts`` is None and only
    the participation (voters, channels) is given.
    """
    options = [{"key": o.key, "label": o.label} for o in vote.options.all()]
    labels = {o["key"]: o["label"] for o in options}
    roll = {
        row["channel"]: row
        for row in RollEntry.objects.filter(vote=vote)
        .values("channel")
        .annotate(heads=Count("id"), proxies=Count("id", filter=~Q(voter_id=F("represented_id"))))
    }
    box = {
        row["channel"]: row
        for row in Ballot.objects.filter(vote=vote)
        .values("channel")
        .annotate(rows=Count("id"), weight=Sum("weight"))
    }
    channels = {
        channel: {
            "voters": (roll.get(channel) or {}).get("heads") or 0,
            "ballots": (box.get(channel) or {}).get("rows") or 0,
            "weight": (box.get(channel) or {}).get("weight") or 0,
        }
        for channel in ("online", "paper")
    }
    counts = None
    if vote.is_sealed:
        counts = dict(vote.result or _count(vote))
        if "tallies" in counts:
            counts["tallies"] = [
                t | {"label": labels.get(t["key"], t["key"])} for t in counts["tallies"]
            ]
    majority = majority_spec(vote) | {"label": _majority_label(vote)}
    adopted = counts.get("adopted") if counts and vote.method == VoteMethod.YES_NO else None
    if counts and vote.method != VoteMethod.YES_NO:
        winners = [counts["winner"]] if counts.get("winner") else list(counts.get("tied") or [])
    else:
        winners = []
    verified = None
    if vote.is_sealed:
        verified = vote_verify_box(vote).ok

    def iso(value):
        return value.isoformat() if value else None

    return {
        "uuid": str(vote.uuid),
        "title": vote.title,
        "method": vote.method,
        "method_label": str(VoteMethod(vote.method).label),
        "secret": vote.secret,
        "weighted": vote.weighted,
        "status": vote.status,
        "sealed": vote.is_sealed,
        "published": vote.status == Vote.Status.PUBLISHED,
        "opened_at": iso(vote.opened_at),
        "closed_at": iso(vote.closed_at),
        "published_at": iso(vote.published_at),
        "majority": majority,
        "options": options,
        "counts": counts,
        "ballots": channels["online"]["ballots"] + channels["paper"]["ballots"],
        "weight": channels["online"]["weight"] + channels["paper"]["weight"],
        "blank": counts.get("blank", 0) if counts else None,
        "abstain": counts.get("abstain") if counts else None,
        "voters": channels["online"]["voters"] + channels["paper"]["voters"],
        "by_proxy": sum((roll.get(c) or {}).get("proxies") or 0 for c in ("online", "paper")),
        "channels": channels,
        "adopted": adopted,
        "winners": winners if counts and counts.get("winner") else [],
        "tied": list(counts.get("tied") or []) if counts else [],
        "winner_labels": [labels.get(k, k) for k in winners]
        if counts and counts.get("winner")
        else [],
        "tie": bool(counts and counts.get("tie")),
        "tie_explanation": _tie_explanation(vote, counts, labels) if counts else "",
        "final_hash": vote.final_hash,
        "ballot_count": vote.ballot_count,
        "verified": verified,
    }


def recount_export(vote: Vote) -> dict:
    """Everything needed to recount a sealed vote without Essaim (recount.py reads it)."""
    if not vote.is_sealed:
        raise ValidationError(_("The recount export exists once the vote is closed."))
    return {
        "format": ballot_box.VERSION,
        "vote": vote_spec(vote),
        "final_hash": vote.final_hash,
        "ballot_count": vote.ballot_count,
        "ballots": _box_rows(vote),
        "how_to_recount": "python -m essaim.governance.recount export.json",
    }


RECOUNT_CSV_HEADER = ("position", "channel", "weight", "choice", "receipt_hash", "chain_hash")


def recount_rows(vote: Vote):
    for row in _box_rows(vote):
        yield [
            row["position"],
            row["channel"],
            row["weight"],
            ballot_box.canonical(row["choice"]),
            row["receipt_hash"],
            row["chain_hash"],
        ]


def receipt_check(vote: Vote, code: str) -> dict | None:
    """Whose holder's ballot is in the box: {"found", "position", "chain_hash", "sealed"};
    None when the code is not a receipt code at all."""
    try:
        digest = ballot_box.receipt_hash(str(vote.uuid), code)
    except ValueError:
        return None
    ballot = Ballot.objects.filter(vote=vote, receipt_hash=digest).first()
    return {
        "found": ballot is not None,
        "position": ballot.position if ballot else None,
        "chain_hash": ballot.chain_hash if ballot else "",
        "sealed": vote.is_sealed,
        "final_hash": vote.final_hash,
        "ballot_count": vote.ballot_count,
    }


def share_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"
