"""Logging to a private file, with secrets redacted and control codes escaped.

While the TUI owns the terminal, nothing may be written to it: a stray
warning would tear the screen. So `setup_logging` sends every log record to
a rotating file only the user can read, and `write_crash_report` lets the
command line print a one-line pointer instead of a traceback.

This module imports neither Textual nor Rich, so the command line can use it
before the app is loaded.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import platform
import re
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from mlkwatch import __version__

__all__ = [
    "LOGGER_NAME",
    "RedactingFilter",
    "escape_controls",
    "log_dir",
    "redact",
    "setup_logging",
    "write_crash_report",
]

LOGGER_NAME = "mlkwatch"
"""The logger every part of mlkwatch logs under."""

_LOG_FILE_NAME = "mlkwatch.log"
_MAX_LOG_BYTES = 1_000_000
_LOG_BACKUPS = 3
_PRIVATE_FILE = 0o600
_PRIVATE_DIR = 0o700

_REDACTED = "[redacted]"

# The value of an Authorization header or field, however it was written:
# `Authorization: Bearer x`, `'authorization': 'Basic x'`, `authorization=x`.
_AUTHORIZATION = re.compile(
    r"""(authorization['"]?\s*[:=]\s*['"]?)[^'"\r\n,;}]+""", re.IGNORECASE
)
_BEARER = re.compile(r"""(bearer\s+)[^\s'",;)\]}]+""", re.IGNORECASE)
# Broader than the token grammar on purpose: a mangled token is still secret.
_TOKEN = re.compile(r"""mlk_(live|test)_[^\s'",;)\]}]*""")


def _escape_table(keep_newlines: bool) -> dict[int, str]:
    codes = [
        *range(0x20),
        *range(0x7F, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        0x2028,
        0x2029,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        *range(0xD800, 0xE000),
    ]
    table = {code: _escaped(code) for code in codes}
    if keep_newlines:
        del table[ord("\n")]
    return table


def _escaped(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_ONE_LINE = _escape_table(keep_newlines=False)
_MULTILINE = _escape_table(keep_newlines=True)


def escape_controls(text: str, *, keep_newlines: bool = False) -> str:
    r"""Write control characters as `\xNN` or `\uNNNN` escapes.

    C0 and C1 controls, DEL, line separators, bidi overrides and lone
    surrogates are escaped, so the text can neither drive a terminal that
    shows it nor forge extra lines in a log file.

    Args:
        text: Any text.
        keep_newlines: Leave `\n` as is, for multi-line text such as a
            traceback.
    """
    return text.translate(_MULTILINE if keep_newlines else _ONE_LINE)


def redact(text: str) -> str:
    """Replace API tokens and Authorization values in `text`.

    Args:
        text: Any text that might carry a secret.

    Returns:
        The text with `mlk_live_…`/`mlk_test_…` tokens, `Bearer …` credentials
        and Authorization values replaced by a marker.
    """
    text = _AUTHORIZATION.sub(rf"\1{_REDACTED}", text)
    text = _BEARER.sub(rf"\1{_REDACTED}", text)
    return _TOKEN.sub(rf"mlk_\1_{_REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Redact secrets and escape control codes in every record it sees.

    Attach it to a handler, not a logger: a logger's filters do not see the
    records its children propagate. The message is formatted here, once, so
    secrets in `args` are caught whatever their type; the exception text is
    formatted here too, so a secret in an exception message is caught.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite `record` in place and let it through."""
        record.msg = escape_controls(redact(_message_of(record)))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _clean_block(record.exc_text)
        if record.stack_info:
            record.stack_info = _clean_block(record.stack_info)
        return True


def _message_of(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except (TypeError, ValueError):
        # A bad format string must not cost us the record.
        return f"{record.msg!s} {record.args!r}"


def _clean_block(text: str) -> str:
    return escape_controls(redact(text), keep_newlines=True)


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler whose files only their owner can read."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(
            self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, _PRIVATE_FILE
        )
        _make_private(fd)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def _make_private(fd: int) -> None:
    # A file created earlier with looser permissions is tightened, not trusted.
    if hasattr(os, "fchmod") and os.fstat(fd).st_mode & 0o077:
        os.fchmod(fd, _PRIVATE_FILE)


def log_dir() -> Path:
    """The directory holding mlkwatch's log, audit trail and crash reports."""
    return platformdirs.user_log_path("mlkwatch")


class _UTCFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(debug: bool, path: Path | None = None) -> Path:
    """Send mlkwatch's log records to a private rotating file.

    The `mlkwatch` logger logs at DEBUG with `debug`, at INFO otherwise, and
    stops propagating; other libraries' warnings and Python's `warnings`
    go to the same file, so none of them reach the terminal. Calling this
    again replaces the handlers an earlier call installed.

    Args:
        debug: Log at DEBUG level.
        path: The log file; by default `mlkwatch.log` in `log_dir()`. If it
            cannot be opened, a new private temporary directory is used.

    Returns:
        The path of the log file in use.

    Raises:
        OSError: If no log file at all can be opened. Logging is then
            silenced rather than sent to the terminal.
    """
    wanted = path if path is not None else log_dir() / _LOG_FILE_NAME
    logger = logging.getLogger(LOGGER_NAME)
    root = logging.getLogger()
    _remove_our_handlers(logger, root)

    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    logging.captureWarnings(True)
    try:
        handler, path, failure = _file_handler_with_fallback(wanted)
    except OSError:
        silence = _OurNullHandler()
        logger.addHandler(silence)
        root.addHandler(silence)
        raise

    logger.addHandler(handler)
    root.addHandler(handler)
    if root.level > logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)
    if failure is not None:
        logger.warning("cannot log to %s (%s); logging here instead", wanted, failure)
    return path


def _file_handler_with_fallback(
    path: Path,
) -> tuple[logging.Handler, Path, str | None]:
    """A handler for `path`, else for a new private temporary directory."""
    try:
        return _file_handler(path), path, None
    except OSError as error:
        fallback = Path(tempfile.mkdtemp(prefix="mlkwatch-log-")) / path.name
        reason = error.strerror or type(error).__name__
        return _file_handler(fallback), fallback, reason


def _file_handler(path: Path) -> logging.Handler:
    path.parent.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)
    handler = _PrivateRotatingFileHandler(
        path, maxBytes=_MAX_LOG_BYTES, backupCount=_LOG_BACKUPS, encoding="utf-8"
    )
    handler.addFilter(RedactingFilter())
    handler.setFormatter(_UTCFormatter(_FORMAT))
    return handler


class _OurNullHandler(logging.NullHandler):
    """Stands in when the file cannot be opened, so `lastResort` stays quiet."""


def _remove_our_handlers(*loggers: logging.Logger) -> None:
    ours = (_PrivateRotatingFileHandler, _OurNullHandler)
    for logger in loggers:
        for handler in list(logger.handlers):
            if isinstance(handler, ours):
                logger.removeHandler(handler)
                handler.close()


def write_crash_report(exc: BaseException, directory: Path | None = None) -> Path:
    """Write `exc`'s full traceback, redacted, to a new private file.

    Args:
        exc: The exception that ended the program.
        directory: Where to write; `log_dir()` by default. If that cannot be
            written, the system's temporary directory is used instead.

    Returns:
        The crash report's path, for a one-line pointer on the terminal.

    Raises:
        OSError: If neither directory can be written.
    """
    report = _crash_text(exc)
    directory = directory if directory is not None else log_dir()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    prefix = f"crash-{stamp}-"
    try:
        directory.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".txt", dir=directory)
    except OSError:
        fd, name = tempfile.mkstemp(prefix=f"mlkwatch-{prefix}", suffix=".txt")
    # mkstemp creates the file with mode 0600.
    with open(fd, "w", encoding="utf-8") as file:
        file.write(report)
    return Path(name)


def _crash_text(exc: BaseException) -> str:
    header = [
        f"mlkwatch {__version__} crashed at {datetime.now(UTC).isoformat()}",
        f"Python {platform.python_version()} on {platform.platform()}",
        f"Command: {' '.join(sys.argv)}",
        "",
    ]
    trace = "".join(traceback.format_exception(exc))
    return _clean_block("\n".join(header) + trace)
