from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.capabilities import BY_NAME
from essaim.core.tenancy import require

from . import services
from .forms import ApiTokenForm
from .models import ApiToken


@require("can_change_settings")
def tokens(request, association_slug: str):
    association = request.seat.association
    form = ApiTokenForm(request.POST or None, seat_capabilities=request.seat.capabilities)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _api_token, new_token = services.apitoken_create(
                association=association,
                acting_user=request.user,
                seat_capabilities=request.seat.capabilities,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            form = ApiTokenForm(seat_capabilities=request.seat.capabilities)
    token_list = [
        {
            "token": token,
            "capability_labels": [
                str(BY_NAME[c].label) for c in token.capabilities if c in BY_NAME
            ],
        }
        for token in ApiToken.objects.filter(association=association).select_related("created_by")
    ]
    return render(
        request,
        "api/tokens.html",
        {
            "association": association,
            "form": form,
            "tokens": token_list,
            "new_token": new_token,
        },
    )


@require("can_change_settings")
@require_POST
def token_revoke(request, association_slug: str, token_uuid):
    association = request.seat.association
    token = get_object_or_404(ApiToken, association=association, uuid=token_uuid)
    services.apitoken_revoke(association=association, acting_user=request.user, token=token)
    messages.success(request, _("The token is revoked: it no longer works."))
    return redirect("api_tokens:list", association_slug=association.slug)
