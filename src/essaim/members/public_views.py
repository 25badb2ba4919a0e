"""Member-facing pages: join online, renew from a reminder, verify a card, the member portal.

None of them is under the association's back office: their URL parameter is `slug`, not
`association_slug` (the tenant middleware would restrict them to the team), so each view
finds its association and enters its scope itself. The portal lives under /account/: a
signed-in person sees there what every association they belong to knows of their
memberships.
"""

import uuid as uuid_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_scopes import scope, scopes_disabled

from essaim.core.models import Association
from essaim.core.tenancy import require
from essaim.lib import ratelimit
from essaim.people import services as people_services
from essaim.people.models import Person

from . import join, online, periods, selectors, services
from .card import card_filename, membership_card_pdf
from .linking import member_accounts_link_verified
from .models import Membership
from .public_forms import ContactDetailsForm, JoinForm, ResignForm
from .reminders import next_amount
from .tokens import card_uuid, pay_token, pay_uuid, renewal_token, renewal_uuid

S = Membership.Status
# Statuses in which a card may be downloaded: the member, or soon a member (paid, starting
# later). A card of a membership waiting for payment would verify as "not valid".
CARD_STATUSES = (S.ACTIVE, S.GRACE, S.UPCOMING)
# Statuses in which a member may still resign (an ended membership has nothing to end).
RESIGNABLE = (S.PENDING_PAYMENT, S.PENDING_APPROVAL, S.UPCOMING, S.ACTIVE, S.GRACE)
# A renewal link shows in the portal this many days before the end, and after it.
RENEW_FROM_DAYS = 60
JOIN_SESSION_KEY = "members_join_done"


def _join_rate_limit() -> tuple[int, int]:
    # Per client address: a join fair on the association's own tablet needs more; raise it
    # with ESSAIM_JOIN_RATE_LIMIT (submissions per hour).
    return int(getattr(settings, "ESSAIM_JOIN_RATE_LIMIT", 10)), 3600


def _association(slug: str) -> Association:
    association = Association.objects.filter(slug=slug).first()
    if association is None:
        raise Http404
    return association


# --- Join -----------------------------------------------------------------------------------


def join_form(request, slug: str):
    """The association's public join form (works without JavaScript, on a phone)."""
    association = _association(slug)
    with scope(association=association):
        member_settings = services.settings_for(association)
        types = list(join.offered_types(association).order_by("position", "name"))
        if not member_settings.join_enabled or not types:
            raise Http404
        initial = {}
        if request.user.is_authenticated:
            initial = {
                "first_name": request.user.first_name,
                "last_name": request.user.last_name,
                "email": request.user.email,
            }
        form = JoinForm(
            request.POST or None,
            initial=initial,
            association=association,
            member_settings=member_settings,
            types=types,
        )
        status = 200
        limited = False
        if request.method == "POST":
            limit, period = _join_rate_limit()
            if ratelimit.hit(request, "members.join", limit=limit, period=period):
                limited = True
                status = 429
            elif form.is_bot():
                # Robots get the thank-you page and nothing is recorded.
                request.session[JOIN_SESSION_KEY] = {"slug": association.slug, "bot": True}
                return redirect("members_public:join_thanks", slug=association.slug)
            elif form.is_valid():
                try:
                    result = join.membership_join(
                        association=association,
                        user=request.user,
                        language=translation.get_language(),
                        **form.service_fields(),
                    )
                except ValidationError as error:
                    form.add_service_errors(error)
                else:
                    request.session[JOIN_SESSION_KEY] = {
                        "slug": association.slug,
                        "first_name": result.person.first_name,
                        "type": result.membership_type.name,
                        "period": result.period.label(),
                        "lifetime": result.period.end is None,
                        "amount": services.format_euros(result.amount_cents),
                        "to_pay": result.amount_cents > 0,
                        "approval_required": result.approval_required,
                        "email_sent": result.email_sent,
                        # A new membership may be paid online at once (never one that
                        # existed: the page must not tell whether an address is a member's).
                        "pay_token": pay_token(result.memberships[0])
                        if result.memberships
                        and not result.already_member
                        and online.payable(result.memberships[0])
                        and online.online_provider(association)
                        else "",
                    }
                    return redirect("members_public:join_thanks", slug=association.slug)
        response = render(
            request,
            "members/public/join.html",
            {
                "public_association": association,
                "member_settings": member_settings,
                "form": form,
                "limited": limited,
                "household_open": form.household_used()
                or any(name.startswith("household_") for name in form.errors),
                "retention_months": member_settings.retention_months,
            },
            status=status,
        )
        return response


def join_thanks(request, slug: str):
    association = _association(slug)
    done = request.session.get(JOIN_SESSION_KEY)
    if not done or done.get("slug") != association.slug:
        return redirect("members_public:join", slug=association.slug)
    with scope(association=association):
        member_settings = services.settings_for(association)
    return render(
        request,
        "members/public/join_thanks.html",
        {
            "public_association": association,
            "done": done,
            "payment_instructions": member_settings.payment_instructions,
            "signup_url": reverse("account_signup") + "?next=" + reverse("members_public:portal"),
        },
    )


