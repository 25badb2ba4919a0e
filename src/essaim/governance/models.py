"""Governance, first part: bodies (AG, board, bureau), the statutes' rules as data,
general assemblies with their agenda, convocations, attendance (check-in) and proxies.

Votes, ballots and minutes come next; they hang off `Assembly` and `AgendaItem`
(`AgendaItem.is_resolution` marks what will be voted) and read the rules from
`StatutesRules` (majorities, weights) and the attendance from `Attendance` and `Proxy`.
"""

import secrets
import uuid
from fractions import Fraction

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from essaim.core.models import Association, BaseModel
from essaim.people.models import Person

from . import counting
from .quorum import parse_share


class Majority(models.TextChoices):
    # The vocabulary of essaim.governance.counting (SIMPLE, ABSOLUTE, TWO_THIRDS, qualified).
    SIMPLE = "simple", _("simple majority (more yes than no)")
    ABSOLUTE = "absolute", _("absolute majority (more than half of the votes cast)")
    TWO_THIRDS = "two_thirds", _("two-thirds majority")
    CUSTOM = "custom", _("another share, written in the statutes")


class AssemblyKind(models.TextChoices):
    ORDINARY = "ordinary", _("ordinary general meeting (AGO)")
    EXTRAORDINARY = "extraordinary", _("extraordinary general meeting (AGE)")


