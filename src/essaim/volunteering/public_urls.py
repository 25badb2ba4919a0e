"""Public pages of volunteering: the catalogue and the volunteer's space."""

from django.urls import path

from . import public_views

app_name = "volunteering_public"

urlpatterns = [
    path("missions/", public_views.catalogue, name="catalogue"),
    path("missions/<uuid:mission_uuid>/", public_views.mission_page, name="mission"),
    path("missions/<uuid:mission_uuid>/apply/", public_views.apply, name="apply"),
    path("account/volunteering/", public_views.space, name="space"),
    path("account/volunteering/profile/", public_views.profile_edit, name="profile"),
    path(
        "account/volunteering/applications/<uuid:application_uuid>/",
        public_views.application,
        name="application",
    ),
    path(
        "account/volunteering/applications/<uuid:application_uuid>/withdraw/",
        public_views.application_withdraw,
        name="application_withdraw",
    ),
]
