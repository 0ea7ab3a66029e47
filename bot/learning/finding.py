"""`/postmortem search`: the best matches a person may see, with snippets, as Block Kit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.runtime import Runtime
from bot.learning.membership import MembershipCheck
from bot.learning.search import MARK_END, MARK_START, Candidate, rank_incidents, snippets
from bot.slack.text import escape

RESULTS = 10
# Ranked before the privacy check, so private matches the asker may not see leave room.
CANDIDATES = 40
MAX_SNIPPET = 400


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    snippet: str


async def search_incidents(
    rt: Runtime, user_id: str, words: list[str], *, include_drills: bool
) -> list[Match]:
    async with rt.db.connection() as conn:
        ranked = await rank_incidents(conn, words, limit=CANDIDATES, include_drills=include_drills)
    is_member = MembershipCheck(rt, user_id)
    shown: list[Candidate] = []
    for candidate in ranked:
        if candidate.private and not await is_member(candidate.channel_id):
            continue
        shown.append(candidate)
        if len(shown) == RESULTS:
            break
    async with rt.db.connection() as conn:
        found = await snippets(conn, words, [c.incident_id for c in shown])
    return [Match(c, found.get(c.incident_id, "")) for c in shown]


def marked(snippet: str) -> str:
    """Escape a snippet for mrkdwn and bold its matched words."""
    if len(snippet) > MAX_SNIPPET:
        snippet = snippet[:MAX_SNIPPET].rsplit(" ", 1)[0] + " …"
    body = escape(snippet.replace("*", "∗"))
    # A cut may leave a mark unclosed; bold must pair up within the line.
    if body.count(MARK_START) != body.count(MARK_END):
        body = body.replace(MARK_START, "").replace(MARK_END, "")
    return body.replace(MARK_START, "*").replace(MARK_END, "*")


def match_line(match: Match) -> str:
    c = match.candidate
    where = f"<#{c.channel_id}>" if c.channel_id else "no war room"
    drill = " · DRILL" if c.drill else ""
    private = " · :lock: private" if c.private else ""
    title = escape(" ".join(c.title.split()))
    head = (
        f"*#{c.incident_id} {title}* · {c.severity.upper()} · "
        f"{c.declared_at.strftime('%Y-%m-%d')}{drill}{private} · {where}"
    )
    return head + (f"\n> {marked(match.snippet)}" if match.snippet else "")


def results_blocks(query: str, matches: list[Match]) -> tuple[str, list[dict[str, Any]]]:
    shown = escape(query)
    if not matches:
        text = f":mag: Nothing found for `{shown}`."
        return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    text = f":mag: {len(matches)} best match{'es' if len(matches) > 1 else ''} for `{shown}`:"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    for match in matches:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": match_line(match)}})
    plain = text + "\n" + "\n".join(match_line(m).split("\n")[0] for m in matches)
    return plain[:3000], blocks