class StatutesRules(BaseModel):
    """What the association's statutes say about its general meetings (one row each)."""

    association = models.OneToOneField(
        Association, on_delete=models.CASCADE, related_name="statutes_rules"
    )
    quorum_ordinary = models.CharField(
        _("quorum of an ordinary general meeting"),
        max_length=20,
        blank=True,
        help_text=_(
            "The share of members with voting rights who must be present or represented, "
            "as written in your statutes: for example 1/4 or 25 %. Leave empty if your "
            "statutes set no quorum."
        ),
    )
    quorum_extraordinary = models.CharField(
        _("quorum of an extraordinary general meeting"),
        max_length=20,
        blank=True,
        help_text=_("Often higher, for example 1/2. Leave empty if your statutes set none."),
    )
    second_convocation_without_quorum = models.BooleanField(
        _("no quorum on second convocation"),
        default=True,
        help_text=_(
            "When the first meeting did not reach its quorum, most statutes let a second "
            "meeting decide whatever the number of members present."
        ),
    )
    majority_ordinary = models.CharField(
        _("majority in an ordinary general meeting"),
        max_length=12,
        choices=Majority.choices,
        default=Majority.SIMPLE,
    )
    majority_ordinary_custom = models.CharField(
        _("share needed (ordinary)"),
        max_length=20,
        blank=True,
        help_text=_("Only for “another share”: for example 3/4 or 60 %."),
    )
    majority_extraordinary = models.CharField(
        _("majority in an extraordinary general meeting"),
        max_length=12,
        choices=Majority.choices,
        default=Majority.TWO_THIRDS,
    )
    majority_extraordinary_custom = models.CharField(
        _("share needed (extraordinary)"), max_length=20, blank=True
    )
    proxies_allowed = models.BooleanField(
        _("members may give a proxy"),
        default=True,
        help_text=_(
            "A member who cannot come asks another member to vote for them (a “pouvoir”). "
            "When the statutes say nothing, the law allows it."
        ),
    )
    proxy_cap = models.PositiveSmallIntegerField(
        _("proxies one member may hold at most"),
        null=True,
        blank=True,
        help_text=_("Leave empty if your statutes set no limit (the law's default)."),
    )
    remote_voting_allowed = models.BooleanField(
        _("members may take part and vote remotely"),
        default=False,
        help_text=_("Only if your statutes or rules of procedure allow online meetings."),
    )
    notice_days = models.PositiveSmallIntegerField(
        _("notice period (days)"),
        default=15,
        help_text=_("How many days before the meeting the convocation must be sent."),
    )
    weighted_votes = models.BooleanField(
        _("votes are weighted"),
        default=False,
        help_text=_(
            "Each member counts with the voting weight of their membership type (for example "
            "a founding member with 2 votes). Otherwise every member has one vote."
        ),
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("statutes rules")
        verbose_name_plural = _("statutes rules")

    def __str__(self) -> str:
        return f"{self.association}"

    def quorum_for(self, kind: str, convocation: int = 1) -> Fraction | None:
        """The quorum share for an assembly, or None when none applies."""
        if convocation > 1 and self.second_convocation_without_quorum:
            return None
        text = (
            self.quorum_extraordinary
            if kind == AssemblyKind.EXTRAORDINARY
            else (self.quorum_ordinary)
        )
        return parse_share(text) if text else None

    def majority_for(self, kind: str) -> counting.MajorityRule:
        """The counting module's rule for the resolutions of an assembly of `kind`."""
        if kind == AssemblyKind.EXTRAORDINARY:
            choice, custom = self.majority_extraordinary, self.majority_extraordinary_custom
        else:
            choice, custom = self.majority_ordinary, self.majority_ordinary_custom
        if choice == Majority.CUSTOM and custom:
            return counting.MajorityRule.qualified(parse_share(custom))
        return {
            Majority.ABSOLUTE: counting.ABSOLUTE,
            Majority.TWO_THIRDS: counting.TWO_THIRDS,
        }.get(choice, counting.SIMPLE)


class Body(BaseModel):
    """A governing body: the general meeting, the board (CA) or the bureau.

    The general meeting's members are not listed here: they are the members with voting
    rights on the day (members app). The board and the bureau list their members."""

    class Kind(models.TextChoices):
        GENERAL_MEETING = "general_meeting", _("general meeting")
        BOARD = "board", _("board (conseil d'administration)")
        BUREAU = "bureau", _("executive board (bureau)")
        OTHER = "other", _("other committee")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("body")
        verbose_name_plural = _("bodies")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["association", "name"], name="body_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class BodySeat(BaseModel):
    """One contact sitting on a board or bureau, with their role."""

    class Role(models.TextChoices):
        PRESIDENT = "president", _("president")
        VICE_PRESIDENT = "vice_president", _("vice-president")
        TREASURER = "treasurer", _("treasurer")
        SECRETARY = "secretary", _("secretary")
        MEMBER = "member", _("member")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="seats")
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="body_seats", verbose_name=_("contact")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    since = models.DateField(_("since"), null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("seat on a body")
        verbose_name_plural = _("seats on bodies")
        ordering = ["body", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["body", "person"], name="bodyseat_unique_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class Assembly(BaseModel):
    """A general meeting (assemblée générale), from draft to closed."""

    class Mode(models.TextChoices):
        ON_SITE = "on_site", _("on site")
        ONLINE = "online", _("online")
        HYBRID = "hybrid", _("on site and online")

    class Status(models.TextChoices):
        DRAFT = "draft", _("being prepared")
        CONVENED = "convened", _("convened")
        OPEN = "open", _("in session")
        CLOSED = "closed", _("closed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(
        _("kind"), max_length=14, choices=AssemblyKind.choices, default=AssemblyKind.ORDINARY
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("date and time"))
    mode = models.CharField(_("where"), max_length=10, choices=Mode.choices, default=Mode.ON_SITE)
    place = models.CharField(
        _("place"), max_length=300, blank=True, help_text=_("Address of the meeting room.")
    )
    online_link = models.URLField(
        _("link to join online"),
        blank=True,
        help_text=_("Shown only to the members convened, in their convocation and their space."),
    )
    convocation_number = models.PositiveSmallIntegerField(
        _("convocation"),
        default=1,
        choices=[(1, _("first convocation")), (2, _("second convocation"))],
        help_text=_("Second convocation: the first meeting did not reach its quorum."),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    convened_at = models.DateTimeField(_("convened on"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True)
    # What the quorum was when the meeting opened (the minutes print it).
    quorum_at_opening = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("general meeting")
        verbose_name_plural = _("general meetings")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["association", "-starts_at"], name="assembly_assoc_date")]

    def __str__(self) -> str:
        return self.title

    @property
    def proxies_frozen(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.CLOSED)

    @property
    def has_online_part(self) -> bool:
        return self.mode in (self.Mode.ONLINE, self.Mode.HYBRID)


class AgendaItem(BaseModel):
    """One point of the agenda (ordre du jour); a resolution will be put to the vote."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_resolution = models.BooleanField(
        _("resolution put to the vote"),
        default=False,
        help_text=_("Tick it when the members will vote on this point."),
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["assembly", "position", "id"]

    def __str__(self) -> str:
        return self.title


def document_upload_to(instance: "AgendaDocument", filename: str) -> str:
    # Outside media/associations/ (the only public part of media): documents are read by the
    # team and the convened members only, through views that check who asks.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"governance/{instance.association.uuid}/{secrets.token_hex(16)}.{extension}"


class AgendaDocument(BaseModel):
    """A document attached to an agenda item (accounts, activity report, draft statutes)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["item", "id"]

    def __str__(self) -> str:
        return self.original_name


class Convocation(models.Model):
    """One member convened to one assembly: by e-mail, or by letter for members without
    one. Unique per member and assembly: sending again, or resuming an interrupted sending,
    never convenes anyone twice."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        LETTER = "letter", _("letter")

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="convocations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="convocations")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    outbox_email = models.ForeignKey(
        "core.OutboxEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("convocation")
        verbose_name_plural = _("convocations")
        constraints = [
            models.UniqueConstraint(fields=["assembly", "person"], name="convocation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.assembly_id} → {self.person_id}"


class Attendance(models.Model):
    """A member present (checked in), on site or online."""

    class Method(models.TextChoices):
        TEAM = "team", _("checked in by the team")
        QR = "qr", _("QR code scanned by the team")
        SELF = "self", _("confirmed online by the member")
        API = "api", _("API")

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attendances")
    method = models.CharField(max_length=8, choices=Method.choices)
    checked_in_at = models.DateTimeField(_("arrived at"))
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(fields=["assembly", "person"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.assembly_id} ← {self.person_id}"


class Proxy(BaseModel):
    """A pouvoir: `giver` asks `holder` to vote in their name at one assembly.

    `slot` numbers the holder's live proxies (1, 2, …): with the cap of the statutes, a
    unique (assembly, holder, slot) among live proxies is what lets the database, not only
    the service, refuse a proxy beyond the cap when two members give theirs at once."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="proxies")
    giver = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="proxies_given", verbose_name=_("member")
    )
    holder = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="proxies_held",
        verbose_name=_("represented by"),
    )
    slot = models.PositiveSmallIntegerField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("proxy")
        verbose_name_plural = _("proxies")
        ordering = ["assembly", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assembly", "giver"],
                condition=models.Q(revoked_at__isnull=True),
                name="proxy_one_live_per_giver",
            ),
            models.UniqueConstraint(
                fields=["assembly", "holder", "slot"],
                condition=models.Q(revoked_at__isnull=True),
                name="proxy_holder_slot",
            ),
            models.CheckConstraint(
                condition=~models.Q(giver=models.F("holder")), name="proxy_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.giver} → {self.holder}"


# Consultations and decisions ----------------------------------------------------------------


class Consultation(BaseModel):
    """A question put to all members or to one body (Decidim-like): members write proposals,
    comment, support them and amend them; a proposal reaching the support threshold is
    retained for the team or the assembly. Phases: proposals → support → closed."""

    class Phase(models.TextChoices):
        PROPOSALS = "proposals", _("proposals open")
        SUPPORT = "support", _("support")
        CLOSED = "closed", _("closed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    body = models.ForeignKey(
        Body,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name=_("asked to"),
        help_text=_("Empty: all members with voting rights."),
    )
    title = models.CharField(_("question"), max_length=200)
    theme = models.CharField(_("theme"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    phase = models.CharField(
        _("phase"), max_length=10, choices=Phase.choices, default=Phase.PROPOSALS
    )
    support_threshold = models.PositiveIntegerField(
        _("supports needed"),
        null=True,
        blank=True,
        help_text=_("A proposal with this many supports is retained. Empty: no count."),
    )
    support_share = models.CharField(
        _("share of members needed"),
        max_length=20,
        blank=True,
        help_text=_("Or a share of the members asked, for example 10 %. Empty: none."),
    )
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["association", "-created_at"], name="consultation_assoc_new")
        ]

    def __str__(self) -> str:
        return self.title


class ConsultationProposal(BaseModel):
    """A member's proposal in a consultation; `support_count` is kept by the service under a
    lock, the supports themselves are unique per member."""

    class Status(models.TextChoices):
        PUBLISHED = "published", _("published")
        RETAINED = "retained", _("retained")
        HIDDEN = "hidden", _("hidden by the team")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="proposals"
    )
    author = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="consultation_proposals"
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("proposal"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    support_count = models.PositiveIntegerField(default=0)
    retained_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(_("reason"), max_length=300, blank=True)
    search_text = models.TextField(blank=True, editable=False)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["consultation", "-support_count"], name="cproposal_support"),
            models.Index(fields=["consultation", "-created_at"], name="cproposal_new"),
        ]

    def __str__(self) -> str:
        return self.title


