"""Fundraising campaigns (campagnes de dons): writes and the progress of a campaign.

A campaign is created as a draft, published (its page /d/<association>/<slug>/ opens and takes
gifts) and closed (the page stays and says so; no more gifts). What it raised is the sum of
the gifts linked to it; its donors are the distinct contacts who gave (a gift without a contact
counts as one donor).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log, diff, snapshot
from essaim.core.models import Association
from essaim.lib.money import format_euros
from essaim.lib.text import has_forbidden_characters

from .models import Campaign, Gift

CAMPAIGN_FIELDS = (
    "slug",
    "title",
    "summary",
    "story",
    "goal_cents",
    "starts_on",
    "ends_on",
    "suggested_amounts",
    "allow_monthly",
    "thank_you_message",
)
TEXT_FIELDS = ("slug", "title", "summary", "story", "thank_you_message")
# 20 million euros: above, a typing mistake (the column is a 32-bit integer on PostgreSQL).
MAX_GOAL_CENTS = 20_000_000_00
MAX_SUGGESTED = 8  # amounts offered on the form
MAX_SUGGESTED_CENTS = 100_000_00  # 100 000 € per suggested amount
# Slugs that would clash with the public URLs or read badly.
RESERVED_SLUGS = {"new", "edit", "thanks", "merci", "admin", "static", "media"}


def _as_cents(value, *, field: str, errors: dict) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors[field] = _("Give an amount in euros.")
        return None
    return value


def _validate(association: Association, campaign: Campaign) -> None:
    errors: dict[str, str] = {}
    for name in TEXT_FIELDS:
        value = getattr(campaign, name)
        if not isinstance(value, str):
            errors[name] = _("Give a text.")
        elif has_forbidden_characters(value):
            errors[name] = _("This text contains characters that are not allowed.")
    if errors:
        raise ValidationError(errors)
    campaign.title = " ".join(campaign.title.split())
    campaign.summary = " ".join(campaign.summary.split())
    campaign.slug = campaign.slug.strip().lower()
    if not campaign.title:
        errors["title"] = _("Give the campaign a title.")
    elif len(campaign.title) > 150:
        errors["title"] = _("The title is too long (150 characters at most).")
    if len(campaign.summary) > 300:
        errors["summary"] = _("The summary is too long (300 characters at most).")
    if not campaign.slug:
        errors["slug"] = _("Give the address of the page (letters, digits and hyphens).")
    else:
        try:
            validate_slug(campaign.slug)
        except ValidationError:
            errors["slug"] = _("The address may only contain letters, digits and hyphens.")
        else:
            if len(campaign.slug) > 80:
                errors["slug"] = _("The address is too long (80 characters at most).")
            elif campaign.slug in RESERVED_SLUGS:
                errors["slug"] = _("This address is reserved: choose another one.")
            elif (
                Campaign.objects.filter(association=association, slug=campaign.slug)
                .exclude(pk=campaign.pk)
                .exists()
            ):
                errors["slug"] = _("Another campaign of the association already has this address.")
    goal = _as_cents(campaign.goal_cents, field="goal_cents", errors=errors)
    if "goal_cents" not in errors:
        if goal is not None and goal <= 0:
            errors["goal_cents"] = _("The goal must be more than zero.")
        elif goal is not None and goal > MAX_GOAL_CENTS:
            errors["goal_cents"] = _("This goal is too large: check it.")
        campaign.goal_cents = goal
    for name in ("starts_on", "ends_on"):
        value = getattr(campaign, name)
        if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
            errors[name] = _("Give a date.")
    if (
        "starts_on" not in errors
        and "ends_on" not in errors
        and campaign.starts_on
        and campaign.ends_on
        and campaign.ends_on <= campaign.starts_on
    ):
        errors["ends_on"] = _("The deadline must come after the start.")
    amounts = campaign.suggested_amounts
    if amounts is None:
        amounts = []
    if not isinstance(amounts, list | tuple):
        errors["suggested_amounts"] = _("Give the suggested amounts as a list.")
    else:
        if len(amounts) > MAX_SUGGESTED:
            errors["suggested_amounts"] = _("Suggest %(count)s amounts at most.") % {
                "count": MAX_SUGGESTED
            }
        for amount in amounts:
            if isinstance(amount, bool) or not isinstance(amount, int):
                errors["suggested_amounts"] = _("Each suggested amount must be an amount.")
                break
            if amount <= 0:
                errors["suggested_amounts"] = _("Each suggested amount must be more than zero.")
                break
            if amount > MAX_SUGGESTED_CENTS:
                errors["suggested_amounts"] = _("A suggested amount cannot be above %(limit)s.") % {
                    "limit": format_euros(MAX_SUGGESTED_CENTS)
                }
                break
        else:
            if len(set(amounts)) != len(amounts):
                errors["suggested_amounts"] = _("The same amount is suggested twice.")
        if "suggested_amounts" not in errors:
            campaign.suggested_amounts = list(amounts)
    if not isinstance(campaign.allow_monthly, bool):
        errors["allow_monthly"] = _("Say whether monthly gifts are offered.")
    if errors:
        raise ValidationError(errors)


def _save(campaign: Campaign) -> None:
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError:  # the same slug saved meanwhile by another request
        raise ValidationError(
            {"slug": _("Another campaign of the association already has this address.")}
        ) from None


def _check_fields(fields: dict) -> None:
    for name in fields:
        if name not in CAMPAIGN_FIELDS:
            raise TypeError(f"unknown campaign field {name}")


@transaction.atomic
def campaign_create(*, association: Association, acting_user, **fields) -> Campaign:
    """A new campaign, as a draft. Raises ValidationError with a message per field."""
    _check_fields(fields)
    campaign = Campaign(
        association=association,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    for name in TEXT_FIELDS:
        setattr(campaign, name, "")
    for name, value in fields.items():
        setattr(campaign, name, value if value is not None or name not in TEXT_FIELDS else "")
    _validate(association, campaign)
    _save(campaign)
    audit_log(
        association=association,
        actor=acting_user,
        action="campaign.create",
        obj=campaign,
        data={"goal_cents": campaign.goal_cents},
    )
    return campaign


@transaction.atomic
def campaign_update(
    *, association: Association, acting_user, campaign: Campaign, **fields
) -> Campaign:
    """Change a campaign's fields (not its status: see publish/close)."""
    _check_fields(fields)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk, association=association)
    before = snapshot(locked, CAMPAIGN_FIELDS)
    for name, value in fields.items():
        setattr(locked, name, value if value is not None or name not in TEXT_FIELDS else "")
    _validate(association, locked)
    changes = diff(before, snapshot(locked, CAMPAIGN_FIELDS))
    if changes:
        _save(locked)
        audit_log(
            association=association,
            actor=acting_user,
            action="campaign.update",
            obj=locked,
            changes=changes,
        )
    return locked


