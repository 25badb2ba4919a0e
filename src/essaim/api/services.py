from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log
from essaim.core.capabilities import CAPABILITY_NAMES

from .models import ApiToken


@transaction.atomic
def apitoken_create(
    *, association, acting_user, seat_capabilities, name: str, capabilities, days: int | None
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the clear secret, which is not stored."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the token a name (what will use it?).")})
    wanted = set(capabilities)
    if not wanted:
        raise ValidationError({"capabilities": _("Choose at least one capability.")})
    if wanted - set(CAPABILITY_NAMES):
        raise ValidationError({"capabilities": _("Unknown capability.")})
    if wanted - set(seat_capabilities):
        raise ValidationError(
            {"capabilities": _("A token cannot do more than your own role allows.")}
        )
    if days is not None and not 1 <= days <= 366:
        raise ValidationError({"days": _("Between 1 and 366 days.")})
    token, prefix, token_hash = ApiToken.generate()
    api_token = ApiToken.objects.create(
        association=association,
        created_by=acting_user,
        name=name[:100],
        prefix=prefix,
        token_hash=token_hash,
        capabilities=sorted(wanted),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="apitoken.create",
        obj=api_token,
        changes={"capabilities": [[], sorted(wanted)]},
    )
    return api_token, token


@transaction.atomic
def apitoken_revoke(*, association, acting_user, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_log(association=association, actor=acting_user, action="apitoken.revoke", obj=token)
    return token
