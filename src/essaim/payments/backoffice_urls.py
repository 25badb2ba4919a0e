"""Back office of payments, under /a/<association>/payments/.

Online payments: no object id in the addresses, one account per association and service, the
service named by the address itself. SEPA direct debit (sepa/…): mandates and batches by
their uuid.
"""

from django.urls import include, path

from . import sepa_views, views

app_name = "payments_admin"

sepa_patterns = [
    path("", sepa_views.batch_list, name="sepa_batches"),
    path("settings/", sepa_views.creditor_settings, name="sepa_settings"),
    path("batches/new/", sepa_views.batch_create, name="sepa_batch_create"),
    path("batches/<uuid:batch_uuid>/", sepa_views.batch_detail, name="sepa_batch"),
    path("batches/<uuid:batch_uuid>/pain008.xml", sepa_views.batch_file, name="sepa_batch_file"),
    path(
        "batches/<uuid:batch_uuid>/collected/",
        sepa_views.batch_collected,
        name="sepa_batch_collected",
    ),
    path(
        "batches/<uuid:batch_uuid>/returns/", sepa_views.returns_import, name="sepa_returns_import"
    ),
    path("mandates/", sepa_views.mandate_list, name="sepa_mandates"),
    path("mandates/new/", sepa_views.mandate_create, name="sepa_mandate_create"),
    path("mandates/debtors/", sepa_views.debtor_search, name="sepa_debtor_search"),
    path("mandates/export/", sepa_views.mandate_export, name="sepa_mandate_export"),
    path("mandates/<uuid:mandate_uuid>/", sepa_views.mandate_detail, name="sepa_mandate"),
    path(
        "mandates/<uuid:mandate_uuid>/revoke/",
        sepa_views.mandate_revoke,
        name="sepa_mandate_revoke",
    ),
]

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
    path("sepa/", include(sepa_patterns)),
]

urlpatterns = [path("a/<slug:association_slug>/payments/", include(payments_patterns))]
