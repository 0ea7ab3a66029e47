"""`/postmortem summary|impact|factor|why|well|poorly|lesson`: capture the analysis as it
happens, in the incident channel, open or resolved."""

from __future__ import annotations

from bot.incidents.lookup import incident_in_channel
from bot.postmortem.args import parse_factor, parse_text
from bot.postmortem.blameless import blame_tip
from bot.postmortem.items import record_item
from bot.slack.context import CommandContext
from bot.slack.grammar import postmortem_command
from bot.slack.mrkdwn import escape_keeping_mentions

SECTION_NAMES = {
    "well": "What went well",
    "poorly": "What went poorly",
    "lesson": "Lessons learned",
}


async def _capture(ctx: CommandContext, kind: str, text: str, category: str | None = None) -> None:
    incident = await incident_in_channel(ctx)
    _, number = await record_item(
        ctx.rt, incident, kind, text, author_id=ctx.user_id, category=category
    )
    quoted = f"“{escape_keeping_mentions(text)}”"
    if kind in ("summary", "impact"):
        head = (
            f":white_check_mark: {kind.capitalize()} of incident #{incident.id} saved: {quoted}"
            + (" It replaces the earlier one in the draft." if number > 1 else "")
        )
    elif kind == "factor":
        head = (
            f":white_check_mark: Contributing factor *F{number}* ({category}) recorded: {quoted}\n"
            "Every contributing factor needs at least one action item; link one by starting "
            f"its text with `F{number}:`, e.g. "
            f"`/postmortem action P2 @owner YYYY-MM-DD F{number}: <what will change>`."
        )
    elif kind == "why":
        head = f":white_check_mark: Why #{number} recorded: {quoted}"
        if number < 5:
            head += " Ask why again with `/postmortem why <text>`."
        else:
            head += " Stop when you reach something the team can change."
    else:
        head = f":white_check_mark: Recorded under “{SECTION_NAMES[kind]}”: {quoted}"
    tip = blame_tip(text)
    await ctx.reply(head + (f"\n{tip}" if tip else ""))


@postmortem_command("summary", usage="<text>", summary="What happened, in a few sentences")
async def summary_command(ctx: CommandContext, args: str) -> None:
    await _capture(ctx, "summary", parse_text(args, "/postmortem summary <text>"))


@postmortem_command("impact", usage="<text>", summary="Who and what was affected, how much")
async def impact_command(ctx: CommandContext, args: str) -> None:
    await _capture(ctx, "impact", parse_text(args, "/postmortem impact <text>"))


@postmortem_command(
    "factor",
    usage="<technical|process|human|organizational> <text>",
    summary=(
        "A contributing factor (incidents have several), numbered F1, F2, ... "
        "Every factor needs an action item that starts with `F<n>:`"
    ),
)
async def factor_command(ctx: CommandContext, args: str) -> None:
    category, text = parse_factor(args)
    await _capture(ctx, "factor", text, category)


@postmortem_command("why", usage="<text>", summary="The next step of the five whys, numbered")
async def why_command(ctx: CommandContext, args: str) -> None:
    await _capture(ctx, "why", parse_text(args, "/postmortem why <text>"))


@postmortem_command("well", usage="<text>", summary="Something that went well")
async def well_command(ctx: CommandContext, args: str) -> None:
    await _capture(ctx, "well", parse_text(args, "/postmortem well <text>"))


@postmortem_command("poorly", usage="<text>", summary="Something that went poorly")
async def poorly_command(ctx: CommandContext, args: str) -> None:
    await _capture(ctx, "poorly", parse_text(args, "/postmortem poorly <text>"))


@postmortem_command("lesson", usage="<text>", summary="A lesson learned")
async def lesson_command(ctx: CommandContext, args: str) -> None:
    await _capture(ctx, "lesson", parse_text(args, "/postmortem lesson <text>"))
