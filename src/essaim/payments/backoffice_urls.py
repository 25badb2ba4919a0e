"""Back office of online payments, under /a/<association>/payments/.

No object id in the addresses: one account per association and service, the service named
by the address itself.
"""

from django.urls import include, path

from . import views

app_name = "payments_admin"

payments_patterns = [
    path("", views.online_settings, name="online"),
    path("stripe/", views.account_save, {"provider": "stripe"}, name="stripe_save"),
    path("helloasso/", views.account_save, {"provider": "helloasso"}, name="helloasso_save"),
    path("stripe/rotate/", views.webhook_rotate, {"provider": "stripe"}, name="stripe_rotate"),
    path(
        "helloasso/rotate/",
        views.webhook_rotate,
        {"provider": "helloasso"},
        name="helloasso_rotate",
    ),
]

urlpatterns = [path("a/<slug:association_slug>/payments/", include(payments_patterns))]
