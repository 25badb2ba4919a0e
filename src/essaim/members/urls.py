from django.urls import include, path

from . import import_views, letters, public_views, views

app_name = "members"

member_patterns = [
    path("", views.member_list, name="list"),
    path("unpaid/", views.member_list, {"unpaid_view": True}, name="unpaid"),
    path("new/", views.member_create, name="create"),
    path("export/", views.member_export, name="export"),
    path("bulk/", views.member_bulk, name="bulk"),
    path("types/", views.types, name="types"),
    path("types/new/", views.type_edit, name="type_create"),
    path("types/<uuid:type_uuid>/", views.type_edit, name="type_edit"),
    path("settings/", views.member_settings, name="settings"),
    path("import/", import_views.import_home, name="import"),
    path("import/<uuid:job_uuid>/", import_views.import_job, name="import_job"),
    path("import/<uuid:job_uuid>/columns/", import_views.import_mapping, name="import_mapping"),
    path("import/<uuid:job_uuid>/status/", import_views.import_status, name="import_status"),
    path("import/<uuid:job_uuid>/start/", import_views.import_run, name="import_run"),
    path("import/<uuid:job_uuid>/report/", import_views.import_report, name="import_report"),
    path("import/<uuid:job_uuid>/delete/", import_views.import_delete, name="import_delete"),
    path("letters/", letters.letters, name="letters"),
    path("for/<uuid:person_uuid>/", views.membership_add, name="add"),
    path("<uuid:membership_uuid>/", views.membership_detail, name="detail"),
    path("<uuid:membership_uuid>/card.pdf", public_views.team_card, name="card"),
    path(
        "<uuid:membership_uuid>/<slug:action>/",
        views.membership_action,
        name="action",
    ),
]

urlpatterns = [path("a/<slug:association_slug>/members/", include(member_patterns))]
