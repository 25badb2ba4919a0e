"""The donor's space, in the account area (no team seat needed)."""

from django.urls import path

from . import public_views

app_name = "fundraising_public"

urlpatterns = [
    path("account/receipts/", public_views.receipts, name="receipts"),
    path(
        "account/receipts/<uuid:receipt_uuid>/receipt.pdf",
        public_views.receipt_pdf,
        name="receipt_pdf",
    ),
    path("account/gifts/", public_views.gifts, name="gifts"),
    path(
        "account/gifts/monthly/<uuid:recurring_uuid>/<str:action>/",
        public_views.gift_action,
        name="gift_action",
    ),
]
