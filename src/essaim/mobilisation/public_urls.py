"""Public addresses of petitions: /p/<association>/<petition>/ (page, widget, count) and the
confirmation link /p/confirm/<token>/.

The association's parameter is `slug`, not `association_slug`: the tenant middleware keeps
every URL with an `association_slug` to the association's team.
"""

from django.urls import path

from . import public_views

app_name = "mobilisation_public"

urlpatterns = [
    # Before the petition pages: an association may be called "confirm".
    path("p/confirm/<str:token>/", public_views.confirm, name="confirm"),
    path("p/<slug:slug>/<slug:petition_slug>/", public_views.petition_page, name="petition"),
    path("p/<slug:slug>/<slug:petition_slug>/embed/", public_views.embed, name="embed"),
    path("p/<slug:slug>/<slug:petition_slug>/thanks/", public_views.thanks, name="thanks"),
    path("p/<slug:slug>/<slug:petition_slug>/count.json", public_views.count_json, name="count"),
]
