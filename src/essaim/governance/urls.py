"""Back office of governance, under /a/<association>/governance/."""

from django.urls import include, path

from . import views, vote_views

app_name = "governance"

assembly_patterns = [
    path("", views.assembly_detail, name="assembly"),
    path("edit/", views.assembly_edit, name="assembly_edit"),
    path("agenda/", views.agenda_item_add, name="agenda_add"),
    path("agenda/<uuid:item_uuid>/delete/", views.agenda_item_delete, name="agenda_delete"),
    path("documents/<uuid:document_uuid>/", views.document_download, name="document_download"),
    path("convene/", views.assembly_convene, name="convene"),
    path("letters.pdf", views.letters_pdf, name="letters"),
    path("signature-sheet.pdf", views.signature_sheet, name="signature_sheet"),
    path("check-in/", views.check_in, name="check_in"),
    path("check-in/<uuid:person_uuid>/", views.check_in_person, name="check_in_person"),
    path("quorum/", views.quorum, name="quorum"),
    path("proxies/", views.proxies, name="proxies"),
    path("proxies/<uuid:proxy_uuid>/revoke/", views.proxy_revoke, name="proxy_revoke"),
    path("open/", views.assembly_open, name="open"),
    path("close/", views.assembly_close, name="close"),
    path("votes/new/", vote_views.vote_create, name="vote_create_assembly"),
]

vote_patterns = [
    path("", vote_views.vote_detail, name="vote"),
    path("participation/", vote_views.vote_participation, name="vote_participation"),
    path("open/", vote_views.vote_state, {"action": "open"}, name="vote_open"),
    path("close/", vote_views.vote_state, {"action": "close"}, name="vote_close"),
    path("publish/", vote_views.vote_state, {"action": "publish"}, name="vote_publish"),
    path("verify/", vote_views.vote_verify, name="vote_verify"),
    path("delete/", vote_views.vote_delete, name="vote_delete"),
    path("paper/roll/", vote_views.vote_paper_roll, name="vote_paper_roll"),
    path("paper/ballots/", vote_views.vote_paper_ballots, name="vote_paper_ballots"),
    path("export.json", vote_views.vote_export, {"fmt": "json"}, name="vote_export_json"),
    path("export.csv", vote_views.vote_export, {"fmt": "csv"}, name="vote_export_csv"),
]

governance_patterns = [
    path("", views.assemblies, name="assemblies"),
    path("new/", views.assembly_create, name="assembly_create"),
    path("rules/", views.rules_edit, name="rules"),
    path("bodies/", views.bodies, name="bodies"),
    path("bodies/<uuid:body_uuid>/", views.body_detail, name="body"),
    path(
        "bodies/<uuid:body_uuid>/seats/<uuid:seat_uuid>/remove/",
        views.body_seat_remove,
        name="body_seat_remove",
    ),
    path("votes/", vote_views.vote_list, name="votes"),
    path("votes/new/", vote_views.vote_create, name="vote_create"),
    path("votes/<uuid:vote_uuid>/", include(vote_patterns)),
    path("<uuid:assembly_uuid>/", include(assembly_patterns)),
]

urlpatterns = [path("a/<slug:association_slug>/governance/", include(governance_patterns))]
