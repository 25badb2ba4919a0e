"""A campaign's public page and its donation form: /d/<association>/<campaign>/.

Not under the back office: the URL parameter is `slug`, not `association_slug` (the tenant
middleware would keep the page to the team), so each view finds its association and enters
its scope itself. Works without JavaScript and on a phone; the form is rate-limited per
client address and carries a honeypot, like the members' join form.
"""

from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from essaim.core.models import Association
from essaim.core.tenancy import seat_for
from essaim.lib import ratelimit
from essaim.payments import online

from . import appeals, donations
from .campaign_forms import DonateForm
from .campaigns import campaign_is_open, campaign_progress
from .models import Campaign, GiftIntent

SESSION_SOURCE = "donate_src"
SESSION_DONE = "donate_done"


def _rate_limit() -> tuple[int, int]:
    # Per client address, per hour; a fundraising evening on one shared connection needs
    # more: raise it with ESSAIM_DONATE_RATE_LIMIT.
    return int(getattr(settings, "ESSAIM_DONATE_RATE_LIMIT", 10)), 3600


def _campaign(slug: str, campaign_slug: str, user=None) -> tuple[Association, Campaign]:
    """The published or closed campaign; a draft is a 404, except for the association's
    team members who handle money (they preview it before publishing)."""
    association = Association.objects.filter(slug=slug).first()
    if association is None:
        raise Http404
    with scope(association=association):
        campaign = Campaign.objects.filter(association=association, slug=campaign_slug).first()
    if campaign is None:
        raise Http404
    if campaign.status == Campaign.Status.DRAFT:
        signed_in = getattr(user, "is_authenticated", False)
        seat = seat_for(user, association.slug) if signed_in else None
        if seat is None or not seat.can("can_manage_finances"):
            raise Http404
    return association, campaign


def page_url(campaign: Campaign, association: Association, source: str = "") -> str:
    url = settings.ESSAIM_BASE_URL + reverse(
        "donate:page", kwargs={"slug": association.slug, "campaign_slug": campaign.slug}
    )
    return f"{url}?{urlencode({'src': source})}" if source else url


def _remember_source(request, campaign: Campaign) -> str:
    """The ?src= of a share link, kept in the session for this campaign (the donor may come
    back later without it) and put in the form's hidden field."""
    sources = request.session.get(SESSION_SOURCE) or {}
    source = donations.clean_source(request.GET.get("src"))
    if source:
        if sources.get(str(campaign.uuid)) != source:
            sources[str(campaign.uuid)] = source
            request.session[SESSION_SOURCE] = sources
        return source
    return donations.clean_source(sources.get(str(campaign.uuid)))


def _cost_lines(association, amounts: list[int], year: int) -> dict[int, donations.Cost]:
    aid = donations.is_aid_organisation(association)
    return {a: donations.cost_after_reduction(a, year=year, aid=aid) for a in amounts}


def campaign_page(request, slug: str, campaign_slug: str):
    association, campaign = _campaign(slug, campaign_slug, request.user)
    with scope(association=association):
        today = timezone.localdate()
        is_open = campaign_is_open(campaign, today)
        progress = campaign_progress(campaign, today)
        provider = donations.online_provider(association)
        creditor = donations.sepa_creditor(association)
        receipts = donations.receipts_offered(association)
        payable = provider is not None or creditor is not None
        source = _remember_source(request, campaign)
        form = None
        limited = False
        status = 200
        if is_open and payable:
            data = request.POST if request.method == "POST" else None
            form = DonateForm(
                data,
                initial={"src": source},
                campaign=campaign,
                online=provider is not None,
                sepa=creditor is not None,
                association=association,
                monthly_card=online.subscriptions_offered(association) is not None,
            )
            if request.method == "POST":
                limit, period = _rate_limit()
                if ratelimit.hit(request, "fundraising.donate", limit=limit, period=period):
                    limited = True
                    status = 429
                elif form.is_bot():
                    # Robots get the thank-you page; nothing is recorded.
                    request.session[SESSION_DONE] = {"campaign": str(campaign.uuid), "bot": True}
                    return redirect(
                        "donate:thanks", slug=association.slug, campaign_slug=campaign.slug
                    )
                elif form.is_valid():
                    response = _give(request, association, campaign, form, source)
                    if response is not None:
                        return response
        cancelled = request.GET.get("cancelled") == "1"
        amounts = list(form.suggested) if form is not None else []
        year = today.year
        costs = _cost_lines(association, amounts, year) if receipts else {}
        context = {
            "public_association": association,
            "campaign": campaign,
            "progress": progress,
            "is_open": is_open,
            "not_started": campaign.status == Campaign.Status.PUBLISHED
            and campaign.starts_on is not None
            and today < campaign.starts_on,
            "payable": payable,
            "form": form,
            "limited": limited,
            "cancelled": cancelled,
            "creditor": creditor,
            "receipts": receipts,
            "suggested": _suggested(form, costs),
            "other_radio": _other_radio(form),
            "rates": _rates(association, year) if receipts else None,
            "share_url": page_url(campaign, association),
            "share_links": share_links(campaign, association),
            "og_image": settings.ESSAIM_BASE_URL + association.logo.url if association.logo else "",
            "preview": campaign.status == Campaign.Status.DRAFT,
            "company_open": bool(form is not None and form.data.get("donor_kind") == "company"),
        }
        response = render(request, "fundraising/public/campaign.html", context, status=status)
        if campaign.status == Campaign.Status.CLOSED:
            response["X-Robots-Tag"] = "noindex"
        return response


