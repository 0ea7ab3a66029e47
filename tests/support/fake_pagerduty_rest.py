"""A fake PagerDuty REST API v2 on localhost: `GET /schedules/{id}` and `GET /users/{id}`, as
PagerDuty's published OpenAPI description (github.com/PagerDuty/api-schema,
reference/REST/openapiv3.json, operations getSchedule and getUser) has them.

Auth is the `Authorization: Token token=<key>` header (securitySchemes.api_key); a wrong or
missing one is 401. Answers are `{"schedule": Schedule}` and `{"user": User}`; an unknown id
is 404; errors are `{"error": {"message", "code"}}`. A Schedule's `schedule_layers` are
ScheduleLayers (`start`, `end`, `rotation_virtual_start`, `rotation_turn_length_seconds`,
`users` of `{"user": UserReference}`, `restrictions`), listed top layer first: the reverse
of the order a PUT gives them in, where the last layer wins.

`on_call(schedule, instant)` is the fake's own final schedule (no overrides): the top layer
that has begun, not ended, and whose restrictions cover the instant, in the schedule's zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from tests.support.fake_vendor import FakeVendor

WEEK = 7 * 86400


def user_ref(user_id: str, name: str) -> dict[str, str]:
    return {
        "id": user_id,
        "type": "user_reference",
        "summary": name,
        "self": f"https://api.pagerduty.com/users/{user_id}",
        "html_url": f"https://subdomain.pagerduty.com/users/{user_id}",
    }


class FakePagerDutyRest(FakeVendor):
    def __init__(self, token: str = "pd-rest-token") -> None:
        super().__init__()
        self.token = token
        self.users: dict[str, dict[str, Any]] = {}  # id -> User
        self.schedules: dict[str, dict[str, Any]] = {}  # id -> Schedule, layers in PUT order

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/schedules/{id}", self._schedule)
        app.router.add_get("/users/{id}", self._user)

    # ---- set-up ------------------------------------------------------------------------------

    def add_user(self, user_id: str, name: str, email: str) -> dict[str, str]:
        self.users[user_id] = {
            "id": user_id,
            "type": "user",
            "summary": name,
            "name": name,
            "email": email,
            "time_zone": "Europe/Berlin",
            "role": "user",
            "self": f"https://api.pagerduty.com/users/{user_id}",
            "html_url": f"https://subdomain.pagerduty.com/users/{user_id}",
        }
        return user_ref(user_id, name)

    def add_schedule(
        self, schedule_id: str, name: str, time_zone: str, layers: list[dict[str, Any]]
    ) -> None:
        """`layers` as a PUT takes them: Layer 1 first, the last one on top."""
        for n, layer in enumerate(layers, start=1):
            layer.setdefault("id", f"PL{n:05d}")
            layer.setdefault("name", f"Layer {n}")
            layer.setdefault("end", None)
            layer.setdefault("restrictions", [])
            layer.setdefault("rendered_schedule_entries", [])
            layer.setdefault("rendered_coverage_percentage", None)
        users = {u["user"]["id"]: u["user"] for layer in layers for u in layer["users"]}
        self.schedules[schedule_id] = {
            "id": schedule_id,
            "type": "schedule",
            "summary": name,
            "name": name,
            "time_zone": time_zone,
            "description": "",
            "self": f"https://api.pagerduty.com/schedules/{schedule_id}",
            "html_url": f"https://subdomain.pagerduty.com/schedules/{schedule_id}",
            "schedule_layers": layers,
            "users": list(users.values()),
            "escalation_policies": [],
            "teams": [],
        }

    # ---- the API -----------------------------------------------------------------------------

    def _refused(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"Token token={self.token}":
            return web.json_response(
                {"error": {"message": "Unauthorized", "code": 2006}}, status=401
            )
        return None

    @staticmethod
    def _not_found() -> web.Response:
        return web.json_response({"error": {"message": "Not Found", "code": 2100}}, status=404)

    async def _schedule(self, request: web.Request) -> web.Response:
        _, failure = await self.record(request)
        if failure is not None:
            return failure
        if (refused := self._refused(request)) is not None:
            return refused
        schedule = self.schedules.get(request.match_info["id"])
        if schedule is None:
            return self._not_found()
        shown = dict(schedule, schedule_layers=list(reversed(schedule["schedule_layers"])))
        return web.json_response({"schedule": shown})

    async def _user(self, request: web.Request) -> web.Response:
        _, failure = await self.record(request)
        if failure is not None:
            return failure
        if (refused := self._refused(request)) is not None:
            return refused
        user = self.users.get(request.match_info["id"])
        return self._not_found() if user is None else web.json_response({"user": user})

    # ---- the fake's own answer ---------------------------------------------------------------

    def on_call(self, schedule_id: str, at: datetime) -> str | None:
        """The email of who is on call at `at` (within one UTC offset of the layers' starts:
        turns counted in seconds, restrictions on the local clock)."""
        schedule = self.schedules[schedule_id]
        zone = ZoneInfo(schedule["time_zone"])
        local = at.astimezone(zone)
        for layer in reversed(schedule["schedule_layers"]):  # the last one is on top
            if at < datetime.fromisoformat(layer["start"]):
                continue
            if layer["end"] and at >= datetime.fromisoformat(layer["end"]):
                continue
            if layer["restrictions"] and not any(_covers(r, local) for r in layer["restrictions"]):
                continue
            since = at - datetime.fromisoformat(layer["rotation_virtual_start"])
            turn = int(since.total_seconds()) // layer["rotation_turn_length_seconds"]
            user = layer["users"][turn % len(layer["users"])]["user"]
            return str(self.users[user["id"]]["email"])
        return None


def _covers(restriction: dict[str, Any], local: datetime) -> bool:
    h, m, s = (int(x) for x in restriction["start_time_of_day"].split(":"))
    start = h * 3600 + m * 60 + s
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    if restriction["type"] == "daily_restriction":
        return (seconds - start) % 86400 < restriction["duration_seconds"]
    start += (restriction["start_day_of_week"] - 1) * 86400
    seconds += local.weekday() * 86400
    return (seconds - start) % WEEK < restriction["duration_seconds"]
