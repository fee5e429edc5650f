"""`syndicate import` as operators run it: a real process, real files, a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from syndicate import store
from syndicate.store.tables import articles

from .cli import syndicate
from .conftest import ROOT, seed_article, write_config


@pytest.fixture
def initialised(tmp_path: Path) -> Path:
    path = write_config(tmp_path)
    result = syndicate(path, "init")
    assert result.returncode == 0, result.stderr
    return path


def stored(config_path: Path) -> list[dict[str, object]]:
    engine = store.open_engine(f"sqlite:///{config_path.parent / 'var' / 'syndicate.db'}")
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(articles).order_by(articles.c.id))]
    engine.dispose()
    return rows


def test_seed_article_import_and_reimport(initialised: Path) -> None:
    seed = seed_article()
    first = syndicate(initialised, "import", str(seed))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith("1 new, 0 updated, 0 unchanged, 0 rejected")
    [row] = stored(initialised)
    assert row["section"] == "world"
    assert row["headline"] == "The Pact between Russia and North Korea that the West does not like"
    assert row["byline"] == "Redacción"
    assert row["image_url"] is None
    assert row["lede_is_teaser"] is True
    assert row["url"] == "https://500palabras.pe/en/world.php?noticias_id=1"
    again = syndicate(initialised, "import", str(seed))
    assert again.returncode == 0
    assert again.stdout.strip().endswith("0 new, 0 updated, 1 unchanged, 0 rejected")


def test_project_samples_import_cleanly(initialised: Path) -> None:
    samples = Path(__file__).resolve().parent.parent / "examples" / "articles"
    result = syndicate(initialised, "import", str(samples))
    assert result.returncode == 0, result.stderr
    assert "0 rejected" in result.stdout
    assert len(stored(initialised)) >= 6


SEED_TEXT = (
    "World\n\nImagen:\n{headline}\nRedacción:\nA lede.\nhttps://news.example.org/{slug}\nBody.\n"
)


def test_encodings_bom_crlf_and_windows_1252(initialised: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bom.txt").write_bytes(
        b"\xef\xbb\xbf"
        + SEED_TEXT.format(headline="Año nuevo", slug="bom").replace("\n", "\r\n").encode()
    )
    (folder / "cp1252.txt").write_bytes(
        SEED_TEXT.format(headline="Café “quoted” — dash", slug="cp").encode("cp1252")
    )
    result = syndicate(initialised, "import", str(folder))
    assert result.returncode == 0, result.stderr
    headlines = {r["url"]: r["headline"] for r in stored(initialised)}
    assert headlines["https://news.example.org/bom"] == "Año nuevo"
    assert headlines["https://news.example.org/cp"] == "Café “quoted” — dash"


def test_rejections_are_reported_by_record_and_good_records_stored(
    initialised: Path, tmp_path: Path
) -> None:
    good = {"url": "https://news.example.org/good", "section": "world", "headline": "Good"}
    lines = [
        json.dumps(good),
        json.dumps({"url": "/relative", "section": "world", "headline": "x"}),
        json.dumps({"url": "https://news.example.org/s", "section": "sports", "headline": "x"}),
        json.dumps({"url": "https://news.example.org/h", "section": "world", "headline": "  "}),
        json.dumps(
            {
                "url": "https://news.example.org/d",
                "section": "world",
                "headline": "x",
                "published_at": "soon",
            }
        ),
        '{"url": "https://news.example.org/broken", ',
        "",
        json.dumps(
            {**good, "url": "https://news.example.org/good2", "headline": "Good \x0b\x1b two"}
        ),
    ]
    source = tmp_path / "batch.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = syndicate(initialised, "import", str(source))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    err = result.stderr
    assert f"{source}:2: rejected: url: '/relative' is not an absolute http(s) URL" in err
    assert f"{source}:3: rejected: section: unknown section 'sports'" in err
    assert f"{source}:4: rejected: headline: empty" in err
    assert f"{source}:5: rejected: published_at: 'soon' is not an RFC 3339 date" in err
    assert f"{source}:6: rejected: (json): malformed JSON" in err
    assert result.stdout.strip().endswith("2 new, 0 updated, 0 unchanged, 5 rejected")
    headlines = sorted(str(r["headline"]) for r in stored(initialised))
    assert headlines == ["Good", "Good two"]


def test_json_array_file_and_missing_path(initialised: Path, tmp_path: Path) -> None:
    source = tmp_path / "two.json"
    source.write_text(
        json.dumps(
            [
                {"url": "https://news.example.org/1", "section": "World", "headline": "One"},
                {"url": "https://news.example.org/2", "section": "nope", "headline": "Two"},
            ]
        )
    )
    result = syndicate(initialised, "import", str(source))
    assert result.returncode == 2
    assert f"{source} #2: rejected: section: unknown section 'nope'" in result.stderr
    missing = syndicate(initialised, "import", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "no such file or folder" in missing.stderr and "Traceback" not in missing.stderr


def test_markup_and_control_characters_in_every_field(initialised: Path, tmp_path: Path) -> None:
    record = {
        "url": "https://news.example.org/dirty",
        "section": "world",
        "headline": "<b>Bold</b>\u0000 &quot;quoted&quot;\r\nBcc: x@example.org",
        "lede": "<script>alert(1)</script>Lede\u0085 text.",
        "byline": "<i>Ana</i>\u0007 Quispe",
        "body": "<p onclick='x()'>Text\u000c<iframe src='https://evil.example'></iframe></p>",
        "image": {
            "url": "https://img.example.org/a.jpg",
            "alt": "Alt\u0001 <b>text</b>",
            "caption": "C\u001f",
        },
    }
    source = tmp_path / "dirty.jsonl"
    source.write_text(json.dumps(record) + "\n")
    result = syndicate(initialised, "import", str(source))
    assert result.returncode == 0, result.stderr
    [row] = stored(initialised)
    assert row["headline"] == 'Bold "quoted" Bcc: x@example.org'
    assert row["lede"] == "Lede text."
    assert row["byline"] == "Ana Quispe"
    assert "onclick" not in str(row["body"]) and "iframe" not in str(row["body"])
    assert "\x0c" not in str(row["body"])
    assert row["image_alt"] == "Alt text" and row["image_caption"] == "C"


def test_import_needs_init_first(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    result = syndicate(path, "import", str(ROOT / "examples" / "articles" / "world-ports.txt"))
    assert result.returncode == 1
    assert "run `syndicate init`" in result.stderr
