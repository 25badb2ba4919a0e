"""Public addresses of payments: the notifications of payment services (no login)."""

from django.urls import path

from . import webhooks

app_name = "payments"

urlpatterns = [
    path("webhooks/<slug:provider>/<slug:token>/", webhooks.receive, name="webhook"),
]
