"""The one exception every route raises to answer in the contract's shape."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error response: status, `code`, `message` and optional details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self, request_id: str) -> dict[str, Any]:
        """The JSON body, carrying the request's id."""
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "request_id": request_id,
        }
        if self.errors:
            body["errors"] = self.errors
        return body


def invalid(field: str, message: str) -> ApiError:
    """A 400 `validation_failed` about one field."""
    return ApiError(
        400,
        "validation_failed",
        f"{field}: {message}",
        errors=[{"field": field, "message": message}],
    )


def not_found(kind: str, ident: str) -> ApiError:
    """A 404 for an object of `kind` (flow, run, …) not in this workspace."""
    shown = ident if len(ident) <= 80 else ident[:80] + "…"
    return ApiError(404, f"{kind}_not_found", f"no {kind} {shown!r} in this workspace")


def conflict(code: str, message: str) -> ApiError:
    """A 409 with `code`."""
    return ApiError(409, code, message)
