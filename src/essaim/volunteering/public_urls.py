"""Public pages of volunteering (filled by the app's own commits)."""

app_name = "volunteering_public"

urlpatterns: list = []
