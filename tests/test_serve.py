"""`studyrag serve`: only this machine may reach the app unless a password guards it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from studyrag.cli import app, is_loopback

runner = CliRunner()


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("::", False),
        ("study.example.org", False),
    ],
)
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_serving_beyond_this_machine_needs_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STUDYRAG_APP_PASSWORD", raising=False)
    result = runner.invoke(app, ["serve", "--address", "0.0.0.0", "--port", "9"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "set STUDYRAG_APP_PASSWORD" in lines[0], result.stderr
    assert lines[0].startswith("error: listening on 0.0.0.0")
