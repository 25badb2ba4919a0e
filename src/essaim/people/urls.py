from django.urls import include, path

from . import views

app_name = "people"

person_patterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("export/", views.person_export, name="export"),
    path("bulk/", views.person_bulk, name="bulk"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("<uuid:person_uuid>/", views.person_detail, name="detail"),
    path("<uuid:person_uuid>/edit/", views.person_edit, name="edit"),
    path("<uuid:person_uuid>/consents/new/", views.consent_add, name="consent_add"),
    path("<uuid:person_uuid>/erase/", views.person_erase, name="erase"),
    path(
        "<uuid:person_uuid>/solicitations/answered/",
        views.solicitations_answered,
        name="solicitations_answered",
    ),
    path("<uuid:person_uuid>/merge/<uuid:other_uuid>/", views.person_merge, name="merge"),
]

urlpatterns = [path("a/<slug:association_slug>/people/", include(person_patterns))]
