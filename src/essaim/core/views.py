"""Views of core: home, association space (dashboard, settings, team, roles, log, register)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled

from essaim.lib.spreadsheets import csv_bytes

from . import selectors, services
from .capabilities import CAPABILITIES
from .forms import AssociationForm, ChangeRoleForm, InvitationForm, RoleForm
from .models import Invitation, OutboxEmail, Role, RoleAssignment
from .pagination import paginate, query_without_page
from .privacy import registry
from .tenancy import mfa_notice, require


def home(request):
    if not request.user.is_authenticated:
        return render(request, "core/landing.html")
    with scopes_disabled():
        seats = list(
            RoleAssignment.objects.filter(user=request.user)
            .select_related("association", "role")
            .order_by("association__name")
        )
        invitations = list(
            Invitation.objects.filter(
                email__iexact=request.user.email,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            ).select_related("association", "role")
        )
    return render(request, "core/home.html", {"seats": seats, "invitations": invitations})


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:
        database = "error"
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "error", "db": database}, status=status
    )


@login_required
def association_create(request):
    form = AssociationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            association = services.association_create(
                acting_user=request.user,
                logo=form.cleaned_data.get("logo"),
                **form.service_fields(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("%(name)s is created. Here is what to do next.") % {"name": association.name},
            )
            return redirect("core:dashboard", association_slug=association.slug)
    return render(request, "core/association_form.html", {"form": form, "creating": True})


def invitation_accept(request, token: str):
    invitation = services.invitation_by_token(token)
    if invitation is None:
        raise Http404
    if request.method == "POST" and request.user.is_authenticated:
        try:
            services.invitation_accept(token=token, acting_user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("home")
        messages.success(
            request,
            _("Welcome to the team of %(name)s.") % {"name": invitation.association.name},
        )
        return redirect("core:dashboard", association_slug=invitation.association.slug)
    return render(
        request,
        "core/invitation_accept.html",
        {
            "invitation": invitation,
            "invited_association": invitation.association,
            "next_url": request.get_full_path(),
            "email_matches": request.user.is_authenticated
            and request.user.email.lower() == invitation.email.lower(),
        },
    )


def dashboard(request, association_slug: str):
    seat = request.seat
    association = seat.association
    stats = selectors.dashboard_stats(association, seat.capabilities)
    steps = selectors.getting_started_steps(association, seat)
    return render(
        request,
        "core/dashboard.html",
        {
            "association": association,
            "stats": stats,
            "steps": steps,
            "steps_left": [s for s in steps if not s["done"]],
            "mfa_notice": mfa_notice(request.user, seat.assignment),
        },
    )


@require("can_change_settings")
def association_settings(request, association_slug: str):
    association = request.seat.association
    form = AssociationForm(request.POST or None, request.FILES or None, instance=association)
    if request.method == "POST" and form.is_valid():
        try:
            services.association_update(
                association=association, acting_user=request.user, **form.service_fields()
            )
            if form.cleaned_data.get("logo"):
                services.association_set_logo(
                    association=association,
                    acting_user=request.user,
                    logo=form.cleaned_data["logo"],
                )
            elif form.cleaned_data.get("remove_logo"):
                services.association_set_logo(
                    association=association, acting_user=request.user, logo=False
                )
        except ValidationError as error:
            form.add_service_errors(error)
            association.refresh_from_db()
        else:
            messages.success(request, _("The association's details are saved."))
            return redirect("core:settings", association_slug=association.slug)
    return render(
        request,
        "core/association_form.html",
        {"form": form, "creating": False, "association": association},
    )


@require("can_change_settings")
def team(request, association_slug: str):
    association = request.seat.association
    form = InvitationForm(request.POST or None, association=association)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                association=association,
                acting_user=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("core:team", association_slug=association.slug)
    assignments = (
        RoleAssignment.objects.filter(association=association)
        .select_related("user", "role")
        .order_by("user__last_name", "user__email")
    )
    invitations = Invitation.objects.filter(
        association=association, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("role", "invited_by")
    return render(
        request,
        "core/team.html",
        {
            "association": association,
            "assignments": assignments,
            "invitations": invitations,
            "form": form,
        },
    )


@require("can_change_settings")
def team_member(request, association_slug: str, assignment_uuid):
    association = request.seat.association
    assignment = get_object_or_404(
        RoleAssignment.objects.select_related("user", "role"),
        association=association,
        uuid=assignment_uuid,
    )
    form = ChangeRoleForm(
        request.POST or None, association=association, initial={"role": assignment.role}
    )
    if request.method == "POST":
        try:
            if "remove" in request.POST:
                services.assignment_remove(
                    association=association, acting_user=request.user, assignment=assignment
                )
                messages.success(
                    request,
                    _("%(email)s is no longer in the team.") % {"email": assignment.user.email},
                )
                if assignment.user_id == request.user.pk:
                    return redirect("home")
                return redirect("core:team", association_slug=association.slug)
            if form.is_valid():
                services.assignment_change_role(
                    association=association,
                    acting_user=request.user,
                    assignment=assignment,
                    role=form.cleaned_data["role"],
                )
                messages.success(request, _("The role is changed."))
                return redirect("core:team", association_slug=association.slug)
        except ValidationError as error:
            form.add_service_errors(error)
    return render(
        request,
        "core/team_member.html",
        {"association": association, "assignment": assignment, "form": form},
    )


@require("can_change_settings")
@require_POST
def invitation_revoke(request, association_slug: str, invitation_uuid):
    association = request.seat.association
    invitation = get_object_or_404(Invitation, association=association, uuid=invitation_uuid)
    try:
        services.invitation_revoke(
            association=association, acting_user=request.user, invitation=invitation
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The invitation is withdrawn."))
    return redirect("core:team", association_slug=association.slug)


@require("can_change_settings")
@require_POST
def invitation_resend(request, association_slug: str, invitation_uuid):
    association = request.seat.association
    invitation = get_object_or_404(Invitation, association=association, uuid=invitation_uuid)
    try:
        services.invitation_create(
            association=association,
            acting_user=request.user,
            email=invitation.email,
            role=invitation.role,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("A new invitation was sent to %(email)s.") % {"email": invitation.email}
        )
    return redirect("core:team", association_slug=association.slug)


@require("can_change_settings")
def roles(request, association_slug: str):
    association = request.seat.association
    role_list = list(Role.objects.filter(association=association).order_by("name"))
    counts = selectors.role_member_counts(association)
    rows = [
        {
            "role": role,
            "members": counts.get(role.pk, 0),
            "caps": [role.capabilities.__contains__(c.name) for c in CAPABILITIES],
        }
        for role in role_list
    ]
    return render(
        request,
        "core/roles.html",
        {"association": association, "rows": rows, "capabilities": CAPABILITIES},
    )


@require("can_change_settings")
def role_edit(request, association_slug: str, role_uuid=None):
    association = request.seat.association
    role = None
    if role_uuid is not None:
        role = get_object_or_404(Role, association=association, uuid=role_uuid)
    form = RoleForm(request.POST or None, instance=role)
    if request.method == "POST":
        try:
            if role is not None and "delete" in request.POST:
                services.role_delete(association=association, acting_user=request.user, role=role)
                messages.success(request, _("The role is deleted."))
                return redirect("core:roles", association_slug=association.slug)
            if form.is_valid():
                kwargs = {
                    "association": association,
                    "acting_user": request.user,
                    "name": form.cleaned_data["name"],
                    "capabilities": set(form.cleaned_data["capabilities"]),
                }
                if role is None:
                    services.role_create(**kwargs)
                else:
                    services.role_update(role=role, **kwargs)
                messages.success(request, _("The role is saved."))
                return redirect("core:roles", association_slug=association.slug)
        except ValidationError as error:
            form.add_service_errors(error)
    return render(
        request, "core/role_form.html", {"association": association, "role": role, "form": form}
    )


@require("can_change_settings")
def audit(request, association_slug: str):
    association = request.seat.association
    qs = selectors.audit_search(
        association=association,
        action=request.GET.get("action", ""),
        query=request.GET.get("q", ""),
    )
    if request.GET.get("format") == "csv":
        rows = (
            [
                timezone.localtime(row.created_at).strftime("%d/%m/%Y %H:%M:%S"),
                row.actor_label,
                row.action,
                row.object_repr,
                row.changes,
            ]
            for row in qs[:50000]
        )
        response = HttpResponse(
            csv_bytes([_("Date"), _("By"), _("Action"), _("Object"), _("Changes")], rows),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="journal-activite.csv"'
        return response
    page = paginate(request, qs)
    return render(
        request,
        "core/audit.html",
        {
            "association": association,
            "page": page,
            "query_string": query_without_page(request),
            "actions": selectors.audit_actions(association),
            "filters": {"q": request.GET.get("q", ""), "action": request.GET.get("action", "")},
        },
    )


def privacy_register(request, association_slug: str):
    return render(
        request,
        "core/privacy_register.html",
        {"association": request.seat.association, "entries": registry.entries()},
    )


def demo_mailbox(request, email_uuid=None):
    """The outbox of the demo instance, readable without an SMTP server (demo only)."""
    if not settings.ESSAIM_DEMO_MAILBOX:
        raise Http404
    if email_uuid is not None:
        email = get_object_or_404(OutboxEmail, uuid=email_uuid)
        return render(request, "core/demo_mailbox_detail.html", {"email": email})
    emails = OutboxEmail.objects.order_by("-created_at")[:100]
    return render(request, "core/demo_mailbox.html", {"emails": emails})


def error_404(request, exception=None):
    return render(request, "errors/404.html", status=404)


def error_403(request, exception=None):
    return render(request, "errors/403.html", status=403)


def error_400(request, exception=None):
    return render(request, "errors/400.html", status=400)


def error_500(request):
    # No context processors here: the database may be what failed.
    from django.template import loader

    template = loader.get_template("errors/500.html")
    return HttpResponse(template.render({}), status=500)


def csrf_failure(request, reason=""):
    return render(request, "errors/csrf.html", status=403)
