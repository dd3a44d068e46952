"""The widgets mlkwatch's screens are built from."""

from mlkwatch.app.widgets._json_view import JsonView
from mlkwatch.app.widgets._run_table import RunTable
from mlkwatch.app.widgets._sparkline import sparkline
from mlkwatch.app.widgets._status_bar import Identity, StatusBar, SyncMode
from mlkwatch.app.widgets._step_inspector import StepInspector
from mlkwatch.app.widgets._waterfall import Waterfall

__all__ = [
    "Identity",
    "JsonView",
    "RunTable",
    "StatusBar",
    "StepInspector",
    "SyncMode",
    "Waterfall",
    "sparkline",
]
