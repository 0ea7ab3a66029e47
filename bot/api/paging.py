"""Cursors for keyset paging: an opaque, URL-safe string holding the last row's sort key (a
time and an id), so a page never shifts when rows are added before it."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from bot.api.errors import bad_request

MAX_LIMIT = 200


def encode_cursor(moment: datetime, row_id: int) -> str:
    raw = f"{moment.astimezone(UTC).isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, row_id = raw.partition("|")
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError("no zone")
        return parsed.astimezone(UTC), int(row_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise bad_request("cursor is not one this API gave out") from None


def page_limit(value: object, default: int = 50, maximum: int = MAX_LIMIT) -> int:
    if value is None or value == "":
        return default
    try:
        limit = int(str(value))
    except ValueError:
        raise bad_request(f"limit must be a whole number from 1 to {maximum}") from None
    if not 1 <= limit <= maximum:
        raise bad_request(f"limit must be a whole number from 1 to {maximum}")
    return limit
