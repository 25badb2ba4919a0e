import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from django_scopes import scope
from pypdf import PdfReader

from essaim.core.models import OutboxEmail
from essaim.mobilisation import services
from essaim.mobilisation.models import Petition, Signature

from .conftest import confirm_link, path_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

FORM = {
    "first_name": "Jeanne",
    "last_name": "Durand",
    "email": "jeanne@example.org",
    "postcode": "69003",
    "comment": "",
}


def _page(petition, name="petition"):
    return reverse(
        f"mobilisation_public:{name}",
        kwargs={"slug": petition.association.slug, "petition_slug": petition.slug},
    )


def _back(association, name, petition=None, **kwargs):
    if petition is not None:
        kwargs["petition_uuid"] = petition.uuid
    return reverse(f"mobilisation:{name}", kwargs={"association_slug": association.slug, **kwargs})


def test_public_page_and_signing_journey(
    client, association, petition, django_capture_on_commit_callbacks
):
    response = client.get(_page(petition))
    assert response.status_code == 200
    assert petition.title in response.content.decode()
    assert 'name="updates"' in response.content.decode()
    assert "checked" not in response.content.decode().split('name="updates"')[1].split(">")[0]
    response = client.post(_page(petition) + "?src=facebook", {**FORM, "src": "facebook"})
    assert response.status_code == 302 and response["Location"].endswith("/thanks/")
    assert "check your inbox" in client.get(response["Location"]).content.decode()
    link = path_of(confirm_link("jeanne@example.org"))
    # GET (a link scanner, a mail preview) does not confirm.
    response = client.get(link)
    assert response.status_code == 200 and "Confirm my signature" in response.content.decode()
    with scope(association=association):
        assert Signature.objects.get().status == Signature.Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link)
    assert "confirmed and counted" in response.content.decode()
    with scope(association=association):
        signature = Signature.objects.get()
        assert signature.status == Signature.Status.CONFIRMED and signature.source == "facebook"
    assert client.get(_page(petition, "count")).json()["count"] == 1
    cache.clear()  # the breakdown is cached a minute on the public page
    page = client.get(_page(petition)).content.decode()
    assert "Rhône" in page  # the breakdown by département


def test_duplicate_answer_is_the_same_page(client, association, petition):
    first = client.post(_page(petition), FORM)
    again = client.post(_page(petition), {**FORM, "email": "JEANNE@example.org"})
    assert first["Location"] == again["Location"]
    with scope(association=association):
        assert Signature.objects.count() == 1


def test_form_errors_are_shown_not_500(client, petition):
    response = client.post(_page(petition), {**FORM, "email": "x@yopmail.com"})
    assert response.status_code == 200 and "throw-away" in response.content.decode()
    response = client.post(_page(petition), {**FORM, "postcode": ""})
    assert response.status_code == 200 and "error" in response.content.decode()
    assert 'value="Jeanne"' in response.content.decode()  # what was typed is kept


def test_honeypot_records_nothing(client, association, petition):
    response = client.post(_page(petition), {**FORM, "website": "http://spam"})
    assert response.status_code == 302
    with scope(association=association):
        assert not Signature.objects.exists()


def test_rate_limited_per_ip(client, association, petition, settings):
    settings.ESSAIM_PETITION_RATE_LIMIT_IP = (2, 3600)
    for i in range(2):
        assert (
            client.post(_page(petition), {**FORM, "email": f"p{i}@example.org"}).status_code == 302
        )
    response = client.post(_page(petition), {**FORM, "email": "p9@example.org"})
    assert response.status_code == 429
    assert "Too many signatures" in response.content.decode()
    with scope(association=association):
        assert Signature.objects.count() == 2


def test_forged_and_unknown_tokens(client):
    response = client.get("/p/confirm/not-a-token/")
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert client.post("/p/confirm/not-a-token/").status_code == 400


def test_draft_petition_is_hidden_but_team_previews(client, client_for, association, presidente):
    with scope(association=association):
        draft = services.petition_create(
            association=association,
            acting_user=presidente,
            title="Brouillon",
            text="t",
            addressee="a",
        )
    draft.association = association
    assert client.get(_page(draft)).status_code == 404
    assert client.get(_page(draft, "count")).status_code == 404
    response = client_for(presidente).get(_page(draft))
    assert response.status_code == 200 and "Preview of a draft" in response.content.decode()


def test_closed_petition_has_no_form(client, association, presidente, petition):
    with scope(association=association):
        services.petition_set_status(
            association=association, acting_user=presidente, petition=petition, status="closed"
        )
    response = client.get(_page(petition))
    assert "closed" in response.content.decode() and 'name="email"' not in response.content.decode()
    assert client.post(_page(petition), FORM).status_code == 200


