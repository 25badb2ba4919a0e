"""Services of shifts: creating (one or a weekly series), sign-ups with their rules (accepted
application, deadline, qualifications, overlap, capacity), cancelling, attendance, reminders
and the calendar feed."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog, OutboxEmail
from essaim.people.models import Person
from essaim.volunteering import services, shifts
from essaim.volunteering.models import HoursEntry, Shift, ShiftSignup
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def at(days=1, hour=14, minute=0):
    """A local time `days` days from today."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def mission(make_mission):
    return make_mission(places=5, skills=[])


@pytest.fixture
def make_shift(association, presidente, mission):
    def make(*, days=2, hour=14, hours=3, capacity=2, on=None, **fields):
        on = on or mission
        with scope(association=on.association):
            return shifts.shift_create(
                association=on.association,
                acting_user=presidente,
                mission=on,
                starts_at=at(days, hour),
                ends_at=at(days, hour) + dt.timedelta(hours=hours),
                capacity=capacity,
                **fields,
            )

    return make


@pytest.fixture
def accepted(apply_to, presidente):
    """A volunteer whose application to the mission is accepted."""

    def make(mission, user=None, skills=()):
        user = user or UserFactory()
        services.profile_update(user=user, skills=list(skills))
        application = apply_to(mission, user)
        with scope(association=mission.association):
            services.application_decide(
                association=mission.association,
                acting_user=presidente,
                application=application,
                action="accept",
            )
        return user

    return make


def signup(shift, user, **kwargs):
    with scope(association=shift.association):
        return shifts.signup_create(shift=shift, user=user, **kwargs)


# --- Creating ------------------------------------------------------------------------------


def test_create_one_shift_is_audited(make_shift, association):
    shift = make_shift(location="Local du Secours", notes="Apporter des gants")
    assert shift.capacity == 2 and shift.taken == 0 and shift.deadline == shift.starts_at
    with scope(association=association):
        assert AuditLog.objects.filter(action="shift.create").count() == 1


def test_weekly_series_until_a_date_keeps_the_wall_clock_time(make_shift, association):
    first = make_shift(days=1, hour=9, repeat_until=timezone.localdate() + dt.timedelta(days=29))
    with scope(association=association):
        series = list(Shift.objects.filter(series=first.series).order_by("starts_at"))
    assert len(series) == 5  # days 1, 8, 15, 22, 29
    assert {timezone.localtime(s.starts_at).hour for s in series} == {9}
    assert all(s.ends_at - s.starts_at == dt.timedelta(hours=3) for s in series)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_at": at(2, 13)}, "ends_at"),  # end before start
        ({"ends_at": at(2, 14)}, "ends_at"),  # end equals start
        ({"ends_at": at(4, 14)}, "ends_at"),  # 48 hours
        ({"starts_at": at(-1, 14), "ends_at": at(-1, 16)}, "starts_at"),  # past
        ({"capacity": 0}, "capacity"),
        ({"capacity": -3}, "capacity"),
        ({"capacity": "2"}, "capacity"),
        ({"signup_deadline": at(2, 15)}, "signup_deadline"),  # deadline after start
        ({"qualifications": ["pas-une-competence"]}, "qualifications"),
        ({"location": "x" * 201}, "location"),
        ({"repeat_until": timezone.localdate()}, "repeat_until"),
        ({"repeat_until": timezone.localdate() + dt.timedelta(days=800)}, "repeat_until"),
    ],
)
def test_bad_shifts_are_refused_and_nothing_is_saved(
    association, presidente, mission, fields, field
):
    values = {"starts_at": at(2, 14), "ends_at": at(2, 17), "capacity": 2, **fields}
    with scope(association=association):
        with pytest.raises(ValidationError) as error:
            shifts.shift_create(
                association=association, acting_user=presidente, mission=mission, **values
            )
        assert field in error.value.message_dict
        assert not Shift.objects.exists()


def test_no_shift_on_a_closed_mission(association, presidente, mission):
    with scope(association=association):
        services.mission_set_status(
            association=association, acting_user=presidente, mission=mission, action="close"
        )
        with pytest.raises(ValidationError):
            shifts.shift_create(
                association=association,
                acting_user=presidente,
                mission=mission,
                starts_at=at(2),
                ends_at=at(2, 16),
            )


def test_capacity_cannot_drop_below_signups(make_shift, accepted, mission, presidente):
    shift = make_shift(capacity=2)
    signup(shift, accepted(mission))
    signup(shift, accepted(mission))
    with scope(association=shift.association), pytest.raises(ValidationError) as error:
        shifts.shift_update(
            association=shift.association, acting_user=presidente, shift=shift, capacity=1
        )
    assert "capacity" in error.value.message_dict


