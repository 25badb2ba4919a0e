"""API of mailings and newsletter lists: list, create a draft, schedule, stats.

Creating and scheduling follow the screens' rules (the same services): unknown
personalisation fields, an empty subject or body, no list and no consent chosen, or nobody
to send to are 422 with the faulty field. Audiences have their own router (api/audiences.py).
"""

import datetime as dt
from typing import Literal
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from essaim.communication import mailings
from essaim.communication.models import Audience, Mailing, NewsletterList, Subscription

from .auth import tenant
from .routers import ERRORS, NO_NUL, Pagination

CAPABILITY = "can_send_mailings"
MailingStatus = Literal["draft", "scheduled", "sending", "paused", "sent", "cancelled"]
MailingTopic = Literal["", "newsletter", "association_news"]


class MailingOut(Schema):
    uuid: UUID
    subject: str
    from_name: str
    reply_to: str
    status: MailingStatus
    audience: UUID | None = None
    newsletter: UUID | None = None
    topic: MailingTopic
    is_appeal: bool
    scheduled_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    recipients: int = Field(description="frozen when sending starts; live count for one mailing")

    @staticmethod
    def resolve_audience(obj):
        return obj.audience.uuid if obj.audience_id else None

    @staticmethod
    def resolve_newsletter(obj):
        return obj.newsletter.uuid if obj.newsletter_id else None


class MailingIn(Schema):
    subject: str = Field(..., max_length=150, pattern=NO_NUL)
    body: str = Field(..., max_length=50_000, pattern=NO_NUL, description="Markdown")
    from_name: str = Field("", max_length=100, pattern=NO_NUL)
    reply_to: str = Field("", max_length=254, pattern=NO_NUL)
    audience: UUID | None = None
    newsletter: UUID | None = None
    topic: MailingTopic = ""
    is_appeal: bool = False


class ScheduleIn(Schema):
    send_at: dt.datetime | None = Field(None, description="empty: now")


class LinkStats(Schema):
    url: str
    clicks: int
    people: int


class StatsOut(Schema):
    uuid: UUID
    status: MailingStatus
    recipients: int
    sent: int
    waiting: int
    unknown: int
    failed: int
    bounced: int
    complained: int
    unsubscribed: int
    clicked: int
    opened: int | None = Field(None, description="null when the association does not count opens")
    links: list[LinkStats]


class ListOut(Schema):
    uuid: UUID
    name: str
    description: str
    is_public: bool
    subscribers: int


mailing_router = Router(tags=["mailings"])


def _out(mailing: Mailing) -> Mailing:
    """One mailing with its live count of recipients (a draft's count is computed)."""
    mailing.recipients = mailings.recipient_count(mailing)
    return mailing


def _mailing(request, mailing_uuid: UUID) -> Mailing:
    return get_object_or_404(
        Mailing.objects.select_related("audience", "newsletter", "association"),
        association=request.association,
        uuid=mailing_uuid,
    )


@mailing_router.get("", response={200: list[MailingOut], **ERRORS})
@tenant(CAPABILITY)
@paginate(Pagination)
def mailing_list(request):
    """The association's mailings, newest first (recipients: 0 until sending starts)."""
    return (
        Mailing.objects.filter(association=request.association)
        .select_related("audience", "newsletter")
        .order_by("-created_at", "-id")
    )


@mailing_router.post("", response={201: MailingOut, **ERRORS})
@tenant(CAPABILITY)
def mailing_create(request, payload: MailingIn):
    """A draft mailing; nothing is sent until it is scheduled."""
    association = request.association
    data = payload.dict()
    for key, model in (("audience", Audience), ("newsletter", NewsletterList)):
        if data[key] is not None:
            data[key] = get_object_or_404(model, association=association, uuid=data[key])
    mailing = mailings.mailing_create(
        association=association, acting_user=request.auth.created_by, **data
    )
    return Status(201, _out(mailing))


@mailing_router.get("/{mailing_uuid}", response={200: MailingOut, **ERRORS})
@tenant(CAPABILITY)
def mailing_get(request, mailing_uuid: UUID):
    return _out(_mailing(request, mailing_uuid))


@mailing_router.post("/{mailing_uuid}/schedule", response={200: MailingOut, **ERRORS})
@tenant(CAPABILITY)
def mailing_schedule(request, mailing_uuid: UUID, payload: ScheduleIn):
    """Send a draft now (no `send_at`) or at a date; 422 when nobody would receive it."""
    mailing = mailings.mailing_schedule(
        association=request.association,
        acting_user=request.auth.created_by,
        mailing=_mailing(request, mailing_uuid),
        send_at=payload.send_at,
    )
    return _out(_mailing(request, mailing.uuid))


@mailing_router.get("/{mailing_uuid}/stats", response={200: StatsOut, **ERRORS})
@tenant(CAPABILITY)
def mailing_stats(request, mailing_uuid: UUID):
    """Delivered (accepted by the mail server), bounced, unsubscribed, clicks per link."""
    mailing = _mailing(request, mailing_uuid)
    stats = mailings.mailing_stats(mailing)
    return {
        "uuid": mailing.uuid,
        "status": mailing.status,
        "recipients": stats["total"] or mailings.recipient_count(mailing),
        **{
            key: stats[key]
            for key in (
                "sent",
                "waiting",
                "unknown",
                "failed",
                "bounced",
                "complained",
                "unsubscribed",
                "clicked",
            )
        },
        "opened": stats["opened"] if mailing.track_opens else None,
        "links": [
            {"url": link.url, "clicks": link.clicks, "people": link.unique}
            for link in stats["links"]
        ],
    }


newsletter_router = Router(tags=["mailings"])


@newsletter_router.get("", response={200: list[ListOut], **ERRORS})
@tenant(CAPABILITY)
def newsletter_list(request):
    """The association's newsletter lists with their number of subscribers."""
    from django.db.models import Count, Q

    rows = (
        NewsletterList.objects.filter(association=request.association, archived_at__isnull=True)
        .annotate(
            subscribers=Count(
                "subscriptions", filter=Q(subscriptions__status=Subscription.Status.SUBSCRIBED)
            )
        )
        .order_by("name")[:500]
    )
    return [
        {
            "uuid": n.uuid,
            "name": n.name,
            "description": n.description,
            "is_public": n.is_public,
            "subscribers": n.subscribers,
        }
        for n in rows
    ]
