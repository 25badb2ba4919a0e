"""Member-facing pages: my general meetings (convocation, agenda and documents, the online
link, proxy to give or revoke, presence to confirm online), and the signed presence link.

A member sees an assembly once convened to it. The online link and the documents are
shown to convened members only.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_scopes import scope, scopes_disabled

from essaim.people.models import Person

from . import selectors, services
from .forms import GiveProxyForm
from .models import AgendaDocument, Assembly, Attendance, Convocation
from .tokens import presence_ids
from .views import document_response

RECENT_DAYS = 60


def self_check_in_open(assembly: Assembly) -> bool:
    """A member confirms their own presence online on the day of an online or hybrid
    meeting, until it closes."""
    return (
        assembly.has_online_part
        and assembly.status in (Assembly.Status.CONVENED, Assembly.Status.OPEN)
        and timezone.localdate(assembly.starts_at) == timezone.localdate()
    )


def _own(request, assembly_uuid) -> tuple[Assembly, Person]:
    """The assembly and the user's contact record in its association, if convened."""
    with scopes_disabled():
        convocation = (
            Convocation.objects.select_related("assembly__association", "person")
            .filter(
                assembly__uuid=assembly_uuid,
                person__user=request.user,
                person__erased_at__isnull=True,
            )
            .first()
        )
    if convocation is None:
        raise Http404
    return convocation.assembly, convocation.person


def _back():
    return redirect("governance_public:portal")


@login_required
@never_cache
def portal(request):
    """The general meetings the account's contacts were convened to, newest first."""
    since = timezone.now() - dt.timedelta(days=RECENT_DAYS)
    with scopes_disabled():
        convocations = list(
            Convocation.objects.select_related("assembly__association", "person")
            .filter(
                person__user=request.user,
                person__erased_at__isnull=True,
                assembly__starts_at__gte=since,
            )
            .order_by("-assembly__starts_at")
        )
    rows = []
    for convocation in convocations:
        assembly, person = convocation.assembly, convocation.person
        association = assembly.association
        with scope(association=association):
            rules = selectors.rules_for(association)
            live = selectors.live_proxies(assembly)
            given = live.filter(giver=person).select_related("holder").first()
            held = list(live.filter(holder=person).select_related("giver"))
            present = Attendance.objects.filter(assembly=assembly, person=person).exists()
            can_give = (
                rules.proxies_allowed and not assembly.proxies_frozen and not held and not present
            )
            holders = []
            if can_give:
                holders = [
                    p
                    for p in selectors.voting_members(
                        association, selectors.assembly_day(assembly)
                    ).order_by("sort_name", "id")
                    if p.pk != person.pk
                ]
            rows.append(
                {
                    "assembly": assembly,
                    "association": association,
                    "person": person,
                    "items": list(assembly.items.prefetch_related("documents")),
                    "rules": rules,
                    "given": given,
                    "held": held,
                    "present": present,
                    "can_give": can_give,
                    "form": GiveProxyForm(people=holders) if can_give else None,
                    "self_check_in": self_check_in_open(assembly) and not present,
                    "starts_at": timezone.localtime(assembly.starts_at),
                }
            )
    return render(request, "governance/public/portal.html", {"rows": rows})


@login_required
@require_POST
def portal_proxy(request, assembly_uuid):
    assembly, person = _own(request, assembly_uuid)
    association = assembly.association
    with scope(association=association):
        people = selectors.voting_members(association, selectors.assembly_day(assembly))
        form = GiveProxyForm(request.POST, people=people)
        holder = None
        if form.is_valid():
            holder = people.filter(uuid=form.cleaned_data["holder"]).first()
        if holder is None:
            messages.error(request, _("Choose the member who will vote for you."))
            return _back()
        try:
            services.proxy_give(
                association=association,
                acting_user=request.user,
                assembly=assembly,
                giver=person,
                holder=holder,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Your proxy is recorded: %(holder)s will vote for you.") % {"holder": holder},
            )
    return _back()


@login_required
@require_POST
def portal_proxy_revoke(request, assembly_uuid):
    assembly, person = _own(request, assembly_uuid)
    association = assembly.association
    with scope(association=association):
        proxy = selectors.live_proxies(assembly).filter(giver=person).first()
        if proxy is None:
            messages.info(request, _("You have no proxy to revoke."))
            return _back()
        try:
            services.proxy_revoke(association=association, acting_user=request.user, proxy=proxy)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your proxy is revoked: you will vote yourself."))
    return _back()


def _confirm_presence(request, assembly: Assembly, person: Person) -> bool:
    association = assembly.association
    if not self_check_in_open(assembly):
        messages.error(
            request,
            _("You can confirm your presence online on the day of the meeting only."),
        )
        return False
    try:
        services.attendance_check_in(
            association=association,
            acting_user=request.user,
            assembly=assembly,
            person=person,
            method=Attendance.Method.SELF,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    messages.success(request, _("Your presence is recorded. Welcome!"))
    return True


@login_required
@require_POST
def portal_presence(request, assembly_uuid):
    assembly, person = _own(request, assembly_uuid)
    with scope(association=assembly.association):
        _confirm_presence(request, assembly, person)
    return _back()


@login_required
def portal_document(request, assembly_uuid, document_uuid):
    assembly, _person = _own(request, assembly_uuid)
    with scope(association=assembly.association):
        document = AgendaDocument.objects.filter(
            association=assembly.association, item__assembly=assembly, uuid=document_uuid
        ).first()
        if document is None:
            raise Http404
        return document_response(document)


@never_cache
def presence(request, token: str):
    """The link of the convocation e-mail: on the day, the member confirms their presence
    (GET asks, POST records; no account needed: the signed link identifies them)."""
    ids = presence_ids(token)
    if ids is None:
        raise Http404
    with scopes_disabled():
        convocation = (
            Convocation.objects.select_related("assembly__association", "person")
            .filter(assembly__uuid=ids[0], person__uuid=ids[1], person__erased_at__isnull=True)
            .first()
        )
    if convocation is None:
        raise Http404
    assembly, person = convocation.assembly, convocation.person
    with scope(association=assembly.association):
        present = Attendance.objects.filter(assembly=assembly, person=person).exists()
        if request.method == "POST" and not present:
            present = _confirm_presence(request, assembly, person)
        return render(
            request,
            "governance/public/presence.html",
            {
                "assembly": assembly,
                "association": assembly.association,
                "person": person,
                "present": present,
                "open": self_check_in_open(assembly),
                "starts_at": timezone.localtime(assembly.starts_at),
            },
        )