def test_embed_is_frameable_and_nothing_else_is(client, association, petition):
    embed = client.get(_page(petition, "embed"))
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    page = client.get(_page(petition))
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    response = client.post(_page(petition, "embed"), FORM)
    assert response.status_code == 302 and "embed=1" in response["Location"]
    thanks = client.get(response["Location"])
    assert "frame-ancestors *" in thanks["Content-Security-Policy"]
    with scope(association=association):
        assert Signature.objects.get().source == "widget"


# --- Back office ----------------------------------------------------------------------------


def test_team_creates_and_opens_a_petition(client_for, association, secretaire):
    client = client_for(secretaire)
    assert client.get(_back(association, "petitions")).status_code == 200
    response = client.post(
        _back(association, "create"),
        {"title": "Un banc", "addressee": "La mairie", "text": "Un banc, svp.", "goal": "50"},
    )
    assert response.status_code == 302
    with scope(association=association):
        petition = Petition.objects.get(title="Un banc")
    response = client.post(_back(association, "status", petition, action="open"))
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.status == Petition.Status.OPEN
    assert client.get(_back(association, "detail", petition)).status_code == 200
    assert client.get(_back(association, "edit", petition)).status_code == 200
    response = client.post(_back(association, "create"), {"title": "", "addressee": "", "text": ""})
    assert response.status_code == 200 and "error" in response.content.decode()


def _signed(client, association, petition, n=3, updates=True):
    for i in range(n):
        client.post(
            _page(petition),
            {**FORM, "email": f"s{i}@example.org", "updates": "on" if updates else ""},
        )
    with scope(association=association):
        for signature in Signature.objects.all():
            services.signature_confirm(signature=signature)


def test_exports(client, client_for, association, petition, secretaire, benevole):
    _signed(client, association, petition)
    team = client_for(secretaire)
    csv = team.get(_back(association, "export", petition))
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert "Durand" in text and "s0@example.org" in text  # the secretary may see contacts
    response = team.get(_back(association, "pdf", petition))
    assert response["Content-Type"] == "application/pdf"
    pdf = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert petition.title in pdf and "Durand" in pdf and "3 confirmed signatures" in pdf
    assert "@" not in pdf


def test_csv_without_emails_for_a_member_who_cannot_see_contacts(
    client, client_for, association, petition, secretaire
):
    from essaim.core.models import RoleAssignment

    _signed(client, association, petition, n=1)
    with scope(association=association):
        role = RoleAssignment.objects.get(user=secretaire).role
        role.can_view_members = False
        role.save()
    text = client_for(secretaire).get(_back(association, "export", petition)).content.decode()
    assert "Durand" in text and "@" not in text


def test_news_and_fraud_pages(client, client_for, association, petition, secretaire, settings):
    settings.ESSAIM_PETITION_FRAUD_THRESHOLDS = {"ip": 3}
    _signed(client, association, petition, n=3)
    team = client_for(secretaire)
    assert team.get(_back(association, "news", petition)).status_code == 200
    response = team.post(
        _back(association, "news", petition), {"subject": "Merci", "message": "Nous y sommes."}
    )
    assert response.status_code == 302
    assert OutboxEmail.objects.filter(kind="petition_update").count() == 3
    page = team.get(_back(association, "fraud", petition))
    assert page.status_code == 200 and "One connection" in page.content.decode()
    flag = page.context["flags"][0]
    response = team.post(
        _back(association, "fraud", petition),
        {
            "kind": flag["kind"],
            "key": flag["key"],
            "hour": flag["hour"].isoformat(),
            "reason": "test",
        },
    )
    assert response.status_code == 302
    with scope(association=association):
        assert services.petition_count(petition, fresh=True) == 0
    response = team.post(
        _back(association, "fraud", petition), {"kind": "bogus", "key": "x", "reason": "r"}
    )
    assert response.status_code == 404
    assert team.post(_back(association, "reconcile", petition)).status_code == 302
    assert team.post(_back(association, "status", petition, action="bogus")).status_code == 404


@pytest.mark.parametrize(
    "name", ["petitions", "create", "detail", "edit", "export", "pdf", "news", "fraud"]
)
def test_without_capability_403_outsider_404(
    client_for, association, petition, benevole, tresorier, outsider, other_association, name
):
    url = _back(association, name, None if name in ("petitions", "create") else petition)
    assert client_for(benevole).get(url).status_code == 403
    assert client_for(tresorier).get(url).status_code == 403
    assert client_for(outsider).get(url).status_code == 404


def test_status_and_reconcile_need_capability(
    client_for, association, petition, tresorier, outsider, other_association
):
    for url in (
        _back(association, "status", petition, action="close"),
        _back(association, "reconcile", petition),
    ):
        assert client_for(tresorier).post(url).status_code == 403
        assert client_for(outsider).post(url).status_code == 404
