"""Values signed with WEB_SESSION_SECRET: the session cookie and the sign-in state cookie.

`<base64url JSON>.<base64url HMAC-SHA256>`; the MAC covers a purpose as well, so a state
cookie can never pass for a session. Every value carries its own expiry (`exp`, Unix time).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}.{body}".encode(), hashlib.sha256).digest()
    return _b64(digest)


def sign(secret: str, purpose: str, payload: dict[str, Any], *, expires: float) -> str:
    body = _b64(json.dumps({**payload, "exp": int(expires)}, separators=(",", ":")).encode())
    return f"{body}.{_mac(secret, purpose, body)}"


def unsign(secret: str, purpose: str, value: str | None, *, now: float) -> dict[str, Any] | None:
    """The payload, or None when the value is missing, forged, for another purpose or expired."""
    if not value or value.count(".") != 1 or len(value) > 4096:
        return None
    body, mac = value.split(".")
    if not hmac.compare_digest(mac, _mac(secret, purpose, body)):
        return None
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        return None
    return payload if payload["exp"] > now else None
