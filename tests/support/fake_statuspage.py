"""A fake Atlassian Statuspage REST API v1 on localhost, from its published API description
(developer.statuspage.io; the OpenAPI description Atlassian publishes, as generated into
github.com/alissonlinneker/statuspage-php-sdk's docs/Model and docs/Api):

- `GET /v1/pages/{page_id}`: the Page (`id`, `name`, `subdomain`, ...).
- `POST /v1/pages/{page_id}/incidents` (postPagesPageIdIncidents): body
  `{"incident": PostPagesPageIdIncidentsIncident}`: `name` (required, at most 255 characters),
  `status` (investigating, identified, monitoring, resolved for a realtime incident), `body`
  (the first update, at most 25000 characters), `components` (a map of component id to its
  new status), `component_ids` (the components affected), `metadata` (an object whose values
  are objects); answers 201 with the Incident.
- `GET /v1/pages/{page_id}/incidents` (getPagesPageIdIncidents): `q` (searched in the name,
  status and updates), `limit`; the Incidents, with their `metadata`.
- `PATCH /v1/pages/{page_id}/incidents/{incident_id}` (patchPagesPageIdIncidentsIncidentId):
  the same fields, all optional; a `body` adds an incident update; answers 200 with the
  Incident, 404 for an unknown incident.
- Authorization: `OAuth <api key>`; else 401. Errors are ErrorEntity `{"message": ...}`;
  a body of the wrong shape is 422. The rate limit is 1 request a second per key, answered
  420 or 429: here on demand only (`fail(429, retry_after=...)`), with the gaps between
  requests recorded for the tests to check the bot's pacing.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.support.fake_vendor import FakeVendor

REALTIME_STATUSES = {"investigating", "identified", "monitoring", "resolved"}
COMPONENT_STATUSES = {
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
}
IMPACT = {
    "operational": 0,
    "under_maintenance": 0,
    "degraded_performance": 1,
    "partial_outage": 2,
    "major_outage": 3,
}
IMPACT_NAMES = ("none", "minor", "major", "critical")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeStatuspage(FakeVendor):
    def __init__(
        self,
        page_id: str = "kctbh9vrtdwd",
        api_key: str = "sp-key-0123456789abcdef",
        components: dict[str, str] | None = None,  # id -> name
    ) -> None:
        super().__init__()
        self.page_id = page_id
        self.api_key = api_key
        self.components = components or {"8kbf7d35c070": "API"}
        self.component_status = {cid: "operational" for cid in self.components}
        self.incidents: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self.searches: list[dict[str, str]] = []  # query strings of GET .../incidents
        self._hang_ups = 0

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/pages/{page_id}", self._page)
        app.router.add_get("/v1/pages/{page_id}/incidents", self._list)
        app.router.add_post("/v1/pages/{page_id}/incidents", self._create)
        app.router.add_patch("/v1/pages/{page_id}/incidents/{incident_id}", self._update)

    def error_body(self, status: int) -> Any:
        if status == 401:
            return {"message": "Could not authenticate"}
        if status in (420, 429):
            return {"message": "Rate limit exceeded"}
        return {"message": "Unprocessable entity"}

    def hang_up_after_writing(self, times: int = 1) -> None:
        """The next `times` creates or updates take effect, then the connection is closed
        without an answer (a proxy's timeout, a network cut after the request arrived)."""
        self._hang_ups = times

    # ---- what tests read -----------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[Any]:
        return [r for r in self.requests if method is None or r.method == method]

    # ---- the API -------------------------------------------------------------------------------
    def _refused(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"OAuth {self.api_key}":
            return web.json_response(self.error_body(401), status=401)
        if request.match_info["page_id"] != self.page_id:
            return web.json_response({"message": "Page not found"}, status=404)
        return None

    async def _page(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        return web.json_response(
            {
                "id": self.page_id,
                "name": "Example Inc.",
                "subdomain": "example",
                "url": "https://status.example.com",
                "time_zone": "Etc/UTC",
                "created_at": "2026-01-01T00:00:00.000Z",
                "updated_at": _now(),
            }
        )

    async def _list(self, request: web.Request) -> web.Response:
        """getPagesPageIdIncidents: `q` searched in the name, status and updates' bodies;
        `limit` (at most 100), newest first."""
        self.searches.append(dict(request.query))
        refused = self._refused(request)
        if refused is not None:
            return refused
        q = request.query.get("q", "").lower()
        limit = min(int(request.query.get("limit", "100")), 100)
        found = [
            self._shown(i)
            for i in reversed(list(self.incidents.values()))
            if not q
            or q in i["name"].lower()
            or q in i["status"]
            or any(q in u["body"].lower() for u in i["incident_updates"])
        ]
        return web.json_response(found[:limit])

    async def _create(self, request: web.Request) -> web.Response:
        return await self._write(request, None)

    async def _update(self, request: web.Request) -> web.Response:
        return await self._write(request, request.match_info["incident_id"])

    async def _write(self, request: web.Request, incident_id: str | None) -> web.Response:
        try:
            seen, failure = await self.record(request)
            if failure is not None:
                return failure
            refused = self._refused(request)
            if refused is not None:
                return refused
            if incident_id is not None and incident_id not in self.incidents:
                return web.json_response({"message": "Incident not found"}, status=404)
            body = seen.body
            fields = body.get("incident") if isinstance(body, dict) else None
            if not isinstance(fields, dict):
                return web.json_response({"message": "incident is missing"}, status=400)
            problem = self._validate(fields, creating=incident_id is None)
            if problem:
                return web.json_response({"message": problem}, status=422)
            if incident_id is None:
                incident_id = self._new_incident(fields)
                status = 201
            else:
                status = 200
            self._apply(self.incidents[incident_id], fields)
            if self._hang_ups > 0 and request.transport is not None:
                self._hang_ups -= 1
                request.transport.close()
            return web.json_response(self._shown(self.incidents[incident_id]), status=status)
        finally:
            self.answered += 1
            await self.notify()

    def _validate(self, fields: dict[str, Any], *, creating: bool) -> str | None:
        name = fields.get("name")
        if creating and (not isinstance(name, str) or not name.strip()):
            return "name can't be blank"
        if name is not None and (not isinstance(name, str) or len(name) > 255):
            return "name is too long (maximum is 255 characters)"
        status = fields.get("status")
        if status is not None and status not in REALTIME_STATUSES:
            return f"status {status!r} is not a realtime incident status"
        text = fields.get("body")
        if text is not None and (not isinstance(text, str) or len(text) > 25000):
            return "body is too long (maximum is 25000 characters)"
        components = fields.get("components", {})
        if not isinstance(components, dict):
            return "components must be a map of component id to status"
        for cid, state in components.items():
            if cid not in self.components:
                return f"component {cid} was not found"
            if state not in COMPONENT_STATUSES:
                return f"component status {state!r} is not valid"
        metadata = fields.get("metadata", {})
        if not isinstance(metadata, dict) or any(
            not isinstance(v, dict) for v in metadata.values()
        ):
            return "metadata: all top-level values must be objects"
        ids = fields.get("component_ids", [])
        if not isinstance(ids, list) or any(i not in self.components for i in ids):
            return "component_ids must list components of the page"
        return None

    def _new_incident(self, fields: dict[str, Any]) -> str:
        incident_id = f"p{next(self._ids):03d}{secrets.token_hex(4)}"[:12]
        now = _now()
        self.incidents[incident_id] = {
            "id": incident_id,
            "page_id": self.page_id,
            "name": fields["name"],
            "status": "investigating",
            "impact": "none",
            "created_at": now,
            "updated_at": now,
            "monitoring_at": None,
            "resolved_at": None,
            "shortlink": f"https://stspg.io/{incident_id[:6]}",
            "component_ids": [],
            "metadata": {},
            "incident_updates": [],
        }
        return incident_id

    def _apply(self, incident: dict[str, Any], fields: dict[str, Any]) -> None:
        now = _now()
        if "name" in fields:
            incident["name"] = fields["name"]
        if fields.get("metadata"):
            incident["metadata"] = fields["metadata"]
        status = fields.get("status", incident["status"])
        incident["status"] = status
        if status == "monitoring" and incident["monitoring_at"] is None:
            incident["monitoring_at"] = now
        incident["resolved_at"] = now if status == "resolved" else None
        components: dict[str, str] = fields.get("components") or {}
        affected = []
        for cid, state in components.items():
            affected.append(
                {
                    "code": cid,
                    "name": self.components[cid],
                    "old_status": self.component_status[cid],
                    "new_status": state,
                }
            )
            self.component_status[cid] = state
        if fields.get("component_ids"):
            incident["component_ids"] = list(fields["component_ids"])
        worst = max((IMPACT[s] for s in components.values()), default=0)
        incident["impact"] = IMPACT_NAMES[max(worst, IMPACT_NAMES.index(incident["impact"]))]
        if "body" in fields or "status" in fields:
            incident["incident_updates"].insert(
                0,
                {
                    "id": secrets.token_hex(6),
                    "incident_id": incident["id"],
                    "status": status,
                    "body": fields.get("body", ""),
                    "affected_components": affected,
                    "created_at": now,
                    "display_at": now,
                    "updated_at": now,
                },
            )
        incident["updated_at"] = now

    def _shown(self, incident: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in incident.items() if k != "component_ids"}
        shown["components"] = [
            {
                "id": cid,
                "page_id": self.page_id,
                "name": self.components[cid],
                "status": self.component_status[cid],
            }
            for cid in incident["component_ids"]
        ]
        return shown
