"""`/incident commander|communicator|role|roles|handoff`."""

from __future__ import annotations

from bot.incidents.lookup import incident_in_channel, open_incident_in_channel
from bot.response.handoff import hand_off
from bot.response.roles import (
    announce_role,
    assign_role,
    parse_person,
    parse_role_and_person,
    roles_text,
)
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command


async def _assign(ctx: CommandContext, role: str, user_id: str) -> None:
    incident = await open_incident_in_channel(ctx)
    change = await assign_role(ctx.rt, incident, role, user_id, ctx.user_id)
    await announce_role(ctx.rt, change, role, ctx.user_id)
    answer = f"<@{user_id}> is now the {role}."
    if change.problems:
        answer += "\nWhat did not work:\n" + "\n".join(f"• {p}" for p in change.problems)
    await ctx.reply(answer)


@incident_command(
    "commander",
    usage="@someone",
    summary="Name the incident commander (leads the response)",
)
async def commander(ctx: CommandContext, args: str) -> None:
    await _assign(ctx, "commander", parse_person(args, "/incident commander @someone"))


@incident_command(
    "communicator",
    usage="@someone",
    summary="Name the communicator (posts status updates; gets the reminders)",
)
async def communicator(ctx: CommandContext, args: str) -> None:
    await _assign(ctx, "communicator", parse_person(args, "/incident communicator @someone"))


@incident_command(
    "role",
    usage="<commander|communicator> @someone",
    summary="Give someone a role",
)
async def role(ctx: CommandContext, args: str) -> None:
    name, user_id = parse_role_and_person(args)
    await _assign(ctx, name, user_id)


@incident_command("roles", summary="Who is commander and communicator")
async def roles(ctx: CommandContext, args: str) -> None:
    await ctx.reply(roles_text(await incident_in_channel(ctx)))


@incident_command(
    "handoff",
    usage="@someone",
    summary="Hand command over; I post a briefing from the record for the next commander",
)
async def handoff(ctx: CommandContext, args: str) -> None:
    user_id = parse_person(args, "/incident handoff @someone")
    incident = await open_incident_in_channel(ctx)
    problems = await hand_off(ctx.rt, incident, user_id, ctx.user_id)
    answer = f"You handed command to <@{user_id}>; the briefing is in the channel."
    if problems:
        answer += "\nWhat did not work:\n" + "\n".join(f"• {p}" for p in problems)
    await ctx.reply(answer)
