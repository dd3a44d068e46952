"""Logging: a private file, secrets redacted, nothing on the terminal."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlkwatch.logs import (
    RedactingFilter,
    escape_controls,
    redact,
    setup_logging,
    write_crash_report,
)

TOKEN = "mlk_live_Qq7s3cretLogs"
TEST_TOKEN = "mlk_test_Ww8s3cretLogs"
SECRET_PART = "s3cretLogs"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Undo what `setup_logging` does to the process-wide logging state."""
    ours = logging.getLogger("mlkwatch")
    root = logging.getLogger()
    saved = (ours.level, ours.propagate, root.level)
    before = {id(h) for h in [*ours.handlers, *root.handlers]}
    yield
    for logger in (ours, root):
        for handler in list(logger.handlers):
            if id(handler) not in before:
                logger.removeHandler(handler)
                handler.close()
    ours.level, ours.propagate, root.level = saved
    logging.captureWarnings(False)


def filtered(record: logging.LogRecord) -> str:
    RedactingFilter().filter(record)
    return logging.Formatter("%(message)s").format(record)


def make_record(msg: object, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError(f"401 for Authorization: Bearer {TOKEN}")
        except RuntimeError as error:
            exc_info = (type(error), error, error.__traceback__)
    return logging.LogRecord(
        "mlkwatch.client", logging.INFO, __file__, 1, msg, args or None, exc_info
    )


# -- redaction ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token {TOKEN} used", "token mlk_live_[redacted] used"),
        (f"token={TEST_TOKEN},x", "token=mlk_test_[redacted],x"),
        ("Authorization: Bearer abc.def", "Authorization: [redacted]"),
        ("{'authorization': 'Basic dXNlcg=='}", "{'authorization': '[redacted]'}"),
        ("header bearer xyz123 sent", "header bearer [redacted] sent"),
        ("run_42 failed: step_3", "run_42 failed: step_3"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_filter_redacts_the_message() -> None:
    assert SECRET_PART not in filtered(make_record(f"using {TOKEN}"))


def test_the_filter_redacts_args_of_any_type() -> None:
    class Leaky:
        def __str__(self) -> str:
            return f"Leaky({TOKEN})"

    record = make_record("%s %r %d", {"Authorization": f"Bearer {TOKEN}"}, Leaky(), 7)
    text = filtered(record)

    assert SECRET_PART not in text
    assert text.endswith(" 7")


def test_the_filter_redacts_exception_text() -> None:
    record = make_record("request failed", exc=True)
    text = filtered(record)

    assert "RuntimeError: 401 for Authorization: [redacted]" in text
    assert "Traceback" in text
    assert SECRET_PART not in text


def test_the_filter_keeps_records_whose_format_is_broken() -> None:
    text = filtered(make_record("%d items", "many"))
    assert "%d items" in text
    assert "many" in text


def test_the_filter_escapes_control_characters_so_lines_cannot_be_forged() -> None:
    text = filtered(make_record("step said %s", "ok\nERROR forged\x1b[31m\r"))

    assert text == "step said ok\\x0aERROR forged\\x1b[31m\\x0d"


def test_escape_controls() -> None:
    assert escape_controls("a\tb\x7f\x9b\u202e\ud800") == (
        "a\\x09b\\x7f\\x9b\\u202e\\ud800"
    )
    assert escape_controls("one\ntwo\r", keep_newlines=True) == "one\ntwo\\x0d"
    assert escape_controls("naïve ✔ 日本") == "naïve ✔ 日本"


# -- the log file ----------------------------------------------------------------


@pytest.mark.usefixtures("restore_logging")
def test_records_go_to_a_private_file_redacted_and_not_to_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "logs" / "mlkwatch.log"

    assert setup_logging(debug=True, path=path) == path
    logging.getLogger("mlkwatch.client").debug("GET /v1/runs with %s", TOKEN)
    logging.getLogger("some.library").warning("library trouble")
    logging.getLogger("some.library").info("library chatter")
    warnings.warn("deprecated thing", DeprecationWarning, stacklevel=1)

    text = path.read_text()
    assert "GET /v1/runs with mlk_live_[redacted]" in text
    assert "library trouble" in text
    assert "library chatter" not in text
    assert "deprecated thing" in text
    assert SECRET_PART not in text
    assert capsys.readouterr() == ("", "")
    if os.name != "nt":
        assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.usefixtures("restore_logging")
def test_without_debug_debug_records_are_dropped(tmp_path: Path) -> None:
    path = setup_logging(debug=False, path=tmp_path / "mlkwatch.log")

    logging.getLogger("mlkwatch").debug("noisy detail")
    logging.getLogger("mlkwatch").info("one request")

    text = path.read_text()
    assert "one request" in text
    assert "noisy detail" not in text


@pytest.mark.usefixtures("restore_logging")
def test_a_second_setup_replaces_the_first(tmp_path: Path) -> None:
    first = setup_logging(debug=False, path=tmp_path / "first.log")
    second = setup_logging(debug=False, path=tmp_path / "second.log")

    logging.getLogger("mlkwatch").warning("once")

    assert "once" not in first.read_text()
    assert second.read_text().count("once") == 1


@pytest.mark.usefixtures("restore_logging")
def test_an_unwritable_log_dir_falls_back_to_a_private_temp_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")

    path = setup_logging(debug=False, path=blocker / "mlkwatch.log")
    logging.getLogger("mlkwatch").warning("still logged")

    assert path.parent != blocker
    text = path.read_text()
    assert f"cannot log to {blocker / 'mlkwatch.log'}" in text
    assert "still logged" in text
    assert capsys.readouterr() == ("", "")


# -- crash reports ----------------------------------------------------------------


def fail_deep() -> None:
    raise ValueError(f"server echoed Bearer {TOKEN} and \x1b]0;title\x07")


def test_a_crash_report_has_the_traceback_but_no_token(tmp_path: Path) -> None:
    try:
        try:
            fail_deep()
        except ValueError as error:
            raise RuntimeError("while refreshing runs") from error
    except RuntimeError as error:
        path = write_crash_report(error, directory=tmp_path)

    text = path.read_text()
    assert path.parent == tmp_path
    assert "Traceback (most recent call last)" in text
    assert "in fail_deep" in text
    assert "ValueError: server echoed Bearer [redacted]" in text
    assert "RuntimeError: while refreshing runs" in text
    assert SECRET_PART not in text
    assert "\x1b" not in text
    assert "\x07" not in text
    if os.name != "nt":
        assert path.stat().st_mode & 0o777 == 0o600


def test_a_crash_report_falls_back_to_the_temp_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")

    path = write_crash_report(RuntimeError("boom"), directory=blocker)
    try:
        assert path.parent != blocker
        assert "RuntimeError: boom" in path.read_text()
    finally:
        path.unlink()
