"""Back office of online payments: the association's keys at Stripe and HelloAsso, the
notification (webhook) address to give each service, and the notifications received.

Where the association's online money goes is the treasurer's business, like the rest of
its money: the page needs `can_manage_finances` (the présidence has every capability). It
is a sensitive capability, so MFA protects it. The webhook views themselves are in
webhooks.py.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from essaim.core.tenancy import require
from essaim.lib.money import format_euros

from . import online, selectors
from .forms import FORMS, RotateForm
from .models import ProviderAccount
from .providers.stripe import HANDLERS as STRIPE_HANDLERS

FINANCES = "can_manage_finances"
DELIVERIES_SHOWN = 50
STRIPE_EVENTS = tuple(STRIPE_HANDLERS)


def _render(request, bound=None, status=200):
    """The page; `bound` is the form of one service as just posted (with its errors)."""
    association = request.seat.association
    accounts = {
        account.provider: account for account in selectors.provider_accounts_for(association)
    }
    slug = {"association_slug": association.slug}
    services = []
    for provider, form_class in FORMS.items():
        account = accounts.get(provider)
        form = bound if bound is not None and bound.provider == provider else None
        services.append(
            {
                "provider": provider,
                "label": ProviderAccount.Provider(provider).label,
                "account": account,
                "form": form or form_class(account=account),
                "rotate_form": RotateForm(prefix=f"{provider}-rotate"),
                "webhook_url": account.webhook_url() if account else "",
                "save_url": reverse(f"payments_admin:{provider}_save", kwargs=slug),
                "rotate_url": reverse(f"payments_admin:{provider}_rotate", kwargs=slug),
                "events": STRIPE_EVENTS if provider == ProviderAccount.Provider.STRIPE else (),
            }
        )
    deliveries = list(
        selectors.webhook_deliveries_for(association).select_related("payment__person")[
            :DELIVERIES_SHOWN
        ]
    )
    can_view_members = request.seat.can("can_view_members")
    for delivery in deliveries:
        payment = delivery.payment
        delivery.payment_amount = format_euros(payment.amount_cents) if payment else ""
        delivery.payment_person = (
            payment.person if payment and payment.person_id and can_view_members else None
        )
    return render(
        request,
        "payments/online.html",
        {"association": association, "services": services, "deliveries": deliveries},
        status=status,
    )


@require(FINANCES)
def online_settings(request, association_slug: str):
    return _render(request)


@require(FINANCES)
@require_POST
def account_save(request, association_slug: str, provider: str):
    association = request.seat.association
    form_class = FORMS[provider]
    account = next(
        (a for a in selectors.provider_accounts_for(association) if a.provider == provider), None
    )
    form = form_class(request.POST, account=account)
    if form.is_valid():
        try:
            online.provider_account_save(
                association=association,
                acting_user=request.user,
                provider=provider,
                **form.service_fields(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("The %(service)s settings are saved.")
                % {"service": ProviderAccount.Provider(provider).label},
            )
            return redirect("payments_admin:online", association_slug=association.slug)
    return _render(request, bound=form)


@require(FINANCES)
@require_POST
def webhook_rotate(request, association_slug: str, provider: str):
    association = request.seat.association
    account = next(
        (a for a in selectors.provider_accounts_for(association) if a.provider == provider), None
    )
    if account is None:
        raise Http404
    form = RotateForm(request.POST, prefix=f"{provider}-rotate")
    if not form.is_valid():
        messages.error(
            request,
            _("Tick the box to confirm: the current notification address stops working."),
        )
    else:
        online.provider_account_rotate_webhook_token(
            association=association, acting_user=request.user, account=account
        )
        messages.success(
            request,
            _(
                "The notification address of %(service)s has changed: paste the new one in "
                "its settings now, the old one no longer works."
            )
            % {"service": account.get_provider_display()},
        )
    return redirect("payments_admin:online", association_slug=association.slug)
