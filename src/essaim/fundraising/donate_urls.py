"""Public addresses of campaigns: /d/<association>/<campaign>/ (the page and its form).

The association's parameter is `slug`, not `association_slug`: the tenant middleware keeps
every URL with an `association_slug` to the association's team.
"""

from django.urls import path

from . import donate_views

app_name = "donate"

urlpatterns = [
    # Before the campaign pages: a campaign may be called "stop".
    path("d/stop/<str:token>/", donate_views.appeals_stop, name="stop"),
    path("d/<slug:slug>/<slug:campaign_slug>/", donate_views.campaign_page, name="page"),
    path("d/<slug:slug>/<slug:campaign_slug>/thanks/", donate_views.thanks, name="thanks"),
]
