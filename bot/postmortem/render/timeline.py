"""Section 2: the timeline, every entry in order, kept whole.

Edits show the earlier texts (kept in timeline_revision); a deleted message shows as a
tombstone, its text gone as its author wanted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from bot.postmortem.markdown import block, inline, slack_to_plain
from bot.postmortem.render.common import Draft, when
from bot.slack.mrkdwn import safe_url

KIND_LABELS = {
    "message": "",
    "thread_reply": "in a thread",
    "thread_broadcast": "thread reply, also sent to the channel",
    "file_share": "shared a file",
    "bot_message": "integration",
    "note": "note",
    "log": "log line (backdated)",
    "status_update": "**status update**",
    "role_change": "**role change**",
    "status_change": "**status change**",
    "severity_change": "**severity change**",
    "handoff": "**handoff**",
    "prompt": "update prompt",
    "snooze": "prompt snoozed",
    "bot_action": "bot action",
    "alert": "**alert**",
    "page": "**page**",
    "verification": "**verification**",
    "checklist": "checklist",
    "runbook": "runbook linked",
    "copied_message": "copied in from another channel",
    "war_room": "**war room**",  # archived, unarchived, renamed, the bot removed or back
}
KEY_EVENT = "📌 **KEY EVENT**"
BOT_NAME = "Sisyphus"
_BOT_KINDS = frozenset({"prompt", "bot_action", "bot_message", "alert", "page", "war_room"})
INDENT = "  "


def render_timeline(d: Draft) -> list[str]:
    entries = d.record.entries
    out = ["## 2. Timeline", ""]
    if d.picture:
        out += [d.picture, ""]
    if not entries:
        out.append("_The timeline is empty._")
        return [*out, *d.after_timeline]
    keys = sum(1 for e in entries if e.key_event and e.deleted_at is None)
    out.append(
        f"{len(entries)} entries, oldest first; times in UTC. "
        f"{keys} key event{'s' if keys != 1 else ''} marked {KEY_EVENT}."
    )
    out.append("")
    revisions: dict[int, list[Any]] = defaultdict(list)
    for rev in d.record.revisions:
        revisions[rev.entry_id].append(rev)
    for entry in entries:
        out.append(_entry(d, entry, revisions.get(entry.id)))
    return [*out, *d.after_timeline]


def _entry(d: Draft, e: Any, revs: list[Any] | None) -> str:
    author = _author(d, e)
    if e.external:
        author += " (external, Slack Connect)"
    label = KIND_LABELS.get(e.kind)
    if label is None:
        label = inline(e.kind)
    head = f"- **{when(e.occurred_at)}** · {author}"
    if label:
        head += f" · {label}"
    if e.deleted_at is not None:
        by = f" by {d.who(e.deleted_by)}" if e.deleted_by else ""
        if e.deleted_while_away:
            away = f"deleted while the bot was away; noticed {when(e.deleted_at)}"
            return f"{head} · 🗑️ _[message {away}]_"
        return f"{head} · 🗑️ _[message deleted {when(e.deleted_at)}{by}]_"
    if e.key_event:
        head += f" · {KEY_EVENT}"
    text = block(slack_to_plain(e.text, d.names), INDENT) if e.text else ""
    line = f"{head}: {text}" if text else head
    if e.files:
        line += _files(e.files)
    if revs:
        for rev in revs:
            line += (
                f"\n{INDENT}- _edited; earlier text, replaced {when(rev.replaced_at)}:_ "
                + block(slack_to_plain(rev.text, d.names), INDENT * 2)
            )
    elif e.edited_at is not None:
        line += f" _(edited {when(e.edited_at)})_"
    return line


def _author(d: Draft, e: Any) -> str:
    if e.author_id:
        return d.who(e.author_id, e.author_name)
    if e.author_name:
        return inline(e.author_name)
    return BOT_NAME if e.kind in _BOT_KINDS else "_unknown_"


def _files(raw: str) -> str:
    """The files JSON column: a list of file facts. Unreadable values are shown as such."""
    try:
        files = json.loads(raw)
    except ValueError:
        return f"\n{INDENT}- 📎 _(file details unreadable)_"
    if not isinstance(files, list):
        files = [files]
    lines = []
    for f in files:
        if isinstance(f, dict):
            name = str(f.get("title") or f.get("name") or f.get("id") or "file")
            link = safe_url(f.get("permalink")) or safe_url(f.get("url_private"))
            shown = inline(name) + (f" ({inline(link)})" if link else "")
        else:
            shown = inline(str(f))
        lines.append(f"\n{INDENT}- 📎 {shown}")
    return "".join(lines)
