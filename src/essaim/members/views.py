"""Back office of members and dues: list, who hasn't paid, memberships, types, settings."""

import uuid as uuid_module

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from essaim.core.audit import audit_log
from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require
from essaim.lib.spreadsheets import spreadsheet_response
from essaim.people import services as people_services
from essaim.people.forms import PersonForm
from essaim.people.models import Person

from . import notices, selectors, services
from .exports import member_export_header, member_export_rows
from .forms import (
    EndMembershipForm,
    MemberBulkForm,
    MembershipCreateForm,
    MembershipSettingsForm,
    MembershipTypeForm,
    PaymentForm,
)
from .models import Membership, MembershipType


def _back(request, association):
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("members:list", association_slug=association.slug)


def _filters(request) -> dict:
    return {
        "query": request.GET.get("q", "")[:200],
        "status": request.GET.get("status", ""),
        "type_uuid": _uuid_or_empty(request.GET.get("type", "")),
        "period": request.GET.get("period", selectors.PERIOD_CURRENT)[:10],
        "unpaid": request.GET.get("unpaid") == "1",
        "tag": request.GET.get("tag", "")[:60],
        "order": request.GET.get("order", "name"),
    }


def _uuid_or_empty(value: str) -> str:
    try:
        return str(uuid_module.UUID(value))
    except (ValueError, AttributeError):
        return ""


def _periods(today):
    years = [str(y) for y in range(today.year + 1, today.year - 6, -1)]
    return [
        (selectors.PERIOD_CURRENT, pgettext("periods", "Current")),
        (selectors.PERIOD_ALL, pgettext("periods", "All")),
        *((y, y) for y in years),
    ]


@require("can_view_members")
def member_list(request, association_slug: str, unpaid_view: bool = False):
    association = request.seat.association
    filters = _filters(request)
    if unpaid_view:
        filters["unpaid"] = True
    qs = selectors.member_search(association=association, **filters)
    page = paginate(
        request,
        selectors.member_list_page(
            qs, association, cache_count=not filters.get("query") and not filters.get("tag")
        ),
    )
    today = timezone.localdate()
    context = {
        "association": association,
        "page": page,
        "filters": filters,
        "unpaid_view": unpaid_view,
        "query_string": query_without_page(request),
        "statuses": Membership.Status.choices,
        "types": MembershipType.objects.filter(association=association).order_by(
            "position", "name"
        ),
        "periods": _periods(today),
        # The live search swaps the results only: no totals to compute for it.
        "totals": None if request.htmx else selectors.dues_totals(association, today.year),
        "bulk_form": MemberBulkForm(can_pay=request.seat.can("can_manage_finances")),
        "has_types": MembershipType.objects.filter(association=association).exists(),
        "orderings": [
            ("name", _("Name (A → Z)")),
            ("-name", _("Name (Z → A)")),
            ("end", _("End of membership")),
            ("recent", _("Most recent first")),
        ],
    }
    template = "members/_results.html" if request.htmx else "members/list.html"
    return render(request, template, context)


def _export(association, memberships, fmt: str, acting_user) -> HttpResponse:
    rows = member_export_rows(memberships)
    audit_log(
        association=association,
        actor=acting_user,
        action="membership.export",
        object_type="membership",
        object_repr=_("Member list"),
        data={"format": fmt},
    )
    return spreadsheet_response(
        member_export_header(), rows, fmt=fmt, name="adherents", title=_("Members")
    )


@require("can_manage_members")
def member_export(request, association_slug: str):
    association = request.seat.association
    qs = selectors.member_search(association=association, **_filters(request))
    return _export(
        association,
        qs.select_related("person", "membership_type", "household", "payment").prefetch_related(
            "person__tags"
        ),
        request.GET.get("format", "csv"),
        request.user,
    )


