"""The on-call calendar feeds, as iCalendar (RFC 5545) that Google Calendar and Outlook
subscribe to: a schedule's shifts, or one person's across schedules, with the overrides applied,
from a week ago to 60 days ahead. Times are UTC (`...Z`), the zone named in X-WR-TIMEZONE;
each shift's UID is stable (from the feed, the schedule, the person and the start), so a
client updates a moved shift instead of doubling it.

Each feed has its own secret: an HMAC-SHA256 of the feed's name with ONCALL_CALENDAR_SECRET,
so nothing is stored, one feed's address tells nothing of another's, and changing the setting
changes every address. Feeds name schedules, layers and people; never an incident or a phone.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from icalendar import Calendar, Event

from bot.oncall.rules import OVERRIDE, Shift

AHEAD = timedelta(days=60)
BEHIND = timedelta(days=7)
SCHEDULE = "schedule"
PERSON = "person"
PRODID = "-//Sisyphus//On call//EN"


@dataclass(frozen=True)
class FeedEvent:
    schedule: str
    shift: Shift
    who: str  # how the summary names the person on call ("" in a person's own feed)


def window(now: datetime) -> tuple[datetime, datetime]:
    """[a week ago, 60 days ahead], in whole UTC days: the feed changes once a day at its
    edges, not at each request."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - BEHIND, today + AHEAD + timedelta(days=1)


def feed_key(secret: str, kind: str, name: str) -> str:
    """The feed's secret: 32 hex digits of HMAC-SHA256(ONCALL_CALENDAR_SECRET, kind:name)."""
    name = name.lower() if kind == SCHEDULE else name.upper()
    message = f"sisyphus-oncall-calendar:{kind}:{name}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def key_matches(secret: str, kind: str, name: str, given: str) -> bool:
    """Compared in constant time."""
    return hmac.compare_digest(feed_key(secret, kind, name).encode(), given.encode())


def schedule_url(base: str, secret: str, schedule: str) -> str:
    key = feed_key(secret, SCHEDULE, schedule)
    return f"{base}/oncall/{quote(schedule, safe='')}.ics?key={key}"


def person_url(base: str, secret: str, user_id: str) -> str:
    key = feed_key(secret, PERSON, user_id)
    return f"{base}/oncall/people/{quote(user_id, safe='')}.ics?key={key}"


def _uid(feed: str, item: FeedEvent) -> str:
    seed = f"{feed}|{item.schedule.lower()}|{item.shift.person}|{item.shift.start.isoformat()}"
    return f"{hashlib.sha256(seed.encode()).hexdigest()[:32]}@oncall.sisyphus"


def _summary(item: FeedEvent) -> str:
    shift = item.shift
    if shift.person is None:
        return f"{item.schedule}: nobody on call (a gap)"
    layer = "override" if shift.layer == OVERRIDE else (shift.layer or "")
    if not item.who:
        return f"On call: {item.schedule} ({layer})"
    return f"{item.schedule}: {item.who} ({layer})"


def feed_ics(feed: str, title: str, zone: str, events: Sequence[FeedEvent], now: datetime) -> bytes:
    """The calendar: `feed` names it in the UIDs (`schedule:payments`, `person:U123`)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", zone)
    cal.add("x-published-ttl", "PT1H")  # how often a client should look again
    stamp = now.astimezone(UTC).replace(microsecond=0)
    for item in events:
        event = Event()
        event.add("uid", _uid(feed, item))
        event.add("dtstamp", stamp)
        event.add("dtstart", item.shift.start.astimezone(UTC))
        event.add("dtend", item.shift.end.astimezone(UTC))
        event.add("summary", _summary(item))
        event.add("transp", "TRANSPARENT")  # on call is not busy
        cal.add_component(event)
    return bytes(cal.to_ical())
