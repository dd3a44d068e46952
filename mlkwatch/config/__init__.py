"""mlkwatch's settings: the config file, profiles and connection resolution.

Textual-free and quick to import, so `mlkwatch config path` is instant.

    settings, problems = load_settings()  # defaults if there are problems
    for problem in problems:
        print(problem)  # "line 12: profiles.prod.read_only: must be true or false"
    target = resolve_connection(settings, profile_name="prod")
"""

from mlkwatch.config._command import (
    EXAMPLE_CONFIG,
    config_main,
    write_example_config,
)
from mlkwatch.config._connection import (
    TOKEN_ENV_VAR,
    ConfigError,
    ConnectionTarget,
    resolve_connection,
)
from mlkwatch.config._load import (
    CONFIG_ENV_VAR,
    ConfigProblem,
    config_path,
    load_settings,
    parse_settings,
)
from mlkwatch.config._model import (
    DEFAULT_BASE_URL,
    DEFAULT_THEME,
    NotifySettings,
    Profile,
    RefreshSettings,
    RunFilters,
    Settings,
)

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_BASE_URL",
    "DEFAULT_THEME",
    "EXAMPLE_CONFIG",
    "TOKEN_ENV_VAR",
    "ConfigError",
    "ConfigProblem",
    "ConnectionTarget",
    "NotifySettings",
    "Profile",
    "RefreshSettings",
    "RunFilters",
    "Settings",
    "config_main",
    "config_path",
    "load_settings",
    "parse_settings",
    "resolve_connection",
    "write_example_config",
]
