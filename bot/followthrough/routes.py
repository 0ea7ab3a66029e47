"""The follow-through HTTP routes: the deploy gate and the trackers' webhooks.

- `GET /api/deploy-gate` (Bearer DEPLOY_GATE_TOKEN): 200 when no open P0 item blocks a
  deploy, 423 with the items when some do (and with `budgets` when a later domain's check,
  GATE_HOOKS, closes it: a spent error budget); 401 for a bad token, 404 when not configured,
  503 when the database does not answer (a gate that cannot look stays shut).
- `POST /webhooks/github` (X-Hub-Signature-256 with GITHUB_WEBHOOK_SECRET): `issues` events
  closed/reopened move the item's state.
  A delivery (`X-GitHub-Delivery`) acts once, across replicas: a replay is answered 200 and
  does nothing.
- `POST /webhooks/jira`, signed (`X-Hub-Signature: sha256=<HMAC-SHA256 of the body with
  JIRA_WEBHOOK_SECRET>`, what Jira Cloud sends for a webhook with a secret) or with
  `?secret=JIRA_WEBHOOK_SECRET` in the URL (never logged: bot/app/request_log.py): an issue
  whose status category is Done marks the item done; out of Done, open again.
  A delivery acts once, across replicas: remembered by its `X-Atlassian-Webhook-Identifier`
  (the same on Jira's retries of it) and by the digest of its body (each event has its own
  timestamp); a replay is answered 200 and does nothing. An event older than
  WEBHOOK_DELIVERY_RETENTION_DAYS (GitHub's `issue.updated_at`, Jira's `timestamp`) is answered
  200 and ignored: its delivery may have been forgotten (pruning.py).
Bodies over 1 MiB get 413, bodies not received within HTTP_READ_TIMEOUT_SECONDS 408, bodies
that are not what the sender documents 400. Every refusal is one line of plain text.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.core.http_bodies import (
    MAX_BODY_BYTES,
    BodyRefused,
    load_json_object,
    read_body,
    refusal_response,
)
from bot.core.runtime import Runtime
from bot.followthrough.flows import tracker_changed
from bot.followthrough.gate_hooks import gate_entries
from bot.followthrough.queries import (
    blocking_items,
    delivery_keys,
    first_delivery,
    forget_delivery,
    ticket_by_external,
)
from bot.followthrough.states import ticket_label
from bot.postmortem.markdown import slack_to_plain
from storage import StorageUnavailable
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem
from storage.types import utcnow

log = logging.getLogger(__name__)


def too_old(rt: Runtime, when: datetime | None, now: datetime) -> bool:
    """Whether an event that happened `when` is past the retention of remembered deliveries
    (None: not known): pruning.py forgets a delivery after that, so an older event is ignored
    rather than allowed to act again."""
    retention = timedelta(days=rt.settings.webhook_delivery_retention_days)
    return when is not None and when < now - retention


MAX_BODY = MAX_BODY_BYTES


Refusal = BodyRefused  # every refusal here: a status and a one-line reason


async def read_capped(rt: Runtime, request: web.Request) -> bytes:
    return await read_body(request, timeout=rt.settings.http_read_timeout_seconds, limit=MAX_BODY)


def _object(value: Any, where: str, *, required: bool = False) -> dict[str, Any]:
    """`value` if it is a JSON object; {} if absent (or a refusal when `required`)."""
    if isinstance(value, dict):
        return value
    if value is None and not required:
        return {}
    raise Refusal(400, f"{where} must be a JSON object")


def _hmac_sha256(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def add_routes(app: web.Application, rt: Runtime) -> None:
    async def guarded(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refusal as refusal:
            return refusal_response(refusal)
        except StorageUnavailable:
            return web.Response(status=503, text="database unavailable; try again\n")

    async def gate(request: web.Request) -> web.StreamResponse:
        return await guarded(request, lambda r: deploy_gate(rt, r))

    async def github(request: web.Request) -> web.StreamResponse:
        return await guarded(request, lambda r: github_webhook(rt, r))

    async def jira(request: web.Request) -> web.StreamResponse:
        return await guarded(request, lambda r: jira_webhook(rt, r))

    app.router.add_get("/api/deploy-gate", gate)
    app.router.add_post("/webhooks/github", github)
    app.router.add_post("/webhooks/jira", jira)


async def deploy_gate(rt: Runtime, request: web.Request) -> web.Response:
    token = rt.settings.deploy_gate_token
    if token is None:
        raise Refusal(404, "the deploy gate is not configured (set DEPLOY_GATE_TOKEN)")
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not _same(value.strip(), token.get_secret_value()):
        raise Refusal(401, "bad or missing token: send Authorization: Bearer <DEPLOY_GATE_TOKEN>")
    async with rt.db.session() as session:
        blocking = await blocking_items(session)
    items = [_gate_item(item, incident) for item, incident in blocking]
    budgets = await gate_entries(rt)  # later domains' (the error budgets), by hooks
    blocked = bool(items) or any(b.get("blocked") for b in budgets)
    body: dict[str, Any] = {"blocked": blocked, "items": items}
    if budgets:
        body["budgets"] = budgets
    return web.json_response(body, status=423 if blocked else 200)


def _gate_item(item: ActionItem, incident: Incident) -> dict[str, Any]:
    """What CI learns of a blocking item. Of a private incident's, only its numbers: the
    answer ends up in CI logs that people outside the incident's channel read."""
    if incident.private:
        return {
            "incident": incident.id,
            "item": item.number,
            "priority": item.priority,
            "due": item.due_date.isoformat(),
            "private": True,
        }
    return {
        "incident": incident.id,
        "item": item.number,
        "priority": item.priority,
        "text": slack_to_plain(item.text, {}),
        "owner": item.owner_id,
        "due": item.due_date.isoformat(),
        "ticket": item.ticket_url,
        "incident_title": incident.title,
    }


