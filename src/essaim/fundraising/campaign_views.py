"""Back office of campaigns and monthly gifts (`can_manage_finances`).

/a/<slug>/fundraising/campaigns/…: the list with each campaign's progress, the campaign form
(amounts in euros, typed with a comma), a campaign's page for the team (progress, the gifts
each share link brought, the links to copy, the gifts waiting for their payment), publish and
close. /a/<slug>/fundraising/monthly/…: the monthly gifts, and pausing, resuming, changing or
stopping one.
"""

import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require

from . import appeals, campaigns, donations, recurring
from .campaign_forms import AppealForm, CampaignForm, MonthlyAmountForm
from .donate_views import page_url, share_links
from .models import Campaign, Gift, GiftIntent, RecurringGift

FINANCES = "can_manage_finances"


def _campaign(association, campaign_uuid) -> Campaign:
    return get_object_or_404(Campaign, association=association, uuid=campaign_uuid)


# --- Campaigns ----------------------------------------------------------------------------


@require(FINANCES)
def campaign_list(request, association_slug: str):
    association = request.seat.association
    today = timezone.localdate()
    page = paginate(request, campaigns.campaigns_with_progress(association).order_by("-created_at"))
    rows = [
        {
            "campaign": campaign,
            "progress": campaigns.progress_of(campaign, campaign.raised, campaign.donors, today),
        }
        for campaign in page.object_list
    ]
    return render(
        request,
        "fundraising/campaigns.html",
        {
            "association": association,
            "page": page,
            "rows": rows,
            "query_string": query_without_page(request),
        },
    )


@require(FINANCES)
def campaign_create(request, association_slug: str):
    association = request.seat.association
    form = CampaignForm(
        request.POST or None,
        initial={"allow_monthly": True, "suggested_amounts": [2000, 5000, 10000]},
    )
    if request.method == "POST":
        campaign = form.call_service(
            campaigns.campaign_create, association=association, acting_user=request.user
        )
        if campaign is not None:
            messages.success(
                request, _("The campaign is created as a draft: check its page, then publish it.")
            )
            return redirect(
                "fundraising:campaign_detail",
                association_slug=association.slug,
                campaign_uuid=campaign.uuid,
            )
    return render(
        request,
        "fundraising/campaign_form.html",
        {"association": association, "form": form, "campaign": None},
    )


@require(FINANCES)
def campaign_edit(request, association_slug: str, campaign_uuid):
    association = request.seat.association
    campaign = _campaign(association, campaign_uuid)
    form = CampaignForm(request.POST or None, initial=CampaignForm.initial_from(campaign))
    if request.method == "POST":
        saved = form.call_service(
            campaigns.campaign_update,
            association=association,
            acting_user=request.user,
            campaign=campaign,
        )
        if saved is not None:
            return redirect(
                "fundraising:campaign_detail",
                association_slug=association.slug,
                campaign_uuid=saved.uuid,
            )
    return render(
        request,
        "fundraising/campaign_form.html",
        {"association": association, "form": form, "campaign": campaign},
    )


@require(FINANCES)
def campaign_detail(request, association_slug: str, campaign_uuid):
    association = request.seat.association
    campaign = _campaign(association, campaign_uuid)
    gifts = Gift.objects.filter(association=association, campaign=campaign)
    by_source = list(
        gifts.values("source")
        .annotate(count=Count("id"), total=Sum("amount_cents"))
        .order_by("-total", "source")
    )
    pending = list(
        GiftIntent.objects.filter(
            association=association, campaign=campaign, status=GiftIntent.Status.PENDING
        )
        .select_related("person", "mandate")
        .order_by("-created_at")[:50]
    )
    monthly = RecurringGift.objects.filter(association=association, campaign=campaign).aggregate(
        active=Count("id", filter=Q(status=RecurringGift.Status.ACTIVE)),
        amount=Sum("amount_cents", filter=Q(status=RecurringGift.Status.ACTIVE)),
    )
    return render(
        request,
        "fundraising/campaign_detail.html",
        {
            "association": association,
            "campaign": campaign,
            "progress": campaigns.campaign_progress(campaign),
            "is_open": campaigns.campaign_is_open(campaign),
            "by_source": by_source,
            "recent": list(
                gifts.select_related("person", "payment").order_by("-received_on", "-id")[:10]
            ),
            "pending": pending,
            "monthly": monthly,
            "share_links": share_links(campaign, association),
            "page_url": page_url(campaign, association),
            "payable": donations.online_provider(association) is not None
            or donations.sepa_creditor(association) is not None,
        },
    )


@require(FINANCES)
@require_POST
def campaign_status(request, association_slug: str, campaign_uuid, action: str):
    association = request.seat.association
    campaign = _campaign(association, campaign_uuid)
    service = {"publish": campaigns.campaign_publish, "close": campaigns.campaign_close}.get(action)
    if service is None:
        raise Http404
    try:
        service(association=association, acting_user=request.user, campaign=campaign)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The campaign is published: its page takes gifts.")
            if action == "publish"
            else _("The campaign is closed: its page no longer takes gifts."),
        )
    return redirect(
        "fundraising:campaign_detail",
        association_slug=association.slug,
        campaign_uuid=campaign.uuid,
    )


