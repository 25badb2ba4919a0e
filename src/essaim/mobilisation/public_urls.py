"""Public addresses of petitions: /p/<association>/<petition>/ (page, widget, count) and the
confirmation link /p/confirm/<token>/.

The association's parameter is `slug`, not `association_slug`: the tenant middleware keeps
every URL with an `association_slug` to the association's team.
"""

from django.urls import path

from . import event_public_views, public_views

app_name = "mobilisation_public"

urlpatterns = [
    # Before the petition pages: an association may be called "confirm".
    path("p/confirm/<str:token>/", public_views.confirm, name="confirm"),
    path("p/<slug:slug>/<slug:petition_slug>/", public_views.petition_page, name="petition"),
    path("p/<slug:slug>/<slug:petition_slug>/embed/", public_views.embed, name="embed"),
    path("p/<slug:slug>/<slug:petition_slug>/thanks/", public_views.thanks, name="thanks"),
    path("p/<slug:slug>/<slug:petition_slug>/count.json", public_views.count_json, name="count"),
    # Events: the registrant's own links first (an association may be called "confirm" or "r").
    path("e/confirm/<str:token>/", event_public_views.event_confirm, name="event_confirm"),
    path("e/r/<str:token>/", event_public_views.registration_page, name="registration"),
    path(
        "e/r/<str:token>/cancel/",
        event_public_views.registration_cancel,
        name="registration_cancel",
    ),
    path("e/r/<str:token>/qr.png", event_public_views.registration_qr, name="registration_qr"),
    path("e/r/<str:token>/event.ics", event_public_views.registration_ics, name="registration_ics"),
    path("e/<slug:slug>/<slug:event_slug>/", event_public_views.event_page, name="event"),
    path(
        "e/<slug:slug>/<slug:event_slug>/register/",
        event_public_views.event_register_account,
        name="event_register_account",
    ),
    path(
        "e/<slug:slug>/<slug:event_slug>/thanks/",
        event_public_views.event_thanks,
        name="event_thanks",
    ),
    path(
        "e/<slug:slug>/<slug:event_slug>/event.ics", event_public_views.event_ics, name="event_ics"
    ),
    # Calls to action.
    path("act/<slug:slug>/<slug:action_slug>/", event_public_views.action_page, name="action"),
]
