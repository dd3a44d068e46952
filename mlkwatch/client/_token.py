"""The API token: where it comes from, and how it stays out of sight."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Final

__all__ = ["ENV_VAR", "Token", "TokenError", "redact_secrets"]

ENV_VAR: Final = "MLK_KEY"
"""The environment variable `Token.from_env` reads."""

# Visible ASCII only: anything else cannot travel in an HTTP header.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")

# Anything shaped like a Montlake token, wherever it turns up in text.
_TOKEN_SHAPE = re.compile(r"mlk_(?:live|test)_[A-Za-z0-9]+")
_KNOWN_PREFIXES = ("mlk_live_", "mlk_test_")


class TokenError(ValueError):
    """A token could not be loaded; the message says why and never holds it."""


def redact_secrets(text: str) -> str:
    """Replace everything shaped like a Montlake token in `text`.

    Args:
        text: Any text that might echo a token (a server message, a log line).

    Returns:
        The text with each token replaced by its prefix and an ellipsis.
    """
    return _TOKEN_SHAPE.sub(lambda match: _masked(match.group()), text)


def _masked(secret: str) -> str:
    for prefix in _KNOWN_PREFIXES:
        if secret.startswith(prefix):
            return f"{prefix}…"
    return "…"


class Token:
    """A Montlake API token that never shows itself by accident.

    `repr`, `str` and f-strings give a masked form; only `reveal()` returns
    the secret, and the client calls it once, to build the header.
    """

    __slots__ = ("_secret",)

    def __init__(self, secret: str) -> None:
        """Wrap a token given directly.

        Args:
            secret: The token, e.g. `mlk_live_…`; surrounding whitespace is
                dropped.

        Raises:
            TokenError: If it is empty or holds characters a header cannot
                carry.
        """
        secret = secret.strip()
        if not secret:
            raise TokenError("The token is empty.")
        if not _HEADER_SAFE.fullmatch(secret):
            raise TokenError(
                "The token holds spaces or characters outside visible ASCII; "
                "copy it again from Montlake's settings."
            )
        self._secret = secret

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, name: str = ENV_VAR
    ) -> Token | None:
        """Read the token from the environment.

        Args:
            environ: The environment to read; `os.environ` by default.
            name: The variable to read.

        Returns:
            The token, or None when the variable is unset or blank.

        Raises:
            TokenError: If the variable holds something that is not a token.
        """
        value = (os.environ if environ is None else environ).get(name, "")
        if not value.strip():
            return None
        try:
            return cls(value)
        except TokenError as error:
            raise TokenError(f"{name}: {error}") from None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Token:
        """Read the token from a file only its owner can read.

        Args:
            path: A file holding the token (a trailing newline is fine).

        Returns:
            The token.

        Raises:
            TokenError: If the file is missing, unreadable, empty, or readable
                or writable by anyone but its owner (mode looser than 0600).
        """
        path = Path(path).expanduser()
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise TokenError(f"Token file {path} does not exist.") from None
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise TokenError(f"Token file {path} cannot be read: {reason}.") from None

        try:
            # Check the mode of the file we opened, not of whatever the path
            # names by now.
            _check_private(path, os.fstat(fd).st_mode)
            content = _read_ascii(fd, path)
        finally:
            os.close(fd)

        if not content.strip():
            raise TokenError(f"Token file {path} is empty.")
        try:
            return cls(content)
        except TokenError as error:
            raise TokenError(f"Token file {path}: {error}") from None

    def reveal(self) -> str:
        """Return the secret itself; use it for the header and nothing else."""
        return self._secret

    @property
    def masked(self) -> str:
        """The token's kind without its secret part, e.g. `mlk_live_…`."""
        return _masked(self._secret)

    def __repr__(self) -> str:
        return f"Token({self.masked!r})"

    def __str__(self) -> str:
        return self.masked

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("A Token cannot be pickled.")


def _check_private(path: Path, mode: int) -> None:
    if os.name == "nt":  # POSIX modes mean nothing there.
        return
    if not stat.S_ISREG(mode):
        raise TokenError(f"Token file {path} is not a regular file.")
    if mode & 0o077:
        raise TokenError(
            f"Token file {path} can be read by others "
            f"(mode {stat.S_IMODE(mode):04o}); run `chmod 600 {path}`."
        )


def _read_ascii(fd: int, path: Path) -> str:
    chunks = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
        return b"".join(chunks).decode("ascii")
    except (OSError, UnicodeDecodeError):
        raise TokenError(f"Token file {path} cannot be read as ASCII text.") from None