def _set_status(association, acting_user, campaign, status, allowed_from, message, action):
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk, association=association)
    if locked.status == status:
        return locked
    if locked.status not in allowed_from:
        raise ValidationError(message)
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    audit_log(association=association, actor=acting_user, action=action, obj=locked)
    return locked


@transaction.atomic
def campaign_publish(*, association: Association, acting_user, campaign: Campaign) -> Campaign:
    """Open the campaign's page to the public (a draft, or a closed campaign reopened)."""
    locked = Campaign.objects.get(pk=campaign.pk, association=association)
    _validate(association, locked)  # rules may have changed since it was written
    if locked.ends_on and locked.ends_on < timezone.localdate():
        raise ValidationError(
            {"ends_on": _("The deadline has passed: change it before publishing.")}
        )
    return _set_status(
        association,
        acting_user,
        campaign,
        Campaign.Status.PUBLISHED,
        (Campaign.Status.DRAFT, Campaign.Status.CLOSED),
        _("This campaign cannot be published."),
        "campaign.publish",
    )


@transaction.atomic
def campaign_close(*, association: Association, acting_user, campaign: Campaign) -> Campaign:
    """Stop taking gifts: the page stays and says the campaign is closed. Monthly gifts
    already promised go on (the donor or the team can stop them)."""
    return _set_status(
        association,
        acting_user,
        campaign,
        Campaign.Status.CLOSED,
        (Campaign.Status.PUBLISHED,),
        _("Only a published campaign can be closed."),
        "campaign.close",
    )


def campaign_is_open(campaign: Campaign, today: dt.date | None = None) -> bool:
    """Whether the campaign takes gifts now: published, started, deadline not passed."""
    today = today or timezone.localdate()
    if campaign.status != Campaign.Status.PUBLISHED:
        return False
    if campaign.starts_on and today < campaign.starts_on:
        return False
    return not (campaign.ends_on and today > campaign.ends_on)


def progress_of(
    campaign: Campaign, raised_cents: int, donors: int, today: dt.date | None = None
) -> dict:
    """The progress dict of `campaign_progress` from figures already summed (lists)."""
    today = today or timezone.localdate()
    goal = campaign.goal_cents
    days_left = None
    if campaign.ends_on:
        days_left = max(0, (campaign.ends_on - today).days + 1)
    return {
        "raised_cents": raised_cents,
        "donors": donors,
        "goal_cents": goal,
        "percent": raised_cents * 100 // goal if goal else 0,
        "days_left": days_left,
    }


def campaign_progress(campaign: Campaign, today: dt.date | None = None) -> dict:
    """What the campaign raised: {raised_cents, donors, goal_cents, percent, days_left}.

    `percent` is the whole percentage of the goal reached (it may pass 100; 0 without a
    goal); `days_left` counts the days until the deadline, the deadline included (0 once
    passed, None without a deadline).
    """
    totals = Gift.objects.filter(
        association_id=campaign.association_id, campaign=campaign
    ).aggregate(
        raised=Sum("amount_cents"),
        persons=Count("person", distinct=True),
        anonymous=Count("id", filter=Q(person__isnull=True)),
    )
    return progress_of(
        campaign, totals["raised"] or 0, totals["persons"] + totals["anonymous"], today
    )


def campaigns_with_progress(association: Association):
    """The association's campaigns, each annotated with `raised` and `donors` (one query
    for the whole list, however many campaigns and gifts)."""
    gifts = Gift.objects.filter(association=association, campaign=OuterRef("pk")).values("campaign")
    return Campaign.objects.filter(association=association).annotate(
        raised=Coalesce(Subquery(gifts.annotate(s=Sum("amount_cents")).values("s")), 0),
        donors=Coalesce(
            Subquery(
                gifts.annotate(
                    c=Count("person", distinct=True) + Count("id", filter=Q(person__isnull=True))
                ).values("c")
            ),
            0,
        ),
    )