class ProposalSupport(models.Model):
    """One member supports one proposal, once (unique)."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(
        ConsultationProposal, on_delete=models.CASCADE, related_name="supports"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="proposal_supports")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "person"], name="proposal_support_once"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} ← {self.person_id}"


class ProposalComment(BaseModel):
    """A comment on a proposal; an answer to a comment (`parent`) is one level deep only."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(
        ConsultationProposal, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="proposal_comments")
    text = models.TextField(_("comment"))
    hidden_reason = models.CharField(_("reason"), max_length=300, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]


class ProposalAmendment(BaseModel):
    """A change to a proposal suggested by a member; its author or the team accepts it
    (the proposal's text becomes the amendment's) or rejects it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for an answer")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(
        ConsultationProposal, on_delete=models.CASCADE, related_name="amendments"
    )
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="proposal_amendments")
    text = models.TextField(_("amended text"))
    reason = models.CharField(_("why"), max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["created_at", "id"]


class Decision(BaseModel):
    """An asynchronous decision (Loomio-like) in a body or among all members: a proposal
    discussed until a deadline, answered by consent (agree / abstain / disagree / block)
    or by a poll (single choice or approval). The proposer writes the outcome at close."""

    class Process(models.TextChoices):
        CONSENT = "consent", _("consent (agree, abstain, disagree, block)")
        SINGLE = "single", _("poll: one choice")
        APPROVAL = "approval", _("poll: approve as many as you like")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    body = models.ForeignKey(
        Body,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("decided by"),
        help_text=_("Empty: all members with voting rights."),
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("proposal"))
    process = models.CharField(
        _("how to answer"), max_length=10, choices=Process.choices, default=Process.CONSENT
    )
    options = models.JSONField(_("options"), default=list, blank=True)
    secret = models.BooleanField(
        _("secret answers"),
        default=False,
        help_text=_("Only the counts are shown, not who answered what."),
    )
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    proposer = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions_proposed",
        verbose_name=_("proposer"),
    )
    outcome = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"], name="decision_open_deadline")]

    def __str__(self) -> str:
        return self.title


class DecisionAnswer(BaseModel):
    """One member's answer to a decision (changeable until the deadline; one per member)."""

    class Position(models.TextChoices):
        AGREE = "agree", _("agree")
        ABSTAIN = "abstain", _("abstain")
        DISAGREE = "disagree", _("disagree")
        BLOCK = "block", _("block")

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="answers")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="decision_answers")
    position = models.CharField(max_length=8, choices=Position.choices, blank=True)
    choices = models.JSONField(default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "person"], name="decision_answer_once"),
        ]


