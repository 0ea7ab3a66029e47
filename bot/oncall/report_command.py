"""`/oncall report [30d|90d|365d] [schedule]`: the fair share of on call, per person. Answered
as `/incident stats` answers: the figures privately, the chart as a PNG in a direct message to
whoever asked (ephemeral messages cannot carry files). Anyone may read it."""

from __future__ import annotations

import logging
import re
from datetime import timedelta, tzinfo

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.oncall.config import ScheduleDef
from bot.oncall.people import shown
from bot.oncall.report import DEFAULT_PERIOD, PERIODS, PersonFigures, Report
from bot.oncall.report_chart import draw_report
from bot.oncall.report_data import fair_share
from bot.oncall.schedules import oncall_config
from bot.oncall.view import paged, when
from bot.slack.client import slack_error_text
from bot.slack.context import CommandContext
from bot.slack.files import upload_file, user_names
from bot.slack.grammar import oncall_command
from bot.slack.text import escape, excerpt, unescape
from bot.timeline.timeparse import zone_label
from bot.timeline.user_zone import user_zone
from storage.types import utcnow

log = logging.getLogger(__name__)
CHART_FILE = "oncall-report.png"
USAGE = "`/oncall report [30d|90d|365d] [schedule]`, e.g. `/oncall report 90d payments`"


def parse_report_args(
    words: list[str], schedules: tuple[ScheduleDef, ...]
) -> tuple[str, ScheduleDef | None]:
    """(period, schedule or None for all); UserError with a clear reason."""
    period: str | None = None
    schedule: ScheduleDef | None = None
    for word in words:
        lowered = word.lower()
        if lowered in PERIODS:
            if period is not None:
                raise UserError(f"Give one period and one schedule at most: {USAGE}.")
            period = lowered
            continue
        if re.match(r"^\d", lowered):
            raise UserError(
                f"`{excerpt(word, 20)}` is not a period: give 30d, 90d or 365d. {USAGE}."
            )
        found = next((s for s in schedules if s.name.lower() == lowered), None)
        if found is None:
            known = ", ".join(f"`{escape(s.name)}`" for s in schedules)
            raise UserError(
                f"There is no on-call schedule `{excerpt(word, 40)}`. The schedules: {known}."
            )
        if schedule is not None:
            raise UserError(f"Give one period and one schedule at most: {USAGE}.")
        schedule = found
    return period or DEFAULT_PERIOD, schedule


def hours_text(hours: float) -> str:
    return f"{hours:.0f} h" if hours >= 10 or hours == int(hours) else f"{hours:.1f} h"


def person_line(figures: PersonFigures, name: str) -> str:
    plural = "" if figures.pages == 1 else "s"
    commanded = "" if figures.commanded == 1 else "s"
    return (
        f"• {name}: {hours_text(figures.hours)} on call, "
        f"{hours_text(figures.hours_outside)} outside their working hours; "
        f"{figures.pages} page{plural}, {figures.pages_outside} outside their working hours; "
        f"{figures.commanded} incident{commanded} commanded"
        + (
            f"; paged by escalation policy {figures.paged} time"
            f"{'' if figures.paged == 1 else 's'}, acknowledged {figures.acknowledged}"
            if figures.paged or figures.acknowledged
            else ""
        )
    )


def report_title(period: str, schedule: ScheduleDef | None) -> str:
    return f"On call, last {period}" + (f", {schedule.name}" if schedule else ", all schedules")


def report_footer(report: Report, zone: tzinfo, own: bool) -> str:
    note = (
        f"{when(report.start, zone)} – {when(report.end, zone)}, in {zone_label(zone)}"
        + ("" if own else " (your Slack profile does not say your time zone)")
        + ". Working hours are each person's own, in their own zone. A page is an alert or "
        "an `/incident page` for a service of the schedule while they were on call."
    )
    if report.unattended_pages:
        n = report.unattended_pages
        note += f" {n} page{'' if n == 1 else 's'} came when nobody was on call."
    return note


async def post_report_chart(rt: Runtime, user_id: str, png: bytes, title: str) -> str:
    """The chart in a direct message to the user; returns its link. Raises on failure."""
    opened = await rt.client.conversations_open(users=user_id)
    return await upload_file(
        rt,
        str(opened["channel"]["id"]),
        filename=CHART_FILE,
        title=title,
        content=png,
        comment=":bar_chart: The chart of your `/oncall report`.",
    )


@oncall_command(
    "report",
    usage="[30d|90d|365d] [schedule]",
    summary=(
        f"The fair share, per person (default {DEFAULT_PERIOD}, all schedules): hours on call, "
        "hours outside their working hours, pages, pages outside their working hours, "
        "incidents commanded. Answered privately; the chart comes as a direct message"
    ),
)
async def report_command(ctx: CommandContext, args: str) -> None:
    words = unescape(args).split()
    if len(words) > 2:
        raise UserError(f"`/oncall report` takes a period and a schedule: {USAGE}.")
    config = oncall_config(ctx.rt)
    if not config.schedules:
        raise UserError(
            "There are no on-call schedules yet: they are written in the `oncall` section of "
            "the configuration file (CONFIG_FILE; see the On call page of the docs)."
        )
    period, schedule = parse_report_args(words, config.schedules)
    end = utcnow()
    start = end - timedelta(days=PERIODS[period])
    chosen = (schedule,) if schedule else config.schedules
    report, ids = await fair_share(ctx.rt, chosen, start, end)
    zone, own = await user_zone(ctx.rt, ctx.user_id)
    mentions = {p.person: shown(p.person, ids) for p in report.people}
    title = report_title(period, schedule)
    lines = [person_line(p, mentions[p.person]) for p in report.people] or [
        "Nobody was on call in this period."
    ]
    heading = f":bar_chart: *{escape(title)}*"
    messages = paged(heading, lines, report_footer(report, zone, own))
    known = await user_names(ctx.rt, (ids.get(p.person) for p in report.people))
    labels = {p.person: known.get(ids.get(p.person) or "", p.person) for p in report.people}
    png = await draw_report(report, title, labels)
    try:
        link = await post_report_chart(ctx.rt, ctx.user_id, png, title)
        chart = f"*Chart*: {link} (sent to you as a direct message)"
    except Exception as exc:
        log.warning("on-call report chart not sent: %s", slack_error_text(exc))
        chart = f":warning: I could not send you the chart ({escape(slack_error_text(exc))})."
    messages[-1].append({"type": "section", "text": {"type": "mrkdwn", "text": chart}})
    for blocks in messages:
        await ctx.reply(title, blocks=blocks)
