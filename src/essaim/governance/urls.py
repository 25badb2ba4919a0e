"""Back office of governance, under /a/<association>/governance/."""

from django.urls import include, path

from . import consultation_views, decision_views, minutes_views, views, vote_views

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
    path("minutes/", minutes_views.minutes, name="minutes"),
    path("minutes/start/", minutes_views.minutes_start, name="minutes_start"),
    path(
        "minutes/<uuid:minutes_uuid>/freeze/", minutes_views.minutes_freeze, name="minutes_freeze"
    ),
    path(
        "minutes/<uuid:minutes_uuid>/correct/",
        minutes_views.minutes_correct,
        name="minutes_correct",
    ),
    path(
        "minutes/<uuid:minutes_uuid>/pv.pdf",
        minutes_views.minutes_download,
        name="minutes_download",
    ),
]

proposal_patterns = [
    path("", consultation_views.consultation_proposal, name="consultation_proposal"),
    path("hide/", consultation_views.proposal_hide, name="proposal_hide"),
    path("to-agenda/", consultation_views.proposal_to_agenda, name="proposal_to_agenda"),
    path(
        "comments/<uuid:comment_uuid>/hide/", consultation_views.comment_hide, name="comment_hide"
    ),
    path(
        "amendments/<uuid:amendment_uuid>/",
        consultation_views.team_amendment_decide,
        name="amendment_decide",
    ),
]

consultation_patterns = [
    path("", consultation_views.consultation_detail, name="consultation"),
    path("phase/", consultation_views.consultation_phase, name="consultation_phase"),
    path("export/", consultation_views.consultation_export, name="consultation_export"),
    path("proposals/<uuid:proposal_uuid>/", include(proposal_patterns)),
]

decision_patterns = [
    path("", decision_views.decision_detail, name="decision"),
    path("close/", decision_views.decision_close, name="decision_close"),
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
    path("consultations/", consultation_views.consultations, name="consultations"),
    path("consultations/new/", consultation_views.consultation_create, name="consultation_create"),
    path("consultations/<uuid:consultation_uuid>/", include(consultation_patterns)),
    path("decisions/", decision_views.decisions, name="decisions"),
    path("decisions/new/", decision_views.decision_create, name="decision_create"),
    path("decisions/<uuid:decision_uuid>/", include(decision_patterns)),
    path("votes/", vote_views.vote_list, name="votes"),
    path("votes/new/", vote_views.vote_create, name="vote_create"),
    path("votes/<uuid:vote_uuid>/", include(vote_patterns)),
    path("<uuid:assembly_uuid>/", include(assembly_patterns)),
]

urlpatterns = [path("a/<slug:association_slug>/governance/", include(governance_patterns))]
