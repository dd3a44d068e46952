"""Every remappable key of the app, by binding id, to check `[keys]` against."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches
from importlib import import_module

from textual.binding import Binding

_BOUND_CLASSES = {
    "mlkwatch.app.app": ["MonitorApp"],
    "mlkwatch.app.screens.runs": ["RunsScreen"],
    "mlkwatch.app.screens.run": ["RunScreen"],
    "mlkwatch.app.screens.flows": ["FlowsScreen"],
    "mlkwatch.app.screens.flow": ["FlowScreen"],
    "mlkwatch.app.screens.connections": ["ConnectionsScreen"],
    "mlkwatch.app.screens.webhooks": ["WebhooksScreen"],
    "mlkwatch.app.screens.confirm": ["ConfirmScreen"],
    "mlkwatch.app.widgets": ["RunTable", "Waterfall", "JsonView", "StepInspector"],
}
"""Where the app's bindings are declared (subclasses inherit theirs)."""


def binding_ids() -> set[str]:
    """The id of every binding a user may remap."""
    ids: set[str] = set()
    for module, names in _BOUND_CLASSES.items():
        loaded = import_module(module)
        for name in names:
            for cls in getattr(loaded, name).__mro__:
                ids.update(_ids(vars(cls).get("BINDINGS", ())))
    return ids


def _ids(bindings: Iterable[object]) -> Iterable[str]:
    for binding in bindings:
        if isinstance(binding, Binding) and binding.id:
            yield binding.id


def unknown_key_ids(keymap: Iterable[str]) -> list[str]:
    """Explain each id in `keymap` that no binding has, with a likely fix."""
    known = binding_ids()
    problems = []
    for binding_id in keymap:
        if binding_id in known:
            continue
        close = get_close_matches(binding_id, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(f"[keys] names no key {binding_id!r}{hint}")
    return problems
