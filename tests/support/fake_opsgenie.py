"""A fake Opsgenie Schedule API on localhost: `GET /v2/schedules/{identifier}`
(`identifierType` id, the default, or name), as docs.opsgenie.com's Schedule API and
Schedule Rotation API describe it (and Opsgenie's Go SDK, opsgenie-go-sdk-v2, models it).

Auth is `Authorization: GenieKey <key>`; a wrong or missing key is 401. The answer is
`{"data": Schedule, "took", "requestId"}`; an unknown schedule is 404; errors are
`{"message", "took", "requestId"}`. A Schedule has `id`, `name`, `timezone`, `enabled`,
`ownerTeam` and `rotations`, each with `name`, `startDate`, `endDate`, `type` (hourly, daily,
weekly), `length`, `participants` (`{"type": "user", "id", "username"}`, or team, escalation,
none) and `timeRestriction` (`time-of-day` with `restriction`, `weekday-and-time-of-day`
with `restrictions`).

`on_call(schedule, instant)`: everyone on call then, a set: Opsgenie notifies the person of
every rotation that covers the instant.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from tests.support.fake_vendor import FakeVendor

TURNS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEK_MINUTES = 7 * 24 * 60


def user(username: str) -> dict[str, str]:
    return {
        "type": "user",
        "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, username)),
        "username": username,
    }


class FakeOpsgenie(FakeVendor):
    def __init__(self, key: str = "og-api-key") -> None:
        super().__init__()
        self.key = key
        self.schedules: dict[str, dict[str, Any]] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/v2/schedules/{identifier}", self._schedule)

    def add_schedule(
        self, schedule_id: str, name: str, timezone: str, rotations: list[dict[str, Any]]
    ) -> None:
        for n, rotation in enumerate(rotations, start=1):
            rotation.setdefault("id", str(uuid.uuid4()))
            rotation.setdefault("name", f"rota{n}")
            rotation.setdefault("length", 1)
        self.schedules[schedule_id] = {
            "id": schedule_id,
            "name": name,
            "description": "",
            "timezone": timezone,
            "enabled": True,
            "ownerTeam": {"id": str(uuid.uuid4()), "name": "ops"},
            "rotations": rotations,
        }

    def _answer(self, body: dict[str, Any], status: int = 200) -> web.Response:
        return web.json_response(dict(body, took=0.012, requestId=str(uuid.uuid4())), status=status)

    async def _schedule(self, request: web.Request) -> web.Response:
        _, failure = await self.record(request)
        if failure is not None:
            return failure
        if request.headers.get("Authorization") != f"GenieKey {self.key}":
            return self._answer({"message": "Could not authenticate"}, 401)
        identifier = request.match_info["identifier"]
        by = request.query.get("identifierType", "id")
        if by not in ("id", "name"):
            return self._answer({"message": "Invalid identifierType"}, 422)
        found = next((s for s in self.schedules.values() if s[by] == identifier), None)
        if found is None:
            return self._answer(
                {"message": f"Schedule with {by} [{identifier}] does not exist"}, 404
            )
        return self._answer({"data": found})

    def on_call(self, schedule_id: str, at: datetime) -> set[str]:
        """The usernames on call at `at` (turns counted in elapsed time: within one UTC
        offset of the rotations' starts)."""
        schedule = self.schedules[schedule_id]
        local = at.astimezone(ZoneInfo(schedule["timezone"]))
        out: set[str] = set()
        for rotation in schedule["rotations"]:
            start = datetime.fromisoformat(rotation["startDate"].replace("Z", "+00:00"))
            end = rotation.get("endDate")
            if at < start or (end and at >= datetime.fromisoformat(end.replace("Z", "+00:00"))):
                continue
            if not _restricted_in(rotation.get("timeRestriction"), local):
                continue
            turn = (at - start) // (TURNS[rotation["type"]] * rotation["length"])
            who = rotation["participants"][turn % len(rotation["participants"])]
            if who["type"] == "user":
                out.add(who["username"])
        return out


def _restricted_in(tr: dict[str, Any] | None, local: datetime) -> bool:
    if not tr:
        return True
    now = local.hour * 60 + local.minute
    if tr["type"] == "time-of-day":
        r = tr["restriction"]
        a, b = r["startHour"] * 60 + r["startMin"], r["endHour"] * 60 + r["endMin"]
        return (now - a) % 1440 < ((b - a) % 1440 or 1440)
    now += local.weekday() * 1440
    for r in tr["restrictions"]:
        a = DAYS.index(r["startDay"]) * 1440 + r["startHour"] * 60 + r["startMin"]
        b = DAYS.index(r["endDay"]) * 1440 + r["endHour"] * 60 + r["endMin"]
        if (now - a) % WEEK_MINUTES < ((b - a) % WEEK_MINUTES or WEEK_MINUTES):
            return True
    return False
