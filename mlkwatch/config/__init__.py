"""mlkwatch's settings: the config file, profiles and connection resolution.

Textual-free and quick to import, so `mlkwatch config path` is instant.

    loaded = load_settings()
    for problem in loaded.problems:  # shown by the app, which then uses defaults
        ...
    target = resolve_connection(loaded.settings, profile_name="prod")
"""

from mlkwatch.settings._command import (
    EXAMPLE_CONFIG,
    config_main,
    write_example_config,
)
from mlkwatch.settings._connection import (
    TOKEN_ENV_VAR,
    ConfigError,
    ConnectionTarget,
    resolve_connection,
)
from mlkwatch.settings._load import (
    CONFIG_ENV_VAR,
    ConfigProblem,
    LoadedSettings,
    config_path,
    load_settings,
    parse_settings,
)
from mlkwatch.settings._model import (
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
    "LoadedSettings",
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
