"""Fixed articles and subscribers for digest tests and the digest benchmark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from syndicate.articles import Article
from syndicate.subscribers import Subscriber

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def article(id: int, sections: tuple[str, ...] = ("world",), **overrides: Any) -> Article:
    first_seen = overrides.pop("first_seen_at", NOW - timedelta(hours=id))
    data: dict[str, Any] = {
        "id": id,
        "guid": f"https://news.example.org/story-{id}",
        "url": f"https://news.example.org/story-{id}",
        "sections": sections,
        "headline": f"Headline number {id}",
        "lede": f"The lede of story {id}.",
        "lede_is_teaser": False,
        "body": "<p>Body.</p>",
        "first_seen_at": first_seen,
        "updated_at": first_seen,
        "published_at": None,
    }
    data.update(overrides)
    return Article(**data)


_NUMBERS = {7: "seven"}


def subscriber(id: int = 7, sections: tuple[str, ...] = (), **overrides: Any) -> Subscriber:
    data: dict[str, Any] = {
        "id": id,
        "email": f"reader{id}@example.org",
        "status": "active",
        "sections": sections,
        "timezone": "America/Lima",
        "language": "en",
        "digest_time": "07:00",
        "link_key": f"key-of-{_NUMBERS.get(id, id)}",
    }
    data.update(overrides)
    return Subscriber(**data)


def english_edition() -> list[Article]:
    """Three World stories (one without an image, one filed in Politics too) and one Politics."""
    return [
        article(
            1,
            ("world",),
            headline="Dockworkers halt three Pacific ports as wage talks collapse",
            lede="Cargo ships queued off Callao, Valparaíso and Buenaventura on Friday after dockworkers walked out when",
            lede_is_teaser=True,
            byline="Ana Quispe",
            image_url="https://images.example.org/2026/11/pacific-ports.jpg",
            image_alt="Container cranes stand idle at the port of Callao",
            image_caption="Callao on Friday",
            image_credit="Ana Quispe",
            first_seen_at=NOW - timedelta(hours=2),
        ),
        article(
            2,
            ("world",),
            headline="Authorities raise the alert level for the Ubinas volcano",
            lede="Peru's geophysical institute raised the alert to orange after a week of ash emissions.",
            byline="Carla Soto",
            first_seen_at=NOW - timedelta(hours=5),
        ),
        article(
            3,
            ("politics", "world"),
            headline='Electoral reform heads to a "final" vote & <em>more</em>',
            lede="The reform would bring back a two-chamber congress and change how",
            lede_is_teaser=True,
            byline="Luis Ramírez",
            first_seen_at=NOW - timedelta(hours=3),
        ),
        article(
            4,
            ("politics",),
            headline="Congress approves the 2027 budget after an all-night session",
            lede="Lawmakers approved the national budget for 2027 shortly before dawn.",
            image_url="https://images.example.org/2026/11/congress.jpg",
            first_seen_at=NOW - timedelta(hours=8),
        ),
    ]


def spanish_edition() -> list[Article]:
    return [
        article(
            11,
            ("mundo",),
            headline="La cumbre del clima cierra con un acuerdo sobre financiamiento",
            lede="Tras dos semanas de negociaciones, los países acordaron un nuevo fondo para",
            lede_is_teaser=True,
            byline="Redacción",
            image_url="https://images.example.org/2026/11/cumbre-clima.jpg",
            image_alt="Delegados en la sesión de cierre",
            language="es",
            first_seen_at=NOW - timedelta(hours=1),
        ),
        article(
            12,
            ("mundo",),
            headline="Chile vota en segunda vuelta este domingo",
            lede="Más de 15 millones de personas están habilitadas para votar.",
            language="es",
            first_seen_at=NOW - timedelta(hours=4),
        ),
    ]
