from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve

from essaim.accounts import views as account_views
from essaim.api.api import api
from essaim.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    # First: a petition's page takes the surges (fewer patterns to try before it).
    path("", include("essaim.mobilisation.public_urls")),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("essaim.accounts.urls")),
    path("api/v1/", api.urls),
    path("", include("essaim.core.urls")),
    path("", include("essaim.people.urls")),
    path("", include("essaim.members.urls")),
    # /m/… (join, renew, verify a card) and /account/memberships/ (the member portal).
    path("", include("essaim.members.public_urls")),
    path("", include("essaim.fundraising.urls")),
    # /account/receipts/ (the donor's tax receipts).
    path("", include("essaim.fundraising.public_urls")),
    path("", include("essaim.api.urls")),
    # Before payments' /webhooks/<service>/<token>/: /webhooks/mail/<token>/ is the mailings'.
    path("", include("essaim.communication.public_urls")),
    path("", include("essaim.payments.urls")),  # /webhooks/<service>/<token>/
    # /a/<association>/payments/ (online payment settings).
    path("", include("essaim.payments.backoffice_urls")),
    # /a/<association>/reconciliation/ (bank statements matched with payments).
    path("", include("essaim.payments.reconcile_urls")),
    # /d/<association>/<campaign>/ (a campaign's public page and donation form).
    path("", include("essaim.fundraising.donate_urls")),
    path("", include("essaim.governance.urls")),
    path("", include("essaim.governance.public_urls")),
    path("", include("essaim.volunteering.urls")),
    path("", include("essaim.volunteering.public_urls")),
    path("", include("essaim.mobilisation.urls")),
    path("", include("essaim.communication.urls")),
]

if settings.ESSAIM_SERVE_MEDIA:
    # A single box without a front proxy serves uploaded logos itself; in production the
    # proxy serves MEDIA_ROOT (docs/deployment.md).
    urlpatterns += [
        re_path(
            r"^media/(?P<path>associations/.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
            name="media",
        )
    ]

handler400 = "essaim.core.views.error_400"
handler403 = "essaim.core.views.error_403"
handler404 = "essaim.core.views.error_404"
handler500 = "essaim.core.views.error_500"
