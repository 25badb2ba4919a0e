"""Back office of volunteering, under /a/<association>/volunteering/."""

from django.urls import include, path

from . import funnel_views, hours_views, recognition_views, shift_views, views

app_name = "volunteering"

volunteering_patterns = [
    path("", views.mission_list, name="missions"),
    path("missions/new/", views.mission_create, name="mission_create"),
    path("missions/<uuid:mission_uuid>/", views.mission_detail, name="mission_detail"),
    path("missions/<uuid:mission_uuid>/edit/", views.mission_edit, name="mission_edit"),
    # Shifts of a mission (before the catch-all mission action below)
    path("missions/<uuid:mission_uuid>/shifts/", shift_views.shift_list, name="shift_list"),
    path("missions/<uuid:mission_uuid>/shifts/new/", shift_views.shift_create, name="shift_create"),
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
    # Shifts and hours
    path("shifts/<uuid:shift_uuid>/", shift_views.shift_detail, name="shift_detail"),
    path("shifts/<uuid:shift_uuid>/edit/", shift_views.shift_edit, name="shift_edit"),
    path("shifts/<uuid:shift_uuid>/cancel/", shift_views.shift_cancel, name="shift_cancel"),
    path("shifts/<uuid:shift_uuid>/add/", shift_views.signup_add, name="signup_add"),
    path(
        "signups/<uuid:signup_uuid>/<str:action>/",
        shift_views.signup_action,
        name="signup_action",
    ),
    path("hours/", hours_views.hours_list, name="hours"),
    path("hours/bulk/", hours_views.hours_bulk, name="hours_bulk"),
    path("hours/totals/", hours_views.hours_totals, name="hours_totals"),
    path("hours/export/", hours_views.hours_export, name="hours_export"),
    path("hours/rate/", hours_views.hours_rate, name="hours_rate"),
    path("hours/<uuid:entry_uuid>/<str:action>/", hours_views.hours_decide, name="hours_decide"),
    path("funnels/", funnel_views.funnel_report, name="funnels"),
    path("recognition/", recognition_views.volunteer_list, name="recognition"),
    path(
        "recognition/<str:volunteer_key>/",
        recognition_views.volunteer_detail,
        name="recognition_volunteer",
    ),
    path(
        "recognition/<str:volunteer_key>/attestation.pdf",
        recognition_views.attestation_download,
        name="recognition_attestation",
    ),
    path(
        "recognition/<str:volunteer_key>/statement-<int:year>.pdf",
        recognition_views.statement_download,
        name="recognition_statement",
    ),
]

urlpatterns = [path("a/<slug:association_slug>/volunteering/", include(volunteering_patterns))]
