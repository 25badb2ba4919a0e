"""Back office of calls to action: /a/<association>/actions/….

Capability `can_send_mailings`, as for petitions and events. E-mail addresses of the people
who completed an action are shown and exported only with `can_view_members` too.
"""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.flash import run_and_flash
from essaim.core.pagination import paginate, query_without_page
from essaim.core.tenancy import require
from essaim.lib.spreadsheets import spreadsheet_response

from . import actions
from .event_forms import ActionForm
from .models import ActionCompletion, CallToAction

CAPABILITY = "can_send_mailings"
FIELDS = (
    "kind",
    "title",
    "description",
    "share_url",
    "addressee_name",
    "addressee_email",
    "subject_template",
    "body_template",
    "event",
)


def _action(association, action_uuid) -> CallToAction:
    action = get_object_or_404(CallToAction, association=association, uuid=action_uuid)
    action.association = association
    return action


@require(CAPABILITY)
def action_list(request, association_slug: str):
    association = request.seat.association
    query = request.GET.get("q", "").strip()[:100]
    rows = actions.actions_with_counts(association).order_by("-created_at", "-id")
    for word in query.split()[:5]:
        rows = rows.filter(Q(title__icontains=word) | Q(description__icontains=word))
    page = paginate(request, rows)
    return render(
        request,
        "mobilisation/actions.html",
        {
            "association": association,
            "page": page,
            "rows": page.object_list,
            "query": query,
            "query_string": query_without_page(request),
        },
    )


@require(CAPABILITY)
def action_create(request, association_slug: str):
    association = request.seat.association
    form = ActionForm(request.POST or None, association=association)
    if request.method == "POST":
        action = form.call_service(
            actions.action_create, association=association, acting_user=request.user
        )
        if action is not None:
            messages.success(
                request, _("The action is created as a draft: check it, then publish it.")
            )
            return redirect(
                "mobilisation:action", association_slug=association.slug, action_uuid=action.uuid
            )
    return render(
        request, "mobilisation/action_form.html", {"association": association, "form": form}
    )


@require(CAPABILITY)
def action_edit(request, association_slug: str, action_uuid):
    association = request.seat.association
    action = _action(association, action_uuid)
    form = ActionForm(
        request.POST or None,
        association=association,
        initial={name: getattr(action, name) for name in FIELDS},
    )
    saved = request.method == "POST" and form.call_service(
        actions.action_update, association=association, acting_user=request.user, action=action
    )
    if saved:
        messages.success(request, _("The action is saved."))
        return redirect(
            "mobilisation:action", association_slug=association.slug, action_uuid=action.uuid
        )
    return render(
        request,
        "mobilisation/action_form.html",
        {"association": association, "form": form, "action": action},
    )


@require(CAPABILITY)
def action_detail(request, association_slug: str, action_uuid):
    association = request.seat.association
    action = _action(association, action_uuid)
    query = request.GET.get("q", "").strip()[:100]
    rows = ActionCompletion.objects.filter(action=action)
    for word in query.split()[:5]:
        rows = rows.filter(Q(name__icontains=word) | Q(email__icontains=word))
    page = paginate(request, rows.order_by("-created_at", "-id"))
    sources = list(
        ActionCompletion.objects.filter(action=action)
        .values("source")
        .annotate(n=Count("id"))
        .order_by("-n")[:10]
    )
    return render(
        request,
        "mobilisation/action_detail.html",
        {
            "association": association,
            "action": action,
            "count": actions.completion_count(action),
            "page": page,
            "rows": page.object_list,
            "query": query,
            "query_string": query_without_page(request),
            "sources": sources,
            "public_url": actions.action_url(action),
            "share": actions.share_links(action),
            "with_emails": request.seat.can("can_view_members"),
        },
    )


@require(CAPABILITY)
@require_POST
def action_status(request, association_slug: str, action_uuid, action: str):
    association = request.seat.association
    cta = _action(association, action_uuid)
    status = {"publish": CallToAction.Status.PUBLISHED, "close": CallToAction.Status.CLOSED}.get(
        action
    )
    if status is None:
        raise Http404
    run_and_flash(
        request,
        lambda: actions.action_set_status(
            association=association, acting_user=request.user, action=cta, status=status
        ),
        _("The action is published: share its page.")
        if status == CallToAction.Status.PUBLISHED
        else _("The action is closed."),
    )
    return redirect("mobilisation:action", association_slug=association.slug, action_uuid=cta.uuid)


@require(CAPABILITY)
def action_export(request, association_slug: str, action_uuid):
    association = request.seat.association
    action = _action(association, action_uuid)
    fmt = request.GET.get("format", "csv")
    with_emails = request.seat.can("can_view_members")
    actions.export_logged(association=association, acting_user=request.user, action=action)
    header = [_("Name")]
    if with_emails:
        header.append(_("E-mail"))
    header += [_("Source"), _("Done on")]
    rows = ActionCompletion.objects.filter(action=action).order_by("created_at", "id")

    def cells(spreadsheet: bool):
        for row in rows.iterator():
            line = [row.name]
            if with_emails:
                line.append(row.email)
            local = timezone.localtime(row.created_at)
            line += [
                row.source,
                local.replace(tzinfo=None) if spreadsheet else local.strftime("%d/%m/%Y %H:%M"),
            ]
            yield line

    return spreadsheet_response(
        header, cells, fmt=fmt, name=f"action-{action.slug}"[:80], title=_("Completions")
    )
