"""Public pages of events and calls to action: /e/<association>/<event>/ and
/act/<association>/<action>/, and the registrant's own links (/e/confirm/…, /e/r/…).

Like the petitions' pages: the association parameter is `slug`, each view enters the
association's scope itself; CSRF-exempt where no ambient credential is used (the e-mail
registration, the confirmation and cancellation links, which carry a signed token). The
registration of a signed-in visitor uses their session: that form keeps its CSRF check.
"""

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_scopes import scope

from essaim.core.models import Association
from essaim.core.tenancy import seat_for
from essaim.lib import ratelimit, sharing
from essaim.lib.ical import CONTENT_TYPE

from . import actions, events
from .event_forms import CompletionForm, RegisterForm
from .models import CallToAction, Event, Registration
from .services import clean_source

CAPABILITY = "can_send_mailings"
COMPLETIONS_PER_IP = (20, 3600)


def _is_team(user, association) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    seat = seat_for(user, association.slug)
    return seat is not None and seat.can(CAPABILITY)


def _event(slug: str, event_slug: str, user=None) -> tuple[Association, Event]:
    """A published or cancelled event; a draft is a 404 except for its team (preview)."""
    association = Association.objects.filter(slug=slug).first()
    if association is None:
        raise Http404
    with scope(association=association):
        event = Event.objects.filter(association=association, slug=event_slug).first()
    if event is None:
        raise Http404
    event.association = association
    if event.status == Event.Status.DRAFT and not _is_team(user, association):
        raise Http404
    return association, event


def share_links(event: Event) -> list[dict]:
    return sharing.share_links(event.title, lambda source: events.event_url(event, source))


def _own_registration(user, event) -> Registration | None:
    if not getattr(user, "is_authenticated", False) or not user.email:
        return None
    from .canonical import canonical_email

    return (
        Registration.objects.filter(event=event, email_canonical=canonical_email(user.email))
        .exclude(status=Registration.Status.CANCELLED)
        .first()
    )


def _page(request, association, event, *, form=None, user=None, status=200, limited=""):
    own = _own_registration(user, event) if user else None
    is_open = events.event_is_open(event)
    if form is None and is_open and own is None:
        initial = {"src": clean_source(request.GET.get("src"))}
        if user is not None:
            initial |= {"first_name": user.first_name, "last_name": user.last_name}
        form = RegisterForm(initial=initial, event=event, user=user)
    response = render(
        request,
        "mobilisation/public/event.html",
        {
            "public_association": association,
            "event": event,
            "when": events.when_text(event),
            "form": form if is_open and own is None else None,
            "limited": limited,
            "is_open": is_open,
            "closed": events.closed_reason(event),
            "own": own,
            "own_url": events.page_url(own) if own else "",
            "share": share_links(event),
            "share_url": events.event_url(event),
            "preview": event.status == Event.Status.DRAFT,
            "signed_in": user is not None,
        },
        status=status,
    )
    if event.status != Event.Status.PUBLISHED or event.visibility == Event.Visibility.PRIVATE:
        response["X-Robots-Tag"] = "noindex"
    return response


def _account_user(request):
    user = request.user
    return user if user.is_authenticated and user.email else None


@csrf_exempt
def event_page(request, slug: str, event_slug: str):
    """The public page; its form registers with an e-mail address (double opt-in). No
    session is used for that: exempt from CSRF like the petition form. Signed-in visitors get
    a form posting to event_register_account instead."""
    association, event = _event(slug, event_slug, request.user)
    with scope(association=association):
        user = _account_user(request)
        if request.method == "POST":
            form = RegisterForm(request.POST, event=event)
            status, limited = 200, ""
            if events.event_is_open(event):
                done, status, limited, _registration = _register(request, association, event, form)
                if done:
                    return redirect(
                        "mobilisation_public:event_thanks",
                        slug=association.slug,
                        event_slug=event.slug,
                    )
            return _page(request, association, event, form=form, status=status, limited=limited)
        return _page(request, association, event, user=user)


@require_POST
def event_register_account(request, slug: str, event_slug: str):
    """A signed-in visitor registers with their account's (verified) address: no e-mail
    confirmation; straight to their registration page."""
    association, event = _event(slug, event_slug, request.user)
    user = _account_user(request)
    if user is None:
        return redirect(request.path.removesuffix("register/"))
    with scope(association=association):
        form = RegisterForm(request.POST, event=event, user=user)
        if events.event_is_open(event):
            done, _status, _limited, registration = _register(request, association, event, form)
            if done and registration is not None:
                return redirect(events.page_path(registration))
        return _page(request, association, event, form=form, user=user)


