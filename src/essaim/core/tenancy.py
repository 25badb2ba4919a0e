"""Resolving the association of a request and the capabilities of its user there."""

from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_scopes import scopes_disabled

from .capabilities import SENSITIVE_CAPABILITIES
from .models import Association, RoleAssignment


@dataclass(frozen=True)
class Seat:
    """What the current user may do in the current association."""

    association: Association
    assignment: RoleAssignment

    @property
    def role(self):
        return self.assignment.role

    @property
    def capabilities(self) -> frozenset[str]:
        return self.assignment.role.capabilities

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


def seat_for(user, slug: str) -> Seat | None:
    """The user's seat in the association `slug`, or None (unknown slug or not a member).

    Both cases return None on purpose: the caller answers 404 either way, so an outsider
    cannot even learn whether an association with that address exists.
    """
    if not user.is_authenticated:
        return None
    with scopes_disabled():
        assignment = (
            RoleAssignment.objects.select_related("association", "role")
            .filter(association__slug=slug, user=user)
            .first()
        )
    if assignment is None:
        return None
    return Seat(association=assignment.association, assignment=assignment)


def mfa_deadline(assignment: RoleAssignment):
    """When MFA becomes mandatory for this seat, or None if the role is not sensitive."""
    if not (assignment.role.capabilities & SENSITIVE_CAPABILITIES):
        return None
    since = assignment.sensitive_since or assignment.created_at
    return since + timedelta(days=settings.ESSAIM_MFA_GRACE_DAYS)


def mfa_required_now(user, assignment: RoleAssignment) -> bool:
    from allauth.mfa.utils import is_mfa_enabled

    deadline = mfa_deadline(assignment)
    if deadline is None or deadline > timezone.now():
        return False
    return not is_mfa_enabled(user)


def require(capability: str):
    """View decorator: 403 unless the current seat has `capability`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            seat = getattr(request, "seat", None)
            if seat is None or not seat.can(capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_capability = capability
        return wrapper

    return decorator


def mfa_notice(user, assignment: RoleAssignment) -> dict | None:
    """The deadline to show while the MFA grace period runs, or None."""
    from allauth.mfa.utils import is_mfa_enabled

    deadline = mfa_deadline(assignment)
    if deadline is None or is_mfa_enabled(user):
        return None
    return {"deadline": deadline, "passed": deadline <= timezone.now()}
