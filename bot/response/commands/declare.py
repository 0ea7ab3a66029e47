"""`/incident declare`."""

from __future__ import annotations

from dataclasses import replace

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.services import service_named, services
from bot.response.declare import DeclareRequest, declare
from bot.response.declare_args import parse_declare
from bot.response.declare_modal import declare_modal
from bot.slack.client import slack_error_text
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command
from bot.slack.text import escape, excerpt


@incident_command(
    "declare",
    usage="[sev1|sev2|sev3|sev4] [--here] [--private] [--drill] [--service <name>] <title>",
    summary=(
        "Open a war room: a new channel (or this one with `--here`; a private one with "
        "`--private`), you as commander. Severity defaults to SEV3. No title opens a form. "
        "`--drill` declares a game day: `drill-<n>-...`, marked DRILL everywhere, left out of "
        "stats and search. `--service` names the service it is about (from the catalog): the card "
        "shows who is on call for it"
    ),
)
async def declare_command(ctx: CommandContext, args: str) -> None:
    parsed = parse_declare(args, ctx.rt.settings.default_severity)
    if parsed is not None and parsed.service is not None:
        parsed = replace(parsed, service=catalog_name(ctx.rt, parsed.service))
    if parsed is None and "--service" in args.lower():
        raise UserError(
            "Give the incident a title with `--service` (the form does not ask for a service): "
            "`/incident declare --service checkout sev2 Checkout returns 500s`."
        )
    if parsed is None:
        here = "--here" in args.split()
        private = "--private" in args.split()
        drill = "--drill" in args.lower().split()
        if not ctx.trigger_id:
            await ctx.reply("Give the incident a title: `/incident declare <title>`.")
            return
        try:
            await ctx.rt.client.views_open(
                trigger_id=ctx.trigger_id,
                view=declare_modal(
                    ctx.channel_id,
                    ctx.rt.settings.default_severity,
                    private=private,
                    here=here,
                    drill=drill,
                ),
            )
        except Exception as exc:
            await ctx.reply(
                f"I could not open the declare form ({slack_error_text(exc)}). "
                "Declare with a title instead: `/incident declare sev2 Checkout returns 500s`."
            )
        return
    # Answered by declare itself: as soon as the war room exists, and again if a step fails.
    await declare(
        ctx.rt,
        DeclareRequest(
            args=parsed,
            user_id=ctx.user_id,
            channel_id=ctx.channel_id,
            team_id=ctx.team_id,
            tell=ctx.reply,
        ),
    )


def catalog_name(rt: Runtime, name: str) -> str:
    """The service's name as the catalog writes it; a clear refusal for one it does not have."""
    found = service_named(rt, name)
    if found is not None:
        return found.name
    known = ", ".join(f"`{escape(s.name)}`" for s in services(rt)[:20])
    raise UserError(
        f"There is no service `{excerpt(name, 40)}` in the service catalog. "
        + (
            f"The services: {known}."
            if known
            else "The catalog is the `services` section of the configuration file (CONFIG_FILE)."
        )
    )
