from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("data/", views.data_export, name="data_export"),
    path("delete/", views.delete_account, name="delete"),
]
