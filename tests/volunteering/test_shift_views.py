"""Pages of shifts: the coordinator's (list by day, create one or a series, edit, cancel with
notice, add a volunteer, attendance) and the volunteer's (sign up, cancel, the reminder's link,
the calendar feed), with the outsider persona."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import OutboxEmail
from essaim.volunteering import shifts
from essaim.volunteering.models import HoursEntry, Shift, ShiftSignup
from tests.volunteering.test_shifts import accepted, at, make_shift, mission  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def url(association, name, **kwargs):
    return reverse(f"volunteering:{name}", kwargs={"association_slug": association.slug, **kwargs})


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_coordinator_creates_a_weekly_series_and_sees_it_by_day(
    client_for,
    presidente,
    association,
    mission,  # noqa: F811
):
    client = client_for(presidente)
    page = client.get(url(association, "mission_detail", mission_uuid=mission.uuid))
    assert url(association, "shift_list", mission_uuid=mission.uuid).encode() in page.content
    empty = client.get(url(association, "shift_list", mission_uuid=mission.uuid))
    assert b"No shift to come" in empty.content
    assert client.get(url(association, "shift_create", mission_uuid=mission.uuid)).status_code == 200
    response = client.post(
        url(association, "shift_create", mission_uuid=mission.uuid),
        {
            "starts_at": local(at(2, 9)),
            "ends_at": local(at(2, 12)),
            "capacity": "3",
            "qualifications": ["secourisme"],
            "location": "Gymnase",
            "repeat_until": (timezone.localdate() + dt.timedelta(days=16)).isoformat(),
        },
    )
    assert response.status_code == 302
    with scope(association=association):
        assert Shift.objects.count() == 3
    listing = client.get(url(association, "shift_list", mission_uuid=mission.uuid))
    assert listing.content.count(b"0 / 3 signed up") == 3
    assert b"09:00" in listing.content


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": local(at(2, 8))}, b"The end must come after the start"),
        ({"capacity": "0"}, b"has-error"),
        ({"signup_deadline": local(at(2, 10))}, b"must not come after the start"),
        ({"starts_at": local(at(-2, 9)), "ends_at": local(at(-2, 10))}, b"already past"),
        ({"starts_at": "31/02/2026 10:00"}, b"has-error"),
        ({"repeat_until": "2020-01-01"}, b"must come after the first shift"),
    ],
)
def test_bad_shift_forms_show_errors_and_save_nothing(
    client_for,
    presidente,
    association,
    mission,  # noqa: F811
    change,
    message,
):
    data = {"starts_at": local(at(2, 9)), "ends_at": local(at(2, 12)), "capacity": "2"}
    data.update(change)
    response = client_for(presidente).post(
        url(association, "shift_create", mission_uuid=mission.uuid), data
    )
    assert response.status_code == 200 and message in response.content
    with scope(association=association):
        assert not Shift.objects.exists()


def test_edit_and_cancel_with_notice(
    client_for,
    presidente,
    association,
    make_shift,  # noqa: F811
    accepted,  # noqa: F811
    mission,  # noqa: F811
):
    shift = make_shift()
    user = accepted(mission)
    with scope(association=association):
        shifts.signup_create(shift=shift, user=user)
    client = client_for(presidente)
    edit = client.post(
        url(association, "shift_edit", shift_uuid=shift.uuid),
        {"starts_at": local(shift.starts_at), "ends_at": local(shift.ends_at), "capacity": "5"},
    )
    assert edit.status_code == 302
    shift.refresh_from_db()
    assert shift.capacity == 5
    confirm = client.get(url(association, "shift_cancel", shift_uuid=shift.uuid))
    assert b"1 volunteer is signed up" in confirm.content
    with scopes_disabled():
        assert Shift.objects.get(pk=shift.pk).cancelled_at is None  # GET changes nothing
    done = client.post(url(association, "shift_cancel", shift_uuid=shift.uuid), {"reason": "Pluie"})
    assert done.status_code == 302
    shift.refresh_from_db()
    assert shift.cancelled_at is not None
    assert OutboxEmail.objects.filter(to=user.email, kind="shift_cancelled").exists()
    again = client.post(url(association, "shift_cancel", shift_uuid=shift.uuid), {"reason": ""})
    assert again.status_code == 200 and b"already cancelled" in again.content


def test_add_an_applicant_or_a_contact_then_mark_attendance(
    client_for,
    presidente,
    association,
    make_shift,  # noqa: F811
    accepted,  # noqa: F811
    mission,  # noqa: F811
    person,
):
    shift = make_shift(capacity=3)
    user = accepted(mission)
    client = client_for(presidente)
    page = client.get(url(association, "shift_detail", shift_uuid=shift.uuid))
    assert str(user.uuid).encode() in page.content
    client.post(url(association, "signup_add", shift_uuid=shift.uuid), {"user": str(user.uuid)})
    found = client.get(url(association, "shift_detail", shift_uuid=shift.uuid), {"q": "le goff"})
    assert str(person.uuid).encode() in found.content
    client.post(url(association, "signup_add", shift_uuid=shift.uuid), {"person": str(person.uuid)})
    bad = client.post(url(association, "signup_add", shift_uuid=shift.uuid), {"user": "nope"})
    assert bad.status_code == 302
    with scope(association=association):
        assert ShiftSignup.objects.filter(shift=shift, status="signed_up").count() == 2
        Shift.objects.filter(pk=shift.pk).update(
            starts_at=at(-1, 9), ends_at=at(-1, 11), signup_deadline=None
        )
        signup = ShiftSignup.objects.get(user=user)
    page = client.get(url(association, "shift_detail", shift_uuid=shift.uuid))
    assert b"Present" in page.content
    client.post(url(association, "signup_action", signup_uuid=signup.uuid, action="attended"))
    with scope(association=association):
        entry = HoursEntry.objects.get()
    assert entry.status == "approved" and entry.minutes == 120
    unknown = client.post(url(association, "signup_action", signup_uuid=signup.uuid, action="x"))
    assert unknown.status_code == 404


def test_outsider_and_volunteer_get_no_access(
    client_for,
    outsider,
    benevole,
    association,
    make_shift,  # noqa: F811
    mission,  # noqa: F811
):
    shift = make_shift()
    for name, kwargs in (
        ("shift_list", {"mission_uuid": mission.uuid}),
        ("shift_create", {"mission_uuid": mission.uuid}),
        ("shift_detail", {"shift_uuid": shift.uuid}),
        ("shift_edit", {"shift_uuid": shift.uuid}),
        ("shift_cancel", {"shift_uuid": shift.uuid}),
    ):
        assert client_for(outsider).get(url(association, name, **kwargs)).status_code == 404
        assert client_for(benevole).get(url(association, name, **kwargs)).status_code == 403
    post = client_for(outsider).post(url(association, "shift_cancel", shift_uuid=shift.uuid))
    assert post.status_code == 404
    shift.refresh_from_db()
    assert shift.cancelled_at is None


def test_outsider_cannot_reach_another_associations_shift_through_its_own(
    client_for,
    outsider,
    other_association,
    make_shift,  # noqa: F811
):
    shift = make_shift()
    response = client_for(outsider).get(
        url(other_association, "shift_detail", shift_uuid=shift.uuid)
    )
    assert response.status_code == 404


# --- Volunteer side --------------------------------------------------------------------------


def test_volunteer_signs_up_and_cancels_from_their_space(
    client_for,
    make_shift,  # noqa: F811
    accepted,  # noqa: F811
    mission,  # noqa: F811
):
    shift = make_shift()
    user = accepted(mission)
    client = client_for(user)
    space = client.get(reverse("volunteering_public:space"))
    assert reverse("volunteering_public:shifts").encode() in space.content
    page = client.get(reverse("volunteering_public:shifts"))
    assert b"Sign up" in page.content and mission.title.encode() in page.content
    assert client.get(reverse("volunteering_public:shift_signup", args=[shift.uuid])).status_code == 405
    client.post(reverse("volunteering_public:shift_signup", args=[shift.uuid]))
    with scopes_disabled():
        signup = ShiftSignup.objects.get(user=user)
    page = client.get(reverse("volunteering_public:shifts"))
    assert b"Cancel my place" in page.content
    client.post(reverse("volunteering_public:signup_cancel", args=[signup.uuid]))
    signup.refresh_from_db()
    assert signup.status == "cancelled"


def test_overlap_message_names_the_other_shift(
    client_for,
    make_mission,
    make_shift,  # noqa: F811
    accepted,  # noqa: F811
):
    first = make_mission(title="Maraude", skills=[])
    second = make_mission(title="Collecte", skills=[])
    user = accepted(first)
    accepted(second, user=user)
    one = make_shift(on=first, days=3, hour=10, hours=2)
    two = make_shift(on=second, days=3, hour=11, hours=2)
    client = client_for(user)
    client.post(reverse("volunteering_public:shift_signup", args=[one.uuid]))
    response = client.post(
        reverse("volunteering_public:shift_signup", args=[two.uuid]), follow=True
    )
    assert b"overlaps another one" in response.content and b"Maraude" in response.content


def test_a_stranger_cannot_sign_up_or_cancel_someone_else(
    client_for,
    citizen,
    make_shift,  # noqa: F811
    accepted,  # noqa: F811
    mission,  # noqa: F811
):
    shift = make_shift()
    user = accepted(mission)
    with scope(association=shift.association):
        signup = shifts.signup_create(shift=shift, user=user)
    client = client_for(citizen)
    assert client.post(reverse("volunteering_public:shift_signup", args=[shift.uuid])).status_code == 404
    assert client.post(reverse("volunteering_public:signup_cancel", args=[signup.uuid])).status_code == 404
    signup.refresh_from_db()
    assert signup.status == "signed_up"


def test_reminder_link_get_confirms_post_cancels(
    client,
    make_shift,  # noqa: F811
    accepted,  # noqa: F811
    mission,  # noqa: F811
):
    shift = make_shift(days=1, hour=20)
    user = accepted(mission)
    with scope(association=shift.association):
        signup = shifts.signup_create(shift=shift, user=user)
    link = reverse("volunteering_public:shift_cancel_link", args=[shifts.cancel_token(signup)])
    page = client.get(link)
    assert page.status_code == 200 and b"Yes, cancel my place" in page.content
    signup.refresh_from_db()
    assert signup.status == "signed_up"  # GET does not cancel (mail scanners follow links)
    done = client.post(link)
    assert b"Your place is freed" in done.content
    signup.refresh_from_db()
    assert signup.status == "cancelled"
    assert client.get(link + "x/").status_code == 404
    assert client.get(reverse("volunteering_public:shift_cancel_link", args=["abc"])).status_code == 404


def test_calendar_feed_needs_the_secret(
    client,
    make_shift,  # noqa: F811
    accepted,  # noqa: F811
    mission,  # noqa: F811
):
    shift = make_shift()
    user = accepted(mission)
    with scope(association=shift.association):
        shifts.signup_create(shift=shift, user=user)
    token = shifts.calendar_token(user.uuid)
    feed = client.get(reverse("volunteering_public:calendar", args=[user.uuid, token]))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    body = feed.content.decode()
    assert body.count("BEGIN:VEVENT") == 1 and f"UID:shift-{shift.uuid}" in body
    assert mission.title in body
    bad = client.get(reverse("volunteering_public:calendar", args=[user.uuid, token[:-2] + "zz"]))
    assert bad.status_code == 404


def test_volunteer_pages_need_login(client):
    for name in ("shifts", "hours"):
        response = client.get(reverse(f"volunteering_public:{name}"))
        assert response.status_code == 302
