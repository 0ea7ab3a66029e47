"""Who may post alerts: Alertmanager's bearer token, PagerDuty's v1 HMAC signatures.
Both are compared in constant time."""

from __future__ import annotations

import hashlib
import hmac


def bearer_ok(header: str | None, token: str) -> bool:
    """`Authorization: Bearer <token>` (what Alertmanager's http_config.authorization sends)."""
    if not header:
        return False
    scheme, _, given = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def pagerduty_signature_ok(header: str | None, secret: str, raw_body: bytes) -> bool:
    """`X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]`: HMAC-SHA256 of the raw body with the
    webhook subscription's secret. Several are listed while a secret is being rotated."""
    if not header:
        return False
    expected = "v1=" + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    found = False
    for candidate in header.split(","):
        # No early exit: every listed signature is compared.
        found |= hmac.compare_digest(candidate.strip().encode(), expected.encode())
    return found
