"""History backfill: what was said in a war room while the bot was not listening.

Runs in the background at start-up (every open incident), after `/incident declare --here`
(that incident), and when storage comes back after an outage. It reads
`conversations.history` since the last captured message of the incident (or since it was
declared), and `conversations.replies` of every thread with replies since then, page by page.
Storing goes through the same unique key as live capture, so a message seen both ways is
one entry. Edits and deletions made while the bot was away are reconciled from what the
re-read finds (bot/timeline/reconcile.py): a newer `edited.ts` makes a revision, a stored message
missing from the window is tombstoned as deleted while the bot was away.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.core.runtime import Runtime
from bot.incidents.queries import open_incidents
from bot.slack.access import access_of
from bot.slack.client import slack_error_text
from bot.timeline.capture_queries import count_stored
from bot.timeline.events import (
    as_dict,
    datetime_to_ts,
    entry_row,
    read_message,
    slack_ts,
    ts_to_datetime,
)
from bot.timeline.keyevents import marks_in_history
from bot.timeline.marks import add_marks
from bot.timeline.queries import insert_messages, known_threads, latest_message_ts
from bot.timeline.reconcile import Reread, reconcile
from storage import StorageUnavailable
from storage.models.incidents import Incident
from storage.types import utcnow

log = logging.getLogger(__name__)

PAGE_SIZE = 200  # Slack recommends no more than 200 per page
# Messages of a burst are stored out of order, so a crash can leave gaps just before the last
# captured one. History is re-read from this long before it; the unique key makes that free.
REREAD_SECONDS = 300
Page = Callable[..., Awaitable[Any]]


Known = tuple[str | None, set[str]]  # last captured ts, threads already seen


def install_backfill(rt: Runtime) -> None:
    async def backfill_at_startup(rt: Runtime) -> None:
        # Where each war room's record ends is read now, before the bot listens: a live
        # message arriving first would otherwise move the floor past what was missed.
        try:
            plans = await _plans(rt)
        except StorageUnavailable:
            log.warning("history backfill skipped: storage unavailable")
            return
        rt.spawn(_backfill_plans(rt, plans), name="timeline-backfill")

    rt.startup_hooks.append(backfill_at_startup)

    async def backfill_after_suspension(since: datetime) -> None:
        await backfill_open_incidents(rt, oldest=since)

    access_of(rt.client).resume_hooks.append(backfill_after_suspension)


async def _plans(rt: Runtime) -> list[tuple[Incident, Known]]:
    plans = []
    async with rt.db.session() as session:
        for incident in await open_incidents(session):
            if incident.channel_id and incident.id is not None:
                last = await latest_message_ts(session, incident.id)
                threads = set(await known_threads(session, incident.id))
                plans.append((incident, (last, threads)))
    return plans


async def _backfill_plans(rt: Runtime, plans: list[tuple[Incident, Known]]) -> int:
    own = await _own_ids(rt)
    stored = 0
    for incident, known in plans:
        stored += await backfill_incident(rt, incident, own=own, known=known)
    return stored


async def backfill_open_incidents(rt: Runtime, *, oldest: datetime | None = None) -> int:
    """Backfill every open incident with a channel; return how many messages were new."""
    try:
        async with rt.db.session() as session:
            incidents = await open_incidents(session)
    except StorageUnavailable:
        log.warning("history backfill skipped: storage unavailable")
        return 0
    own = await _own_ids(rt)
    stored = 0
    for incident in incidents:
        if incident.channel_id:
            stored += await backfill_incident(rt, incident, oldest=oldest, own=own)
    return stored


async def backfill_incident(
    rt: Runtime,
    incident: Incident,
    *,
    oldest: datetime | None = None,
    own: set[str] | None = None,
    known: Known | None = None,
) -> int:
    """Read one war room's history since its last captured message; store what is missing.

    `known` is where the record ended, if read beforehand (see install_backfill).
    """
    channel = incident.channel_id or ""
    incident_id = incident.id or 0
    if own is None:
        own = await _own_ids(rt)
    try:
        if known is None:
            async with rt.db.session() as session:
                last = await latest_message_ts(session, incident_id)
                threads = set(await known_threads(session, incident_id))
        else:
            last, threads = known[0], set(known[1])
        declared = datetime_to_ts(incident.declared_at)
        floor = _reread_from(last, declared)
        if oldest is not None:  # after an outage: from its start, but never before the incident
            floor = max(min(floor, datetime_to_ts(oldest), key=Decimal), declared, key=Decimal)
        stored = 0
        reread = Reread(floor=floor, until=datetime_to_ts(utcnow()))
        history = _pages(rt.client.conversations_history, channel=channel, oldest=floor)
        async for messages in history:
            reread.add(messages)
            threads.update(m["ts"] for m in messages if _has_replies_after(m, floor))
            stored += await _store(rt, incident_id, channel, messages, floor, own)
        for parent in sorted(threads, key=Decimal):
            replies = _pages(
                rt.client.conversations_replies, channel=channel, ts=parent, oldest=floor
            )
            async for messages in replies:
                reread.add(messages)
                stored += await _store(rt, incident_id, channel, messages, floor, own)
            reread.threads.add(parent)
        changed = await reconcile(rt, incident_id, channel, reread)
    except StorageUnavailable:
        log.warning("history backfill of incident %s stopped: storage unavailable", incident_id)
        return 0
    except Exception as exc:
        log.warning("history backfill of incident %s failed: %s", incident_id, exc)
        return 0
    if stored:
        log.info("history backfill: %s message(s) added to incident %s", stored, incident_id)
    if changed.edited or changed.deleted:
        log.info(
            "history backfill: %s edit(s) and %s deletion(s) made while away, incident %s",
            changed.edited,
            changed.deleted,
            incident_id,
        )
    return stored


def _reread_from(last: str | None, declared: str) -> str:
    if last is None:
        return declared
    margin = Decimal(last) - REREAD_SECONDS
    return declared if margin < Decimal(declared) else f"{margin:.6f}"


def _has_replies_after(message: dict[str, Any], floor: str) -> bool:
    latest = slack_ts(message.get("latest_reply"))
    if not message.get("reply_count") or latest is None or not slack_ts(message.get("ts")):
        return False
    return Decimal(latest) > Decimal(floor)


async def _pages(method: Page, **params: Any) -> AsyncIterator[list[dict[str, Any]]]:
    cursor: str | None = None
    while True:
        resp = await method(**params, limit=PAGE_SIZE, **({"cursor": cursor} if cursor else {}))
        yield list(resp.get("messages") or [])
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


async def _store(
    rt: Runtime,
    incident_id: int,
    channel: str,
    messages: list[dict[str, Any]],
    floor: str,
    own: set[str],
) -> int:
    rows, marks = [], []
    for raw in messages:
        ts = slack_ts(raw.get("ts"))
        if not ts or Decimal(ts) <= Decimal(floor):
            continue
        if own & {raw.get("user"), raw.get("bot_id")}:
            continue  # the bot's own posts are recorded as bot actions when it makes them
        msg = read_message(raw, channel)
        if msg is None:
            continue
        edited = slack_ts(as_dict(raw.get("edited")).get("ts"))
        rows.append(
            entry_row(
                incident_id,
                msg,
                home_team=rt.team_id,
                edited_at=ts_to_datetime(edited) if edited else None,
            )
        )
        marks.extend(marks_in_history(raw, channel, rt.settings.key_event_emoji))
    if not rows:
        return 0
    async with rt.db.session() as session:
        await add_marks(session, marks)
        stored = await insert_messages(session, rows)
    count_stored(stored)
    return sum(stored.values())


async def _own_ids(rt: Runtime) -> set[str]:
    """The bot's user id and bot id, to skip its own posts in history."""
    if rt.bot_user_id:
        return {i for i in (rt.bot_user_id, rt.bot_id) if i}
    try:
        who = await rt.client.auth_test()
    except Exception as exc:
        log.warning(
            "auth.test failed (%s); cannot tell the bot's own posts apart", slack_error_text(exc)
        )
        return {rt.bot_user_id} if rt.bot_user_id else set()
    return {i for i in (who.get("user_id"), who.get("bot_id")) if i}
