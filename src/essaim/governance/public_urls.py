"""Public pages of governance (filled by the app's own commits)."""

app_name = "governance_public"

urlpatterns: list = []
