"""Back office of reconciliation: /a/<association>/reconciliation/ (bank statements)."""

app_name = "reconciliation"

urlpatterns: list = []
