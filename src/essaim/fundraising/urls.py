from django.urls import include, path

from . import campaign_views, views

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
    # Campaigns and monthly gifts
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_create, name="campaign_create"),
    path("campaigns/<uuid:campaign_uuid>/", campaign_views.campaign_detail, name="campaign_detail"),
    path(
        "campaigns/<uuid:campaign_uuid>/edit/", campaign_views.campaign_edit, name="campaign_edit"
    ),
    path("campaigns/<uuid:campaign_uuid>/qr.svg", campaign_views.campaign_qr, name="campaign_qr"),
    path(
        "campaigns/<uuid:campaign_uuid>/appeal/",
        campaign_views.campaign_appeal,
        name="campaign_appeal",
    ),
    path(
        "campaigns/<uuid:campaign_uuid>/<str:action>/",
        campaign_views.campaign_status,
        name="campaign_status",
    ),
    path("waiting/<uuid:intent_uuid>/cancel/", campaign_views.intent_cancel, name="intent_cancel"),
    path("monthly/", campaign_views.recurring_list, name="recurring"),
    path(
        "monthly/<uuid:recurring_uuid>/", campaign_views.recurring_detail, name="recurring_detail"
    ),
    path(
        "monthly/<uuid:recurring_uuid>/<str:action>/",
        campaign_views.recurring_action,
        name="recurring_action",
    ),
]

urlpatterns = [path("a/<slug:association_slug>/fundraising/", include(fundraising_patterns))]
