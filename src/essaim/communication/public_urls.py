"""Public addresses of communication (unsubscribe and preferences, the association's page).

The association's parameter is `slug`, not `association_slug`: the tenant middleware keeps
every URL with an `association_slug` to the association's team.
"""

app_name = "communication_public"

urlpatterns: list = []
