"""Hostile query strings on every page get an answer, never a 500 (also run on PostgreSQL)."""

import pytest
from django.urls import reverse

HOSTILE = [
    "?q=%00&tag=%00&action=%00&page=%00&email=%00&order=%00",
    "?q=" + "x" * 5000,
    "?page=99999999999999999999&order=nonsense&email=maybe",
    "?q=%F0%9F%98%80%20%C3%A9&tag=%27%3B%20DROP%20TABLE",
]


@pytest.mark.parametrize("query", HOSTILE)
@pytest.mark.parametrize(
    "name", ["people:list", "people:export", "people:duplicates", "core:audit", "core:team"]
)
def test_list_pages_survive_hostile_queries(
    client_for, presidente, association, person, name, query
):
    url = reverse(name, kwargs={"association_slug": association.slug}) + query
    response = client_for(presidente).get(url)
    assert response.status_code in (200, 400)


def test_nul_in_path_is_a_400(client):
    assert client.get("/a/x%00y/").status_code in (400, 404)
