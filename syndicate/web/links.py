"""Feed autodiscovery: the <link rel="alternate"> tags a site puts in its pages' <head>."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from syndicate.config import ALL_SLUG, Settings

FEED_KINDS = (
    ("rss.xml", "application/rss+xml", "RSS"),
    ("atom.xml", "application/atom+xml", "Atom"),
    ("feed.json", "application/feed+json", "JSON Feed"),
)


@dataclass(frozen=True)
class FeedLink:
    href: str
    type: str
    title: str

    @property
    def label(self) -> str:
        """The format's short name: RSS, Atom or JSON Feed."""
        return next((label for _, kind, label in FEED_KINDS if kind == self.type), self.type)

    def tag(self) -> str:
        return (
            f'<link rel="alternate" type="{self.type}" title="{escape(self.title)}" '
            f'href="{escape(self.href)}">'
        )


def feed_name(settings: Settings, section: str) -> str | None:
    """The feeds' human name, or None when ``section`` is neither a section nor ``all``."""
    if section == ALL_SLUG:
        return settings.site.title
    if section in settings.section_slugs:
        return f"{settings.site.title}: {settings.section(section).title}"
    return None


def feed_links(settings: Settings, section: str, name: str) -> list[FeedLink]:
    base = f"{settings.public_url}/feeds/{section}"
    return [
        FeedLink(f"{base}/{file}", kind, f"{name} ({label})") for file, kind, label in FEED_KINDS
    ]


def snippet(links: list[FeedLink]) -> str:
    return "\n".join(link.tag() for link in links)