def test_database_refuses_capacity_zero_and_overbooking(make_shift):
    shift = make_shift(capacity=1)
    with scopes_disabled():
        with pytest.raises(IntegrityError), transaction.atomic():
            Shift.objects.filter(pk=shift.pk).update(capacity=0)
        with pytest.raises(IntegrityError), transaction.atomic():
            Shift.objects.filter(pk=shift.pk).update(taken=2)


# --- Signing up ----------------------------------------------------------------------------


def test_accepted_volunteer_signs_up_and_cancels(make_shift, accepted, mission):
    shift = make_shift()
    user = accepted(mission)
    registration = signup(shift, user)
    shift.refresh_from_db()
    assert registration.status == "signed_up" and shift.taken == 1
    with pytest.raises(ValidationError, match="Already signed up"):
        signup(shift, user)
    with scope(association=shift.association):
        shifts.signup_cancel(signup=registration, acting_user=user)
    shift.refresh_from_db()
    assert shift.taken == 0
    again = signup(shift, user)  # signing up again after cancelling is allowed
    assert again.pk != registration.pk


def test_only_accepted_applicants_sign_up(make_shift, apply_to, mission, volunteer):
    shift = make_shift()
    apply_to(mission, volunteer)  # submitted, not accepted
    with pytest.raises(ValidationError, match="accepted"):
        signup(shift, volunteer)
    with pytest.raises(ValidationError, match="accepted"):
        signup(shift, UserFactory())


def test_no_signup_after_the_deadline_or_on_a_cancelled_shift(
    make_shift, accepted, mission, presidente
):
    shift = make_shift(signup_deadline=at(1, 12))
    user = accepted(mission)
    with pytest.raises(ValidationError, match="closed"):
        signup(shift, user, now=at(1, 12, 1))
    with scope(association=shift.association):
        shifts.shift_cancel(association=shift.association, acting_user=presidente, shift=shift)
    with pytest.raises(ValidationError, match="cancelled"):
        signup(shift, user)


def test_self_cancel_only_until_the_deadline(make_shift, accepted, mission, presidente):
    shift = make_shift(signup_deadline=at(1, 12))
    user = accepted(mission)
    registration = signup(shift, user)
    with scope(association=shift.association):
        with pytest.raises(ValidationError, match="deadline"):
            shifts.signup_cancel(signup=registration, acting_user=user, now=at(1, 13))
        # the coordinator still can, until the shift ends
        shifts.signup_cancel(
            signup=registration, acting_user=presidente, by_team=True, now=at(1, 13)
        )
        with pytest.raises(ValidationError):
            shifts.signup_cancel(signup=registration, acting_user=user)


def test_qualifications_must_be_covered_unless_the_organiser_overrides(
    make_shift, accepted, mission, presidente
):
    shift = make_shift(qualifications=["secourisme", "conduite"])
    novice = accepted(mission, skills=["secourisme"])
    with pytest.raises(ValidationError, match="missing"):
        signup(shift, novice)
    qualified = accepted(mission, skills=["secourisme", "conduite", "cuisine"])
    assert signup(shift, qualified).status == "signed_up"
    with scope(association=shift.association):
        with pytest.raises(ValidationError, match="missing"):
            shifts.signup_add(
                association=shift.association, acting_user=presidente, shift=shift, user=novice
            )
        added = shifts.signup_add(
            association=shift.association,
            acting_user=presidente,
            shift=shift,
            user=novice,
            override=True,
        )
    assert added.added_by == presidente


def test_overlapping_shifts_are_refused_naming_the_other(make_mission, make_shift, accepted):
    first_mission = make_mission(title="Maraude du soir", skills=[])
    other_mission = make_mission(title="Collecte", skills=[])
    user = accepted(first_mission)
    accepted(other_mission, user=user)
    one = make_shift(on=first_mission, days=3, hour=14, hours=3)
    signup(one, user)
    two = make_shift(on=other_mission, days=3, hour=16, hours=2)  # 16:00 < 17:00
    with pytest.raises(ValidationError, match="Maraude du soir"):
        signup(two, user)
    back_to_back = make_shift(on=other_mission, days=3, hour=17, hours=2)
    assert signup(back_to_back, user).status == "signed_up"


def test_full_shift_refuses_the_next(make_shift, accepted, mission):
    shift = make_shift(capacity=1)
    signup(shift, accepted(mission))
    with pytest.raises(ValidationError, match="full"):
        signup(shift, accepted(mission))


def test_organiser_adds_a_contact(make_shift, association, presidente, person):
    shift = make_shift()
    with scope(association=association):
        added = shifts.signup_add(
            association=association, acting_user=presidente, shift=shift, person=person
        )
        assert added.person == person and added.user is None
        with pytest.raises(ValidationError, match="Already"):
            shifts.signup_add(
                association=association, acting_user=presidente, shift=shift, person=person
            )


def test_organiser_cannot_add_another_associations_contact(
    make_shift, association, presidente, other_person
):
    shift = make_shift()
    with scope(association=association), pytest.raises(ValidationError, match="Unknown"):
        shifts.signup_add(
            association=association, acting_user=presidente, shift=shift, person=other_person
        )


