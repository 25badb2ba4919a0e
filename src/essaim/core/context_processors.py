from django.conf import settings
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django_scopes import scopes_disabled

from . import navigation
from .models import Association
from .tenancy import mfa_deadline


def _my_associations(user):
    if not user.is_authenticated:
        return []
    with scopes_disabled():
        return list(
            Association.objects.filter(assignments__user=user).only("name", "slug").order_by("name")
        )


def _mfa_notice(request, seat):
    """The deadline to show while the MFA grace period runs, or None."""
    if seat is None:
        return None
    deadline = mfa_deadline(seat.assignment)
    if deadline is None:
        return None
    from allauth.mfa.utils import is_mfa_enabled

    if is_mfa_enabled(request.user):
        return None
    return {"deadline": deadline, "passed": deadline <= timezone.now()}


def essaim(request):
    seat = getattr(request, "seat", None)
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    context = {
        "seat": seat,
        "current_association": seat.association if seat else None,
        "capabilities": seat.capabilities if seat else frozenset(),
        "demo_mailbox": settings.ESSAIM_DEMO_MAILBOX,
        "source_url": settings.ESSAIM_SOURCE_URL,
        "my_associations": SimpleLazyObject(lambda: _my_associations(user)) if user else [],
        "nav_items": [],
        "mfa_notice": None,
    }
    if seat is not None:
        context["nav_items"] = navigation.items_for(
            seat.association, seat.capabilities, match.view_name if match else None
        )
        context["mfa_notice"] = _mfa_notice(request, seat)
    return context
