"""Scheduled maintenance: `/incident maintenance <components> <from> <until> <text>` stores it
(and renders the page, where it shows as scheduled); it starts (its components under
maintenance) and completes (back to operational) by itself. `list` shows what is not completed;
`cancel <number>` withdraws a scheduled one (gone from the page) or ends one in progress now.

Due times are in the database (status_maintenance): every replica's worker reads what is not
completed every POLL_SECONDS and asks the base for a run at each due time, so a step happens
within a moment of its time on whichever replica sees it first. A step is a conditional
UPDATE (maintenance_queries.take_step), its component states and the new rendering in the
same transaction: exactly once across replicas, and a restart catches up on what came due
while no replica ran. The same look renders the page again on the first one of a new UTC day,
so the 90 days of history move on without a publication.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, tzinfo

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command
from bot.slack.text import escape, unescape
from bot.status.announce import announce
from bot.status.config import StatusPageConfig, status_page
from bot.status.export import rewrite_export
from bot.status.maintenance_parse import USAGE, parse_maintenance
from bot.status.maintenance_queries import (
    add_maintenance,
    cancel_maintenance,
    components_of,
    not_completed,
    take_step,
)
from bot.status.publish import PAGE_OFF
from bot.status.queries import snapshot
from bot.status.snapshots import keep, render_and_store
from bot.timeline.events import plain
from bot.timeline.render import display_text
from bot.timeline.timeparse import format_local
from bot.timeline.user_zone import user_zone
from storage.types import utcnow

log = logging.getLogger(__name__)
POLL_SECONDS = 10.0
CANCEL = re.compile(r"^cancel\s+#?(\d+)$", re.IGNORECASE)
LARGEST_ID = 2**31 - 1  # an integer column on PostgreSQL


class MaintenanceWorker(Worker):
    kind = "status-maintenance"
    name = "scheduled maintenance"

    def interval_seconds(self) -> float:
        return POLL_SECONDS

    async def run_once(self, now: datetime) -> None:
        config = status_page(self.rt)
        if config is None:
            return
        async with self.rt.db.session() as session:
            rows = await not_completed(session)
            home = await snapshot(session, "/status")
            stale = home is not None and home.rendered_at.date() < now.date()
            rendered = await render_and_store(self.rt, session, config) if stale else []
        keep(self.rt, rendered)  # a new day: the history's bars move on by one
        for row in rows:
            if self.stopping:
                return
            due = row.scheduled_for if row.status == "scheduled" else row.scheduled_until
            if due > now:
                self.at(due, f"{row.public_id}:{row.status}", self.wake)
                continue
            async with self.rt.db.session() as session:
                stepped = await take_step(session, row.id or 0, now, self.instance)
                if stepped is None:
                    continue  # another replica took it
                rendered = await render_and_store(self.rt, session, config)
                status, until = stepped.status, stepped.scheduled_until
            keep(self.rt, rendered)
            log.info("maintenance %s is %s", row.public_id, status)
            said = "has started" if status == "in_progress" else "is completed"
            await announce(self.rt, f"*Maintenance {said}*: {escape(row.name)}")
            await rewrite_export(self.rt, config)
            if status == "in_progress":
                self.at(until, f"{row.public_id}:in_progress", self.wake)


def install_status_maintenance(rt: Runtime) -> None:
    worker = MaintenanceWorker(rt)
    rt.startup_hooks.append(worker.start)
    rt.shutdown_hooks.append(worker.stop)


@incident_command(
    "maintenance",
    usage="<components> <from> <until> <what is done> | list | cancel <number>",
    summary=(
        "Schedule maintenance on the public status page: components comma-separated, times "
        "as `/incident log` reads them (seconds allowed; without a date, the next such time; "
        "your Slack time zone unless given), in the future. It starts and completes by itself. "
        "`list` shows what is scheduled or in progress; `cancel <number>` withdraws a scheduled "
        "one or ends one in progress now"
    ),
)
async def maintenance_command(ctx: CommandContext, args: str) -> None:
    config = status_page(ctx.rt)
    if config is None:
        raise UserError(PAGE_OFF)
    if not args.strip():
        raise UserError(f"Which components, from when until when, and what? {USAGE}.")
    zone, _known = await user_zone(ctx.rt, ctx.user_id)
    if args.strip().lower() == "list":
        await ctx.reply(await _listing(ctx.rt, zone))
        return
    wanted = CANCEL.match(args.strip())
    if wanted:
        await _cancel(ctx, config, int(wanted.group(1)))
        return
    now = utcnow()
    m = parse_maintenance(config, plain(unescape(args)), default_zone=zone, now=now)
    async with ctx.rt.db.session() as session:
        row = await add_maintenance(session, m, ctx.user_id)
        rendered = await render_and_store(ctx.rt, session, config)
        public_id, row_id = row.public_id, row.id
    keep(ctx.rt, rendered)
    problems = await announce(
        ctx.rt,
        f"*Scheduled maintenance*: {escape(m.text)}\n_{escape(', '.join(m.components))}, from "
        f"{format_local(m.starts, UTC)} until {format_local(m.ends, UTC)}_",
    )
    await rewrite_export(ctx.rt, config)
    worker = MaintenanceWorker.of(ctx.rt)
    if worker is not None:
        worker.at(m.starts, f"{public_id}:scheduled", worker.wake)
    base = (ctx.rt.settings.web_base_url or "").rstrip("/")
    await ctx.reply(
        f":wrench: Scheduled maintenance of {', '.join(m.components)} from "
        f"{format_local(m.starts, m.zone)} until {format_local(m.ends, m.zone)}: "
        f"{display_text(m.text)}\nIt shows on {base}/status now, starts and completes by itself "
        f"(number {row_id}: `/incident maintenance cancel {row_id}` withdraws it)."
        + "".join(f"\n{p}" for p in problems)
    )


async def _listing(rt: Runtime, zone: tzinfo) -> str:
    async with rt.db.session() as session:
        rows = sorted(await not_completed(session), key=lambda r: r.scheduled_for)
    if not rows:
        return "No maintenance is scheduled or in progress."
    lines = [
        f"• {r.id}. {display_text(r.name)} ({', '.join(components_of(r))}), "
        f"{'in progress' if r.status == 'in_progress' else 'scheduled'}: "
        f"{format_local(r.scheduled_for, zone)} until {format_local(r.scheduled_until, zone)}"
        for r in rows
    ]
    return "Maintenance (`/incident maintenance cancel <number>`):\n" + "\n".join(lines)


async def _cancel(ctx: CommandContext, config: StatusPageConfig, row_id: int) -> None:
    async with ctx.rt.db.session() as session:
        done = None
        if row_id <= LARGEST_ID:
            done = await cancel_maintenance(session, row_id, utcnow(), ctx.rt.instance)
        if done is None:
            raise UserError(
                f"No maintenance number {row_id} is scheduled or in progress: "
                "`/incident maintenance list` shows them."
            )
        rendered = await render_and_store(ctx.rt, session, config)
    keep(ctx.rt, rendered)
    what, name = done
    said = "withdrawn" if what == "withdrawn" else "ended early"
    problems = await announce(ctx.rt, f"*Maintenance {said}*: {escape(name)}")
    await rewrite_export(ctx.rt, config)
    log.info("maintenance %d %s", row_id, what)
    await ctx.reply(
        f":wrench: Maintenance {row_id} ({display_text(name)}) is {said}: the status page "
        "shows it now." + "".join(f"\n{p}" for p in problems)
    )
