"""`/incident tag <tag> [tag ...]` and `/incident untag <tag>`."""

from __future__ import annotations

from collections.abc import Sequence

from bot.incidents.labels import incident_label
from bot.incidents.lookup import incident_in_channel
from bot.learning.tags import change_tags, parse_tags, tags_of
from bot.response.card import refresh_card
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command
from bot.timeline.queries import add_bot_action


def _listed(tags: list[str]) -> str:
    return ", ".join(f"`{t}`" for t in tags) or "none"


@incident_command(
    "tag",
    usage="<tag> [tag ...]",
    summary=(
        "Tag the incident with lowercase slugs such as `database` or `deploy` (shown on the "
        "card; the postmortem draft lists earlier incidents with the same tags)"
    ),
)
async def tag_command(ctx: CommandContext, args: str) -> None:
    await _change(ctx, add=parse_tags(args))


@incident_command("untag", usage="<tag>", summary="Remove a tag from the incident")
async def untag_command(ctx: CommandContext, args: str) -> None:
    await _change(ctx, remove=parse_tags(args, at_most=1))


async def _change(
    ctx: CommandContext, *, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> None:
    incident = await incident_in_channel(ctx)
    async with ctx.rt.db.session() as session:
        updated, changed = await change_tags(session, incident.id or 0, add=add, remove=remove)
        if changed:
            verb = "Tagged" if add else "Untagged"
            await add_bot_action(
                session,
                incident.id or 0,
                f"{verb} by <@{ctx.user_id}>: {', '.join(changed)}",
                actor_id=ctx.user_id,
            )
    if not changed:
        state = "already has" if add else "has no tag"
        await ctx.reply(
            f"{incident_label(updated)} {state} {_listed(list(add or remove))}. "
            f"Its tags: {_listed(tags_of(updated))}."
        )
        return
    problems = await refresh_card(ctx.rt, updated, topic=False)
    lines = [f":label: {incident_label(updated)} tags: {_listed(tags_of(updated))}."]
    lines += [f":warning: {p}" for p in problems]
    await ctx.reply("\n".join(lines))
