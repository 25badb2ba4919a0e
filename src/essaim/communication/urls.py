"""Back office of communication, under /a/<association>/…"""

from django.urls import include, path

from . import audience_views, list_views, mailing_views, site_views

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

mailing_patterns = [
    path("", mailing_views.mailing_list, name="mailings"),
    path("new/", mailing_views.mailing_create, name="mailing_create"),
    path("settings/", mailing_views.mailing_settings, name="mailing_settings"),
    path("suppressions/", mailing_views.suppression_list, name="suppressions"),
    path(
        "suppressions/<uuid:suppression_uuid>/remove/",
        mailing_views.suppression_remove,
        name="suppression_remove",
    ),
    path("<uuid:mailing_uuid>/", mailing_views.mailing_detail, name="mailing"),
    path("<uuid:mailing_uuid>/edit/", mailing_views.mailing_edit, name="mailing_edit"),
    path("<uuid:mailing_uuid>/preview/", mailing_views.mailing_preview, name="mailing_preview"),
    path("<uuid:mailing_uuid>/test/", mailing_views.mailing_test, name="mailing_test"),
    path("<uuid:mailing_uuid>/schedule/", mailing_views.mailing_schedule, name="mailing_schedule"),
    path(
        "<uuid:mailing_uuid>/unschedule/",
        mailing_views.mailing_unschedule,
        name="mailing_unschedule",
    ),
    path("<uuid:mailing_uuid>/pause/", mailing_views.mailing_pause, name="mailing_pause"),
    path("<uuid:mailing_uuid>/resume/", mailing_views.mailing_resume, name="mailing_resume"),
    path("<uuid:mailing_uuid>/cancel/", mailing_views.mailing_cancel, name="mailing_cancel"),
    path(
        "<uuid:mailing_uuid>/retry-unknown/",
        mailing_views.mailing_retry_unknown,
        name="mailing_retry_unknown",
    ),
]

list_patterns = [
    path("", list_views.list_index, name="lists"),
    path("new/", list_views.list_create, name="list_create"),
    path("<uuid:list_uuid>/", list_views.list_detail, name="list"),
    path("<uuid:list_uuid>/edit/", list_views.list_edit, name="list_edit"),
    path("<uuid:list_uuid>/import/", list_views.list_import, name="list_import"),
]

site_patterns = [
    path("", site_views.site_edit, name="site"),
    path("news/", site_views.news_list, name="news"),
    path("news/new/", site_views.news_create, name="news_create"),
    path("news/<uuid:post_uuid>/edit/", site_views.news_edit, name="news_edit"),
    path("news/<uuid:post_uuid>/delete/", site_views.news_delete, name="news_delete"),
    path("news/<uuid:post_uuid>/<str:action>/", site_views.news_status, name="news_status"),
]

urlpatterns: list = [
    path("a/<slug:association_slug>/audiences/", include(audience_patterns)),
    path("a/<slug:association_slug>/site/", include(site_patterns)),
    path("a/<slug:association_slug>/mailings/", include(mailing_patterns)),
    path("a/<slug:association_slug>/lists/", include(list_patterns)),
]
