"""Public addresses of campaigns: /d/<association>/<campaign>/ (the page and its form)."""

app_name = "donate"

urlpatterns: list = []
