"""`GET /oncall/<schedule>.ics?key=…` and `GET /oncall/people/<slack id>.ics?key=…`: the
calendar feeds (bot/oncall/calendar.py). `/oncall calendar` gives each person their addresses.

Nothing is told without the feed's key: ONCALL_CALENDAR_SECRET unset answers 404 (feeds off),
a missing or wrong key 403, and only then an unknown schedule 404. The key is never logged (the
request log leaves the query out: bot/app/request_log.py). Every refusal is one line of text.
"""

from __future__ import annotations

import re

from aiohttp import web

from bot.core.runtime import Runtime
from bot.oncall.calendar import PERSON, SCHEDULE, FeedEvent, feed_ics, key_matches, window
from bot.oncall.mine import person_zone, shifts_of
from bot.oncall.people import slack_ids
from bot.oncall.queries import overrides_between
from bot.oncall.rules import timeline
from bot.oncall.schedules import oncall_config
from bot.slack.files import user_names
from storage import StorageUnavailable
from storage.types import utcnow

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
CONTENT_TYPE = "text/calendar"
FEEDS_OFF = "calendar feeds are off: ONCALL_CALENDAR_SECRET is not set"
NO_KEY = "this feed needs its key (?key=...): /oncall calendar in Slack gives its address"
BAD_KEY = "wrong key for this feed: /oncall calendar in Slack gives its address"


def _line(status: int, reason: str) -> web.Response:
    return web.Response(status=status, text=reason + "\n")


def _refused(rt: Runtime, request: web.Request, kind: str, name: str) -> web.Response | None:
    secret = rt.settings.oncall_calendar_secret
    if secret is None:
        return _line(404, FEEDS_OFF)
    given = request.query.get("key", "")
    if not given:
        return _line(403, NO_KEY)
    if not key_matches(secret.get_secret_value(), kind, name, given):
        return _line(403, BAD_KEY)
    return None


def _calendar(body: bytes) -> web.Response:
    return web.Response(
        body=body,
        content_type=CONTENT_TYPE,
        charset="utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


async def schedule_feed(rt: Runtime, request: web.Request) -> web.Response:
    name = request.match_info["schedule"]
    refused = _refused(rt, request, SCHEDULE, name)
    if refused is not None:
        return refused
    schedule = oncall_config(rt).schedule(name)
    if schedule is None:  # a schedule since taken out of the configuration file
        return _line(404, "no such on-call schedule (any more): /oncall lists the schedules")
    now = utcnow()
    start, end = window(now)
    async with rt.db.session() as session:
        overrides = await overrides_between(session, start, end, [schedule.name])
    shifts = timeline(schedule.rules(), next(iter(overrides.values()), []), start, end)
    people = {s.person for s in shifts if s.person}
    ids = await slack_ids(rt, people)
    names = await user_names(rt, [i for i in ids.values() if i])
    events = [
        FeedEvent(schedule.name, s, _name(s.person, ids, names) if s.person else "") for s in shifts
    ]
    body = feed_ics(
        f"schedule:{schedule.name.lower()}",
        f"On call: {schedule.name}",
        schedule.time_zone,
        events,
        now,
    )
    return _calendar(body)


def _name(member: str, ids: dict[str, str | None], names: dict[str, str]) -> str:
    user_id = ids.get(member)
    return names.get(user_id or "", "") or user_id or member


async def person_feed(rt: Runtime, request: web.Request) -> web.Response:
    user_id = request.match_info["user"].upper()
    if not USER_ID.match(user_id):
        return _line(404, "not a Slack user ID (U0123ABCD)")
    refused = _refused(rt, request, PERSON, user_id)
    if refused is not None:
        return refused
    now = utcnow()
    start, end = window(now)
    mine = await shifts_of(rt, user_id, start, end)
    zone, _ = await person_zone(rt, user_id)
    events = [FeedEvent(m.schedule, m.shift, "") for m in mine]
    body = feed_ics(
        f"person:{user_id}", "On call: my shifts", getattr(zone, "key", "UTC"), events, now
    )
    return _calendar(body)


def add_calendar_routes(app: web.Application, rt: Runtime) -> None:
    async def guarded(request: web.Request, kind: str) -> web.StreamResponse:
        try:
            if kind == PERSON:
                return await person_feed(rt, request)
            return await schedule_feed(rt, request)
        except StorageUnavailable:
            return _line(503, "database unavailable; try again")

    async def by_schedule(request: web.Request) -> web.StreamResponse:
        return await guarded(request, SCHEDULE)

    async def by_person(request: web.Request) -> web.StreamResponse:
        return await guarded(request, PERSON)

    app.router.add_get("/oncall/people/{user}.ics", by_person)
    app.router.add_get("/oncall/{schedule}.ics", by_schedule)
