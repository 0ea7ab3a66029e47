"""`/incident page`, registered with the command grammar."""

from __future__ import annotations

from bot.alerts.install import sender_for
from bot.alerts.paging import PAGE_HOOKS, parse_page, store_page
from bot.incidents.lookup import open_incident_in_channel
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command
from bot.slack.text import escape


@incident_command(
    "page",
    usage="[--urgent] [service] [message]",
    summary=(
        "Page a service's on-call: by its escalation policy (`escalation_policy` in "
        "CONFIG_FILE: DMs level by level until someone acknowledges; a SEV3/SEV4 page waits "
        "for quiet hours to end unless `--urgent`), or through PagerDuty "
        "(PAGERDUTY_SERVICES; without one, PAGERDUTY_ROUTING_KEY). Resolving the incident "
        "stops or resolves its pages"
    ),
)
async def page(ctx: CommandContext, args: str) -> None:
    incident = await open_incident_in_channel(ctx)
    for hook in PAGE_HOOKS:
        answer = await hook(ctx.rt, incident, args, ctx.user_id)
        if answer is not None:
            await ctx.reply(answer)
            return
    request = parse_page(args, ctx.rt.settings)
    await store_page(ctx.rt, incident, request, ctx.user_id)
    sender = sender_for(ctx.rt)
    if sender is not None:
        sender.wake()
    await ctx.reply(
        f"Paging *{escape(request.service)}* through PagerDuty. I'll say here when it is "
        "through (or if it is not)."
    )
