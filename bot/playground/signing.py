"""Signing requests as Slack does: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")."""

from __future__ import annotations

import hashlib
import hmac
import time


def slack_signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: str, content_type: str, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": slack_signature(secret, ts, body),
        "Content-Type": content_type,
    }
