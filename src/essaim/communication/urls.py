"""Back office of communication, under /a/<association>/…"""

from django.urls import include, path

from . import audience_views

app_name = "communication"

audience_patterns = [
    path("", audience_views.audience_list, name="audiences"),
    path("new/", audience_views.audience_create, name="audience_create"),
    path("count/", audience_views.audience_count, name="audience_count"),
    path("<uuid:audience_uuid>/", audience_views.audience_detail, name="audience_detail"),
    path("<uuid:audience_uuid>/edit/", audience_views.audience_edit, name="audience_edit"),
    path("<uuid:audience_uuid>/preview/", audience_views.audience_preview, name="audience_preview"),
    path("<uuid:audience_uuid>/export/", audience_views.audience_export, name="audience_export"),
    path(
        "<uuid:audience_uuid>/duplicate/",
        audience_views.audience_duplicate,
        name="audience_duplicate",
    ),
    path("<uuid:audience_uuid>/delete/", audience_views.audience_delete, name="audience_delete"),
]

urlpatterns: list = [
    path("a/<slug:association_slug>/audiences/", include(audience_patterns)),
]
