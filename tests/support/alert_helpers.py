"""Sending alert webhooks to a running bot, built from the payloads in tests/support/payloads."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
from typing import Any

import aiohttp
from sqlmodel import col, select

from storage.models.alerts import Alert, AlertGroup
from storage.models.incidents import Incident
from tests.conftest import RunningBot
from tests.support.slack_requests import load_payload

ALERT_TOKEN = "alert-token-for-tests-0123"
PD_SECRET = "test-pd-secret"  # the secret of pagerduty_v3_signature_vector.computed.json
ALERT_CHANNEL = "CALERTS"
ALERT_SETTINGS: dict[str, Any] = {
    "alert_webhook_token": ALERT_TOKEN,
    "alert_channel": ALERT_CHANNEL,
    "pagerduty_webhook_secret": PD_SECRET,
}


def firing(**changes: Any) -> dict[str, Any]:
    """alertmanager_v4_firing.constructed.json, with top-level fields changed."""
    payload = copy.deepcopy(load_payload("alertmanager_v4_firing.constructed.json"))
    payload.update(changes)
    return payload


def resolved(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(load_payload("alertmanager_v4_resolved.constructed.json"))
    payload.update(changes)
    return payload


def with_severity(payload: dict[str, Any], severity: str) -> dict[str, Any]:
    payload["commonLabels"]["severity"] = severity
    for alert in payload["alerts"]:
        alert["labels"]["severity"] = severity
    return payload


def second_group(payload: dict[str, Any], name: str = "DiskFull") -> dict[str, Any]:
    payload["groupKey"] = f'{{}}:{{alertname="{name}"}}'
    payload["groupLabels"] = {"alertname": name}
    payload["commonLabels"]["alertname"] = name
    payload["commonAnnotations"]["summary"] = f"{name} on checkout"
    for alert in payload["alerts"]:
        alert["labels"]["alertname"] = name
        alert["fingerprint"] = hashlib.sha256(name.encode()).hexdigest()[:16]
    return payload


async def post_alert(
    bot: RunningBot,
    body: dict[str, Any] | str | bytes,
    *,
    token: str | None = ALERT_TOKEN,
    path: str = "/alerts/alertmanager",
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    data = (
        body
        if isinstance(body, bytes)
        else (body if isinstance(body, str) else json.dumps(body)).encode()
    )
    all_headers = {"Content-Type": "application/json"}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    async with aiohttp.ClientSession() as session:
        async with session.post(bot.url + path, data=data, headers=all_headers) as resp:
            return resp.status, await resp.text()


def pagerduty_event(
    kind: str,
    *,
    urgency: str = "high",
    priority: str | None = "P1",
    incident_id: str = "PGR0VU2",
    occurred_at: str = "2026-01-15T10:00:00Z",
) -> dict[str, Any]:
    """The go-pagerduty v3 payload as another incident event."""
    payload = copy.deepcopy(
        load_payload("pagerduty_v3_incident_priority_updated.go-pagerduty.json")
    )
    event = payload["event"]
    event["event_type"] = kind
    event["occurred_at"] = occurred_at
    event["data"]["id"] = incident_id
    event["data"]["urgency"] = urgency
    event["data"]["status"] = kind.removeprefix("incident.")
    if priority is None:
        event["data"]["priority"] = None
    else:
        event["data"]["priority"]["summary"] = priority
    return payload


def pd_signature(raw: bytes, secret: str = PD_SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


async def post_pagerduty(
    bot: RunningBot, payload: dict[str, Any] | bytes, *, signature: str | None = None
) -> tuple[int, str]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"X-PagerDuty-Signature": signature or pd_signature(raw)}
    return await post_alert(bot, raw, token=None, path="/alerts/pagerduty", headers=headers)


async def groups(bot: RunningBot) -> list[AlertGroup]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(AlertGroup).order_by(col(AlertGroup.id)))).all())


async def alerts(bot: RunningBot) -> list[Alert]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(Alert).order_by(col(Alert.id)))).all())


async def incidents(bot: RunningBot) -> list[Incident]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(Incident).order_by(col(Incident.id)))).all())


def cards_in(bot: RunningBot, channel: str) -> list[dict[str, Any]]:
    """Triage cards posted in a channel (messages with the alert_triage actions or alert text).

    Only posts Slack took: a refused one (not_in_channel before the bot joins) is no card."""
    return [
        p
        for p in bot.fake.done("chat.postMessage")
        if p["channel"] == channel and str(p.get("text", "")).startswith("Alert ")
    ]


def element(params: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in params.get("blocks") or []:
        for el in block.get("elements") or []:
            if el.get("action_id") == action_id:
                return el
    raise AssertionError(f"no {action_id} in {params.get('blocks')}")


def has_element(params: dict[str, Any], action_id: str) -> bool:
    try:
        element(params, action_id)
    except AssertionError:
        return False
    return True


async def wait_handled(bot: RunningBot, timeout: float = 10.0) -> None:
    """Until every alert group's Slack work is done and recorded (its version handled)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while any(g.version > g.handled_version for g in await groups(bot)):
        assert asyncio.get_running_loop().time() < deadline, "alert work still owed"
        await asyncio.sleep(0.05)
