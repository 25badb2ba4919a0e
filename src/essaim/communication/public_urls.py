"""Public addresses of communication (unsubscribe and preferences, the association's page).

The association's parameter is `slug`, not `association_slug`: the tenant middleware keeps
every URL with an `association_slug` to the association's team.
"""

from django.urls import path

from . import feeds, list_views, site_views, unsubscribe_views

app_name = "communication_public"

urlpatterns: list = [
    # The association's public page /o/<association>/, before the open pixel "o/<token>/":
    # a slug never holds ":", a signed token always does, so neither catches the other.
    path("o/<slug:slug>/", site_views.site_page, name="site"),
    path("o/<slug:slug>/news/", site_views.news_index, name="news"),
    path("o/<slug:slug>/news/<slug:post_slug>/", site_views.news_page, name="news_post"),
    path("o/<slug:slug>/rss.xml", feeds.NewsRss(), name="rss"),
    path("o/<slug:slug>/atom.xml", feeds.NewsAtom(), name="atom"),
    path("o/<slug:slug>/events.ics", site_views.events_ical, name="ical"),
    # Mailings: unsubscribe (RFC 8058), preferences, tracked links, the open pixel.
    path("u/<str:token>/", unsubscribe_views.unsubscribe, name="unsubscribe"),
    path("u/<str:token>/preferences/", unsubscribe_views.preferences, name="preferences"),
    path("r/<str:token>/", unsubscribe_views.click, name="click"),
    path("px/<str:token>/", unsubscribe_views.open_pixel, name="open"),
    # Bounces and complaints (generic JSON signed, or Mailgun's format).
    path("webhooks/mail/<str:token>/", unsubscribe_views.mail_webhook, name="mail_webhook"),
    # Newsletter lists: subscription page and its double opt-in link.
    path("n/confirm/<str:token>/", list_views.subscribe_confirm, name="subscribe_confirm"),
    path("n/<slug:slug>/<uuid:list_uuid>/", list_views.subscribe, name="subscribe"),
    path("n/<slug:slug>/<uuid:list_uuid>/sent/", list_views.subscribe_sent, name="subscribe_sent"),
]
