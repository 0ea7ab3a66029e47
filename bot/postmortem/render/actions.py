"""Section 6: the action items table."""

from __future__ import annotations

from bot.postmortem.markdown import cell, slack_to_plain
from bot.postmortem.render import action_columns as followthrough
from bot.postmortem.render.common import Draft, placeholder


def render_actions(d: Draft) -> list[str]:
    out = ["## 6. Action items", ""]
    actions = d.record.actions
    if not actions:
        out.append(placeholder("/postmortem action <P0-P3> @owner YYYY-MM-DD [F<n>:] <text>"))
        return out
    today = d.now.date()
    out += [
        "| # | Priority | Item | Owner | Due | Status |" + followthrough.EXTRA_HEADER,
        "|---|---|---|---|---|---|" + followthrough.EXTRA_RULE,
    ]
    for a in actions:
        status = followthrough.status_cell(a, today, d.names)
        out.append(
            f"| {a.number} | {a.priority} | {cell(slack_to_plain(a.text, d.names))} | "
            f"{d.who(a.owner_id)} | {a.due_date.isoformat()} | {status} |"
            + followthrough.extra_cells(a, d.names)
        )
    out += followthrough.notes(actions, d.who, d.names)
    if len(actions) > 1 and all(a.priority == "P0" for a in actions):
        out += [
            "",
            "> ⚠️ Every action item is P0, so in effect nothing is P0: when everything is "
            "urgent, nothing is. Keep P0 for what must happen before anything else, and "
            "lower the rest.",
        ]
    return out
