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
]
