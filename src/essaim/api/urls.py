from django.urls import include, path

from . import views

app_name = "api_tokens"

token_patterns = [
    path("", views.tokens, name="list"),
    path("<uuid:token_uuid>/revoke/", views.token_revoke, name="revoke"),
]

urlpatterns = [path("a/<slug:association_slug>/api-tokens/", include(token_patterns))]
