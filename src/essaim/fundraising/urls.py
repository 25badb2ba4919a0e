from django.urls import include, path

from . import views

app_name = "fundraising"

fundraising_patterns = [
    path("", views.gift_list, name="gifts"),
    path("new/", views.gift_create, name="gift_create"),
    path("donors/", views.donor_search, name="donor_search"),
    path("export/", views.gift_export, name="gift_export"),
    path("<uuid:gift_uuid>/", views.gift_detail, name="gift_detail"),
    path("<uuid:gift_uuid>/receipt/", views.gift_receipt_issue, name="gift_receipt_issue"),
    path("receipts/", views.receipt_list, name="receipts"),
    path("receipts/export/", views.receipt_export, name="receipt_export"),
    path("receipts/annual/", views.annual, name="annual"),
    path("receipts/annual/<uuid:run_uuid>/status/", views.run_status, name="run_status"),
    path("receipts/settings/", views.fiscal_settings, name="settings"),
    path("receipts/settings/signature/", views.signature_image, name="signature"),
    path("receipts/<uuid:receipt_uuid>/", views.receipt_detail, name="receipt_detail"),
    path("receipts/<uuid:receipt_uuid>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("receipts/<uuid:receipt_uuid>/cancel/", views.receipt_cancel, name="receipt_cancel"),
    path("receipts/<uuid:receipt_uuid>/send/", views.receipt_send, name="receipt_send"),
]

urlpatterns = [path("a/<slug:association_slug>/fundraising/", include(fundraising_patterns))]
