"""The MFA rule of sensitive roles applies to API tokens too."""

import datetime as dt

from django.utils import timezone
from django_scopes import scope

from essaim.api.services import apitoken_create
from essaim.core.models import RoleAssignment


def test_token_stops_working_when_its_creator_ignores_mfa(client, association, tresorier, settings):
    with scope(association=association):
        seat = RoleAssignment.objects.get(user=tresorier)
        _token, clear = apitoken_create(
            association=association,
            acting_user=tresorier,
            seat_capabilities=seat.role.capabilities,
            name="tableur",
            capabilities={"can_view_members"},
            days=30,
        )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {clear}"}
    assert client.get("/api/v1/persons", **headers).status_code == 200
    with scope(association=association):
        RoleAssignment.objects.filter(pk=seat.pk).update(
            sensitive_since=timezone.now() - dt.timedelta(days=settings.ESSAIM_MFA_GRACE_DAYS + 1)
        )
    response = client.get("/api/v1/persons", **headers)
    assert response.status_code == 403
    assert response.json()["errors"] == []
    assert (
        "two-factor" in response.json()["detail"]
        or "double authentification" in response.json()["detail"]
    )