async def github_webhook(rt: Runtime, request: web.Request) -> web.Response:
    secret = rt.settings.github_webhook_secret
    if secret is None:
        raise Refusal(404, "GitHub webhooks are not configured (set GITHUB_WEBHOOK_SECRET)")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature:  # refused before the body is read
        raise Refusal(401, "bad or missing X-Hub-Signature-256")
    body = await read_capped(rt, request)
    if not _same(signature, _hmac_sha256(secret.get_secret_value(), body)):
        raise Refusal(401, "bad or missing X-Hub-Signature-256")
    event = request.headers.get("X-GitHub-Event", "")
    payload = load_json_object(body)
    if event == "ping":
        return web.Response(text="pong\n")
    if event != "issues":
        return web.Response(text=f"ignored: {_shown(event) or 'unnamed'} events are not used\n")
    action = payload.get("action")
    issue = payload.get("issue")
    number = issue.get("number") if isinstance(issue, dict) else None
    if not isinstance(action, str) or not isinstance(number, int | str) or number == "":
        raise Refusal(400, "an issues event needs action and issue.number")
    if action not in ("closed", "reopened"):
        return web.Response(text=f"ignored: action {_shown(action)}\n")
    repo = _object(payload.get("repository"), "repository").get("full_name") or ""
    if not isinstance(repo, str):
        raise Refusal(400, "repository.full_name must be a string")
    if rt.settings.github_repo and repo.lower() != rt.settings.github_repo.lower():
        return web.Response(text="ignored: not GITHUB_REPO\n")
    async with rt.db.session() as session:
        ticket = await ticket_by_external(session, "github", str(number))
    if ticket is None:
        return web.Response(text="ignored: not an action item's issue\n")
    who = _object(payload.get("sender"), "sender").get("login") or "someone"
    if too_old(
        rt, _iso_time(issue.get("updated_at") if isinstance(issue, dict) else None), utcnow()
    ):
        return web.Response(text=OLD_EVENT)
    keys = delivery_keys(request.headers.get("X-GitHub-Delivery", ""), body)
    if not await first_delivery(rt.db, "github", keys):
        return web.Response(text="ignored: this delivery was already handled\n")
    label = ticket_label(ticket.url, ticket.external_id, "github")
    where = f"GitHub {label} {action} by {_shown(str(who))}"
    try:
        item, changed = await tracker_changed(
            rt, ticket.action_item_id, done=action == "closed", where=where
        )
    except BaseException:
        # Not acted on: GitHub's retry (the same delivery id) must be able to act.
        with contextlib.suppress(Exception):
            await forget_delivery(rt.db, "github", keys)
        raise
    return web.json_response({"item": item.number if item else None, "result": changed})


# Older than the deliveries are remembered (pruning.py): it might be a replay of a forgotten one.
OLD_EVENT = "ignored: the event is older than WEBHOOK_DELIVERY_RETENTION_DAYS\n"


def _iso_time(value: Any) -> datetime | None:
    """GitHub's `updated_at` (`2026-12-07T07:30:00Z`); None if absent or not a time."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _ms_time(value: Any) -> datetime | None:
    """Jira's `timestamp` (milliseconds since the epoch); None if absent or not a number."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _shown(text: str) -> str:
    """A sender's word quoted back or into the timeline: one line, at most 60 characters."""
    return " ".join(text.split())[:60]


async def jira_webhook(rt: Runtime, request: web.Request) -> web.Response:
    secret = rt.settings.jira_webhook_secret
    if secret is None:
        raise Refusal(404, "Jira webhooks are not configured (set JIRA_WEBHOOK_SECRET)")
    signature = request.headers.get("X-Hub-Signature", "")
    given = request.query.get("secret", "")
    if signature:
        body = await read_capped(rt, request)
        if not _same(signature, _hmac_sha256(secret.get_secret_value(), body)):
            raise Refusal(401, "bad X-Hub-Signature")
    elif given and _same(given, secret.get_secret_value()):
        body = await read_capped(rt, request)
    else:
        raise Refusal(401, "bad or missing X-Hub-Signature (or ?secret=)")
    payload = load_json_object(body)
    issue = payload.get("issue")
    if not isinstance(issue, dict) or not isinstance(issue.get("key"), str):
        raise Refusal(400, "a Jira issue event needs issue.key")
    status = _object(_object(issue.get("fields"), "issue.fields").get("status"), "status")
    category = _object(status.get("statusCategory"), "statusCategory").get("key")
    if not isinstance(category, str):
        return web.Response(text="ignored: no status in the event\n")
    async with rt.db.session() as session:
        ticket = await ticket_by_external(session, "jira", issue["key"])
    if ticket is None:
        return web.Response(text="ignored: not an action item's issue\n")
    who = _shown(str(_object(payload.get("user"), "user").get("displayName") or "someone"))
    name = _shown(str(status.get("name") or category))
    where = f"Jira {_shown(issue['key'])} moved to {name} by {who}"
    if too_old(rt, _ms_time(payload.get("timestamp")), utcnow()):
        return web.Response(text=OLD_EVENT)
    keys = delivery_keys(request.headers.get("X-Atlassian-Webhook-Identifier", ""), body)
    if not await first_delivery(rt.db, "jira", keys):
        return web.Response(text="ignored: this delivery was already handled\n")
    try:
        item, changed = await tracker_changed(
            rt, ticket.action_item_id, done=category == "done", where=where
        )
    except BaseException:
        with contextlib.suppress(Exception):  # Jira's retry (the same identifier) must act
            await forget_delivery(rt.db, "jira", keys)
        raise
    return web.json_response({"item": item.number if item else None, "result": changed})
