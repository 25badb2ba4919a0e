"""Back office of volunteering, under /a/<association>/volunteering/."""

from django.urls import include, path

from . import views

app_name = "volunteering"

volunteering_patterns = [
    path("", views.mission_list, name="missions"),
    path("missions/new/", views.mission_create, name="mission_create"),
    path("missions/<uuid:mission_uuid>/", views.mission_detail, name="mission_detail"),
    path("missions/<uuid:mission_uuid>/edit/", views.mission_edit, name="mission_edit"),
    path("missions/<uuid:mission_uuid>/<str:action>/", views.mission_status, name="mission_status"),
    path(
        "applications/<uuid:application_uuid>/", views.application_detail, name="application_detail"
    ),
    path(
        "applications/<uuid:application_uuid>/<str:action>/",
        views.application_action,
        name="application_action",
    ),
    path("skills/", views.skills, name="skills"),
]

urlpatterns = [path("a/<slug:association_slug>/volunteering/", include(volunteering_patterns))]
