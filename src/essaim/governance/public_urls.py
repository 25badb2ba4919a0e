"""Member-facing pages of governance: the member's assemblies (convocations, proxies,
documents, online check-in) and the signed presence link of the convocation e-mail.

Their URL parameters are never `association_slug` (the tenant middleware would restrict
them to the team): each view finds its association and enters its scope itself."""

from django.urls import path

from . import consultation_views, decision_views, public_views, vote_views

app_name = "governance_public"

urlpatterns = [
    path("account/votes/", vote_views.my_votes, name="my_votes"),
    path("account/votes/<uuid:vote_uuid>/", vote_views.ballot, name="ballot"),
    path("votes/<uuid:vote_uuid>/", vote_views.public_vote, name="vote"),
    path(
        "votes/<uuid:vote_uuid>/export.json",
        vote_views.public_vote_export,
        {"fmt": "json"},
        name="vote_export_json",
    ),
    path(
        "votes/<uuid:vote_uuid>/export.csv",
        vote_views.public_vote_export,
        {"fmt": "csv"},
        name="vote_export_csv",
    ),
    path("account/assemblies/", public_views.portal, name="portal"),
    path(
        "account/assemblies/<uuid:assembly_uuid>/proxy/",
        public_views.portal_proxy,
        name="portal_proxy",
    ),
    path(
        "account/assemblies/<uuid:assembly_uuid>/proxy/revoke/",
        public_views.portal_proxy_revoke,
        name="portal_proxy_revoke",
    ),
    path(
        "account/assemblies/<uuid:assembly_uuid>/presence/",
        public_views.portal_presence,
        name="portal_presence",
    ),
    path(
        "account/assemblies/<uuid:assembly_uuid>/documents/<uuid:document_uuid>/",
        public_views.portal_document,
        name="portal_document",
    ),
    path("assemblies/presence/<str:token>/", public_views.presence, name="presence"),
    path("account/participation/", decision_views.participation, name="participation"),
    path(
        "account/consultations/<uuid:consultation_uuid>/",
        consultation_views.member_consultation,
        name="consultation",
    ),
    path(
        "account/proposals/<uuid:proposal_uuid>/",
        consultation_views.member_proposal,
        name="proposal",
    ),
    path(
        "account/proposals/<uuid:proposal_uuid>/support/",
        consultation_views.member_support,
        name="proposal_support",
    ),
    path(
        "account/proposals/<uuid:proposal_uuid>/amendments/<uuid:amendment_uuid>/",
        consultation_views.member_amendment_decide,
        name="amendment_decide",
    ),
    path(
        "account/decisions/<uuid:decision_uuid>/", decision_views.member_decision, name="decision"
    ),
    path(
        "account/minutes/<uuid:minutes_uuid>/pv.pdf", decision_views.member_minutes, name="minutes"
    ),
    path("digests/stop/<str:token>/", decision_views.digest_stop, name="digest_stop"),
]