@require(FINANCES)
def campaign_appeal(request, association_slug: str, campaign_uuid):
    """Ask the past donors by e-mail (those who may be asked: appeals.appeal_audience)."""
    association = request.seat.association
    campaign = _campaign(association, campaign_uuid)
    audience = appeals.appeal_audience(association)
    form = AppealForm(request.POST or None, initial={"subject": campaign.title})
    if request.method == "POST" and form.is_valid():
        try:
            sent = appeals.appeal_send(
                association=association,
                acting_user=request.user,
                campaign=campaign,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                ngettext(
                    "The appeal is on its way to %(count)d donor.",
                    "The appeal is on its way to %(count)d donors.",
                    sent,
                )
                % {"count": sent},
            )
            return redirect(
                "fundraising:campaign_detail",
                association_slug=association.slug,
                campaign_uuid=campaign.uuid,
            )
    return render(
        request,
        "fundraising/campaign_appeal.html",
        {
            "association": association,
            "campaign": campaign,
            "form": form,
            "audience_count": audience.count(),
            "left_out": appeals.left_out_count(association),
            "donor_years": appeals.DONOR_YEARS,
        },
    )


@require(FINANCES)
def campaign_qr(request, association_slug: str, campaign_uuid):
    """The QR code of the campaign's page (?src=qr), as SVG, to print on a flyer."""
    association = request.seat.association
    campaign = _campaign(association, campaign_uuid)
    image = qrcode.make(
        page_url(campaign, association, "qr"),
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
        border=2,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="qr-{campaign.slug}.svg"'
    return response


@require(FINANCES)
@require_POST
def intent_cancel(request, association_slug: str, intent_uuid):
    """The team gives up a gift that will never be paid (a donor who left the checkout)."""
    association = request.seat.association
    intent = get_object_or_404(GiftIntent, association=association, uuid=intent_uuid)
    donations.intent_cancel(association=association, acting_user=request.user, intent=intent)
    messages.success(request, _("The gift waiting for payment is cancelled."))
    if intent.campaign_id:
        return redirect(
            "fundraising:campaign_detail",
            association_slug=association.slug,
            campaign_uuid=intent.campaign.uuid,
        )
    return redirect("fundraising:campaigns", association_slug=association.slug)


# --- Monthly gifts ------------------------------------------------------------------------


@require(FINANCES)
def recurring_list(request, association_slug: str):
    association = request.seat.association
    status = request.GET.get("status", "")
    gifts = recurring.recurring_of(association)
    if status == "failing":
        gifts = gifts.filter(
            status=RecurringGift.Status.PAUSED,
            failed_debits__gte=recurring.FAILURES_BEFORE_PAUSE,
        )
    elif status in RecurringGift.Status.values:
        gifts = gifts.filter(status=status)
    else:
        status = ""
    figures = RecurringGift.objects.filter(association=association).aggregate(
        active=Count("id", filter=Q(status=RecurringGift.Status.ACTIVE)),
        monthly_total=Sum("amount_cents", filter=Q(status=RecurringGift.Status.ACTIVE)),
        failing=Count(
            "id",
            filter=Q(
                status=RecurringGift.Status.PAUSED,
                failed_debits__gte=recurring.FAILURES_BEFORE_PAUSE,
            ),
        ),
    )
    page = paginate(request, gifts.order_by("-started_on", "-id"))
    return render(
        request,
        "fundraising/recurring_list.html",
        {
            "association": association,
            "page": page,
            "status": status,
            "statuses": RecurringGift.Status.choices,
            "figures": figures,
            "query_string": query_without_page(request),
            "failures_before_pause": recurring.FAILURES_BEFORE_PAUSE,
        },
    )


@require(FINANCES)
def recurring_detail(request, association_slug: str, recurring_uuid):
    association = request.seat.association
    gift = get_object_or_404(
        recurring.recurring_of(association), association=association, uuid=recurring_uuid
    )
    prefix = str(gift.uuid)[:8]
    return render(
        request,
        "fundraising/recurring_detail.html",
        {
            "association": association,
            "gift": gift,
            "status": recurring.effective_status(gift),
            "failing": recurring.paused_after_failures(gift),
            "gifts": list(
                gift.gifts.select_related("payment").order_by("-received_on", "-id")[:24]
            ),
            "figures": recurring.recurring_gifts_count(gift),
            "prefix": prefix,
            "form": MonthlyAmountForm(initial={"amount_cents": gift.amount_cents}, prefix=prefix),
            "urls": {
                action: reverse(
                    "fundraising:recurring_action",
                    kwargs={
                        "association_slug": association.slug,
                        "recurring_uuid": gift.uuid,
                        "action": action,
                    },
                )
                for action in recurring.DONOR_ACTIONS
            },
        },
    )


@require(FINANCES)
@require_POST
def recurring_action(request, association_slug: str, recurring_uuid, action: str):
    association = request.seat.association
    gift = get_object_or_404(RecurringGift, association=association, uuid=recurring_uuid)
    if action not in recurring.DONOR_ACTIONS:
        raise Http404
    error = recurring.perform(
        action,
        association=association,
        acting_user=request.user,
        recurring=gift,
        data=request.POST,
        prefix=str(gift.uuid)[:8],
    )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, recurring.done_message(action, gift))
    return redirect(
        "fundraising:recurring_detail", association_slug=association.slug, recurring_uuid=gift.uuid
    )
