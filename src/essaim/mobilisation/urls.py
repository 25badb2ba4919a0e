"""Back office of petitions, under /a/<association>/petitions/…"""

from django.urls import include, path

from . import views

app_name = "mobilisation"

petition_patterns = [
    path("", views.petition_list, name="petitions"),
    path("new/", views.petition_create, name="create"),
    path("<uuid:petition_uuid>/", views.petition_detail, name="detail"),
    path("<uuid:petition_uuid>/edit/", views.petition_edit, name="edit"),
    path("<uuid:petition_uuid>/signatures.csv", views.petition_export, name="export"),
    path("<uuid:petition_uuid>/petition.pdf", views.petition_pdf, name="pdf"),
    path("<uuid:petition_uuid>/news/", views.petition_news, name="news"),
    path("<uuid:petition_uuid>/fraud/", views.petition_fraud, name="fraud"),
    path("<uuid:petition_uuid>/reconcile/", views.petition_reconcile, name="reconcile"),
    path("<uuid:petition_uuid>/<str:action>/", views.petition_status, name="status"),
]

urlpatterns = [path("a/<slug:association_slug>/petitions/", include(petition_patterns))]
