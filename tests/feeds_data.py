"""Articles for the feed tests: a factory and the project's samples as stored articles."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from syndicate.articles import Article, ArticleInput, parse_json, parse_seed
from syndicate.config import Settings
from tests.conftest import ROOT, SEED_ARTICLE

FIXED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def make_article(number: int = 1, **overrides: Any) -> Article:
    data: dict[str, Any] = {
        "id": number,
        "guid": f"https://news.example.org/world/story-{number}",
        "url": f"https://news.example.org/world/story-{number}",
        "sections": ("world",),
        "headline": f"Headline {number}",
        "lede": f"Lede of story {number}.",
        "lede_is_teaser": False,
        "body": f"<p>Body of story {number}.</p>",
        "first_seen_at": FIXED - timedelta(hours=number),
        "updated_at": FIXED - timedelta(hours=number),
        "published_at": FIXED - timedelta(hours=number),
        "byline": "Ana Quispe",
    }
    data.update(overrides)
    return Article(**data)


def stored(record: ArticleInput, number: int, seen: datetime = FIXED) -> Article:
    """The article the store would hand back for an input record."""
    data = {f.name: getattr(record, f.name) for f in fields(ArticleInput)}
    data.update(id=number, first_seen_at=seen, updated_at=record.updated_at or seen)
    return Article(**data)


def sample_articles(settings: Settings) -> list[Article]:
    """examples/articles and the shared seed article (when beside the checkout), parsed as
    `syndicate import` would."""
    records: list[ArticleInput] = []
    folder = ROOT / "examples" / "articles"
    seeds = [SEED_ARTICLE] if SEED_ARTICLE.is_file() else []
    for path in sorted(folder.glob("*.txt")) + seeds:
        records.append(parse_seed(Path(path).read_text(encoding="utf-8"), settings))
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(parse_json(json.loads(line), settings))
    return [stored(record, n, FIXED - timedelta(minutes=n)) for n, record in enumerate(records, 1)]
