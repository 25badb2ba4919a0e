"""Back office of reconciliation: /a/<association>/reconciliation/ (bank statements)."""

from django.urls import include, path

from . import reconcile_views as views

app_name = "reconciliation"

reconciliation_patterns = [
    path("", views.home, name="home"),
    path("awaited/", views.awaited, name="awaited"),
    path("export/", views.export, name="export"),
    path("import/", views.statement_upload, name="upload"),
    path("import/<uuid:statement_uuid>/", views.statement_detail, name="statement"),
    path(
        "import/<uuid:statement_uuid>/columns/",
        views.statement_mapping,
        name="statement_mapping",
    ),
    path("import/<uuid:statement_uuid>/confirm/", views.statement_import, name="statement_import"),
    path(
        "import/<uuid:statement_uuid>/discard/",
        views.statement_discard,
        name="statement_discard",
    ),
    path("lines/<uuid:line_uuid>/", views.line_detail, name="line"),
    path("lines/<uuid:line_uuid>/match/", views.line_match, name="line_match"),
    path("lines/<uuid:line_uuid>/record/", views.line_record, name="line_record"),
    path("lines/<uuid:line_uuid>/ignore/", views.line_ignore, name="line_ignore"),
    path("lines/<uuid:line_uuid>/undo/", views.line_undo, name="line_undo"),
]

urlpatterns = [path("a/<slug:association_slug>/reconciliation/", include(reconciliation_patterns))]
