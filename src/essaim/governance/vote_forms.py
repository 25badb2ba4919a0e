"""Forms of votes: preparing a vote, the paper roll and paper ballots, the ballot itself
(built from the vote's method), the receipt check."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

from . import counting
from .models import Majority, Vote, VoteMethod

BLANK = "blank"


def _aware(value):
    if value and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


class VoteForm(EssaimForm):
    title = forms.CharField(
        label=_("Question put to the vote"),
        max_length=200,
        help_text=_("For example “Approve the accounts of the year 2026”."),
    )
    description = forms.CharField(
        label=_("Explanation"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    method = forms.ChoiceField(
        label=_("Voting method"),
        choices=VoteMethod.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Yes / no for a resolution. For an election or a choice between projects: single "
            "choice, approval, ranking, majority judgment (a grade per option) or score."
        ),
    )
    options = forms.CharField(
        label=_("Options (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Candidates or proposals. Not needed for yes / no."),
    )
    secret = forms.BooleanField(
        label=_("Secret ballot"),
        required=False,
        initial=True,
        help_text=_(
            "Nobody, not even the team, can see who voted what. Untick for a public vote: "
            "the roll then shows each voter's choice."
        ),
    )
    weighted = forms.BooleanField(
        label=_("Weighted votes (voting weight of each membership type)"), required=False
    )
    majority = forms.ChoiceField(
        label=_("Majority (yes / no)"),
        choices=Majority.choices,
        help_text=_("Filled in from your statutes rules; change it only if the statutes say so."),
    )
    majority_custom = forms.CharField(label=_("Share needed"), max_length=20, required=False)
    max_score = forms.IntegerField(
        label=_("Highest score (score method)"), min_value=1, max_value=100, initial=5
    )
    opens_at = forms.DateTimeField(
        label=_("Opens at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        help_text=_("Ballots are refused before this time, even once the vote is open."),
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        help_text=_("Ballots are refused after this time; then close the vote to count it."),
    )

    def clean_opens_at(self):
        return _aware(self.cleaned_data.get("opens_at"))

    def clean_closes_at(self):
        return _aware(self.cleaned_data.get("closes_at"))

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["options"] = [line.strip() for line in data["options"].splitlines() if line.strip()]
        return data


class PaperRollForm(EssaimForm):
    voter = forms.UUIDField(label=_("Member who hands in a paper ballot"), widget=forms.Select())
    represented = forms.UUIDField(
        label=_("Voting on behalf of"),
        required=False,
        widget=forms.Select(),
        help_text=_("Themselves, or the member whose proxy they hold."),
    )
    choice = forms.CharField(
        label=_("Their choice (public vote)"), required=False, max_length=50, widget=forms.Select()
    )

    def __init__(self, *args, people=(), represented=(), vote: Vote | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["voter"].widget.choices = [("", "—")] + [
            (str(p.uuid), p.full_name or str(p)) for p in people
        ]
        self.fields["represented"].widget.choices = [("", _("themselves"))] + [
            (str(p.uuid), _("%(name)s (proxy)") % {"name": p.full_name or p}) for p in represented
        ]
        if not represented:
            del self.fields["represented"]
        if vote is None or vote.secret or vote.method not in (VoteMethod.YES_NO, VoteMethod.SINGLE):
            del self.fields["choice"]
        else:
            self.fields["choice"].widget.choices = paper_choices(vote)


def paper_choices(vote: Vote) -> list[tuple[str, str]]:
    if vote.method == VoteMethod.YES_NO:
        return [
            (counting.YES, _("yes")),
            (counting.NO, _("no")),
            (counting.ABSTAIN, _("abstain")),
            (BLANK, _("blank ballot")),
        ]
    return [(o.key, o.label) for o in vote.options.all()] + [(BLANK, _("blank ballot"))]


def paper_choice_value(value: str):
    return None if value in ("", BLANK) else value


class ReceiptForm(EssaimForm):
    code = forms.CharField(
        label=_("Your receipt code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "placeholder": "XXXX-XXXX-XXXX-XXXX",
                "spellcheck": "false",
            }
        ),
    )


class BallotError(Exception):
    pass


def choice_from_post(vote: Vote, data, prefix: str, keys: list[str]):
    """The choice a ballot form posted (see templates/governance/_vote_ballot.html), in the
    stored form; the service checks it. `prefix` tells the ballots of one page apart (one
    per represented person). Raises BallotError when nothing was filled in."""

    def get(name: str) -> str:
        return (data.get(f"{prefix}{name}") or "").strip()

    method = vote.method
    if method in (VoteMethod.YES_NO, VoteMethod.SINGLE):
        value = get("choice")
        if not value:
            raise BallotError
        return None if value == BLANK else value
    if get("blank"):
        return None
    if method == VoteMethod.APPROVAL:
        chosen = [k for k in keys if data.get(f"{prefix}option-{k}")]
        return chosen or None
    if method == VoteMethod.RANKED:
        ranks = {}
        for key in keys:
            value = get(f"rank-{key}")
            if value:
                if not value.isdigit():
                    raise BallotError
                ranks[key] = int(value)
        if len(set(ranks.values())) != len(ranks):
            raise BallotError(_("Two options have the same rank: give each a different number."))
        return sorted(ranks, key=ranks.get) or None
    values = {}
    for key in keys:
        value = get(f"option-{key}")
        if value == "":
            continue
        if not value.lstrip("-").isdigit():
            raise BallotError
        values[key] = int(value)
    if not values:
        raise BallotError
    return values
