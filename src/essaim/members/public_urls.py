"""Public pages of members (no team seat needed): renewal links from reminders.

Their URL parameter is `slug`, not `association_slug`: the tenant middleware only scopes
URLs of the association's back office.
"""

from django.urls import path

from . import public_views

app_name = "members_public"

urlpatterns = [
    path("renew/<str:token>/", public_views.renew, name="renew"),
]
