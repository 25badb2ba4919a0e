import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from essaim.core.models import OutboxEmail
from essaim.members import services
from essaim.members.models import Membership, ReminderLog
from essaim.members.reminders import send_membership_reminders
from essaim.members.tokens import renewal_token


def _member(association, presidente, mtype, person, **kwargs):
    with scope(association=association):
        m = services.membership_create(
            association=association,
            acting_user=presidente,
            person=person,
            membership_type=mtype,
            **kwargs,
        )
        services.dues_payment_record(
            association=association, acting_user=presidente, memberships=[m], method="cash"
        )
        m.refresh_from_db()
        return m


def test_reminders_at_each_offset_once(association, presidente, annual, make_person):
    m = _member(association, presidente, annual, make_person(email="a@example.org"))
    with scope(association=association):
        services.membership_settings_update(
            association=association, acting_user=presidente, reminder_offsets=[-30, 7]
        )
    end = m.period_end
    assert send_membership_reminders(end - dt.timedelta(days=31)) == 0
    assert send_membership_reminders(end - dt.timedelta(days=30)) == 1
    assert send_membership_reminders(end - dt.timedelta(days=29)) == 0  # caught up already
    assert send_membership_reminders(end + dt.timedelta(days=9)) == 1  # +7, two days late
    assert send_membership_reminders(end + dt.timedelta(days=10)) == 0
    emails = OutboxEmail.objects.filter(kind="membership_reminder").order_by("created_at")
    assert emails.count() == 2
    assert "/m/renew/" in emails[0].body_text
    with scope(association=association):
        assert ReminderLog.objects.count() == 2


def test_no_reminder_when_renewed_resigned_or_without_email(
    association, presidente, annual, make_person
):
    renewed = _member(
        association, presidente, annual, make_person(last_name="A", email="a@example.org")
    )
    resigned = _member(
        association, presidente, annual, make_person(last_name="B", email="b@example.org")
    )
    _member(association, presidente, annual, make_person(last_name="C", email=""))
    with scope(association=association):
        services.membership_renew(
            association=association, acting_user=presidente, membership=renewed
        )
        services.membership_resign(
            association=association, acting_user=presidente, membership=resigned
        )
    assert send_membership_reminders(renewed.period_end - dt.timedelta(days=7)) == 0


def test_no_renewal_reminder_for_dues_never_paid(association, presidente, annual, make_person):
    """Renewing is for members who paid; the unpaid get the team's dues reminder."""
    with scope(association=association):
        unpaid = services.membership_create(
            association=association,
            acting_user=presidente,
            person=make_person(email="u@example.org"),
            membership_type=annual,
        )
    assert send_membership_reminders(unpaid.period_end - dt.timedelta(days=7)) == 0
    assert not OutboxEmail.objects.filter(kind="membership_reminder").exists()


def test_public_renewal_link(client, association, presidente, annual, make_person):
    m = _member(
        association, presidente, annual, make_person(first_name="Émilie", email="e@example.org")
    )
    url = reverse("members_public:renew", kwargs={"token": renewal_token(m)})
    page = client.get(url)
    assert page.status_code == 200 and "Émilie" in page.content.decode()
    with scope(association=association):
        assert not Membership.objects.filter(renewal_of=m).exists()  # GET changes nothing
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 200  # twice: still one renewal
    with scope(association=association):
        renewal = Membership.objects.get(renewal_of=m)
    assert renewal.period_start == m.period_end + dt.timedelta(days=1)
    forged = client.get(reverse("members_public:renew", kwargs={"token": "abc:def"}))
    assert forged.status_code == 404


def test_reminder_job_is_scheduled():
    from essaim.core import scheduler

    assert "membership_reminders" in {job.name for job in scheduler.jobs()}
    assert timezone.localdate()  # the job uses the local date of the instance
