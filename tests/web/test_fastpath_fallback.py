"""The feed shortcut checks uvicorn's internals at start and steps aside when they changed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from syndicate.cli.serve_cmd import server_options
from syndicate.web import fastpath
from syndicate.web.headlimits import LimitedProtocol
from syndicate.web.limits import HEAD_BYTES
from tests.web.feedfiles import RSS, publish
from tests.web.rawhttp import connect, read_reply, send_all


@pytest.fixture
def pipeline_renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if a uvicorn release no longer set ``self.pipeline`` on its protocol."""
    real = fastpath._assigned_on_self

    def without_pipeline(owner: type) -> set[str]:
        found = real(owner)
        return found - {"pipeline"} if owner is HttpToolsProtocol else found

    monkeypatch.setattr(fastpath, "_assigned_on_self", without_pipeline)


def test_the_installed_uvicorn_has_every_internal_the_shortcut_uses(caplog):
    assert fastpath.missing_internals() == []
    with caplog.at_level(logging.WARNING):
        assert server_options("127.0.0.1", 0)["http"] is fastpath.FeedProtocol
    assert caplog.records == []


def test_a_missing_method_is_found_too(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delattr(HttpToolsProtocol, "on_response_complete")
    assert fastpath.missing_internals() == ["HttpToolsProtocol.on_response_complete()"]


def test_without_them_one_warning_and_feeds_still_served_over_asgi(
    pipeline_renamed, caplog, start_web, tmp_path: Path, asgi_calls: list[str]
):
    with caplog.at_level(logging.WARNING, logger="syndicate.web.fastpath"):
        options = server_options("127.0.0.1", 0)
    assert options["http"] is LimitedProtocol  # heads stay limited without the shortcut
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING
    assert "HttpToolsProtocol.pipeline" in warning.getMessage()
    assert "ordinary ASGI path" in warning.getMessage()

    publish(tmp_path / "var" / "public" / "feeds", "world", "rss.xml", RSS)
    web = start_web(feed_check_seconds=0, http=options["http"])
    first = web.http.get("/feeds/world/rss.xml")
    assert first.status_code == 200 and first.content == RSS
    assert first.headers["content-type"].startswith("application/rss+xml")
    again = web.http.get("/feeds/world/rss.xml", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert asgi_calls == ["/feeds/world/rss.xml", "/feeds/world/rss.xml"]
    with connect(web.url) as conn:
        send_all(
            conn, b"GET /feeds/world/rss.xml HTTP/1.1\r\nX-Big: " + b"b" * HEAD_BYTES + b"\r\n\r\n"
        )
        assert read_reply(conn)[0] == 431


def test_when_the_limits_lack_theirs_too_uvicorns_own_protocol_serves(
    monkeypatch: pytest.MonkeyPatch, caplog
):
    monkeypatch.delattr(HttpToolsProtocol, "on_header")
    with caplog.at_level(logging.WARNING, logger="syndicate.web.fastpath"):
        assert server_options("127.0.0.1", 0)["http"] == "httptools"
    [warning] = caplog.records
    assert "without size or time limits" in warning.getMessage()
