from django.urls import include, path

from . import views

app_name = "core"

# Mounted under /a/<association_slug>/ (association space) by essaim.urls.
association_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("settings/", views.association_settings, name="settings"),
    path("team/", views.team, name="team"),
    path("team/<uuid:assignment_uuid>/", views.team_member, name="team_member"),
    path(
        "team/invitations/<uuid:invitation_uuid>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "team/invitations/<uuid:invitation_uuid>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path("roles/", views.roles, name="roles"),
    path("roles/new/", views.role_edit, name="role_create"),
    path("roles/<uuid:role_uuid>/", views.role_edit, name="role_edit"),
    path("log/", views.audit, name="audit"),
    path("privacy/", views.privacy_register, name="privacy_register"),
]

urlpatterns = [
    path("a/<slug:association_slug>/", include(association_patterns)),
    path("associations/new/", views.association_create, name="association_create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("demo/mailbox/", views.demo_mailbox, name="demo_mailbox"),
    path("demo/mailbox/<uuid:email_uuid>/", views.demo_mailbox, name="demo_mailbox_detail"),
]
