"""Views of the same mission, source and day counted at the same time: one row, no view lost
(the day's row is created once, the others increment it in place)."""

import pytest
from django_scopes import scopes_disabled

from essaim.volunteering import funnels
from essaim.volunteering.models import MissionView
from tests.core.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_first_views_make_one_row_and_lose_none(make_mission):
    mission = make_mission()

    def view():
        for _ in range(5):
            funnels.mission_view_record(mission=mission, source="affiche")
        return True

    results = race([view for _ in range(6)])
    assert results == [True] * 6, results
    with scopes_disabled():
        rows = list(MissionView.objects.filter(mission=mission))
    assert len(rows) == 1 and rows[0].count == 30
