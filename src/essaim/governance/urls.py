"""Back office of governance, under /a/<association>/governance/."""

from django.urls import include, path

from . import views

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
    path("<uuid:assembly_uuid>/", include(assembly_patterns)),
]

urlpatterns = [path("a/<slug:association_slug>/governance/", include(governance_patterns))]
