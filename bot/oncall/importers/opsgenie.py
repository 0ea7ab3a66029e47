"""An Opsgenie schedule (`GET /v2/schedules/{id}?identifierType=id`, Schedule API) as ours.

Its `rotations` each have a `type` (hourly, daily, weekly) times `length`, a `startDate`
that is the first participant's first handover, an optional `endDate`, `participants` in
turn order (`user` with `username`, their email; also `team`, `escalation`, `none`), and an
optional `timeRestriction`: `time-of-day` (one `restriction`: startHour, startMin, endHour,
endMin, every day) or `weekday-and-time-of-day` (`restrictions`, each from a startDay and
time to an endDay and time), in the schedule's `timezone`.

Opsgenie has no priority between rotations: where two overlap, both people are on call
(its docs: "all on-call users in all the different rotations are notified"). Ours has one
person at a time, the first layer wins: the rotations are kept in Opsgenie's order, and
each overlap of the next four weeks is listed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

from bot.oncall.importers.http import ImportFailed, Vendor, get_json
from bot.oncall.importers.timing import checked, ending, instant, overlaps, wall
from bot.oncall.importers.to_yaml import Imported, ImportedLayer
from bot.oncall.importers.windows import DAY_MINUTES, WEEK_MINUTES, daily_span, week_span

TURNS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def vendor(base_url: str, key: str) -> Vendor:
    headers = {"Authorization": f"GenieKey {key}", "Accept": "application/json"}
    return Vendor("Opsgenie", base_url, "OPSGENIE_API_KEY", headers)


async def read(
    session: aiohttp.ClientSession, og: Vendor, schedule_id: str, now: datetime
) -> Imported:
    what = f"schedule {schedule_id}"
    path = f"/v2/schedules/{quote(schedule_id, safe='')}"
    body = await get_json(session, og, path, what, params={"identifierType": "id"})
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ImportFailed(f"Opsgenie's answer for {what} has no `data`")
    zone_name = str(data.get("timezone") or "")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportFailed(f"{what}: its time zone `{zone_name}` is not an IANA name") from None
    imported = Imported(
        "Opsgenie", schedule_id, str(data.get("name") or schedule_id), zone_name, []
    )
    if data.get("enabled") is False:
        imported.notes.append("the schedule is disabled in Opsgenie; here it would be in use")
    for index, rotation in enumerate(data.get("rotations") or []):
        imported.layers.append(_layer(rotation, index, zone, now, imported.notes))
    imported.notes += overlaps(imported.active, zone, now)
    return imported


def _layer(
    rotation: dict[str, Any], index: int, zone: ZoneInfo, now: datetime, notes: list[str]
) -> ImportedLayer:
    name = str(rotation.get("name") or "").strip() or f"rotation {index + 1}"
    kind = str(rotation.get("type") or "")
    start = instant(rotation.get("startDate"), f"rotation `{name}`'s startDate")
    turn = TURNS.get(kind, timedelta(0)) * int(rotation.get("length") or 1)
    out = ImportedLayer(name, [], turn or timedelta(days=1), wall(zone, start))
    others: list[str] = []
    for p in rotation.get("participants") or []:
        if p.get("type") == "user" and p.get("username"):
            out.members.append(str(p["username"]))
        else:
            others.append(f"{p.get('type')} {p.get('name') or p.get('id') or ''}".strip())
    end = (
        instant(rotation["endDate"], f"rotation `{name}`'s endDate")
        if rotation.get("endDate")
        else None
    )
    if reason := ending(name, end, zone, now, notes):
        out.left_out = reason
    elif kind not in TURNS:
        out.left_out = f"a rotation of type `{kind}` (we know hourly, daily and weekly)"
    elif others:
        out.left_out = (
            f"participants that are not a person ({', '.join(others)}) have no equivalent here"
        )
    elif not out.members:
        out.left_out = "it has no participants"
    else:
        out.left_out = _restriction(rotation.get("timeRestriction"), out)
    return checked(out)


def _minute(r: dict[str, Any], which: str) -> int:
    return int(r.get(f"{which}Hour") or 0) * 60 + int(r.get(f"{which}Min") or 0)


def _restriction(tr: Any, out: ImportedLayer) -> str | None:
    if not tr:
        return None
    kind = tr.get("type")
    if kind == "time-of-day":
        r = tr.get("restriction") or {}
        start, end = _minute(r, "start"), _minute(r, "end")
        out.restrictions.append(daily_span(start, (end - start) % DAY_MINUTES or DAY_MINUTES))
        return None
    if kind == "weekday-and-time-of-day":
        for r in tr.get("restrictions") or []:
            days = (str(r.get("startDay")).lower(), str(r.get("endDay")).lower())
            if days[0] not in WEEKDAYS or days[1] not in WEEKDAYS:
                return f"a restriction from `{days[0]}` to `{days[1]}` (not weekdays)"
            first = WEEKDAYS.index(days[0]) * DAY_MINUTES + _minute(r, "start")
            last = WEEKDAYS.index(days[1]) * DAY_MINUTES + _minute(r, "end")
            length = (last - first) % WEEK_MINUTES or WEEK_MINUTES
            out.restrictions += week_span(first // DAY_MINUTES, first % DAY_MINUTES, length)
        return None
    return f"a time restriction of type `{kind}` has no equivalent here"