def _suggested(form, costs: dict) -> list[dict]:
    if form is None:
        return []
    rows = []
    for radio in form["choice"]:
        if radio.data["value"] == "other":
            continue
        amount = int(radio.data["value"])
        rows.append({"radio": radio, "amount": amount, "cost": costs.get(amount)})
    return rows


def _other_radio(form):
    if form is None:
        return None
    return next((radio for radio in form["choice"] if radio.data["value"] == "other"), None)


def _rates(association, year: int) -> dict:
    from . import tax_rates

    rates = tax_rates.rates_for(year)
    example = donations.cost_after_reduction(
        10000, year=year, aid=donations.is_aid_organisation(association)
    )
    return {
        "example_cost_cents": example.individual_cents,
        "example_company_cost_cents": example.company_cents,
        "individual": rates.aid_rate
        if donations.is_aid_organisation(association)
        else rates.individual_rate,
        "individual_cap": rates.individual_income_cap_percent,
        "company": rates.company_rate,
        "year": year,
    }


def _give(request, association, campaign, form, page_source: str):
    fields = form.service_fields()
    source = donations.clean_source(form.cleaned_data.get("src")) or page_source
    try:
        intent = donations.donation_start(
            association=association, campaign=campaign, source=source, **fields
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return None
    request.session[SESSION_DONE] = {"campaign": str(campaign.uuid), "intent": str(intent.uuid)}
    if intent.method != GiftIntent.Method.ONLINE:
        return redirect("donate:thanks", slug=association.slug, campaign_slug=campaign.slug)
    thanks = settings.ESSAIM_BASE_URL + reverse(
        "donate:thanks", kwargs={"slug": association.slug, "campaign_slug": campaign.slug}
    )
    cancel = page_url(campaign, association) + "?cancelled=1"
    try:
        url = donations.intent_checkout(intent=intent, return_url=thanks, cancel_url=cancel)
    except ValidationError as error:
        donations.intent_cancel(association=association, acting_user=None, intent=intent)
        form.add_error(None, error.messages)
        return None
    return redirect(url)


def thanks(request, slug: str, campaign_slug: str):
    association, campaign = _campaign(slug, campaign_slug)
    done = request.session.get(SESSION_DONE) or {}
    if done.get("campaign") != str(campaign.uuid):
        return redirect("donate:page", slug=association.slug, campaign_slug=campaign.slug)
    intent = None
    with scope(association=association):
        if done.get("intent"):
            intent = (
                GiftIntent.objects.filter(association=association, uuid=done["intent"])
                .select_related("mandate", "recurring", "person")
                .first()
            )
        creditor = donations.sepa_creditor(association)
        progress = campaign_progress(campaign)
    return render(
        request,
        "fundraising/public/donate_thanks.html",
        {
            "public_association": association,
            "campaign": campaign,
            "intent": intent,
            "creditor": creditor,
            "progress": progress,
            "share_links": share_links(campaign, association),
            "space_url": reverse("fundraising_public:gifts"),
        },
    )


def share_links(campaign: Campaign, association: Association) -> list[dict]:
    """The tracked share links: each channel's own ?src= so the team sees what brought
    which gifts."""
    links = []
    text = campaign.summary or campaign.title
    for channel in donations.SHARE_CHANNELS:
        url = page_url(campaign, association, channel)
        encoded = quote(url, safe="")
        if channel == "facebook":
            target = f"https://www.facebook.com/sharer/sharer.php?u={encoded}"
        elif channel == "x":
            target = f"https://twitter.com/intent/tweet?url={encoded}&text={quote(text, safe='')}"
        elif channel == "linkedin":
            target = f"https://www.linkedin.com/sharing/share-offsite/?url={encoded}"
        elif channel == "email":
            target = "mailto:?" + urlencode(
                {"subject": campaign.title, "body": f"{text}\n\n{url}"}, quote_via=quote
            )
        else:
            target = url
        links.append({"channel": channel, "url": url, "target": target})
    return links


def appeals_stop(request, token: str):
    """The link in every appeal: GET asks, POST stops (a mail scanner's GET changes nothing)."""
    person = appeals.stop_person(token)
    if person is None:
        return render(
            request, "fundraising/public/appeals_stop.html", {"invalid": True}, status=404
        )
    association = person.association
    done = False
    if request.method == "POST":
        with scope(association=association):
            appeals.appeals_stop(person)
        done = True
    return render(
        request,
        "fundraising/public/appeals_stop.html",
        {"public_association": association, "done": done},
    )
