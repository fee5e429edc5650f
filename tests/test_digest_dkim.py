"""DKIM: the key read and checked once, signatures a verifier accepts, errors naming the key."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import dkim
import pytest

from syndicate.config import Settings
from syndicate.digest import DigestRenderer, select_edition
from syndicate.digest.confirmation import ConfirmationRenderer
from syndicate.digest.dkim import check_dkim, load_signer
from syndicate.errors import InputError
from tests.digest_data import NOW, english_edition, subscriber
from tests.messages import parse

SELECTOR = {"dkim_selector": "mail", "dkim_domain": "example.com"}


def with_dkim(settings: Settings, **keys: str) -> Settings:
    return settings.model_copy(update={"digest": settings.digest.model_copy(update=keys)})


@pytest.fixture
def key_pair(tmp_path: Path) -> tuple[Path, bytes]:
    """A fresh RSA key file and the DNS TXT record that publishes its public half."""
    key_file = tmp_path / "dkim.pem"
    try:
        subprocess.run(
            ["openssl", "genrsa", "-out", str(key_file), "2048"], check=True, capture_output=True
        )
        public = subprocess.run(
            ["openssl", "rsa", "-in", str(key_file), "-pubout", "-outform", "DER"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot make a test key: {exc}")
    return key_file, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def verifies(raw: bytes, record: bytes) -> bool:
    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"mail._domainkey.example.com." else None

    return bool(dkim.verify(raw, dnsfunc=dns))


def test_digests_and_confirmations_carry_a_signature_that_verifies(settings, key_pair):
    key_file, record = key_pair
    signer = load_signer(with_dkim(settings, dkim_key_file=str(key_file), **SELECTOR))
    assert signer is not None
    reader = subscriber()
    edition = select_edition(reader, english_edition(), None, NOW, settings)
    digest = DigestRenderer(settings, signer).message(edition, reader).message
    confirmation = ConfirmationRenderer(settings, signer).message(reader, "https://x.test/c", NOW)
    for raw in (digest, confirmation):
        assert raw.startswith(b"DKIM-Signature:")
        parse(raw)
        assert verifies(raw, record)


def test_the_key_is_read_once_per_run_not_per_message(settings, key_pair):
    key_file, record = key_pair
    signer = load_signer(with_dkim(settings, dkim_key_file=str(key_file), **SELECTOR))
    assert signer is not None
    key_file.unlink()  # a run that already started keeps signing with what it read
    render = ConfirmationRenderer(settings, signer)
    assert all(
        verifies(render.message(subscriber(i), "https://x.test/c", NOW), record) for i in (1, 2)
    )


def test_no_dkim_keys_means_no_signer(settings):
    assert load_signer(settings) is None
    assert check_dkim(settings) == []


def test_bad_dkim_settings_name_the_key(tmp_path, settings):
    assert "set all three" in check_dkim(with_dkim(settings, dkim_selector="mail"))[0]
    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    broken = with_dkim(settings, dkim_key_file=str(bad), **SELECTOR)
    assert "[digest] dkim_key_file:" in check_dkim(broken)[0]
    assert "not a PEM RSA private key" in check_dkim(broken)[0]
    missing = with_dkim(settings, dkim_key_file=str(tmp_path / "missing.pem"), **SELECTOR)
    assert "cannot read" in check_dkim(missing)[0]
    with pytest.raises(InputError, match=r"^\[digest\] dkim_key_file: cannot read"):
        load_signer(missing)
