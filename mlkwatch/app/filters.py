"""The runs filter: what the user types after `/`, parsed and applied.

A query is words separated by spaces. `status:failed,running`, `flow:refund`
(a flow id or part of its name), `corr:ord_99421` (a correlation id, or part
of one) narrow the runs; any other word must appear in the run's id, flow,
correlation id or error. Everything combines with "and".
"""

from __future__ import annotations

from dataclasses import dataclass

from mlkwatch.app.sync import ServerFilter
from mlkwatch.client import Run, RunStatus

_KEYS = {
    "status": "status",
    "s": "status",
    "flow": "flow",
    "f": "flow",
    "corr": "correlation",
    "correlation": "correlation",
    "c": "correlation",
}


class FilterError(ValueError):
    """A query the user typed that cannot be understood."""


@dataclass(frozen=True, slots=True)
class RunFilter:
    """A parsed runs filter; the empty filter matches every run."""

    statuses: tuple[str, ...] = ()
    flow: str = ""
    correlation: str = ""
    words: tuple[str, ...] = ()

    @classmethod
    def parse(cls, query: str) -> RunFilter:
        """Parse a query, raising `FilterError` with a readable reason."""
        statuses: list[str] = []
        flow = correlation = ""
        words: list[str] = []
        for token in query.split():
            key, sep, value = token.partition(":")
            field = _KEYS.get(key.lower()) if sep else None
            if field is None:
                words.append(token.casefold())
            elif not value:
                raise FilterError(f"`{key}:` needs a value, e.g. {key}:failed")
            elif field == "status":
                statuses.extend(_parse_statuses(value))
            elif field == "flow":
                flow = value
            else:
                correlation = value
        return cls(tuple(statuses), flow, correlation, tuple(words))

    @property
    def is_empty(self) -> bool:
        return not (self.statuses or self.flow or self.correlation or self.words)

    def describe(self) -> str:
        """The filter written back as a query."""
        parts = []
        if self.statuses:
            parts.append("status:" + ",".join(self.statuses))
        if self.flow:
            parts.append(f"flow:{self.flow}")
        if self.correlation:
            parts.append(f"corr:{self.correlation}")
        parts.extend(self.words)
        return " ".join(parts)

    def server_side(self) -> ServerFilter:
        """The part of this filter the API can apply itself."""
        return ServerFilter(
            statuses=self.statuses,
            flow_id=self.flow if self.flow.startswith("flw_") else None,
            correlation_id=self.correlation or None,
        )

    def matches(self, run: Run) -> bool:
        """Tell whether `run` passes every part of the filter."""
        if self.statuses and run.status not in self.statuses:
            return False
        if self.flow and not (
            run.flow_id == self.flow or self.flow.casefold() in run.flow_name.casefold()
        ):
            return False
        correlation = run.correlation_id or ""
        if self.correlation and self.correlation not in correlation:
            return False
        if self.words:
            haystack = " ".join(
                [run.id, run.flow_name, run.flow_id, correlation, _error_text(run)]
            ).casefold()
            return all(word in haystack for word in self.words)
        return True


def _error_text(run: Run) -> str:
    if run.error is None:
        return ""
    return f"{run.error.code} {run.error.message}"


def _parse_statuses(value: str) -> list[str]:
    known = {status.value for status in RunStatus}
    statuses = [part for part in value.lower().split(",") if part]
    unknown = [status for status in statuses if status not in known]
    if unknown:
        raise FilterError(
            f"unknown status {unknown[0]!r}; use one of {', '.join(sorted(known))}"
        )
    return statuses
