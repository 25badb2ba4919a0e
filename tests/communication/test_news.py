"""News posts: services (slugs, Markdown sanitised, cover sniffed, publish/unpublish, delete),
the team's screens, drafts hidden from the public."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from PIL import Image

from essaim.communication import site
from essaim.communication.models import NewsPost
from essaim.core.models import AuditLog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "blue").save(buffer, "PNG")
    return SimpleUploadedFile("photo de Jeanne.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def published_page(association, presidente):
    with scope(association=association):
        site.public_page_update(association=association, acting_user=presidente, published=True)


def create(association, user, **fields):
    fields = {"title": "Fête du quartier", "body": "Venez nombreux"} | fields
    with scope(association=association):
        return site.news_create(association=association, acting_user=user, **fields)


def post_url(post):
    return reverse(
        "communication_public:news_post",
        kwargs={"slug": post.association.slug, "post_slug": post.slug},
    )


def test_slugs_are_unique_per_association(association, other_association, presidente, outsider):
    first = create(association, presidente)
    second = create(association, presidente)
    assert (first.slug, second.slug) == ("fete-du-quartier", "fete-du-quartier-2")
    # Another association may use the same address.
    assert create(other_association, outsider).slug == "fete-du-quartier"
    with pytest.raises(ValidationError) as error:
        create(association, presidente, slug="fete-du-quartier")
    assert "slug" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        create(association, presidente, title="  ", body="")
    assert {"title", "body"} <= set(error.value.message_dict)


def test_script_is_never_rendered(client, association, presidente, published_page):
    post = create(
        association,
        presidente,
        body='<script>alert("x")</script>\n\n'
        "[clic](javascript:alert(1)) <img src=x onerror=alert(1)>",
        publish=True,
    )
    page = client.get(post_url(post)).content.decode()
    body = page.split('class="news-body"')[1].split("</div>")[0]
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert 'href="javascript' not in body and "<img" not in body


def test_cover_is_sniffed(association, presidente):
    fake = SimpleUploadedFile("photo.png", b"<?php echo 1; ?>", content_type="image/png")
    with pytest.raises(ValidationError) as error:
        create(association, presidente, cover=fake)
    assert "cover" in error.value.message_dict
    post = create(association, presidente, cover=png(), cover_alt="La fête")
    assert post.cover.name.startswith(f"news/{association.pk}/")
    assert "Jeanne" not in post.cover.name


def test_drafts_are_hidden_and_previewed(
    client, client_for, association, presidente, published_page
):
    post = create(association, presidente)
    assert client.get(post_url(post)).status_code == 404
    response = client_for(presidente).get(post_url(post))
    assert response.status_code == 200 and "Preview of a draft" in response.content.decode()
    with scope(association=association):
        post = site.news_set_status(
            association=association, acting_user=presidente, post=post, publish=True
        )
        first_date = post.published_at
        site.news_set_status(
            association=association, acting_user=presidente, post=post, publish=False
        )
    assert client.get(post_url(post)).status_code == 404
    with scope(association=association):
        post = site.news_set_status(
            association=association, acting_user=presidente, post=post, publish=True
        )
    assert post.published_at == first_date
    assert client.get(post_url(post)).status_code == 200
    with scopes_disabled():
        actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"news.create", "news.publish", "news.unpublish"} <= actions


def test_team_screens(client_for, presidente, association, published_page):
    client = client_for(presidente)
    base = {"association_slug": association.slug}
    assert "No news yet" in client.get(reverse("communication:news", kwargs=base)).content.decode()
    response = client.post(
        reverse("communication:news_create", kwargs=base),
        {"title": "Assemblée générale", "body": "Le **12 mars**", "publish": "on", "cover": png()},
    )
    assert response.status_code == 302
    with scopes_disabled():
        post = NewsPost.objects.get()
    assert post.is_published and post.cover
    kwargs = base | {"post_uuid": post.uuid}
    edit = reverse("communication:news_edit", kwargs=kwargs)
    assert client.get(edit).status_code == 200
    bad = SimpleUploadedFile("x.gif", b"GIF89a not really", content_type="image/gif")
    response = client.post(edit, {"title": "AG", "body": "b", "cover": bad})
    assert response.status_code == 200 and "not an image we can read" in response.content.decode()
    response = client.post(
        edit, {"title": "AG 2026", "body": "b", "slug": "ag", "remove_cover": "on"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.title, post.slug, bool(post.cover)) == ("AG 2026", "ag", False)
    assert (
        client.post(
            reverse("communication:news_status", kwargs=kwargs | {"action": "unpublish"})
        ).status_code
        == 302
    )
    post.refresh_from_db()
    assert post.status == "draft"
    assert (
        client.post(
            reverse("communication:news_status", kwargs=kwargs | {"action": "explode"})
        ).status_code
        == 404
    )
    assert client.get(reverse("communication:news_delete", kwargs=kwargs)).status_code == 200
    assert client.post(reverse("communication:news_delete", kwargs=kwargs)).status_code == 302
    with scopes_disabled():
        assert not NewsPost.objects.exists()


def test_outsider_and_volunteer(
    client_for, outsider, benevole, association, other_association, presidente
):
    post = create(association, presidente)
    kwargs = {"association_slug": other_association.slug, "post_uuid": post.uuid}
    client = client_for(outsider)
    assert client.get(reverse("communication:news_edit", kwargs=kwargs)).status_code == 404
    assert client.post(reverse("communication:news_delete", kwargs=kwargs)).status_code == 404
    assert (
        client.post(
            reverse("communication:news_status", kwargs=kwargs | {"action": "publish"})
        ).status_code
        == 404
    )
    assert client.get(post_url(post)).status_code == 404
    own = {"association_slug": association.slug}
    assert client_for(benevole).get(reverse("communication:news", kwargs=own)).status_code == 403
