"""Volunteering: the citizen's volunteer profile, missions, applications and their messages.

The profile belongs to the citizen's account, not to an association; an association sees it
only through an application, which records the consent and a copy of what was shared.
A mission counts its held places (`places_taken`, an application submitted, in review or
accepted holds one); the database refuses more than `places`, so two volunteers racing for
the last place cannot both get it. `Application.source` keeps the link a volunteer came by
(?src=…), for the funnels of the next increment.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from essaim.core.models import Association, BaseModel


class VolunteerProfile(BaseModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="volunteer_profile"
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    causes = models.JSONField(_("causes"), default=list, blank=True)
    # 21 bits: day * 3 + part of the day (morning, afternoon, evening); see reference.SLOTS.
    availability = models.PositiveIntegerField(_("weekly availability"), default=0)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True)
    insee = models.CharField(_("commune (INSEE code)"), max_length=5, blank=True)
    commune = models.CharField(_("commune"), max_length=100, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    radius_km = models.PositiveSmallIntegerField(_("travel radius (km)"), default=10)
    remote_ok = models.BooleanField(_("remote missions welcome"), default=False)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    about = models.TextField(_("a few words about me"), blank=True)

    class Meta:
        verbose_name = _("volunteer profile")
        verbose_name_plural = _("volunteer profiles")

    def __str__(self) -> str:
        return f"{self.user}"


class AssociationSkill(BaseModel):
    """A skill an association adds to the default list."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(max_length=60)
    label = models.CharField(_("skill"), max_length=80)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [
            models.UniqueConstraint(fields=["association", "code"], name="volunteer_skill_unique")
        ]

    def __str__(self) -> str:
        return self.label


