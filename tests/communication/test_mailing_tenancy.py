"""The tenancy walk restricted to the mailing and list pages (the full walk in
tests/core/test_tenancy.py also covers them; this one fails on our pages only)."""

from tests.core.test_tenancy import _fill, tenant_routes, victim_objects  # noqa: F401

MINE = ("/mailings/", "/lists/")


def test_mailing_urls_are_404_for_an_outsider(
    client_for,
    outsider,
    other_association,
    association,
    victim_objects,  # noqa: F811
):
    client = client_for(outsider)
    checked = 0
    for route, _pattern in tenant_routes():
        if not any(part in route for part in MINE):
            continue
        for slug in (association.slug, other_association.slug):
            url = _fill(route, slug, victim_objects)
            if slug == association.slug or "uuid" in route:
                assert client.post(url).status_code == 404, url
                assert client.get(url).status_code in (
                    (404, 405) if slug != association.slug else (404,)
                ), url
                checked += 1
    assert checked >= 20
