"""`/oncall calendar [schedule]`: your own calendar feed and your schedules' (or the one named),
as full addresses under WEB_BASE_URL to subscribe to in Google Calendar or Outlook. Only you
see the answer: each address carries its feed's secret."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.oncall.calendar import AHEAD, BEHIND, person_url, schedule_url
from bot.oncall.config import ScheduleDef
from bot.oncall.people import slack_ids
from bot.oncall.schedules import oncall_config
from bot.slack.blocks import sections
from bot.slack.context import CommandContext
from bot.slack.grammar import oncall_command
from bot.slack.text import escape, excerpt, unescape

FEEDS_OFF = (
    "Calendar feeds are off: whoever runs the bot sets `ONCALL_CALENDAR_SECRET` (16 characters "
    "or more, e.g. from `openssl rand -hex 32`) in its settings."
)
NO_BASE_URL = (
    "I don't know the address people reach me at, so I can't give the feeds' addresses: "
    "whoever runs the bot sets `WEB_BASE_URL` (e.g. `https://sisyphus.example.com`) in its "
    "settings."
)


@oncall_command(
    "calendar",
    usage="[schedule]",
    summary="Your calendar feed and your schedules' (or the one named), to subscribe to in "
    "Google Calendar or Outlook; only you see them",
)
async def calendar(ctx: CommandContext, args: str) -> None:
    settings = ctx.rt.settings
    words = unescape(args).split()
    if len(words) > 1:
        raise UserError("`/oncall calendar` takes at most a schedule: `/oncall calendar payments`.")
    config = oncall_config(ctx.rt)
    named = config.schedule(words[0]) if words else None
    if words and named is None:
        known = ", ".join(f"`{escape(s.name)}`" for s in config.schedules) or "none yet"
        raise UserError(
            f"There is no on-call schedule `{excerpt(words[0], 40)}`. The schedules: {known}."
        )
    secret, base = settings.oncall_calendar_secret, settings.web_base_url
    if secret is None:
        raise UserError(FEEDS_OFF)
    if base is None:
        raise UserError(NO_BASE_URL)
    key = secret.get_secret_value()
    schedules = [named] if named is not None else await _theirs(ctx, list(config.schedules))
    lines = [
        f"*Your calendar feeds* (shifts from {BEHIND.days} days ago to {AHEAD.days} days ahead, "
        "overrides included). Subscribe to an address in Google Calendar (Other calendars › "
        "From URL) or Outlook (Add calendar › Subscribe from web); each is secret, like a "
        "password.",
        f"• Your own shifts, every schedule: `{person_url(base, key, ctx.user_id)}`",
    ]
    lines += [f"• *{escape(s.name)}*: `{schedule_url(base, key, s.name)}`" for s in schedules]
    if named is None and not schedules:
        lines.append("You are in no schedule yet; `/oncall calendar <schedule>` gives any one's.")
    await ctx.reply("Your calendar feeds", blocks=sections("\n".join(lines))[:45])


async def _theirs(ctx: CommandContext, schedules: list[ScheduleDef]) -> list[ScheduleDef]:
    """The schedules the person is a member of (by user ID, or an email Slack knows as theirs)."""
    members = {m for s in schedules for layer in s.layers for m in layer.members}
    ids = await slack_ids(ctx.rt, members)
    return [
        s
        for s in schedules
        if any(ids.get(m) == ctx.user_id for layer in s.layers for m in layer.members)
    ]