def test_cancelling_a_shift_tells_those_signed_up(make_shift, accepted, mission, presidente):
    shift = make_shift()
    user = accepted(mission)
    registration = signup(shift, user)
    before = OutboxEmail.objects.filter(to=user.email).count()
    with scope(association=shift.association):
        shifts.shift_cancel(
            association=shift.association, acting_user=presidente, shift=shift, reason="Pluie"
        )
        with pytest.raises(ValidationError):
            shifts.shift_cancel(association=shift.association, acting_user=presidente, shift=shift)
    registration.refresh_from_db()
    shift.refresh_from_db()
    assert registration.status == "cancelled" and shift.taken == 0 and shift.cancelled_at
    mail = OutboxEmail.objects.filter(to=user.email).order_by("-id").first()
    assert OutboxEmail.objects.filter(to=user.email).count() == before + 1
    assert "Pluie" in mail.body_text


# --- Attendance and hours ------------------------------------------------------------------


def test_attendance_records_approved_hours_and_no_show_refuses_them(
    make_shift, accepted, mission, presidente, association
):
    shift = make_shift(days=1, hours=3)
    user = accepted(mission)
    registration = signup(shift, user)
    with scope(association=association):
        with pytest.raises(ValidationError, match="started"):
            shifts.signup_mark(
                association=association,
                acting_user=presidente,
                signup=registration,
                status="attended",
            )
        Shift.objects.filter(pk=shift.pk).update(
            starts_at=at(-1, 14), ends_at=at(-1, 17), signup_deadline=None
        )
        shifts.signup_mark(
            association=association, acting_user=presidente, signup=registration, status="attended"
        )
        entry = HoursEntry.objects.get()
        assert (entry.status, entry.minutes, entry.source) == ("approved", 180, "shift")
        assert entry.worked_on == at(-1).date() and entry.user == user
        shifts.signup_mark(
            association=association, acting_user=presidente, signup=registration, status="no_show"
        )
        entry.refresh_from_db()
        assert entry.status == "refused" and HoursEntry.objects.count() == 1
        shifts.signup_mark(
            association=association, acting_user=presidente, signup=registration, status="attended"
        )
        entry.refresh_from_db()
        assert entry.status == "approved" and HoursEntry.objects.count() == 1


# --- Reminders and calendar ----------------------------------------------------------------


def test_reminder_sent_once_the_day_before_with_a_cancel_link(
    make_shift, accepted, mission
):
    soon = make_shift(days=1, hour=10)
    later = make_shift(days=5)
    user = accepted(mission)
    registration = signup(soon, user)
    signup(later, user)
    now = soon.starts_at - dt.timedelta(hours=20)
    assert shifts.send_shift_reminders(now=now) == 1
    assert shifts.send_shift_reminders(now=now) == 0
    mail = OutboxEmail.objects.filter(kind="shift_reminder").get()
    assert mail.to == user.email
    token = shifts.cancel_token(registration)
    assert token in mail.body_text
    assert shifts.signup_from_token(token).pk == registration.pk
    assert shifts.signup_from_token(token + "x") is None


def test_calendar_feed_has_one_stable_event_per_shift(make_shift, accepted, mission):
    from essaim.lib.ical import ical_calendar

    user = accepted(mission)
    one, two = make_shift(days=2), make_shift(days=3)
    signup(one, user)
    signup(two, user)
    events = shifts.calendar_events(user)
    assert len(events) == 2 and events[0].uid == shifts.calendar_events(user)[0].uid
    assert str(one.uuid) in events[0].uid
    body = ical_calendar(events, name="Bénévolat").decode()
    assert body.count("BEGIN:VEVENT") == 2 and "STATUS:CONFIRMED" in body
    token = shifts.calendar_token(user.uuid)
    assert shifts.user_from_calendar_token(user.uuid, token) == user
    assert shifts.user_from_calendar_token(user.uuid, token[:-1] + "x") is None
    other = UserFactory()
    assert shifts.user_from_calendar_token(other.uuid, token) is None


def test_signup_of_erased_person_is_refused(make_shift, association, presidente, person):
    shift = make_shift()
    with scope(association=association):
        Person.objects.filter(pk=person.pk).update(erased_at=timezone.now())
        with pytest.raises(ValidationError):
            shifts.signup_add(
                association=association, acting_user=presidente, shift=shift, person=person
            )
        assert not ShiftSignup.objects.exists()


def test_demo_has_shifts_and_hours():
    import io

    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
    with scopes_disabled():
        assert Shift.objects.filter(series__isnull=False).count() == 6
        assert ShiftSignup.objects.filter(status="signed_up").count() == 1
        assert ShiftSignup.objects.filter(status="attended").count() == 2
        assert sorted(HoursEntry.objects.values_list("status", flat=True)) == [
            "approved",
            "approved",
            "declared",
        ]
