"""Back office of governance: statutes rules, bodies, general meetings (agenda,
convocation, letters, check-in, proxies, live quorum, opening and closing)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.tenancy import require
from essaim.people.models import Person

from . import pdf, selectors, services
from .forms import (
    AgendaItemForm,
    AssemblyForm,
    BodyForm,
    BodySeatForm,
    ProxyForm,
    StatutesRulesForm,
    default_start,
)
from .models import AgendaDocument, AgendaItem, Assembly, Attendance, Body, BodySeat, Proxy

CAP = "can_run_votes"


def _assembly(request, assembly_uuid) -> Assembly:
    return get_object_or_404(Assembly, association=request.seat.association, uuid=assembly_uuid)


def _to_detail(assembly: Assembly):
    return redirect(
        "governance:assembly",
        association_slug=assembly.association.slug,
        assembly_uuid=assembly.uuid,
    )


def _error_message(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# --- Assemblies ---------------------------------------------------------------------------


@require(CAP)
def assemblies(request, association_slug: str):
    association = request.seat.association
    return render(
        request,
        "governance/assemblies.html",
        {
            "association": association,
            "assemblies": list(selectors.assemblies_of(association)),
            "rules_set": selectors.rules_for(association).pk is not None,
        },
    )


@require(CAP)
def assembly_create(request, association_slug: str):
    association = request.seat.association
    rules = selectors.rules_for(association)
    form = AssemblyForm(
        request.POST or None,
        initial={
            "starts_at": default_start(),
            "mode": "on_site",
            "kind": "ordinary",
            "convocation_number": 1,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            assembly = services.assembly_create(
                association=association, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Meeting created. Now write its agenda."))
            return _to_detail(assembly)
    return render(
        request,
        "governance/assembly_form.html",
        {"association": association, "form": form, "rules": rules, "assembly": None},
    )


@require(CAP)
def assembly_edit(request, association_slug: str, assembly_uuid):
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    initial = {name: getattr(assembly, name) for name in services.ASSEMBLY_FIELDS}
    initial["starts_at"] = timezone.localtime(assembly.starts_at)
    form = AssemblyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.assembly_update(
                association=association,
                acting_user=request.user,
                assembly=assembly,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Meeting saved."))
            return _to_detail(assembly)
    return render(
        request,
        "governance/assembly_form.html",
        {
            "association": association,
            "form": form,
            "rules": selectors.rules_for(association),
            "assembly": assembly,
        },
    )


@require(CAP)
def assembly_detail(request, association_slug: str, assembly_uuid):
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    rules = selectors.rules_for(association)
    deadline = selectors.notice_deadline(assembly, rules)
    convocations = assembly.convocations.all()
    quorum = selectors.quorum_of(assembly)
    return render(
        request,
        "governance/assembly.html",
        {
            "association": association,
            "assembly": assembly,
            "rules": rules,
            "items": list(assembly.items.prefetch_related("documents")),
            "item_form": AgendaItemForm(),
            "deadline": deadline,
            "notice_met": selectors.notice_met(assembly),
            "convened_by_email": convocations.filter(channel="email").count(),
            "convened_by_letter": convocations.filter(channel="letter").count(),
            "quorum": quorum,
            "majority_rule": rules.majority_for(assembly.kind),
        },
    )


@require(CAP)
@require_POST
def agenda_item_add(request, association_slug: str, assembly_uuid):
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    form = AgendaItemForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.agenda_item_add(
                association=association,
                acting_user=request.user,
                assembly=assembly,
                title=data["title"],
                description=data["description"],
                is_resolution=data["is_resolution"],
                documents=[data["document"]] if data.get("document") else [],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Agenda item added."))
            return _to_detail(assembly)
    rules = selectors.rules_for(association)
    return render(
        request,
        "governance/assembly.html",
        {
            "association": association,
            "assembly": assembly,
            "rules": rules,
            "items": list(assembly.items.prefetch_related("documents")),
            "item_form": form,
            "deadline": selectors.notice_deadline(assembly, rules),
            "notice_met": selectors.notice_met(assembly),
            "quorum": selectors.quorum_of(assembly),
            "majority_rule": rules.majority_for(assembly.kind),
        },
        status=422,
    )


@require(CAP)
@require_POST
def agenda_item_delete(request, association_slug: str, assembly_uuid, item_uuid):
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    item = get_object_or_404(AgendaItem, association=association, assembly=assembly, uuid=item_uuid)
    try:
        services.agenda_item_delete(association=association, acting_user=request.user, item=item)
    except ValidationError as error:
        _error_message(request, error)
    else:
        messages.success(request, _("Agenda item removed."))
    return _to_detail(assembly)


def document_response(document: AgendaDocument) -> HttpResponse:
    response = HttpResponse(services.document_bytes(document), content_type=document.content_type)
    name = slugify(document.original_name.rsplit(".", 1)[0])[:80] or "document"
    extension = document.original_name.rsplit(".", 1)[-1]
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require(CAP)
def document_download(request, association_slug: str, assembly_uuid, document_uuid):
    assembly = _assembly(request, assembly_uuid)
    document = get_object_or_404(
        AgendaDocument,
        association=request.seat.association,
        item__assembly=assembly,
        uuid=document_uuid,
    )
    return document_response(document)


@require(CAP)
def assembly_convene(request, association_slug: str, assembly_uuid):
    """GET: what will be sent, and the warning if the notice period is not met; POST sends."""
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    rules = selectors.rules_for(association)
    if request.method == "POST":
        try:
            services.assembly_convene(
                association=association, acting_user=request.user, assembly=assembly
            )
        except ValidationError as error:
            _error_message(request, error)
        else:
            messages.success(
                request,
                _(
                    "The convocations are on their way. Print the letters for the members "
                    "without an e-mail address."
                ),
            )
        return _to_detail(assembly)
    voters = selectors.voting_members(association, selectors.assembly_day(assembly))
    return render(
        request,
        "governance/convene.html",
        {
            "association": association,
            "assembly": assembly,
            "rules": rules,
            "deadline": selectors.notice_deadline(assembly, rules),
            "notice_met": selectors.notice_met(assembly, timezone.localdate()),
            "by_email": voters.exclude(email="").count(),
            "by_letter": voters.filter(email="").count(),
            "items": list(assembly.items.all()),
        },
    )


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require(CAP)
def letters_pdf(request, association_slug: str, assembly_uuid):
    assembly = _assembly(request, assembly_uuid)
    data = pdf.convocation_letters_pdf(assembly, pdf.letters_for(assembly))
    return _pdf(data, f"convocations-{timezone.localdate(assembly.starts_at):%Y-%m-%d}.pdf")


@require(CAP)
def signature_sheet(request, association_slug: str, assembly_uuid):
    assembly = _assembly(request, assembly_uuid)
    return _pdf(
        pdf.signature_sheet_pdf(assembly),
        f"emargement-{timezone.localdate(assembly.starts_at):%Y-%m-%d}.pdf",
    )


# --- Check-in and quorum ------------------------------------------------------------------


@require(CAP)
def check_in(request, association_slug: str, assembly_uuid):
    """The list to check members in on a phone, searchable; the quorum above it."""
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    query = request.GET.get("q", "")[:100]
    context = {
        "association": association,
        "assembly": assembly,
        "rows": selectors.check_in_list(assembly, query),
        "limit": selectors.CHECK_IN_ROWS,
        "query": query,
        "quorum": selectors.quorum_of(assembly),
    }
    template = "governance/_check_in_rows.html" if request.htmx else "governance/check_in.html"
    return render(request, template, context)


def _person(association, person_uuid) -> Person:
    return get_object_or_404(Person, association=association, uuid=person_uuid)


@require(CAP)
def check_in_person(request, association_slug: str, assembly_uuid, person_uuid):
    """One member's check-in (the QR code of their letter opens it); POST checks in, or
    undoes it with `undo`."""
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    person = _person(association, person_uuid)
    if request.method == "POST":
        try:
            if request.POST.get("undo"):
                services.attendance_undo(
                    association=association,
                    acting_user=request.user,
                    assembly=assembly,
                    person=person,
                )
                messages.info(
                    request, _("%(name)s is no longer marked present.") % {"name": person}
                )
            else:
                services.attendance_check_in(
                    association=association,
                    acting_user=request.user,
                    assembly=assembly,
                    person=person,
                    method=(request.POST.get("method") == "qr" and Attendance.Method.QR)
                    or Attendance.Method.TEAM,
                )
                messages.success(request, _("%(name)s is present.") % {"name": person})
        except ValidationError as error:
            _error_message(request, error)
        target = request.POST.get("next") or ""
        if target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect(
            "governance:check_in",
            association_slug=association.slug,
            assembly_uuid=assembly.uuid,
        )
    attendance = Attendance.objects.filter(assembly=assembly, person=person).first()
    proxy = selectors.live_proxies(assembly).filter(giver=person).select_related("holder").first()
    return render(
        request,
        "governance/check_in_person.html",
        {
            "association": association,
            "assembly": assembly,
            "person": person,
            "attendance": attendance,
            "proxy": proxy,
            "holds": list(
                selectors.live_proxies(assembly).filter(holder=person).select_related("giver")
            ),
            "voting": selectors.is_voting_member(person, selectors.assembly_day(assembly)),
            "quorum": selectors.quorum_of(assembly),
        },
    )


@require(CAP)
def quorum(request, association_slug: str, assembly_uuid):
    """The live quorum box alone (polled by htmx on the check-in and meeting pages)."""
    assembly = _assembly(request, assembly_uuid)
    return render(
        request,
        "governance/_quorum.html",
        {
            "association": request.seat.association,
            "assembly": assembly,
            "quorum": selectors.quorum_of(assembly),
            "poll": True,
        },
    )


# --- Proxies ------------------------------------------------------------------------------


@require(CAP)
def proxies(request, association_slug: str, assembly_uuid):
    """Proxies of the meeting; the team records a paper proxy (pouvoir) handed to it."""
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    people = list(
        selectors.voting_members(association, selectors.assembly_day(assembly)).order_by(
            "sort_name", "id"
        )
    )
    form = ProxyForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        giver = _person(association, form.cleaned_data["giver"])
        holder = _person(association, form.cleaned_data["holder"])
        try:
            services.proxy_give(
                association=association,
                acting_user=request.user,
                assembly=assembly,
                giver=giver,
                holder=holder,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("%(holder)s will vote for %(giver)s.") % {"holder": holder, "giver": giver},
            )
            return redirect(
                "governance:proxies",
                association_slug=association.slug,
                assembly_uuid=assembly.uuid,
            )
    return render(
        request,
        "governance/proxies.html",
        {
            "association": association,
            "assembly": assembly,
            "rules": selectors.rules_for(association),
            "proxies": list(
                selectors.live_proxies(assembly)
                .select_related("giver", "holder")
                .order_by("holder__sort_name", "giver__sort_name")
            ),
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@require(CAP)
@require_POST
def proxy_revoke(request, association_slug: str, assembly_uuid, proxy_uuid):
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    proxy = get_object_or_404(Proxy, association=association, assembly=assembly, uuid=proxy_uuid)
    try:
        services.proxy_revoke(association=association, acting_user=request.user, proxy=proxy)
    except ValidationError as error:
        _error_message(request, error)
    else:
        messages.success(request, _("Proxy revoked."))
    return redirect(
        "governance:proxies", association_slug=association.slug, assembly_uuid=assembly.uuid
    )


# --- Opening and closing ------------------------------------------------------------------


@require(CAP)
@require_POST
def assembly_open(request, association_slug: str, assembly_uuid):
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    try:
        assembly = services.assembly_open(
            association=association, acting_user=request.user, assembly=assembly
        )
    except ValidationError as error:
        _error_message(request, error)
    else:
        messages.success(request, _("The meeting is open. Proxies can no longer change."))
    return _to_detail(assembly)


@require(CAP)
@require_POST
def assembly_close(request, association_slug: str, assembly_uuid):
    association = request.seat.association
    assembly = _assembly(request, assembly_uuid)
    try:
        assembly = services.assembly_close(
            association=association, acting_user=request.user, assembly=assembly
        )
    except ValidationError as error:
        _error_message(request, error)
    else:
        messages.success(request, _("The meeting is closed."))
    return _to_detail(assembly)


# --- Statutes rules and bodies ------------------------------------------------------------


@require(CAP)
def rules_edit(request, association_slug: str):
    association = request.seat.association
    rules = selectors.rules_for(association)
    initial = {name: getattr(rules, name) for name in services.RULES_FIELDS}
    form = StatutesRulesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.statutes_rules_update(
                association=association, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Statutes rules saved."))
            return redirect("governance:rules", association_slug=association.slug)
    return render(
        request,
        "governance/rules.html",
        {"association": association, "form": form, "saved": rules.pk is not None},
    )


@require(CAP)
def bodies(request, association_slug: str):
    association = request.seat.association
    form = BodyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            body = services.body_create(
                association=association, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Body created. Now add its members."))
            return redirect(
                "governance:body", association_slug=association.slug, body_uuid=body.uuid
            )
    return render(
        request,
        "governance/bodies.html",
        {
            "association": association,
            "bodies": list(
                Body.objects.filter(association=association).prefetch_related("seats__person")
            ),
            "form": form,
        },
    )


@require(CAP)
def body_detail(request, association_slug: str, body_uuid):
    association = request.seat.association
    body = get_object_or_404(Body, association=association, uuid=body_uuid)
    people = Person.objects.filter(association=association, erased_at__isnull=True).order_by(
        "sort_name", "id"
    )[:2000]
    form = BodySeatForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        person = Person.objects.filter(
            association=association, uuid=form.cleaned_data["person"]
        ).first()
        try:
            if person is None:
                raise ValidationError({"person": _("Choose a contact.")})
            services.body_seat_add(
                association=association,
                acting_user=request.user,
                body=body,
                person=person,
                role=form.cleaned_data["role"],
                since=form.cleaned_data["since"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Member added."))
            return redirect(
                "governance:body", association_slug=association.slug, body_uuid=body.uuid
            )
    return render(
        request,
        "governance/body.html",
        {
            "association": association,
            "body": body,
            "seats": list(body.seats.select_related("person")),
            "form": form,
        },
    )


@require(CAP)
@require_POST
def body_seat_remove(request, association_slug: str, body_uuid, seat_uuid):
    association = request.seat.association
    body = get_object_or_404(Body, association=association, uuid=body_uuid)
    seat = get_object_or_404(BodySeat, association=association, body=body, uuid=seat_uuid)
    services.body_seat_remove(association=association, acting_user=request.user, seat=seat)
    messages.success(request, _("Member removed."))
    return redirect("governance:body", association_slug=association.slug, body_uuid=body.uuid)
