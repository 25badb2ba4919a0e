"""Back office of petitions: /a/<association>/petitions/….

Capability `can_send_mailings`: running a petition is campaigning and writing to the people
who signed (news, the confirmation e-mails), the same job as sending mailings; it gives no
access to the contact list itself. The CSV export adds the signers' e-mail addresses only for
a member who may also see contacts (`can_view_members`).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from essaim.core.flash import run_and_flash
from essaim.core.pagination import paginate
from essaim.core.tenancy import require
from essaim.lib.spreadsheets import spreadsheet_response

from . import pdf, selectors, services
from .departements import departement_name
from .forms import InvalidateForm, PetitionForm, UpdateForm
from .models import Petition, Signature
from .public_views import share_links

CAPABILITY = "can_send_mailings"


def _petition(association, petition_uuid) -> Petition:
    return get_object_or_404(Petition, association=association, uuid=petition_uuid)


@require(CAPABILITY)
def petition_list(request, association_slug: str):
    association = request.seat.association
    page = paginate(request, selectors.petitions_with_counts(association).order_by("-created_at"))
    return render(
        request,
        "mobilisation/petitions.html",
        {"association": association, "page": page, "rows": page.object_list},
    )


@require(CAPABILITY)
def petition_create(request, association_slug: str):
    association = request.seat.association
    form = PetitionForm(request.POST or None)
    if request.method == "POST":
        petition = form.call_service(
            services.petition_create, association=association, acting_user=request.user
        )
        if petition is not None:
            messages.success(
                request, _("The petition is created as a draft: check it, then open it.")
            )
            return redirect(
                "mobilisation:detail",
                association_slug=association.slug,
                petition_uuid=petition.uuid,
            )
    return render(
        request, "mobilisation/petition_form.html", {"association": association, "form": form}
    )


@require(CAPABILITY)
def petition_edit(request, association_slug: str, petition_uuid):
    association = request.seat.association
    petition = _petition(association, petition_uuid)
    form = PetitionForm(
        request.POST or None,
        initial={
            name: getattr(petition, name)
            for name in ("title", "addressee", "text", "goal", "ends_on")
        },
    )
    saved = request.method == "POST" and form.call_service(
        services.petition_update,
        association=association,
        acting_user=request.user,
        petition=petition,
    )
    if saved:
        messages.success(request, _("The petition is saved."))
        return redirect(
            "mobilisation:detail", association_slug=association.slug, petition_uuid=petition.uuid
        )
    return render(
        request,
        "mobilisation/petition_form.html",
        {"association": association, "form": form, "petition": petition},
    )


@require(CAPABILITY)
def petition_detail(request, association_slug: str, petition_uuid):
    association = request.seat.association
    petition = _petition(association, petition_uuid)
    counts = Signature.objects.filter(petition=petition).aggregate(
        pending=Count("id", filter=Q(status=Signature.Status.PENDING)),
        invalidated=Count("id", filter=Q(status=Signature.Status.INVALIDATED)),
        news=Count("id", filter=Q(status=Signature.Status.CONFIRMED, updates=True)),
    )
    sources = (
        Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
        .values("source")
        .annotate(n=Count("id"))
        .order_by("-n")[:10]
    )
    count = services.petition_count(petition, fresh=True)
    return render(
        request,
        "mobilisation/petition_detail.html",
        {
            "association": association,
            "petition": petition,
            "count": count,
            "percent": min(100, round(100 * count / petition.goal)) if petition.goal else None,
            "counts": counts,
            "sources": list(sources),
            "breakdown": selectors.breakdown(petition, cached=False),
            "flags": selectors.fraud_flags(petition),
            "share": share_links(petition),
            "public_url": services.petition_url(petition),
            "updates": list(petition.updates.all()[:10]),
            "invalidations": list(petition.invalidations.all()[:10]),
            "is_open": services.petition_is_open(petition),
        },
    )


@require(CAPABILITY)
@require_POST
def petition_status(request, association_slug: str, petition_uuid, action: str):
    association = request.seat.association
    petition = _petition(association, petition_uuid)
    status = {"open": Petition.Status.OPEN, "close": Petition.Status.CLOSED}.get(action)
    if status is None:
        raise Http404
    run_and_flash(
        request,
        lambda: services.petition_set_status(
            association=association, acting_user=request.user, petition=petition, status=status
        ),
        _("The petition is open: share its page.")
        if status == Petition.Status.OPEN
        else _("The petition is closed: it no longer takes signatures."),
    )
    return redirect(
        "mobilisation:detail", association_slug=association.slug, petition_uuid=petition.uuid
    )


@require(CAPABILITY)
@require_POST
def petition_reconcile(request, association_slug: str, petition_uuid):
    association = request.seat.association
    petition = _petition(association, petition_uuid)
    before, after = services.petition_reconcile(petition=petition)
    if before == after:
        messages.success(
            request, _("The count was exact: %(count)s signatures.") % {"count": after}
        )
    else:
        messages.warning(
            request,
            _("The count was corrected from %(before)s to %(after)s signatures.")
            % {"before": before, "after": after},
        )
    return redirect(
        "mobilisation:detail", association_slug=association.slug, petition_uuid=petition.uuid
    )


@require(CAPABILITY)
def petition_export(request, association_slug: str, petition_uuid):
    """Confirmed signatures as CSV (or XLSX with ?format=xlsx)."""
    association = request.seat.association
    petition = _petition(association, petition_uuid)
    with_emails = request.seat.can("can_view_members")
    services.export_logged(
        association=association, acting_user=request.user, petition=petition, kind="csv"
    )
    header = [_("First name"), _("Last name"), _("Postcode"), _("Département")]
    if with_emails:
        header += [_("E-mail"), _("Agreed to receive news")]
    header += [_("Comment"), _("Source"), _("Confirmed on")]
    rows = selectors.confirmed_signatures(petition).values_list(
        "first_name",
        "last_name",
        "postcode",
        "departement",
        "email",
        "updates",
        "comment",
        "source",
        "confirmed_at",
    )

    def cells(spreadsheet: bool):
        for first, last, postcode, dep, email, updates, comment, source, at in rows.iterator():
            line = [first, last, postcode, f"{dep} {departement_name(dep)}".strip()]
            if with_emails:
                line += [email, _("yes") if updates else _("no")]
            stamp = timezone.localtime(at) if at else None
            line += [
                comment,
                source,
                stamp.replace(tzinfo=None)
                if spreadsheet and stamp
                else (stamp.strftime("%d/%m/%Y %H:%M") if stamp else ""),
            ]
            yield line

    return spreadsheet_response(
        header,
        cells,
        fmt=request.GET.get("format", "csv"),
        name=f"signatures-{petition.slug}",
        title=_("Signatures"),
    )


@require(CAPABILITY)
def petition_pdf(request, association_slug: str, petition_uuid):
    """The petition for delivery to its addressee (names, postcodes; no e-mail addresses)."""
    association = request.seat.association
    petition = _petition(association, petition_uuid)
    services.export_logged(
        association=association, acting_user=request.user, petition=petition, kind="pdf"
    )
    rows = list(
        selectors.confirmed_signatures(petition).values_list(
            "first_name", "last_name", "postcode", "departement", "confirmed_at"
        )
    )
    data = pdf.render(petition=petition, association=association, rows=rows, count=len(rows))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="petition-{petition.slug}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require(CAPABILITY)
def petition_news(request, association_slug: str, petition_uuid):
    association = request.seat.association
    petition = _petition(association, petition_uuid)
    form = UpdateForm(request.POST or None)
    audience = services.update_audience(petition).count()
    if request.method == "POST" and form.is_valid():
        try:
            update = services.petition_update_send(
                association=association,
                acting_user=request.user,
                petition=petition,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                ngettext(
                    "The news is on its way to %(count)d signer.",
                    "The news is on its way to %(count)d signers.",
                    update.recipients,
                )
                % {"count": update.recipients},
            )
            return redirect(
                "mobilisation:detail",
                association_slug=association.slug,
                petition_uuid=petition.uuid,
            )
    return render(
        request,
        "mobilisation/petition_news.html",
        {"association": association, "petition": petition, "form": form, "audience": audience},
    )


@require(CAPABILITY)
def petition_fraud(request, association_slug: str, petition_uuid):
    """Groups of suspicious signatures; invalidating one group in one click, with a reason."""
    association = request.seat.association
    petition = _petition(association, petition_uuid)
    form = InvalidateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        signatures = selectors.flag_signatures(petition, data["kind"], data["key"], data["hour"])
        if signatures is None:
            raise Http404
        try:
            batch = services.signatures_invalidate(
                association=association,
                acting_user=request.user,
                petition=petition,
                signatures=signatures,
                reason=data["reason"],
                criteria={
                    "kind": data["kind"],
                    "hour": data["hour"].isoformat() if data["hour"] else None,
                },
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d signature invalidated; the count is corrected.",
                    "%(count)d signatures invalidated; the count is corrected.",
                    batch.signatures,
                )
                % {"count": batch.signatures},
            )
            return redirect(
                "mobilisation:fraud", association_slug=association.slug, petition_uuid=petition.uuid
            )
    flags = selectors.fraud_flags(petition)
    for flag in flags:
        members = selectors.flag_signatures(petition, flag["kind"], flag["key"], flag["hour"])
        flag["sample"] = list(members.exclude(status=Signature.Status.INVALIDATED)[:5])
        flag["form"] = InvalidateForm(
            initial={"kind": flag["kind"], "key": flag["key"], "hour": flag["hour"]}
        )
    return render(
        request,
        "mobilisation/petition_fraud.html",
        {
            "association": association,
            "petition": petition,
            "flags": flags,
            "form": form,
            "invalidations": list(petition.invalidations.select_related("created_by")[:20]),
        },
    )
