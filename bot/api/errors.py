"""What a read answers instead of data: a status and one line of reason (never a value that
was not the asker's own, never whether a private incident exists)."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}


def bad_request(reason: str) -> ApiError:
    return ApiError(400, reason)


def not_found(incident_id: int) -> ApiError:
    """The same answer for an incident that does not exist and one the asker may not see."""
    return ApiError(404, f"no incident #{incident_id}")
