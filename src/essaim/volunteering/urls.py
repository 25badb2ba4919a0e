"""Back office of volunteering, under /a/<association>/… (filled by the app's own commits)."""

app_name = "volunteering"

urlpatterns: list = []
