"""The follow-through HTTP routes: the deploy gate and the trackers' webhooks.

- `GET /api/deploy-gate` (Bearer DEPLOY_GATE_TOKEN): 200 when no open P0 item blocks a
  deploy, 423 with the items when some do; 401 for a bad token, 404 when not configured,
  503 when the database does not answer (a gate that cannot look stays shut).
- `POST /webhooks/github` (X-Hub-Signature-256 with GITHUB_WEBHOOK_SECRET): `issues` events
  closed/reopened move the item's state.
- `POST /webhooks/jira?secret=JIRA_WEBHOOK_SECRET`: an issue whose status category is
  Done marks the item done; out of Done, open again.
Bodies over 1 MiB get 413. Every refusal is one line of plain text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from aiohttp import web

from bot.core.runtime import Runtime
from bot.followthrough.flows import tracker_changed
from bot.followthrough.queries import blocking_items, ticket_by_external
from bot.followthrough.states import ticket_label
from bot.postmortem.markdown import slack_to_plain
from storage import StorageUnavailable

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


class Refusal(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> web.Response:
        return web.Response(status=self.status, text=self.reason + "\n")


async def read_capped(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise Refusal(413, f"body too large: at most {MAX_BODY} bytes")
    body = b""
    while chunk := await request.content.read(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY:
            raise Refusal(413, f"body too large: at most {MAX_BODY} bytes")
    return body


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise Refusal(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise Refusal(400, "body is not a JSON object")
    return data


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def add_routes(app: web.Application, rt: Runtime) -> None:
    async def guarded(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refusal as refusal:
            return refusal.response()
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
    items = [
        {
            "incident": incident.id,
            "item": item.number,
            "priority": item.priority,
            "text": slack_to_plain(item.text, {}),
            "owner": item.owner_id,
            "due": item.due_date.isoformat(),
            "ticket": item.ticket_url,
            "incident_title": incident.title,
        }
        for item, incident in blocking
    ]
    return web.json_response({"blocked": bool(items), "items": items}, status=423 if items else 200)


async def github_webhook(rt: Runtime, request: web.Request) -> web.Response:
    secret = rt.settings.github_webhook_secret
    if secret is None:
        raise Refusal(404, "GitHub webhooks are not configured (set GITHUB_WEBHOOK_SECRET)")
    body = await read_capped(request)
    signature = request.headers.get("X-Hub-Signature-256", "")
    expected = (
        "sha256=" + hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
    )
    if not signature or not _same(signature, expected):
        raise Refusal(401, "bad or missing X-Hub-Signature-256")
    event = request.headers.get("X-GitHub-Event", "")
    payload = _json(body)
    if event == "ping":
        return web.Response(text="pong\n")
    if event != "issues":
        return web.Response(text=f"ignored: {event or 'unnamed'} events are not used\n")
    action = payload.get("action")
    issue = payload.get("issue")
    if not isinstance(action, str) or not isinstance(issue, dict) or "number" not in issue:
        raise Refusal(400, "an issues event needs action and issue.number")
    if action not in ("closed", "reopened"):
        return web.Response(text=f"ignored: action {action}\n")
    repo = str((payload.get("repository") or {}).get("full_name") or "")
    if rt.settings.github_repo and repo.lower() != rt.settings.github_repo.lower():
        return web.Response(text="ignored: not GITHUB_REPO\n")
    async with rt.db.session() as session:
        ticket = await ticket_by_external(session, "github", str(issue["number"]))
    if ticket is None:
        return web.Response(text="ignored: not an action item's issue\n")
    who = str((payload.get("sender") or {}).get("login") or "someone")
    label = ticket_label(ticket.url, ticket.external_id, "github")
    where = f"GitHub {label} {action} by {who}"
    item, changed = await tracker_changed(
        rt, ticket.action_item_id, done=action == "closed", where=where
    )
    return web.json_response({"item": item.number if item else None, "result": changed})


async def jira_webhook(rt: Runtime, request: web.Request) -> web.Response:
    secret = rt.settings.jira_webhook_secret
    if secret is None:
        raise Refusal(404, "Jira webhooks are not configured (set JIRA_WEBHOOK_SECRET)")
    given = request.query.get("secret", "")
    if not given or not _same(given, secret.get_secret_value()):
        raise Refusal(401, "bad or missing ?secret=")
    payload = _json(await read_capped(request))
    issue = payload.get("issue")
    if not isinstance(issue, dict) or not isinstance(issue.get("key"), str):
        raise Refusal(400, "a Jira issue event needs issue.key")
    status = ((issue.get("fields") or {}).get("status")) or {}
    category = (status.get("statusCategory") or {}).get("key")
    if not isinstance(category, str):
        return web.Response(text="ignored: no status in the event\n")
    async with rt.db.session() as session:
        ticket = await ticket_by_external(session, "jira", issue["key"])
    if ticket is None:
        return web.Response(text="ignored: not an action item's issue\n")
    who = str((payload.get("user") or {}).get("displayName") or "someone")
    name = str(status.get("name") or category)
    where = f"Jira {issue['key']} moved to {name} by {who}"
    item, changed = await tracker_changed(
        rt, ticket.action_item_id, done=category == "done", where=where
    )
    return web.json_response({"item": item.number if item else None, "result": changed})
