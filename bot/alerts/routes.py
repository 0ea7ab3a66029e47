"""`POST /alerts/alertmanager` and `POST /alerts/pagerduty`: check, store, answer, then work.

Answers: 200 once stored; 400 with a one-line reason for a body we cannot use; 401 for a
bad or missing token or signature; 404 when the endpoint is not configured; 413 for a body
over 1 MiB; 408 for one not received within HTTP_READ_TIMEOUT_SECONDS; 503 (so the sender
retries) only when the alert could not be stored. Nothing is stored, and Slack is not called,
for a refused request.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from aiohttp import web
from prometheus_client import Counter, Histogram

from bot.alerts.intake import (
    PAGERDUTY_EVENTS,
    BadAlert,
    ParsedGroup,
    pagerduty_event_type,
    parse_alertmanager,
    parse_json,
    parse_pagerduty,
)
from bot.alerts.transactions import IntakeWriter
from bot.alerts.worker import AlertWorker
from bot.core.http_bodies import MAX_BODY_BYTES, BodyRefused, read_body, too_large
from bot.core.runtime import Runtime
from storage import StorageUnavailable

log = logging.getLogger(__name__)

MAX_BODY = MAX_BODY_BYTES

ALERT_WEBHOOKS = Counter(
    "sisyphus_alert_webhooks_total",
    "Alert webhooks received, by source and answer",
    ["source", "status"],
)
ALERT_ANSWER_SECONDS = Histogram(
    "sisyphus_alert_answer_seconds", "Time to answer an alert webhook", ["source"]
)


# Who may post alerts: Alertmanager's bearer token, PagerDuty's v1 HMAC signatures, both
# compared in constant time.
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


def _answer(source: str, status: int, reason: str, started: float) -> web.Response:
    ALERT_WEBHOOKS.labels(source, str(status)).inc()
    ALERT_ANSWER_SECONDS.labels(source).observe(time.perf_counter() - started)
    response = web.Response(status=status, text=reason + "\n")
    if status in (408, 413):
        response.force_close()  # the rest of the body is not worth reading to keep-alive
    return response


async def _store(
    rt: Runtime, intake: IntakeWriter, source: str, parsed: ParsedGroup, started: float
) -> web.Response:
    try:
        group_id = await intake.store(parsed)
    except StorageUnavailable:
        return _answer(source, 503, "storage unavailable; please retry", started)
    except Exception:
        log.exception("could not store a %s alert", source)
        return _answer(source, 500, "could not store the alert; please retry", started)
    worker = AlertWorker.of(rt)
    if worker is not None:
        worker.kick(group_id)
    return _answer(source, 200, f"stored as alert group {group_id}", started)


def add_alert_routes(app: web.Application, rt: Runtime) -> None:
    intake = IntakeWriter(rt)
    read_timeout = rt.settings.http_read_timeout_seconds

    async def alertmanager(request: web.Request) -> web.Response:
        started = time.perf_counter()
        token = rt.settings.alert_webhook_token
        if token is None:
            return _answer("alertmanager", 404, "alert intake is not configured", started)
        if too_large(request, MAX_BODY):
            return _answer("alertmanager", 413, "body over 1 MiB", started)
        if not bearer_ok(request.headers.get("Authorization"), token.get_secret_value()):
            return _answer("alertmanager", 401, "missing or wrong bearer token", started)
        try:
            raw = await read_body(request, timeout=read_timeout, limit=MAX_BODY)
        except BodyRefused as refused:
            reason = "body over 1 MiB" if refused.status == 413 else refused.reason
            return _answer("alertmanager", refused.status, reason, started)
        try:
            parsed = parse_alertmanager(parse_json(raw), rt.settings)
        except BadAlert as exc:
            return _answer("alertmanager", 400, str(exc), started)
        return await _store(rt, intake, "alertmanager", parsed, started)

    async def pagerduty(request: web.Request) -> web.Response:
        started = time.perf_counter()
        secret = rt.settings.pagerduty_webhook_secret
        if secret is None:
            return _answer("pagerduty", 404, "PagerDuty intake is not configured", started)
        signature = request.headers.get("X-PagerDuty-Signature")
        if not signature:  # refused before the body is read
            return _answer("pagerduty", 401, "missing or wrong X-PagerDuty-Signature", started)
        try:
            raw = await read_body(request, timeout=read_timeout, limit=MAX_BODY)
        except BodyRefused as refused:
            reason = "body over 1 MiB" if refused.status == 413 else refused.reason
            return _answer("pagerduty", refused.status, reason, started)
        if not pagerduty_signature_ok(signature, secret.get_secret_value(), raw):
            return _answer("pagerduty", 401, "missing or wrong X-PagerDuty-Signature", started)
        try:
            body = parse_json(raw)
            kind = pagerduty_event_type(body)
            if kind not in PAGERDUTY_EVENTS:
                return _answer("pagerduty", 200, f"ignored: {kind[:60]}", started)
            parsed = parse_pagerduty(body)
        except BadAlert as exc:
            return _answer("pagerduty", 400, str(exc), started)
        return await _store(rt, intake, "pagerduty", parsed, started)

    app.router.add_post("/alerts/alertmanager", alertmanager)
    app.router.add_post("/alerts/pagerduty", pagerduty)
