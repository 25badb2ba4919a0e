from django.conf import settings
from django.utils.functional import SimpleLazyObject
from django_scopes import scopes_disabled

from . import navigation
from .models import Association


def _my_associations(user):
    if not user.is_authenticated:
        return []
    with scopes_disabled():
        return list(
            Association.objects.filter(assignments__user=user).only("name", "slug").order_by("name")
        )


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
    }
    if seat is not None:
        context["nav_items"] = navigation.items_for(
            seat.association, seat.capabilities, match.view_name if match else None
        )
    return context
