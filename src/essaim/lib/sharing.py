"""Share links of a public page (petition, event, call to action): one link per channel, each
with its own ?src= so the team sees which channel brought whom."""

from collections.abc import Callable
from urllib.parse import quote

CHANNELS = (
    ("email", "E-mail", "mailto:?subject={text}&body={url}"),
    ("facebook", "Facebook", "https://www.facebook.com/sharer/sharer.php?u={url}"),
    ("x", "X", "https://x.com/intent/post?text={text}&url={url}"),
    ("whatsapp", "WhatsApp", "https://wa.me/?text={text}%20{url}"),
    ("bluesky", "Bluesky", "https://bsky.app/intent/compose?text={text}%20{url}"),
)


def with_source(url: str, source: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}src={source}"


def share_links(title: str, url_for: Callable[[str], str]) -> list[dict]:
    """[{source, label, url (the page with ?src=), share (the channel's address)}];
    `url_for(source)` gives the page's address for that channel."""
    text = quote(title)
    links = []
    for source, label, template in CHANNELS:
        url = url_for(source)
        links.append(
            {
                "source": source,
                "label": label,
                "url": url,
                "share": template.format(text=text, url=quote(url, safe="")),
            }
        )
    return links
