"""Back office of communication, under /a/<association>/…"""

app_name = "communication"

urlpatterns: list = []
