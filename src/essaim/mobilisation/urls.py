"""Back office of petitions, under /a/<association>/petitions/…"""

from django.urls import include, path

from . import action_views, event_views, views

app_name = "mobilisation"

petition_patterns = [
    path("", views.petition_list, name="petitions"),
    path("new/", views.petition_create, name="create"),
    path("<uuid:petition_uuid>/", views.petition_detail, name="detail"),
    path("<uuid:petition_uuid>/edit/", views.petition_edit, name="edit"),
    path("<uuid:petition_uuid>/signatures.csv", views.petition_export, name="export"),
    path("<uuid:petition_uuid>/petition.pdf", views.petition_pdf, name="pdf"),
    path("<uuid:petition_uuid>/news/", views.petition_news, name="news"),
    path("<uuid:petition_uuid>/fraud/", views.petition_fraud, name="fraud"),
    path("<uuid:petition_uuid>/reconcile/", views.petition_reconcile, name="reconcile"),
    path("<uuid:petition_uuid>/<str:action>/", views.petition_status, name="status"),
]

event_patterns = [
    path("", event_views.event_list, name="events"),
    path("new/", event_views.event_create, name="event_create"),
    path("<uuid:event_uuid>/", event_views.event_detail, name="event"),
    path("<uuid:event_uuid>/edit/", event_views.event_edit, name="event_edit"),
    path(
        "<uuid:event_uuid>/registrations/",
        event_views.event_registrations,
        name="event_registrations",
    ),
    path(
        "<uuid:event_uuid>/registrations/<uuid:registration_uuid>/cancel/",
        event_views.registration_cancel,
        name="event_registration_cancel",
    ),
    path("<uuid:event_uuid>/check-in/", event_views.event_checkin, name="event_checkin"),
    path(
        "<uuid:event_uuid>/check-in/<uuid:registration_uuid>/",
        event_views.event_checkin_one,
        name="event_checkin_one",
    ),
    path(
        "<uuid:event_uuid>/check-in/qr/<str:checkin_token>/",
        event_views.event_checkin_qr,
        name="event_checkin_qr",
    ),
    path("<uuid:event_uuid>/attendance.csv", event_views.event_export, name="event_export"),
    path("<uuid:event_uuid>/<str:action>/", event_views.event_status, name="event_status"),
]

action_patterns = [
    path("", action_views.action_list, name="actions"),
    path("new/", action_views.action_create, name="action_create"),
    path("<uuid:action_uuid>/", action_views.action_detail, name="action"),
    path("<uuid:action_uuid>/edit/", action_views.action_edit, name="action_edit"),
    path("<uuid:action_uuid>/completions.csv", action_views.action_export, name="action_export"),
    path("<uuid:action_uuid>/<str:action>/", action_views.action_status, name="action_status"),
]

urlpatterns = [
    path("a/<slug:association_slug>/petitions/", include(petition_patterns)),
    path("a/<slug:association_slug>/events/", include(event_patterns)),
    path("a/<slug:association_slug>/actions/", include(action_patterns)),
]
