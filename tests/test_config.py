"""The config file: loading, validation with line and key, and connections."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlkwatch.config import (
    DEFAULT_BASE_URL,
    EXAMPLE_CONFIG,
    ConfigError,
    ConfigProblem,
    Profile,
    RunFilters,
    Settings,
    config_main,
    config_path,
    load_settings,
    parse_settings,
    resolve_connection,
)

TOKEN = "mlk_live_s3cretS3cret"
OTHER_TOKEN = "mlk_test_0therT0ken"


def parse(text: str, **kwargs: Any) -> tuple[Settings, tuple[ConfigProblem, ...]]:
    return parse_settings(text, base_dir=Path("/cfg"), **kwargs)


def only_problem(text: str, **kwargs: object) -> ConfigProblem:
    settings, problems = parse(text, **kwargs)
    assert settings == Settings(), "a broken file must give the defaults"
    assert len(problems) == 1, problems
    return problems[0]


def uncommented(example: str) -> str:
    """The example with its commented-out settings and tables switched on."""
    setting = re.compile(r'# ((?:\[|"?[a-z_.]+"? = ).*)$')
    return "\n".join(
        setting.sub(r"\1", line) if setting.match(line) else line
        for line in example.splitlines()
    )


def private_file(path: Path, content: str, mode: int = 0o600) -> Path:
    path.write_text(content)
    path.chmod(mode)
    return path


# -- the example config ---------------------------------------------------


def test_example_config_loads_as_the_defaults() -> None:
    assert parse(EXAMPLE_CONFIG) == (Settings(), ())


def test_example_config_with_everything_uncommented_is_valid() -> None:
    settings, problems = parse(uncommented(EXAMPLE_CONFIG))

    assert problems == ()
    assert settings.default_profile == "prod"
    assert settings.keys == {"run.cancel": "x,ctrl+k"}
    prod = settings.profiles["prod"]
    assert prod == Profile(
        name="prod",
        base_url=DEFAULT_BASE_URL,
        token_env="MLK_PROD_KEY",
        read_only=True,
        filters=RunFilters(
            status=("failed", "running"), flow="nightly-billing", text="timeout"
        ),
    )
    staging = settings.profiles["staging"]
    assert staging.token_file == Path.home() / ".config/mlkwatch/staging.token"
    assert staging.filters.correlation_id == "order-1234"


def test_init_writes_the_example_privately_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep" / "dir" / "config.toml"
    env = {"MLKWATCH_CONFIG": str(path)}

    assert config_main(["init"], env) == 0
    assert path.read_text() == EXAMPLE_CONFIG
    assert path.stat().st_mode & 0o777 == 0o600
    assert str(path) in capsys.readouterr().out

    path.write_text("theme = 'nord'\n")
    assert config_main(["init"], env) == 1
    assert "--force" in capsys.readouterr().err
    assert path.read_text() == "theme = 'nord'\n"

    path.chmod(0o644)
    assert config_main(["init", "--force"], env) == 0
    assert path.read_text() == EXAMPLE_CONFIG
    assert path.stat().st_mode & 0o777 == 0o600


def test_path_prints_the_config_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mine.toml"

    assert config_main(["path"], {"MLKWATCH_CONFIG": str(path)}) == 0
    assert capsys.readouterr().out == f"{path}\n"


def test_path_defaults_to_the_user_config_dir() -> None:
    path = config_path({})
    assert path.name == "config.toml"
    assert path.parent.name == "mlkwatch"


def test_check_reports_problems_with_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("theme = 'nord'\n[notify]\nbell = 'yes'\n")

    assert config_main(["check"], {"MLKWATCH_CONFIG": str(path)}) == 1
    assert f"{path}: line 3: notify.bell: must be true or false" in (
        capsys.readouterr().err
    )


def test_usage_errors_return_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert config_main([], {}) == 2
    assert config_main(["frobnicate"], {}) == 2


# -- loading ----------------------------------------------------------------


def test_a_missing_file_gives_the_defaults_quietly(tmp_path: Path) -> None:
    assert load_settings({}, path=tmp_path / "absent.toml") == (Settings(), ())


def test_a_missing_file_named_by_the_env_var_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    settings, problems = load_settings({"MLKWATCH_CONFIG": str(path)})

    assert settings == Settings()
    assert "MLKWATCH_CONFIG" in str(problems[0])
    assert str(path) in str(problems[0])


def test_a_broken_file_gives_defaults_and_problems(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[profiles.prod]\nread_only = true\ntheme = \n")

    settings, problems = load_settings({"MLKWATCH_CONFIG": str(path)})

    assert settings == Settings()
    assert problems[0].line == 3


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"theme = 'nord'\n# caf\xe9\n")

    _, problems = load_settings({}, path=path)

    assert problems == (ConfigProblem("is not UTF-8 text", line=2),)


def test_a_valid_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'default_profile = "prod"\ntheme = "mlkwatch-16"\n'
        "[refresh]\nbudget_share = 1\n"
        "[notify]\nbell = true\nwatched_flows = ['billing', 'flow_7']\n"
        "[profiles.prod]\ntoken_file = 'prod.token'\n"
        "[profiles.prod.filters]\nstatus = 'failed'\n"
    )

    settings, problems = load_settings({}, path=path)

    assert problems == ()
    assert settings.theme == "mlkwatch-16"
    assert settings.refresh.budget_share == 1.0
    assert settings.notify.bell is True
    assert settings.notify.toast is True
    assert settings.notify.watched_flows == ("billing", "flow_7")
    assert settings.profiles["prod"].token_file == tmp_path / "prod.token"
    assert settings.profiles["prod"].filters.status == ("failed",)


# -- every problem names its line and key ------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "key", "fragment"),
    [
        ("theme = 'nord'\n\nbell = true\n", 3, "bell", "not a setting"),
        ("[notify]\ntoast = true\nbel = true\n", 3, "notify.bel", "'bell'?"),
        ("[notify]\nbell = 'yes'\n", 2, "notify.bell", "true or false"),
        ("[notify]\nwatched_flows = [1, 2]\n", 2, "notify.watched_flows", "string"),
        ("theme = 3\n", 1, "theme", "in quotes"),
        ("refresh = 0.5\n", 1, "refresh", "a table such as [refresh]"),
        ("[refresh]\nbudget_share = 0\n", 2, "refresh.budget_share", "more than 0"),
        ("[refresh]\nbudget_share = 1.5\n", 2, "refresh.budget_share", "at most 1"),
        ("[refresh]\nbudget_share = 'half'\n", 2, "refresh.budget_share", "number"),
        ("[refresh]\nbudget_share = true\n", 2, "refresh.budget_share", "number"),
        ("default_profile = 'prod'\n", 1, "default_profile", "names no profile"),
        (
            "[profiles.prod]\nbase_url = 'ftp://x'\n",
            2,
            "profiles.prod.base_url",
            "http(s) URL",
        ),
        (
            "[profiles.prod]\nbase_url = 'http://api.example.com/v1'\n",
            2,
            "profiles.prod.base_url",
            "unencrypted",
        ),
        (
            "[profiles.prod]\ntoken_env = 'not a name'\n",
            2,
            "profiles.prod.token_env",
            "environment variable",
        ),
        (
            "[profiles.prod]\ntoken_env = 'A'\ntoken_file = 'b'\n",
            3,
            "profiles.prod.token_file",
            "not both",
        ),
        (
            "[profiles.prod]\nread_only = 1\n",
            2,
            "profiles.prod.read_only",
            "true or false",
        ),
        (
            "[profiles.prod]\nreadonly = true\n",
            2,
            "profiles.prod.readonly",
            "'read_only'?",
        ),
        (
            "[profiles.prod]\n\n[profiles.prod.filters]\nstatus = ['faild']\n",
            4,
            "profiles.prod.filters.status",
            "'failed'?",
        ),
        (
            "[profiles]\nprod = { base_url = 'x://y' }\n",
            2,
            "profiles.prod.base_url",
            "http(s) URL",
        ),
        ("[keys]\n'runs.cancel' = 5\n", 2, "keys.runs.cancel", "key string"),
        ("[keys]\nruns.cancel = 'ctl+x'\n", 2, "keys.runs.cancel", "modifier"),
    ],
)
def test_each_problem_names_line_and_key(
    text: str, line: int, key: str, fragment: str
) -> None:
    problem = only_problem(text)

    assert (problem.line, problem.key) == (line, key)
    assert fragment in problem.message
    assert str(problem).startswith(f"line {line}: {key}: ")


def test_lines_inside_multiline_strings_are_not_mistaken_for_keys() -> None:
    text = '[profiles.p.filters]\ntext = """\nflow = 1\n"""\nflow = 2\n'

    problem = only_problem(text)

    assert (problem.line, problem.key) == (5, "profiles.p.filters.flow")


def test_a_syntax_error_names_line_and_key() -> None:
    problem = only_problem("theme = 'nord'\n[notify]\nbell = yes\n")

    assert (problem.line, problem.key) == (3, "notify.bell")
    assert "not valid TOML" in problem.message


def test_all_problems_are_reported_at_once_in_file_order() -> None:
    _, problems = parse("[notify]\nbell = 2\ntoast = 3\n[refresh]\ntheme = 1\n")
    assert [problem.line for problem in problems] == [2, 3, 5]


def test_problems_never_echo_control_characters() -> None:
    problem = only_problem('theme = "no\\u001b[2Jrd"\n', theme_names={"nord"})
    assert "\x1b" not in str(problem)
    assert "\\x1b" in str(problem)


def test_theme_is_checked_against_the_known_names() -> None:
    names = {"textual-dark", "nord", "mlkwatch-16"}

    problem = only_problem("theme = 'nrod'\n", theme_names=names)
    assert (problem.line, problem.key) == (1, "theme")
    assert "'nord'?" in problem.message
    assert parse("theme = 'mlkwatch-16'\n", theme_names=names)[1] == ()


def test_binding_ids_are_checked_when_known() -> None:
    problem = only_problem(
        "[keys]\n'runs.cancle' = 'x'\n", binding_ids={"runs.cancel", "runs.replay"}
    )
    assert (problem.line, problem.key) == (2, "keys.runs.cancle")
    assert "'runs.cancel'?" in problem.message


# -- key strings ------------------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    ["x", "X", "?", "ctrl+k", "shift+f5", "escape", "question_mark", "x, ctrl+x"],
)
def test_valid_key_strings_are_kept(keys: str) -> None:
    settings, problems = parse(f"[keys]\n'runs.cancel' = '{keys}'\n")
    assert problems == ()
    assert settings.keys["runs.cancel"] == keys.replace(" ", "")


def test_punctuation_names_are_valid_keys() -> None:
    _, problems = parse("[keys]\na = 'less_than_sign'\nb = 'ctrl+full_stop'\n")
    assert problems == ()


@pytest.mark.parametrize(
    ("keys", "fragment"),
    [
        ("", "empty"),
        ("x,,y", "empty alternative"),
        ("ctrl+", "ends without a key"),
        ("ctrl+ctrl+x", "repeats"),
        ("hyperdrive+x", "unknown modifier"),
        ("escpae", "not a key name"),
        ("Escape", "not a key name"),
        (" ", "empty"),
    ],
)
def test_invalid_key_strings_are_problems(keys: str, fragment: str) -> None:
    problem = only_problem(f"[keys]\n\n'runs.cancel' = '{keys}'\n")
    assert (problem.line, problem.key) == (3, "keys.runs.cancel")
    assert fragment in problem.message


# -- resolving a connection ------------------------------------------------


def settings_with(**profiles: Profile) -> Settings:
    return Settings(profiles=profiles)


def test_mlk_key_works_without_any_profile() -> None:
    target = resolve_connection(Settings(), env={"MLK_KEY": TOKEN})

    assert target.token.reveal() == TOKEN
    assert target.base_url == DEFAULT_BASE_URL
    assert target.read_only is False
    assert target.profile_name is None
    assert TOKEN not in repr(target)


def test_no_token_anywhere_says_what_to_do() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_connection(Settings(), env={"MLKWATCH_CONFIG": "/x/config.toml"})

    message = str(caught.value)
    assert "MLK_KEY" in message
    assert "--profile" in message
    assert "/x/config.toml" in message


def test_a_profile_token_env_wins_over_mlk_key() -> None:
    settings = settings_with(prod=Profile("prod", token_env="PROD_KEY"))
    env = {"PROD_KEY": TOKEN, "MLK_KEY": OTHER_TOKEN}

    target = resolve_connection(settings, "prod", env=env)

    assert target.token.reveal() == TOKEN
    assert target.profile_name == "prod"


def test_an_unset_token_env_does_not_fall_back_to_mlk_key() -> None:
    settings = settings_with(prod=Profile("prod", token_env="PROD_KEY"))

    with pytest.raises(ConfigError, match=r"\$PROD_KEY, which is not set"):
        resolve_connection(settings, "prod", env={"MLK_KEY": OTHER_TOKEN})


def test_a_profile_without_a_token_source_uses_mlk_key() -> None:
    settings = settings_with(prod=Profile("prod", base_url="https://x.test/v1/"))

    target = resolve_connection(settings, "prod", env={"MLK_KEY": TOKEN})

    assert target.token.reveal() == TOKEN
    assert target.base_url == "https://x.test/v1"


def test_the_default_profile_is_used_without_a_flag() -> None:
    settings = Settings(
        default_profile="prod",
        profiles={"prod": Profile("prod", token_env="PROD_KEY", read_only=True)},
    )

    target = resolve_connection(settings, env={"PROD_KEY": TOKEN})

    assert (target.profile_name, target.read_only) == ("prod", True)


def test_flags_win_over_the_profile() -> None:
    settings = settings_with(prod=Profile("prod", base_url="https://x.test/v1"))

    target = resolve_connection(
        settings, "prod", "http://127.0.0.1:8000/v1", True, {"MLK_KEY": TOKEN}
    )

    assert target.base_url == "http://127.0.0.1:8000/v1"
    assert target.read_only is True


def test_the_read_only_flag_cannot_loosen_a_read_only_profile() -> None:
    settings = settings_with(prod=Profile("prod", read_only=True))

    target = resolve_connection(settings, "prod", None, False, {"MLK_KEY": TOKEN})

    assert target.read_only is True


def test_an_unencrypted_remote_base_url_flag_is_refused() -> None:
    with pytest.raises(ConfigError, match="unencrypted"):
        resolve_connection(
            Settings(),
            base_url_flag="http://api.example.com/v1",
            env={"MLK_KEY": TOKEN},
        )


def test_an_unknown_profile_lists_the_known_ones() -> None:
    settings = settings_with(prod=Profile("prod"), stage=Profile("stage"))

    with pytest.raises(ConfigError) as caught:
        resolve_connection(settings, "prdo", env={"MLK_KEY": TOKEN})

    assert "'prdo'" in str(caught.value)
    assert "'prod', 'stage'" in str(caught.value)


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_private_token_file_is_accepted(tmp_path: Path, mode: int) -> None:
    token_file = private_file(tmp_path / "prod.token", f"{TOKEN}\n", mode)
    settings = settings_with(prod=Profile("prod", token_file=token_file))

    target = resolve_connection(settings, "prod", env={"MLK_KEY": OTHER_TOKEN})

    assert target.token.reveal() == TOKEN


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_a_token_file_others_can_read_is_refused_with_the_fix(
    tmp_path: Path,
) -> None:
    token_file = private_file(tmp_path / "prod.token", TOKEN, 0o644)
    settings = settings_with(prod=Profile("prod", token_file=token_file))

    with pytest.raises(ConfigError) as caught:
        resolve_connection(settings, "prod", env={})

    message = str(caught.value)
    assert f"chmod 600 {token_file}" in message
    assert "'prod'" in message
    assert TOKEN not in message


def test_a_missing_token_file_is_a_clear_error(tmp_path: Path) -> None:
    settings = settings_with(prod=Profile("prod", token_file=tmp_path / "nope"))

    with pytest.raises(ConfigError, match="does not exist"):
        resolve_connection(settings, "prod", env={})


def test_a_malformed_mlk_key_is_a_config_error_without_the_value() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_connection(Settings(), env={"MLK_KEY": "mlk_live_bad value"})
    assert "bad value" not in str(caught.value)


# -- boundaries --------------------------------------------------------------


def test_config_logs_and_audit_import_neither_textual_nor_httpx() -> None:
    code = (
        "import sys, mlkwatch.config, mlkwatch.logs, mlkwatch.audit\n"
        "heavy = {'textual', 'rich', 'httpx'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


async def test_the_16_colour_theme_can_be_applied() -> None:
    from textual.app import App

    from mlkwatch.app.themes import MLKWATCH_16, register_themes

    app: App[None] = App()
    async with app.run_test():
        register_themes(app)
        app.theme = MLKWATCH_16.name
        assert app.current_theme.name == "mlkwatch-16"
        assert app.current_theme.ansi is True
