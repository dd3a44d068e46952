"""Where tokens come from, and that they never show themselves."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from mlkwatch.client import Token, TokenError, redact_secrets

from ._fakes import TOKEN


def test_repr_str_and_format_hide_the_secret() -> None:
    token = Token(TOKEN)

    for shown in (repr(token), str(token), f"{token}", f"{token!r}", token.masked):
        assert TOKEN not in shown
        assert "S3cr3t" not in shown
    assert str(token) == "mlk_test_…"
    assert token.reveal() == TOKEN


def test_a_token_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Token(TOKEN))


@pytest.mark.parametrize("bad", ["", "   ", "mlk_test_abc def", "mlk_test_é", "a\nb"])
def test_direct_token_must_be_header_safe(bad: str) -> None:
    with pytest.raises(TokenError) as caught:
        Token(bad)
    assert bad.strip() == "" or bad not in str(caught.value)


def test_from_env_reads_mlk_key() -> None:
    token = Token.from_env({"MLK_KEY": f" {TOKEN}\n"})
    assert token is not None
    assert token.reveal() == TOKEN


@pytest.mark.parametrize("environ", [{}, {"MLK_KEY": ""}, {"MLK_KEY": "  "}])
def test_from_env_is_none_when_unset_or_blank(environ: dict[str, str]) -> None:
    assert Token.from_env(environ) is None


def test_from_env_rejects_garbage_without_echoing_it() -> None:
    with pytest.raises(TokenError, match="MLK_KEY") as caught:
        Token.from_env({"MLK_KEY": "secret with spaces"})
    assert "secret with spaces" not in str(caught.value)


def _token_file(tmp_path: Path, content: str, mode: int) -> Path:
    path = tmp_path / "token"
    path.write_text(content)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_from_file_accepts_owner_only_modes(tmp_path: Path, mode: int) -> None:
    path = _token_file(tmp_path, TOKEN + "\n", mode)
    assert Token.from_file(path).reveal() == TOKEN


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_from_file_refuses_loose_modes(tmp_path: Path, mode: int) -> None:
    path = _token_file(tmp_path, TOKEN, mode)

    with pytest.raises(TokenError, match="chmod 600") as caught:
        Token.from_file(path)

    assert f"{mode:04o}" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_from_file_missing(tmp_path: Path) -> None:
    with pytest.raises(TokenError, match="does not exist"):
        Token.from_file(tmp_path / "nope")


def test_from_file_empty(tmp_path: Path) -> None:
    with pytest.raises(TokenError, match="empty"):
        Token.from_file(_token_file(tmp_path, "\n", 0o600))


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root reads all")
def test_from_file_unreadable(tmp_path: Path) -> None:
    with pytest.raises(TokenError, match="cannot be read"):
        Token.from_file(_token_file(tmp_path, TOKEN, 0o000))


def test_from_file_directory(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    with pytest.raises(TokenError, match="not a regular file"):
        Token.from_file(tmp_path)


def test_redact_secrets_masks_every_token_shape() -> None:
    text = f"auth failed for {TOKEN} and mlk_live_abcDEF123"
    assert redact_secrets(text) == "auth failed for mlk_test_… and mlk_live_…"
