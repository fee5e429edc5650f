"""[bounces] keys: validated at start, errors naming the key; a VERP path without the secret."""

from __future__ import annotations

import pytest

from syndicate import config
from syndicate.errors import ConfigError
from tests.conftest import write_config


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('return_path = "bounces+x@news.example.org"', "[bounces] return_path: "),
        ('return_path = "not an address"', "[bounces] return_path: "),
        ('listen = "127.0.0.1"', "[bounces] listen: '127.0.0.1' is not host:port"),
        ('listen = "127.0.0.1:99999"', "[bounces] listen: "),
        ("soft_limit = 0", "[bounces] soft_limit: "),
        ("soft_window_days = 0", "[bounces] soft_window_days: "),
        ('ses_topics = ["bounces"]', "[bounces] ses_topics: 'bounces' is not an SNS topic ARN"),
        ('ses_topics = "arn:aws:sns:eu-west-1:123456789012:b"', "[bounces] ses_topics: "),
        (
            'retrun_path = "b@x.org"',
            "[bounces] retrun_path: unknown key; did you mean 'return_path'?",
        ),
    ],
)
def test_bad_bounce_keys_are_named(tmp_path, table: str, problem: str) -> None:
    path = write_config(tmp_path, f"\n[bounces]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path, env={})
    assert any(problem in line for line in caught.value.problems), caught.value.problems


def test_defaults_and_listen(tmp_path) -> None:
    settings = config.load(write_config(tmp_path), env={})
    assert (settings.bounces.return_path, settings.bounces.listen) == ("", "")
    assert (settings.bounces.soft_limit, settings.bounces.soft_window_days) == (3, 14)
    path = write_config(
        tmp_path, '\n[bounces]\nreturn_path = "Bounces@News.Example.org"\nlisten = "[::1]:2525"\n'
    )
    settings = config.load(path, env={})
    assert settings.bounces.listen_at == ("::1", 2525)
    assert settings.bounces.ses_topics == []
    assert settings.bounces.return_path.endswith("@news.example.org")
    warnings = config.config_warnings(settings)
    assert any("[bounces] return_path is set but SYNDICATE_SECRET is not" in w for w in warnings)
