"""Back office of mobilisation, under /a/<association>/… (filled by the app's own commits)."""

app_name = "mobilisation"

urlpatterns: list = []