# --- Renew ----------------------------------------------------------------------------------


def renew(request, token: str):
    """GET shows what renewing means; POST renews (a link scanner's GET changes nothing)."""
    membership_uuid = renewal_uuid(token)
    if membership_uuid is None:
        return render(request, "members/public/renew_invalid.html", status=404)
    with scopes_disabled():
        membership = (
            Membership.objects.select_related("association", "person", "membership_type")
            .filter(uuid=membership_uuid, person__erased_at__isnull=True)
            .first()
        )
    if membership is None:
        return render(request, "members/public/renew_invalid.html", status=404)
    association = membership.association
    with scope(association=association):
        member_settings = services.settings_for(association)
        mtype = membership.membership_type
        following = periods.next_period(
            mtype.period_kind, membership.period, timezone.localdate(), mtype.season_start_month
        )
        renewal = Membership.objects.filter(renewal_of=membership).first()
        error = ""
        if request.method == "POST" and renewal is None:
            try:
                renewal = services.membership_renew(
                    association=association, acting_user=None, membership=membership
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
        return render(
            request,
            "members/public/renew.html",
            {
                "public_association": association,
                "membership": membership,
                "next_period": following.label() if following else "",
                "amount": services.format_euros(next_amount(membership)),
                "renewal": renewal,
                "renewal_amount": services.format_euros(renewal.amount_due_cents)
                if renewal
                else "",
                "error": error,
                "payment_instructions": member_settings.payment_instructions,
                "pay_url": online.pay_path(renewal),
            },
        )


# --- Paying dues online ---------------------------------------------------------------------


def _payable_membership(token: str) -> Membership | None:
    membership_uuid = pay_uuid(token)
    if membership_uuid is None:
        return None
    with scopes_disabled():
        return (
            Membership.objects.select_related("association", "person", "membership_type")
            .filter(uuid=membership_uuid, person__erased_at__isnull=True)
            .first()
        )


@never_cache
def pay(request, token: str):
    """GET shows what is paid; POST opens the checkout at the payment service."""
    membership = _payable_membership(token)
    if membership is None:
        return render(request, "members/public/renew_invalid.html", status=404)
    association = membership.association
    with scope(association=association):
        error, limited = "", False
        if request.method == "POST" and online.payable(membership):
            limit, period = _join_rate_limit()
            if ratelimit.hit(request, "members.pay", limit=limit, period=period):
                error = _("Too many attempts: wait a few minutes and try again.")
                limited = True
            else:
                base = settings.ESSAIM_BASE_URL
                done = base + reverse("members_public:pay_done", kwargs={"token": token})
                back = base + reverse("members_public:pay", kwargs={"token": token})
                try:
                    checkout = online.dues_checkout(
                        membership=membership, return_url=done, cancel_url=back
                    )
                except ValidationError as exc:
                    error = " ".join(exc.messages)
                else:
                    return redirect(checkout.url)
        return render(
            request,
            "members/public/pay.html",
            {
                "public_association": association,
                "membership": membership,
                "payable": online.payable(membership),
                "amount": services.format_euros(online.amount_to_pay(membership)),
                "online": bool(online.online_provider(association)),
                "error": error,
                "payment_instructions": services.settings_for(association).payment_instructions,
            },
            status=429 if limited else 200,
        )


@never_cache
def pay_done(request, token: str):
    """Back from the payment service: paid, or waiting for its notification."""
    membership = _payable_membership(token)
    if membership is None:
        return render(request, "members/public/renew_invalid.html", status=404)
    return render(
        request,
        "members/public/pay_done.html",
        {
            "public_association": membership.association,
            "membership": membership,
            "paid": membership.paid_on is not None,
            "portal_url": reverse("members_public:portal"),
        },
    )


# --- Card and its verification --------------------------------------------------------------


def _card_response(membership: Membership) -> HttpResponse:
    response = HttpResponse(membership_card_pdf(membership), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{card_filename(membership)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
def verify(request, token: str):
    """What a QR code on a card leads to: the member's name, the association's name and
    whether the membership is valid today. Nothing else (whoever scans it is a stranger)."""
    membership = None
    raw = card_uuid(token)
    try:
        membership_uuid = uuid_module.UUID(str(raw)) if raw else None
    except ValueError:
        membership_uuid = None
    if membership_uuid is not None:
        with scopes_disabled():
            membership = (
                Membership.objects.select_related("association", "person")
                .filter(uuid=membership_uuid, person__erased_at__isnull=True)
                .first()
            )
    if membership is None:
        response = render(request, "members/public/verify_invalid.html", status=404)
    else:
        association = membership.association
        with scope(association=association):
            approval = services.settings_for(association).approval_required
        today = timezone.localdate()
        status = membership.status_on(today, approval)
        response = render(
            request,
            "members/public/verify.html",
            {
                "public_association": association,
                "membership": membership,
                "status": status,
                "status_label": S(status).label,
                "valid": status in (S.ACTIVE, S.GRACE),
                "today": today,
            },
        )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require("can_view_members")
def team_card(request, association_slug: str, membership_uuid):
    """The card, downloaded by the team from the back office (to print it for a member)."""
    association = request.seat.association
    membership = get_object_or_404(
        selectors.with_status(
            Membership.objects.select_related("association", "person", "membership_type"),
            association,
        ),
        association=association,
        uuid=membership_uuid,
        person__erased_at__isnull=True,
    )
    if membership.computed_status not in CARD_STATUSES:
        raise Http404
    return _card_response(membership)


# --- Member portal --------------------------------------------------------------------------


def _own_membership(request, membership_uuid) -> Membership:
    """One of the signed-in person's memberships, or 404 (another's is never found)."""
    with scopes_disabled():
        membership = (
            Membership.objects.select_related("association", "person", "membership_type", "payment")
            .filter(
                uuid=membership_uuid,
                person__user=request.user,
                person__erased_at__isnull=True,
            )
            .first()
        )
    if membership is None:
        raise Http404
    return membership


def _renewable(membership: Membership, latest_start, today) -> bool:
    if (
        membership.period_end is None
        or membership.resigned_at
        or membership.excluded_at
        or not membership.membership_type.is_active
        or membership.period_start < latest_start
        or hasattr(membership, "renewed_by")
    ):
        return False
    return (membership.period_end - today).days <= RENEW_FROM_DAYS


@login_required
def portal(request):
    """Every association where the account is linked to a contact, with its memberships."""
    member_accounts_link_verified(request.user)
    today = timezone.localdate()
    with scopes_disabled():
        persons = list(
            Person.objects.filter(user=request.user, erased_at__isnull=True)
            .select_related("association")
            .order_by("association__name", "created_at")
        )
    groups = []
    for person in persons:
        association = person.association
        with scope(association=association):
            member_settings = services.settings_for(association)
            memberships = list(
                selectors.memberships_of(person).select_related("renewed_by", "association")
            )
            latest = {}
            for m in memberships:
                key = m.membership_type_id
                latest[key] = max(latest.get(key, m.period_start), m.period_start)
            rows = []
            for m in memberships:
                rows.append(
                    {
                        "membership": m,
                        "card": m.computed_status in CARD_STATUSES,
                        "resign": m.computed_status in RESIGNABLE,
                        "renew_url": reverse(
                            "members_public:renew", kwargs={"token": renewal_token(m)}
                        )
                        if _renewable(m, latest[m.membership_type_id], today)
                        else "",
                        "pay_url": online.pay_path(m),
                    }
                )
            # Joining again is offered to former members only (a live membership renews).
            join_open = (
                not any(row["resign"] for row in rows)
                and member_settings.join_enabled
                and join.offered_types(association).exists()
            )
        groups.append(
            {
                "association": association,
                "person": person,
                "rows": rows,
                "payment_instructions": member_settings.payment_instructions,
                "to_pay": any(r["membership"].computed_status == S.PENDING_PAYMENT for r in rows),
                "join_url": reverse("members_public:join", kwargs={"slug": association.slug})
                if join_open
                else "",
            }
        )
    return render(request, "members/public/portal.html", {"groups": groups})


@login_required
def portal_card(request, membership_uuid):
    membership = _own_membership(request, membership_uuid)
    with scope(association=membership.association):
        approval = services.settings_for(membership.association).approval_required
    if membership.status_on(timezone.localdate(), approval) not in CARD_STATUSES:
        raise Http404
    return _card_response(membership)


@login_required
def portal_resign(request, membership_uuid):
    """Resigning, with a confirmation step: GET explains, POST with the box ticked ends it."""
    membership = _own_membership(request, membership_uuid)
    association = membership.association
    with scope(association=association):
        approval = services.settings_for(association).approval_required
        status = membership.status_on(timezone.localdate(), approval)
        if status not in RESIGNABLE:
            messages.info(request, _("This membership has already ended."))
            return redirect("members_public:portal")
        form = ResignForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.membership_resign(
                    association=association,
                    acting_user=request.user,
                    membership=membership,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Your resignation from %(name)s is recorded.") % {"name": association.name},
                )
                return redirect("members_public:portal")
        return render(
            request,
            "members/public/portal_resign.html",
            {"membership": membership, "association": association, "form": form},
        )


@login_required
def portal_details(request, person_uuid):
    """The member updates their own contact record in one association."""
    with scopes_disabled():
        person = (
            Person.objects.select_related("association")
            .filter(uuid=person_uuid, user=request.user, erased_at__isnull=True)
            .first()
        )
    if person is None:
        raise Http404
    association = person.association
    with scope(association=association):
        form = ContactDetailsForm(request.POST or None, person=person)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    people_services.person_update(
                        association=association,
                        acting_user=request.user,
                        person=person,
                        **form.service_fields(),
                    )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Your details are saved for %(name)s.") % {"name": association.name},
                )
                return redirect("members_public:portal")
        return render(
            request,
            "members/public/portal_details.html",
            {"person": person, "association": association, "form": form},
        )
