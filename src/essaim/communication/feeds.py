"""RSS 2.0 and Atom feeds of an association's published news (Django syndication).

Only for a published public page; drafts never appear. The item's description is the
summary (or the start of the text, as plain text): feed readers get a clean excerpt and a
link to the page, where the sanitised Markdown is rendered.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _
from django_scopes import scope

from essaim.core.models import Association

from . import site

ITEMS = 20


class NewsRss(Feed):
    feed_type = Rss201rev2Feed

    def get_object(self, request, slug: str):
        association = Association.objects.filter(slug=slug).first()
        if association is None:
            raise Http404
        with scope(association=association):
            if not site.public_page_of(association).published:
                raise Http404
            association.feed_items = list(site.published_news(association)[:ITEMS])
        for item in association.feed_items:
            item.association = association
        return association

    def title(self, obj):
        return _("News of %(name)s") % {"name": obj.name}

    def link(self, obj):
        return reverse("communication_public:site", kwargs={"slug": obj.slug})

    def feed_url(self, obj):
        return settings.ESSAIM_BASE_URL + reverse(
            f"communication_public:{self.url_name}", kwargs={"slug": obj.slug}
        )

    url_name = "rss"

    def description(self, obj):
        return site.plain_text(obj.objet or obj.name, 300)

    def items(self, obj):
        return obj.feed_items

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary or site.plain_text(item.body, 400)

    def item_link(self, item):
        return reverse(
            "communication_public:news_post",
            kwargs={"slug": item.association.slug, "post_slug": item.slug},
        )

    def item_guid(self, item):
        return f"urn:uuid:{item.uuid}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return max(item.updated_at, item.published_at)


class NewsAtom(NewsRss):
    feed_type = Atom1Feed
    url_name = "atom"

    def subtitle(self, obj):
        return self.description(obj)
