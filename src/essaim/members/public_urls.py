"""Member-facing pages (no team seat needed), mounted at the root of the site.

Their URL parameter is `slug`, not `association_slug`: the tenant middleware restricts
every URL with an `association_slug` to the association's team.
"""

from django.urls import path

from . import public_views

app_name = "members_public"

urlpatterns = [
    # Join first: an association whose slug is "verify" or "renew" still gets its form.
    path("m/<slug:slug>/join/", public_views.join_form, name="join"),
    path("m/<slug:slug>/join/thanks/", public_views.join_thanks, name="join_thanks"),
    path("m/renew/<str:token>/", public_views.renew, name="renew"),
    path("m/verify/<str:token>/", public_views.verify, name="verify"),
    path("m/pay/<str:token>/", public_views.pay, name="pay"),
    path("m/pay/<str:token>/done/", public_views.pay_done, name="pay_done"),
    # The member portal, in the account area.
    path("account/memberships/", public_views.portal, name="portal"),
    path(
        "account/memberships/<uuid:membership_uuid>/card.pdf",
        public_views.portal_card,
        name="portal_card",
    ),
    path(
        "account/memberships/<uuid:membership_uuid>/resign/",
        public_views.portal_resign,
        name="portal_resign",
    ),
    path(
        "account/memberships/details/<uuid:person_uuid>/",
        public_views.portal_details,
        name="portal_details",
    ),
]