def _register(request, association, event, form):
    """(done, HTTP status, limited reason, registration of a signed-in visitor)."""
    if not form.is_valid():
        return False, 200, "", None
    if form.is_bot():
        return True, 200, "", None
    fields = form.service_fields()
    ip = ratelimit.client_ip(request)
    if form.user is None:
        limited = events.register_limited(ip, fields["email"])
        if limited:
            return False, 429, limited, None
    try:
        _outcome, registration = events.registration_create(
            association=association,
            event=event,
            user=form.user,
            source=form.cleaned_data.get("src") or request.GET.get("src", ""),
            **fields,
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return False, 200, "", None
    return True, 200, "", registration


def event_thanks(request, slug: str, event_slug: str):
    association, event = _event(slug, event_slug, request.user)
    with scope(association=association):
        return render(
            request,
            "mobilisation/public/event_thanks.html",
            {
                "public_association": association,
                "event": event,
                "when": events.when_text(event),
                "share": share_links(event),
            },
        )


def event_ics(request, slug: str, event_slug: str):
    association, event = _event(slug, event_slug, request.user)
    with scope(association=association):
        data = events.event_ical([event])
    response = HttpResponse(data, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response


def _problem(request, problem: str):
    return render(request, "mobilisation/public/event_link.html", {"problem": problem}, status=400)


@csrf_exempt
def event_confirm(request, token: str):
    """GET shows a button (scanners and mail previews open links, they must not register
    anyone); POST confirms and shows the registration page."""
    registration, problem = events.registration_from_confirm_token(token)
    if registration is None:
        return _problem(request, problem)
    association = registration.association
    with scope(association=association):
        if request.method == "POST":
            outcome = events.registration_confirm(registration=registration)
            if outcome in ("confirmed", "waiting", "already"):
                return redirect(events.page_path(registration) + f"?done={outcome}")
        return render(
            request,
            "mobilisation/public/event_confirm.html",
            {
                "public_association": association,
                "event": registration.event,
                "when": events.when_text(registration.event),
                "registration": registration,
            },
        )


def _registration_context(registration) -> dict:
    event = registration.event
    confirmed = registration.status == Registration.Status.CONFIRMED
    return {
        "public_association": registration.association,
        "event": event,
        "when": events.when_text(event),
        "registration": registration,
        "token": events.page_token(registration),
        "online_url": event.online_url if confirmed and event.online else "",
        "show_qr": confirmed and not event.online,
        "event_url": events.event_url(event),
        "can_cancel": registration.status
        in (Registration.Status.CONFIRMED, Registration.Status.WAITING, Registration.Status.PENDING)
        and event.status != Event.Status.CANCELLED,
    }


def registration_page(request, token: str):
    registration, problem = events.registration_from_page_token(token)
    if registration is None:
        return _problem(request, problem)
    with scope(association=registration.association):
        context = _registration_context(registration)
        context["done"] = request.GET.get("done", "")
        response = render(request, "mobilisation/public/registration.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_exempt
def registration_cancel(request, token: str):
    """GET asks "are you sure?" (a scanner changes nothing); POST cancels."""
    registration, problem = events.registration_from_page_token(token)
    if registration is None:
        return _problem(request, problem)
    with scope(association=registration.association):
        if request.method == "POST":
            events.registration_cancel(registration=registration)
            messages.success(request, _("Your registration is cancelled."))
            return redirect(events.page_path(registration))
        return render(
            request,
            "mobilisation/public/registration_cancel.html",
            _registration_context(registration),
        )


def registration_qr(request, token: str):
    """The registration's QR code (PNG): the team's check-in address, signed."""
    registration, _unused = events.registration_from_page_token(token)
    if registration is None or registration.status != Registration.Status.CONFIRMED:
        raise Http404
    from essaim.members.card import qr_image

    with scope(association=registration.association):
        image = qr_image(events.checkin_url(registration))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def registration_ics(request, token: str):
    registration, problem = events.registration_from_page_token(token)
    if registration is None:
        return _problem(request, problem)
    with scope(association=registration.association):
        data = events.registration_ical(registration)
    response = HttpResponse(data, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{registration.event.slug}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Calls to action ----------------------------------------------------------------------


def _action(slug: str, action_slug: str, user=None) -> CallToAction:
    action = actions.public_action(slug, action_slug)
    if action is None:
        raise Http404
    if action.status == CallToAction.Status.DRAFT and not _is_team(user, action.association):
        raise Http404
    return action


@csrf_exempt
def action_page(request, slug: str, action_slug: str):
    """The action's page; POST « I did it » records a completion."""
    action = _action(slug, action_slug, request.user)
    association = action.association
    with scope(association=association):
        source = clean_source(request.GET.get("src"))
        is_open = action.status == CallToAction.Status.PUBLISHED
        form = CompletionForm(
            request.POST if request.method == "POST" else None, initial={"src": source}
        )
        status, limited = 200, False
        name = " ".join(request.GET.get("name", "").split())[:150]
        if request.method == "POST" and is_open and action.kind != CallToAction.Kind.EVENT:
            if form.is_valid() and not form.is_bot():
                limit, period = COMPLETIONS_PER_IP
                if ratelimit.hit(request, f"action.{action.pk}", limit=limit, period=period):
                    limited, status = True, 429
                else:
                    try:
                        actions.completion_record(
                            association=association,
                            action=action,
                            name=form.cleaned_data["name"],
                            email=form.cleaned_data["email"],
                            source=form.cleaned_data.get("src") or source,
                        )
                    except ValidationError as error:
                        form.add_service_errors(error)
                    else:
                        return redirect(request.path + "?done=1")
            elif form.is_valid():
                return redirect(request.path + "?done=1")
        subject, body = actions.message_for(action, name) if action.kind == "write" else ("", "")
        context = {
            "public_association": association,
            "action": action,
            "form": form,
            "limited": limited,
            "is_open": is_open,
            "done": request.GET.get("done") == "1",
            "count": actions.completion_count(action),
            "share": actions.share_links(action),
            "page_url": actions.action_url(action),
            "subject": subject,
            "body": body,
            "name": name,
            "mailto": actions.mailto_link(action, subject, body) if subject else "",
            "event_link": (
                events.event_url(action.event, actions.action_source(action))
                if action.event_id
                else ""
            ),
        }
        if action.event_id:
            action.event.association = association
            context["event_when"] = events.when_text(action.event)
        response = render(request, "mobilisation/public/action.html", context, status=status)
    if action.status != CallToAction.Status.PUBLISHED:
        response["X-Robots-Tag"] = "noindex"
    return response
