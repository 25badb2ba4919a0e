"""Public pages of volunteering: the catalogue and the volunteer's space."""

from django.urls import path

from . import hours_views, public_views, recognition_views, shift_views

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
    # Shifts and hours
    path("account/volunteering/shifts/", shift_views.my_shifts, name="shifts"),
    path(
        "account/volunteering/shifts/<uuid:shift_uuid>/sign-up/",
        shift_views.shift_signup,
        name="shift_signup",
    ),
    path(
        "account/volunteering/signups/<uuid:signup_uuid>/cancel/",
        shift_views.signup_cancel,
        name="signup_cancel",
    ),
    path(
        "volunteering/shift-cancel/<str:token>/",
        shift_views.shift_cancel_link,
        name="shift_cancel_link",
    ),
    path(
        "volunteering/calendar/<uuid:user_uuid>/<str:token>.ics",
        shift_views.calendar,
        name="calendar",
    ),
    path("account/volunteering/hours/", hours_views.my_hours, name="hours"),
    path("account/volunteering/recognition/", recognition_views.my_recognition, name="recognition"),
    path(
        "account/volunteering/recognition/attestation-<uuid:association_uuid>.pdf",
        recognition_views.my_attestation,
        name="attestation",
    ),
    path(
        "account/volunteering/recognition/statement-<int:year>.pdf",
        recognition_views.my_statement,
        name="statement",
    ),
    path(
        "account/volunteering/recognition/passport.pdf",
        recognition_views.my_passport,
        name="passport",
    ),
    path(
        "missions/attestation/<str:token>/",
        recognition_views.attestation_verify,
        name="attestation_verify",
    ),
]
