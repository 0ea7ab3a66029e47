"""`/postmortem action`: owned, dated action items (follow-through lists and closes them:
bot/followthrough/commands.py)."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.incidents.lookup import incident_in_channel
from bot.postmortem.args import parse_action
from bot.postmortem.blameless import blame_tip
from bot.postmortem.items import factor_count, record_action
from bot.postmortem.rules import ActionProblem
from bot.slack.context import CommandContext
from bot.slack.grammar import postmortem_command
from bot.slack.mrkdwn import escape_keeping_mentions
from storage.types import utcnow


@postmortem_command(
    "action",
    usage="<P0|P1|P2|P3> <@owner> <YYYY-MM-DD> [F<n>:] <text>",
    summary=(
        "An action item: specific, owned, due on a date. Start the text with `F2:` "
        "(or `F1, F3:`) to say which contributing factors it addresses"
    ),
)
async def action_command(ctx: CommandContext, args: str) -> None:
    incident = await incident_in_channel(ctx)
    try:
        draft = parse_action(
            args, now=utcnow(), factor_count=await factor_count(ctx.rt, incident.id or 0)
        )
        item = await record_action(ctx.rt, incident, draft, created_by=ctx.user_id)
    except ActionProblem as problem:
        raise UserError(problem.explained()) from None
    answer = (
        f":white_check_mark: Action item #{item.number} ({item.priority}, <@{item.owner_id}>, "
        f"due {item.due_date.isoformat()}): {escape_keeping_mentions(item.text)}"
    )
    tip = blame_tip(item.text)
    await ctx.reply(answer + (f"\n{tip}" if tip else ""))