class DigestPreference(BaseModel):
    """How often a member hears about consultations and decisions (default: daily)."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("once a day at most")
        WEEKLY = "weekly", _("once a week")
        NEVER = "never", _("never")

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="digest_preference"
    )
    frequency = models.CharField(
        _("summary e-mail"), max_length=8, choices=Frequency.choices, default=Frequency.DAILY
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("summary e-mail preference")
        verbose_name_plural = _("summary e-mail preferences")


class DigestSent(models.Model):
    """One summary e-mail to one member for one period ("2026-11-27" or "2026-W48"): the
    unique (person, period) is what makes a second run of the same day send nothing."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="digests")
    period = models.CharField(max_length=10)
    items = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    outbox_email = models.ForeignKey(
        "core.OutboxEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("summary e-mail sent")
        verbose_name_plural = _("summary e-mails sent")
        constraints = [
            models.UniqueConstraint(fields=["person", "period"], name="digest_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.period}"


# Minutes ------------------------------------------------------------------------------------


def minutes_upload_to(instance: "Minutes", filename: str) -> str:
    # Outside the public media: read through views that check who asks.
    return f"governance/{instance.association.uuid}/minutes-{secrets.token_hex(16)}.pdf"


class Minutes(BaseModel):
    """The procès-verbal of an assembly. A draft's texts are edited; its figures are read
    from the assembly each time. Freezing writes the PDF, its SHA-256 and the figures; a
    frozen version never changes: a correction is a new version pointing to it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        FROZEN = "frozen", _("final (frozen)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="minutes")
    version = models.PositiveSmallIntegerField(default=1)
    previous = models.OneToOneField(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="correction"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    chair_name = models.CharField(_("chair of the meeting"), max_length=200, blank=True)
    secretary_name = models.CharField(_("secretary of the meeting"), max_length=200, blank=True)
    opening_text = models.TextField(_("opening"), blank=True)
    item_texts = models.JSONField(default=dict, blank=True)  # {agenda item uuid: text}
    closing_text = models.TextField(_("closing"), blank=True)
    correction_note = models.TextField(_("what this version corrects"), blank=True)
    figures = models.JSONField(default=dict, blank=True)  # frozen with the PDF
    pdf = models.FileField(upload_to=minutes_upload_to, max_length=255, blank=True)
    # SHA-256 of the PDF file (check a download with `sha256sum`), and of the minutes' text
    # and figures (canonical JSON), printed in the PDF's footer: a file cannot hold its own hash.
    sha256 = models.CharField(max_length=64, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")
        ordering = ["assembly", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["assembly", "version"], name="minutes_version_once"),
            models.UniqueConstraint(
                fields=["assembly"],
                condition=models.Q(status="draft"),
                name="minutes_one_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assembly} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.status == self.Status.FROZEN


# Votes
#
# A vote (scrutin) on an agenda item, or standalone (a body's vote, an online vote without a
# meeting). Who voted (`RollEntry`, the roll: émargement) and what was voted (`Ballot`, the
# box: urne) are two tables with no link at all for a secret vote: no foreign key between
# them, no timestamp on a ballot, a ballot's key is a random UUID (no integer id whose order
# would follow the roll's), and at closing the box is rewritten in a random order before it
# is hash-chained (`votes.vote_close`): the physical order of the rows and the PostgreSQL
# transaction ids (xmin) of the casting no longer say anything either. See ballot_box.py.


class VoteMethod(models.TextChoices):
    YES_NO = "yes_no", _("yes / no / abstain")
    SINGLE = "single", _("single choice")
    APPROVAL = "approval", _("approval (several choices)")
    RANKED = "ranked", _("ranking (Condorcet, Schulze method)")
    JUDGMENT = "judgment", _("majority judgment (grades)")
    SCORE = "score", _("score")


class Vote(BaseModel):
    """One vote: its question, method, options, who may vote, and its sealed result."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("being prepared")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")
        PUBLISHED = "published", _("results published")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    assembly = models.ForeignKey(
        Assembly, on_delete=models.CASCADE, null=True, blank=True, related_name="votes"
    )
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="votes"
    )
    body = models.ForeignKey(
        Body, on_delete=models.SET_NULL, null=True, blank=True, related_name="votes"
    )
    title = models.CharField(_("question"), max_length=200)
    description = models.TextField(_("explanation"), blank=True)
    method = models.CharField(
        _("voting method"), max_length=10, choices=VoteMethod.choices, default=VoteMethod.YES_NO
    )
    majority = models.CharField(
        _("majority"), max_length=12, choices=Majority.choices, default=Majority.SIMPLE
    )
    majority_custom = models.CharField(_("share needed"), max_length=20, blank=True)
    secret = models.BooleanField(_("secret ballot"), default=True)
    weighted = models.BooleanField(_("weighted votes"), default=False)
    max_score = models.PositiveSmallIntegerField(_("highest score"), default=5)
    grades = models.JSONField(default=list, blank=True)
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Sealed at closing: the number of ballots and the last hash of the chain.
    ballot_count = models.PositiveIntegerField(default=0)
    final_hash = models.CharField(max_length=64, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["association", "status"], name="vote_assoc_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_sealed(self) -> bool:
        return self.status in (self.Status.CLOSED, self.Status.PUBLISHED)


class VoteOption(models.Model):
    """A choice of a vote (not for yes/no); `key` is what ballots and exports name it by."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="options")
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=8)
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(_("option"), max_length=200)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["vote", "position"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "key"], name="voteoption_unique_key"),
        ]

    def __str__(self) -> str:
        return self.label


class RollEntry(models.Model):
    """The roll (émargement): `represented` has voted, through `voter` (the same person,
    or the holder of their proxy). One row per represented person and vote, enforced by
    the database: a second ballot for the same person is refused even under concurrency.

    No timestamp and no link to the ballot. `public_choice` holds the choice only for a
    public vote (the law makes it public); it stays empty for a secret one."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        PAPER = "paper", _("paper")

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="roll")
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    represented = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    voter = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    weight = models.PositiveIntegerField(default=1)
    public_choice = models.JSONField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("roll entry")
        verbose_name_plural = _("roll entries")
        constraints = [
            models.UniqueConstraint(fields=["vote", "represented"], name="roll_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id} ← {self.represented_id}"


class Ballot(models.Model):
    """A ballot in the box: what was voted, never by whom.

    The key is a random UUID (rewritten at closing, in a random order); no timestamp; no
    foreign key to the roll nor to a person. `receipt_hash` is the SHA-256 of the voter's
    receipt code (empty for a paper ballot); `position` and `chain_hash` are set when the
    box is sealed at closing (ballot_box.chain)."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        PAPER = "paper", _("paper")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    weight = models.PositiveIntegerField(default=1)
    choice = models.JSONField(null=True, blank=True)
    receipt_hash = models.CharField(max_length=64, blank=True, db_index=True)
    position = models.PositiveIntegerField(null=True, blank=True)
    chain_hash = models.CharField(max_length=64, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["vote", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "position"],
                condition=models.Q(position__isnull=False),
                name="ballot_unique_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id} #{self.position or '?'}"
