"""Public pages of mobilisation (filled by the app's own commits)."""

app_name = "mobilisation_public"

urlpatterns: list = []