@require("can_manage_members")
@require_POST
def member_bulk(request, association_slug: str):
    association = request.seat.association
    form = MemberBulkForm(request.POST, can_pay=request.seat.can("can_manage_finances"))
    selected = [_uuid_or_empty(v) for v in request.POST.getlist("selected")[:5000]]
    memberships = Membership.objects.filter(
        association=association, uuid__in=[s for s in selected if s]
    ).select_related("person", "membership_type")
    if not memberships.exists():
        messages.error(request, _("Select at least one membership first."))
        return _back(request, association)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return _back(request, association)
    action = form.cleaned_data["action"]
    try:
        if action == "export":
            return _export(
                association,
                selectors.with_status(
                    memberships.select_related("payment", "household").prefetch_related(
                        "person__tags"
                    ),
                    association,
                ),
                "xlsx",
                request.user,
            )
        if action == "paid":
            with transaction.atomic():
                count = 0
                for membership in memberships:
                    payment = services.dues_payment_record(
                        association=association,
                        acting_user=request.user,
                        memberships=[membership],
                        method=form.cleaned_data["method"],
                    )
                    count += payment.memberships.count() if payment else 0
            messages.success(
                request,
                ngettext(
                    "%(count)d membership marked as paid.",
                    "%(count)d memberships marked as paid.",
                    count,
                )
                % {"count": count},
            )
        elif action == "remind":
            sent, without = notices.send_reminders(
                association=association, acting_user=request.user, memberships=memberships
            )
            messages.success(
                request,
                ngettext("%(count)d reminder sent.", "%(count)d reminders sent.", sent)
                % {"count": sent},
            )
            if without:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)d person has no e-mail address: remind them by letter or phone.",
                        "%(count)d people have no e-mail address: remind them by letter or phone.",
                        len(without),
                    )
                    % {"count": len(without)},
                )
        elif action == "tag":
            count = people_services.persons_tag(
                association=association,
                acting_user=request.user,
                persons=Person.objects.filter(pk__in=memberships.values("person_id")),
                tag_name=form.cleaned_data["tag"],
            )
            messages.success(
                request,
                ngettext(
                    "Tag “%(tag)s” added to %(count)d contact.",
                    "Tag “%(tag)s” added to %(count)d contacts.",
                    count,
                )
                % {"tag": form.cleaned_data["tag"], "count": count},
            )
        elif action == "resign":
            count = 0
            with transaction.atomic():
                for membership in memberships:
                    if membership.resigned_at or membership.excluded_at:
                        continue
                    services.membership_resign(
                        association=association, acting_user=request.user, membership=membership
                    )
                    count += 1
            messages.success(
                request,
                ngettext(
                    "%(count)d resignation recorded.", "%(count)d resignations recorded.", count
                )
                % {"count": count},
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _back(request, association)


def _membership(request, membership_uuid) -> Membership:
    association = request.seat.association
    return get_object_or_404(
        selectors.with_status(
            Membership.objects.select_related("person", "membership_type", "payment", "household"),
            association,
        ),
        association=association,
        uuid=membership_uuid,
    )


@require("can_view_members")
def membership_detail(request, association_slug: str, membership_uuid):
    association = request.seat.association
    membership = _membership(request, membership_uuid)
    household = []
    if membership.household_id:
        household = list(
            Membership.objects.filter(
                household_id=membership.household_id, period_start=membership.period_start
            )
            .exclude(pk=membership.pk)
            .select_related("person")
        )
    renewal = Membership.objects.filter(renewal_of=membership).first()
    return render(
        request,
        "members/detail.html",
        {
            "association": association,
            "membership": membership,
            "household": household,
            "renewal": renewal,
            "payment_form": PaymentForm(),
            "end_form": EndMembershipForm(),
            "settings": services.settings_for(association),
        },
    )


# Money is the treasurer's: recording or cancelling a payment needs the finance capability.
FINANCE_ACTIONS = {"pay", "unpay"}


@require("can_manage_members")
@require_POST
def membership_action(request, association_slug: str, membership_uuid, action: str):
    association = request.seat.association
    membership = _membership(request, membership_uuid)
    detail = reverse(
        "members:detail",
        kwargs={"association_slug": association.slug, "membership_uuid": membership.uuid},
    )
    if action in FINANCE_ACTIONS and not request.seat.can("can_manage_finances"):
        raise PermissionDenied
    try:
        if action == "pay":
            form = PaymentForm(request.POST)
            if not form.is_valid():
                messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
                return redirect(detail)
            services.dues_payment_record(
                association=association,
                acting_user=request.user,
                memberships=[membership],
                **form.cleaned_data,
            )
            messages.success(request, _("The payment is recorded."))
        elif action == "unpay" and membership.payment_id:
            services.dues_payment_cancel(
                association=association, acting_user=request.user, payment=membership.payment
            )
            messages.success(request, _("The payment is cancelled: the dues are due again."))
        elif action == "approve":
            services.membership_approve(
                association=association, acting_user=request.user, membership=membership
            )
            messages.success(request, _("The membership is approved."))
        elif action == "resign":
            services.membership_resign(
                association=association,
                acting_user=request.user,
                membership=membership,
                reason=request.POST.get("reason", "")[:255],
            )
            messages.success(request, _("The resignation is recorded."))
        elif action == "exclude":
            services.membership_exclude(
                association=association,
                acting_user=request.user,
                membership=membership,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("The exclusion is recorded."))
        elif action == "renew":
            renewal = services.membership_renew(
                association=association,
                acting_user=request.user,
                membership=membership,
                source=Membership.Source.TEAM,
            )
            messages.success(
                request, _("Renewed for %(period)s.") % {"period": renewal.period.label()}
            )
            return redirect(
                "members:detail",
                association_slug=association.slug,
                membership_uuid=renewal.uuid,
            )
        elif action == "remind":
            sent, _without = notices.send_reminders(
                association=association, acting_user=request.user, memberships=[membership]
            )
            if sent:
                messages.success(request, _("The reminder is sent."))
            else:
                messages.warning(request, _("No e-mail address: remind them by letter or phone."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(detail)


def _create_membership(request, association, person, form) -> Membership | None:
    data = form.cleaned_data
    try:
        with transaction.atomic():
            membership = services.membership_create(
                association=association,
                acting_user=request.user,
                person=person,
                membership_type=data["membership_type"],
                start_on=data["start_on"],
                rate=data["rate"],
                chosen_amount_cents=data["chosen_amount_cents"],
                reduced_proof=data["reduced_proof"],
            )
            if data.get("paid") and not membership.is_paid:
                services.dues_payment_record(
                    association=association,
                    acting_user=request.user,
                    memberships=[membership],
                    method=data["paid"],
                    reference=data.get("reference", ""),
                )
    except ValidationError as error:
        form.add_service_errors(error)
        return None
    return membership


@require("can_manage_members")
def membership_add(request, association_slug: str, person_uuid):
    """Add a membership to an existing contact."""
    association = request.seat.association
    person = get_object_or_404(
        Person, association=association, uuid=person_uuid, erased_at__isnull=True
    )
    form = MembershipCreateForm(
        request.POST or None,
        association=association,
        can_record_payment=request.seat.can("can_manage_finances"),
    )
    if request.method == "POST" and form.is_valid():
        membership = _create_membership(request, association, person, form)
        if membership is not None:
            messages.success(request, _("%(name)s is a member.") % {"name": person})
            return redirect(
                "members:detail", association_slug=association.slug, membership_uuid=membership.uuid
            )
    return render(
        request,
        "members/add.html",
        {"association": association, "person": person, "form": form, "person_form": None},
    )


@require("can_manage_members")
def member_create(request, association_slug: str):
    """A new member: their contact record and their membership on one page."""
    association = request.seat.association
    person_form = PersonForm(request.POST or None, prefix="person")
    form = MembershipCreateForm(
        request.POST or None,
        association=association,
        can_record_payment=request.seat.can("can_manage_finances"),
    )
    if request.method == "POST" and person_form.is_valid() and form.is_valid():
        try:
            with transaction.atomic():
                person = people_services.person_create(
                    association=association,
                    acting_user=request.user,
                    **person_form.service_fields(),
                )
                membership = _create_membership(request, association, person, form)
                if membership is None:
                    raise ValidationError("")  # roll the contact back with the membership
        except ValidationError as error:
            if any(error.messages):
                person_form.add_service_errors(error)
        else:
            messages.success(request, _("%(name)s is a member.") % {"name": person})
            return redirect(
                "members:detail", association_slug=association.slug, membership_uuid=membership.uuid
            )
    return render(
        request,
        "members/add.html",
        {"association": association, "person": None, "form": form, "person_form": person_form},
    )


@require("can_manage_members")
def types(request, association_slug: str):
    association = request.seat.association
    return render(
        request,
        "members/types.html",
        {"association": association, "types": selectors.types_of(association)},
    )


@require("can_manage_members")
def type_edit(request, association_slug: str, type_uuid=None):
    association = request.seat.association
    mtype = None
    if type_uuid is not None:
        mtype = get_object_or_404(MembershipType, association=association, uuid=type_uuid)
    form = MembershipTypeForm(request.POST or None, instance=mtype)
    if request.method == "POST" and form.is_valid():
        try:
            if mtype is None:
                services.membership_type_create(
                    association=association, acting_user=request.user, **form.service_fields()
                )
            else:
                services.membership_type_update(
                    association=association,
                    acting_user=request.user,
                    membership_type=mtype,
                    **form.service_fields(),
                )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The membership type is saved."))
            return redirect("members:types", association_slug=association.slug)
    return render(
        request,
        "members/type_form.html",
        {"association": association, "membership_type": mtype, "form": form},
    )


@require("can_change_settings")
def member_settings(request, association_slug: str):
    association = request.seat.association
    current = services.settings_for(association)
    form = MembershipSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_settings_update(
                association=association, acting_user=request.user, **form.service_fields()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The membership settings are saved."))
            return redirect("members:settings", association_slug=association.slug)
    return render(
        request,
        "members/settings.html",
        {"association": association, "form": form, "settings": current},
    )
