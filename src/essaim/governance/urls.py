"""Back office of governance, under /a/<association>/… (filled by the app's own commits)."""

app_name = "governance"

urlpatterns: list = []