class Mission(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("mission", "draft")
        PUBLISHED = "published", pgettext_lazy("mission", "published")
        FULL = "full", pgettext_lazy("mission", "full")
        CLOSED = "closed", pgettext_lazy("mission", "closed")

    class Kind(models.TextChoices):
        ONE_OFF = "one_off", _("one-off")
        RECURRING = "recurring", _("recurring")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=150)
    description = models.TextField(_("description"))
    cause = models.CharField(_("cause"), max_length=20)
    skills = models.JSONField(_("skills wanted"), default=list, blank=True)
    remote = models.BooleanField(_("remote"), default=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True)
    insee = models.CharField(_("commune (INSEE code)"), max_length=5, blank=True)
    commune = models.CharField(_("commune"), max_length=100, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ONE_OFF)
    starts_on = models.DateField(_("start"), null=True, blank=True)
    ends_on = models.DateField(_("end"), null=True, blank=True)
    time_commitment = models.CharField(_("time commitment"), max_length=150, blank=True)
    availability = models.PositiveIntegerField(_("when"), default=0)
    places = models.PositiveIntegerField(_("places"), default=1)
    places_taken = models.PositiveIntegerField(_("places taken"), default=0)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    documents = models.CharField(_("documents asked"), max_length=300, blank=True)
    questions = models.JSONField(_("questions for applicants"), default=list, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # Folded title, description, commune and association name: accent-insensitive search.
    search_text = models.TextField(default="", blank=True, editable=False)
    # The skills again, space-separated: the catalogue scores thousands of rows per search and
    # reads this plain column rather than decoding JSON for each.
    skill_list = models.CharField(max_length=1000, default="", blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(places__gte=1), name="mission_places_min"),
            models.CheckConstraint(
                condition=models.Q(places_taken__lte=models.F("places")),
                name="mission_places_taken_max",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "lat", "lon"], name="mission_status_geo"),
            models.Index(fields=["status", "remote", "-published_at"], name="mission_status_pub"),
            models.Index(fields=["-published_at", "-id"], name="mission_published_order"),
            models.Index(fields=["cause", "-published_at"], name="mission_cause_pub"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def places_left(self) -> int:
        return max(0, self.places - self.places_taken)


class Application(BaseModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        IN_REVIEW = "in_review", _("in review")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")
        WITHDRAWN = "withdrawn", _("withdrawn")
        WAITING = "waiting", _("on the waiting list")

    HOLDS_PLACE = ("submitted", "in_review", "accepted")
    OPEN = ("submitted", "in_review", "waiting", "accepted")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="applications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer_applications",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    answers = models.JSONField(_("answers"), default=list, blank=True)
    motivation = models.TextField(_("message"), blank=True)
    # What the volunteer agreed to share with the association, copied when applying.
    shared_profile = models.JSONField(default=dict, blank=True)
    consent_at = models.DateTimeField(_("consent to share the profile"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    source = models.CharField(_("source link"), max_length=40, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "user"],
                condition=models.Q(status__in=["submitted", "in_review", "waiting", "accepted"]),
                name="application_one_open_per_mission",
            )
        ]
        indexes = [models.Index(fields=["association", "status"], name="application_status")]

    def __str__(self) -> str:
        return f"{self.name} — {self.mission}"


class ApplicationMessage(models.Model):
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_team = models.BooleanField(default=False)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(association="association")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class Responsiveness(models.Model):
    """How an association answers applications: kept up to date by the services, read by the
    match score and shown to the team."""

    association = models.OneToOneField(Association, on_delete=models.CASCADE, related_name="+")
    applications = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    median_hours = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(association="association")

    def __str__(self) -> str:
        return f"{self.answered}/{self.applications}"

    @property
    def answered_share(self) -> float:
        return self.answered / self.applications if self.applications else 0.0


# Shifts and hours


class VolunteeringSettings(BaseModel):
    """An association's volunteering settings: the hourly rate that values volunteer hours
    (contributions volontaires en nature, accounts 86/87)."""

    # 11.88 €: a SMIC-like gross hourly rate; each association sets its own.
    DEFAULT_HOURLY_RATE_CENTS = 1188

    association = models.OneToOneField(
        Association, on_delete=models.CASCADE, related_name="volunteering_settings"
    )
    volunteer_hourly_rate_cents = models.PositiveIntegerField(
        _("hourly rate for valuing volunteer hours (cents)"), default=DEFAULT_HOURLY_RATE_CENTS
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("volunteering settings")
        verbose_name_plural = _("volunteering settings")

    def __str__(self) -> str:
        return f"{self.association} — {self.volunteer_hourly_rate_cents}"


class Shift(BaseModel):
    """A time slot of a mission with a number of places. `taken` counts the active sign-ups:
    taking one is a conditional UPDATE (`taken < capacity`) and a CHECK refuses more, so two
    volunteers racing for the last place cannot both get it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    capacity = models.PositiveIntegerField(_("places"), default=1)
    taken = models.PositiveIntegerField(_("places taken"), default=0)
    qualifications = models.JSONField(_("qualifications required"), default=list, blank=True)
    signup_deadline = models.DateTimeField(_("sign-up deadline"), null=True, blank=True)
    location = models.CharField(_("place"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The series a shift was created with ("every week until"), to tell them apart.
    series = models.UUIDField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="shift_capacity_min"),
            models.CheckConstraint(
                condition=models.Q(taken__lte=models.F("capacity")), name="shift_taken_max"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after"
            ),
        ]
        indexes = [
            models.Index(fields=["mission", "starts_at"], name="shift_mission_start"),
            models.Index(fields=["association", "starts_at"], name="shift_assoc_start"),
        ]

    def __str__(self) -> str:
        return f"{self.mission} — {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.taken)

    @property
    def deadline(self):
        return self.signup_deadline or self.starts_at


class ShiftSignup(models.Model):
    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", _("signed up")
        CANCELLED = "cancelled", pgettext_lazy("shift signup", "cancelled")
        ATTENDED = "attended", _("attended")
        NO_SHOW = "no_show", _("no-show")

    ACTIVE = ("signed_up", "attended", "no_show")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="signups")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shift_signups",
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SIGNED_UP
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("shift sign-up")
        verbose_name_plural = _("shift sign-ups")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "user"],
                condition=models.Q(status__in=["signed_up", "attended", "no_show"]),
                name="shift_signup_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["shift", "person"],
                condition=models.Q(status__in=["signed_up", "attended", "no_show"]),
                name="shift_signup_one_per_person",
            ),
        ]
        indexes = [models.Index(fields=["user", "status"], name="shift_signup_user_status")]

    def __str__(self) -> str:
        return f"{self.name} — {self.shift}"


class HoursEntry(BaseModel):
    class Source(models.TextChoices):
        SHIFT = "shift", _("shift")
        DECLARED = "declared", _("declared")

    class Status(models.TextChoices):
        DECLARED = "declared", pgettext_lazy("hours", "declared")
        APPROVED = "approved", pgettext_lazy("hours", "approved")
        REFUSED = "refused", pgettext_lazy("hours", "refused")

    MAX_MINUTES = 24 * 60

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey(
        Mission, on_delete=models.SET_NULL, null=True, blank=True, related_name="hours"
    )
    shift = models.ForeignKey(
        Shift, on_delete=models.SET_NULL, null=True, blank=True, related_name="hours"
    )
    signup = models.OneToOneField(
        ShiftSignup, on_delete=models.SET_NULL, null=True, blank=True, related_name="hours"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer_hours",
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    worked_on = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("duration (minutes)"))
    activity = models.CharField(_("activity"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DECLARED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("hours entry")
        verbose_name_plural = _("hours entries")
        ordering = ["-worked_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1) & models.Q(minutes__lte=24 * 60),
                name="hours_minutes_range",
            )
        ]
        indexes = [
            models.Index(fields=["association", "status"], name="hours_assoc_status"),
            models.Index(fields=["user", "worked_on"], name="hours_user_worked_on"),
            models.Index(fields=["association", "worked_on"], name="hours_assoc_worked_on"),
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.worked_on} — {self.minutes} min"

    @property
    def hours(self) -> float:
        return self.minutes / 60

    @property
    def duration(self) -> str:
        """125 minutes → "2 h 05"."""
        return f"{self.minutes // 60} h {self.minutes % 60:02d}"


# Funnels


class MissionView(models.Model):
    """Views of a mission's public page, counted per mission, source link (?src=) and day.

    One row per (mission, source, day) whose `count` is incremented in place (UPDATE … F()+1):
    no row per view. Robots and the association's own team are not counted (funnels.py).
    """

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="views")
    source = models.CharField(_("source link"), max_length=40, blank=True)
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("views"), default=0)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("mission page views")
        verbose_name_plural = _("mission page views")
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "source", "day"], name="mission_view_unique_day"
            )
        ]
        indexes = [models.Index(fields=["association", "day"], name="mission_view_assoc_day")]

    def __str__(self) -> str:
        return f"{self.mission_id} {self.source or '-'} {self.day}: {self.count}"
