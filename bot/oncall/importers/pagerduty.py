"""A PagerDuty schedule (REST API v2, `GET /schedules/{id}`) as one of ours.

PagerDuty's final schedule puts the *last* layer of the web app's list on top ("the lowest
layer always takes precedence", support.pagerduty.com Schedule Basics), and `GET
/schedules/{id}` lists `schedule_layers` the other way round, top layer first (the reverse
of the order a PUT takes: PagerDuty's public-support-scripts "schedule layer reorganizer",
Grafana OnCall's PagerDuty migrator). Our layers are in priority order, first wins: the
API's order as it comes.

A layer's turns are `rotation_turn_length_seconds` from `rotation_virtual_start`, its
users in order; `restrictions` (`daily_restriction`, `weekly_restriction`: a start time of
day, a weekday 1-7 for weekly, a duration) are in the schedule's zone. The users are
references: each one's email comes from `GET /users/{id}`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

from bot.oncall.importers.http import ImportFailed, Vendor, get_json
from bot.oncall.importers.timing import align, checked, ending, instant, wall
from bot.oncall.importers.to_yaml import Imported, ImportedLayer
from bot.oncall.importers.windows import daily_span, week_span

ACCEPT = "application/vnd.pagerduty+json;version=2"


def vendor(base_url: str, token: str) -> Vendor:
    headers = {"Authorization": f"Token token={token}", "Accept": ACCEPT}
    return Vendor("PagerDuty", base_url, "PAGERDUTY_API_TOKEN", headers)


async def read(
    session: aiohttp.ClientSession, pd: Vendor, schedule_id: str, now: datetime
) -> Imported:
    what = f"schedule {schedule_id}"
    body = await get_json(session, pd, f"/schedules/{quote(schedule_id, safe='')}", what)
    schedule = body.get("schedule") if isinstance(body, dict) else None
    if not isinstance(schedule, dict):
        raise ImportFailed(f"PagerDuty's answer for {what} has no `schedule`")
    zone_name = str(schedule.get("time_zone") or "")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportFailed(
            f"{what}: its time zone `{zone_name}` is not an IANA name (like Europe/Berlin)"
        ) from None
    layers_json = [x for x in schedule.get("schedule_layers") or [] if isinstance(x, dict)]
    emails = await _emails(session, pd, layers_json)
    imported = Imported(
        "PagerDuty", schedule_id, str(schedule.get("name") or schedule_id), zone_name, []
    )
    for index, layer in enumerate(layers_json):
        imported.layers.append(_layer(layer, index, zone, emails, now, imported.notes))
    return imported


async def _emails(
    session: aiohttp.ClientSession, pd: Vendor, layers: list[dict[str, Any]]
) -> dict[str, str | None]:
    """Each user's email (None: PagerDuty has no such user any more)."""
    emails: dict[str, str | None] = {}
    for layer in layers:
        for entry in layer.get("users") or []:
            user_id = str((entry.get("user") or {}).get("id") or "")
            if not user_id or user_id in emails:
                continue
            try:
                body = await get_json(
                    session, pd, f"/users/{quote(user_id, safe='')}", f"user {user_id}"
                )
            except ImportFailed as exc:
                if exc.fatal:
                    raise
                emails[user_id] = None
                continue
            email = (body.get("user") or {}).get("email") if isinstance(body, dict) else None
            emails[user_id] = str(email) if email else None
    return emails


def _layer(
    layer: dict[str, Any],
    index: int,
    zone: ZoneInfo,
    emails: dict[str, str | None],
    now: datetime,
    notes: list[str],
) -> ImportedLayer:
    name = str(layer.get("name") or "").strip() or f"layer {index + 1}"
    turn = timedelta(seconds=int(layer.get("rotation_turn_length_seconds") or 0))
    virtual = instant(
        layer.get("rotation_virtual_start"), f"layer `{name}`'s rotation_virtual_start"
    )
    out = ImportedLayer(name, [], turn, wall(zone, virtual))
    missing: list[str] = []
    for entry in layer.get("users") or []:
        user = entry.get("user") or {}
        email = emails.get(str(user.get("id") or ""))
        if email:
            out.members.append(email)
        else:
            missing.append(str(user.get("summary") or user.get("id") or "a user"))
    end = instant(layer["end"], f"layer `{name}`'s end") if layer.get("end") else None
    if reason := ending(name, end, zone, now, notes):
        out.left_out = reason
    elif missing:
        out.left_out = (
            f"no email could be read for {', '.join(missing)} (deleted from PagerDuty?): "
            "without them the turns would fall to the wrong people"
        )
    elif turn < timedelta(minutes=1):
        out.left_out = f"a turn of {int(turn.total_seconds())}s is shorter than our minute"
    else:
        out.left_out = _restrictions(layer.get("restrictions") or [], out)
    if out.left_out is None and out.members:
        align(
            out,
            instant(layer.get("start") or virtual.isoformat(), f"layer `{name}`'s start"),
            zone,
            now,
            notes,
        )
    if not out.members and out.left_out is None:
        out.left_out = "it has no users"
    return checked(out)


def _restrictions(restrictions: list[Any], out: ImportedLayer) -> str | None:
    """Our windows for the layer's restrictions; the reason if one cannot be written."""
    for r in restrictions:
        kind = r.get("type") if isinstance(r, dict) else None
        clock = str(r.get("start_time_of_day") or "") if isinstance(r, dict) else ""
        seconds = int(r.get("duration_seconds") or 0) if isinstance(r, dict) else 0
        parts = clock.split(":")
        if kind not in ("daily_restriction", "weekly_restriction"):
            return f"a restriction of type `{kind}` has no equivalent here"
        if (
            len(parts) < 2
            or (len(parts) > 2 and int(parts[2] or 0))
            or seconds % 60
            or seconds <= 0
        ):
            return f"a {kind} from {clock} for {seconds}s is not in whole minutes"
        start = int(parts[0]) * 60 + int(parts[1])
        if kind == "daily_restriction":
            out.restrictions.append(daily_span(start, seconds // 60))
        else:
            day = int(r.get("start_day_of_week") or 0)
            if not 1 <= day <= 7:
                return f"a weekly_restriction on day {day} (1 Monday ... 7 Sunday)"
            out.restrictions += week_span(day - 1, start, seconds // 60)
    return None
