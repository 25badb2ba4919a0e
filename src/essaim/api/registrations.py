from datetime import timedelta

from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from essaim.core import navigation
from essaim.core.privacy import PrivacyEntry, registry

from .models import ApiToken

navigation.register(
    navigation.NavItem(
        key="api_tokens",
        label=_("API tokens"),
        url_name="api_tokens:list",
        capability="can_change_settings",
        order=50,
        section="admin",
    )
)


def _tokens_export_user(user) -> list[dict]:
    with scopes_disabled():
        tokens = list(ApiToken.objects.filter(created_by=user).select_related("association"))
    return [
        {
            "association": token.association.name,
            "name": token.name,
            "created_at": token.created_at.isoformat(),
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else "",
            "revoked": token.revoked_at is not None,
        }
        for token in tokens
    ]


def _tokens_retention(now) -> int:
    deleted, _rows = ApiToken.objects.filter(revoked_at__lt=now - timedelta(days=365)).delete()
    return deleted


registry.register(
    PrivacyEntry(
        key="api_tokens",
        label=_("API tokens"),
        data=_("Tokens you created: name, dates of creation and last use."),
        purpose=_("Letting the association's other tools use Essaim on its behalf."),
        legal_basis=_("Legitimate interest of the association."),
        retention=_("Until revoked, then one year."),
        models=("api.ApiToken",),
        export_user=_tokens_export_user,
        apply_retention=_tokens_retention,
        order=80,
    )
)
