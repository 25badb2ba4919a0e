"""Back office of mailings: /a/<association>/mailings/… (capability can_send_mailings).

The preview shows the message as one chosen recipient would get it; the contact picker lists
the mailing's would-be recipients only (a team member who may send mailings but not see the
contact list learns nothing more than the recipients' names).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.pagination import paginate
from essaim.core.tenancy import require
from essaim.people.models import Person

from . import bounces, mailings, personalise
from .mailing_forms import MailingForm, MailingSettingsForm, ScheduleForm, SuppressionForm
from .models import Delivery, Mailing, Suppression

CAPABILITY = "can_send_mailings"
FIELDS = (
    "subject",
    "from_name",
    "reply_to",
    "audience",
    "newsletter",
    "topic",
    "is_appeal",
    "body",
)


def _mailing(association, mailing_uuid) -> Mailing:
    return get_object_or_404(
        Mailing.objects.select_related("audience", "newsletter"),
        association=association,
        uuid=mailing_uuid,
    )


def _detail(mailing: Mailing):
    return redirect(
        "communication:mailing",
        association_slug=mailing.association.slug,
        mailing_uuid=mailing.uuid,
    )


@require(CAPABILITY)
def mailing_list(request, association_slug: str):
    association = request.seat.association
    rows = (
        Mailing.objects.filter(association=association)
        .select_related("audience", "newsletter")
        .annotate(sent_count=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT)))
        .order_by("-created_at", "-id")
    )
    query = " ".join(request.GET.get("q", "").split())[:100]
    if query:
        rows = rows.filter(subject__icontains=query)
    page = paginate(request, rows)
    return render(
        request,
        "communication/mailings.html",
        {"association": association, "page": page, "rows": page.object_list, "query": query},
    )


@require(CAPABILITY)
def mailing_create(request, association_slug: str):
    association = request.seat.association
    form = MailingForm(
        request.POST or None,
        association=association,
        initial={"from_name": association.name, "topic": Mailing.Topic.NEWSLETTER},
    )
    if request.method == "POST":
        mailing = form.call_service(
            mailings.mailing_create, association=association, acting_user=request.user
        )
        if mailing is not None:
            messages.success(
                request, _("The mailing is saved as a draft: preview it, then send it.")
            )
            return _detail(mailing)
    return render(
        request,
        "communication/mailing_form.html",
        {"association": association, "form": form, "fields": personalise.FIELDS},
    )


@require(CAPABILITY)
def mailing_edit(request, association_slug: str, mailing_uuid):
    association = request.seat.association
    mailing = _mailing(association, mailing_uuid)
    if mailing.status != Mailing.Status.DRAFT:
        messages.error(request, _("Only a draft can be changed: unschedule the mailing first."))
        return _detail(mailing)
    initial = {name: getattr(mailing, name) for name in FIELDS}
    form = MailingForm(request.POST or None, association=association, initial=initial)
    if request.method == "POST":
        saved = form.call_service(
            mailings.mailing_update,
            association=association,
            acting_user=request.user,
            mailing=mailing,
        )
        if saved is not None:
            messages.success(request, _("The mailing is saved."))
            return _detail(mailing)
    return render(
        request,
        "communication/mailing_form.html",
        {
            "association": association,
            "form": form,
            "mailing": mailing,
            "fields": personalise.FIELDS,
        },
    )


@require(CAPABILITY)
def mailing_detail(request, association_slug: str, mailing_uuid):
    association = request.seat.association
    mailing = _mailing(association, mailing_uuid)
    stats = mailings.mailing_stats(mailing)
    count = mailings.recipient_count(mailing)
    return render(
        request,
        "communication/mailing_detail.html",
        {
            "association": association,
            "mailing": mailing,
            "stats": stats,
            "count": count,
            "schedule_form": ScheduleForm(),
            "settings": mailings.settings_for(association),
        },
    )


@require(CAPABILITY)
def mailing_preview(request, association_slug: str, mailing_uuid):
    association = request.seat.association
    mailing = _mailing(association, mailing_uuid)
    candidates = mailings.candidate_persons(mailing).order_by("sort_name", "id")
    person = None
    wanted = request.GET.get("person", "")
    if wanted:
        try:
            person = candidates.filter(uuid=wanted).first()
        except ValidationError:
            person = None
    person = (
        person
        or candidates.first()
        or Person(
            first_name=_("Camille"), last_name=_("Martin"), email="camille.martin@example.org"
        )
    )
    return render(
        request,
        "communication/mailing_preview.html",
        {
            "association": association,
            "mailing": mailing,
            "person": person,
            "choices": list(candidates[:50]),
            "rendered": mailings.preview(mailing, person),
        },
    )


def _post_action(request, association_slug, mailing_uuid, service, success: str, **extra):
    association = request.seat.association
    mailing = _mailing(association, mailing_uuid)
    try:
        service(association=association, acting_user=request.user, mailing=mailing, **extra)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return _detail(mailing)


@require(CAPABILITY)
@require_POST
def mailing_test(request, association_slug: str, mailing_uuid):
    association = request.seat.association
    mailing = _mailing(association, mailing_uuid)
    try:
        address = mailings.mailing_test_send(
            association=association, acting_user=request.user, mailing=mailing
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("A test is on its way to %(email)s.") % {"email": address})
    return _detail(mailing)


@require(CAPABILITY)
@require_POST
def mailing_schedule(request, association_slug: str, mailing_uuid):
    association = request.seat.association
    mailing = _mailing(association, mailing_uuid)
    form = ScheduleForm(request.POST)
    done = form.call_service(
        mailings.mailing_schedule,
        association=association,
        acting_user=request.user,
        mailing=mailing,
    )
    if done is None:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    elif form.cleaned_data.get("when") == "later":
        messages.success(request, _("The mailing is scheduled."))
    else:
        messages.success(request, _("Sending has started. This page shows its progress."))
    return _detail(mailing)


@require(CAPABILITY)
@require_POST
def mailing_unschedule(request, association_slug: str, mailing_uuid):
    return _post_action(
        request, association_slug, mailing_uuid, mailings.mailing_unschedule,
        _("The mailing is a draft again."),
    )  # fmt: skip


@require(CAPABILITY)
@require_POST
def mailing_pause(request, association_slug: str, mailing_uuid):
    return _post_action(
        request, association_slug, mailing_uuid, mailings.mailing_pause,
        _("Sending is paused."),
    )  # fmt: skip


@require(CAPABILITY)
@require_POST
def mailing_resume(request, association_slug: str, mailing_uuid):
    return _post_action(
        request, association_slug, mailing_uuid, mailings.mailing_resume,
        _("Sending goes on."),
    )  # fmt: skip


@require(CAPABILITY)
@require_POST
def mailing_cancel(request, association_slug: str, mailing_uuid):
    return _post_action(
        request, association_slug, mailing_uuid, mailings.mailing_cancel,
        _("The mailing is cancelled: nothing more will be sent."),
    )  # fmt: skip


@require(CAPABILITY)
@require_POST
def mailing_retry_unknown(request, association_slug: str, mailing_uuid):
    return _post_action(
        request, association_slug, mailing_uuid, mailings.deliveries_retry_unknown,
        _("The messages whose fate was unknown are sent again."),
    )  # fmt: skip


@require(CAPABILITY)
def mailing_settings(request, association_slug: str):
    association = request.seat.association
    current = mailings.settings_for(association)
    form = MailingSettingsForm(
        request.POST or None,
        initial={
            "messages_per_minute": current.messages_per_minute,
            "track_opens": current.track_opens,
        },
    )
    if request.method == "POST":
        saved = form.call_service(
            mailings.mailing_settings_update, association=association, acting_user=request.user
        )
        if saved is not None:
            messages.success(request, _("The settings are saved."))
            return redirect("communication:mailing_settings", association_slug=association.slug)
    from django.conf import settings as django_settings
    from django.urls import reverse

    webhook_url = django_settings.ESSAIM_BASE_URL + reverse(
        "communication_public:mail_webhook", kwargs={"token": current.webhook_token}
    )
    return render(
        request,
        "communication/mailing_settings.html",
        {
            "association": association,
            "form": form,
            "current": current,
            "webhook_url": webhook_url,
            "can_see_secret": request.seat.can("can_change_settings"),
        },
    )


@require(CAPABILITY)
def suppression_list(request, association_slug: str):
    association = request.seat.association
    rows = Suppression.objects.filter(association=association).order_by("-created_at", "-id")
    query = " ".join(request.GET.get("q", "").split())[:100]
    if query:
        rows = rows.filter(email__icontains=query)
    form = SuppressionForm(request.POST or None)
    if request.method == "POST":
        added = form.call_service(
            bounces.suppression_add, association=association, acting_user=request.user
        )
        if added is not None:
            messages.success(
                request, _("%(email)s will receive no more mailings.") % {"email": added.email}
            )
            return redirect("communication:suppressions", association_slug=association.slug)
    page = paginate(request, rows)
    return render(
        request,
        "communication/mailing_suppressions.html",
        {
            "association": association,
            "page": page,
            "rows": page.object_list,
            "form": form,
            "query": query,
        },
    )


@require(CAPABILITY)
@require_POST
def suppression_remove(request, association_slug: str, suppression_uuid):
    association = request.seat.association
    suppression = get_object_or_404(Suppression, association=association, uuid=suppression_uuid)
    bounces.suppression_remove(
        association=association, acting_user=request.user, suppression=suppression
    )
    messages.success(
        request, _("%(email)s can receive mailings again.") % {"email": suppression.email}
    )
    return redirect("communication:suppressions", association_slug=association.slug)
