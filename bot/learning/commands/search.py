"""`/postmortem search [--drills] <words>`."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.learning.finding import results_blocks, search_incidents
from bot.learning.search import query_words
from bot.slack.context import CommandContext
from bot.slack.grammar import postmortem_command
from bot.slack.text import unescape

MAX_QUERY = 300


@postmortem_command(
    "search",
    usage="[--drills] <words>",
    summary=(
        "Search past incidents and postmortems (titles, summaries, impact, factors, whys, "
        "lessons, action items, notes, status updates); answers you privately with the 10 best "
        "matches. Drills only with `--drills`"
    ),
)
async def search_command(ctx: CommandContext, args: str) -> None:
    raw = unescape(args).strip()
    include_drills = False
    if raw.lower().startswith("--drills"):
        include_drills = True
        raw = raw[len("--drills") :].strip()
    if len(raw) > MAX_QUERY:
        raise UserError(f"That search is {len(raw)} characters; keep it under {MAX_QUERY}.")
    words = query_words(raw)
    if not words:
        raise UserError(
            "Tell me what to look for: `/postmortem search <words>`, "
            "e.g. `/postmortem search database failover`."
        )
    matches = await search_incidents(ctx.rt, ctx.user_id, words, include_drills=include_drills)
    text, blocks = results_blocks(raw, matches)
    await ctx.reply(text, blocks=blocks)
