"""Block Kit for the alert storm card: the groups over ALERT_DECLARES_PER_MINUTE, listed on
one message with a "Declare…" menu for those not declared yet.

Within Slack's limits (tests/support/block_limits.py): at most 50 blocks; each section under 3000
characters (STORM_LINES_PER_SECTION lines of at most ~200); a select of at most 100 options,
option text at most 75. A card lists at most MAX_ON_CARD groups; the next storm card takes more.
"""

from __future__ import annotations

from typing import Any

from bot.alerts.blocks import DECLARE_ACTION
from bot.slack.text import escape
from storage.models.alerts import AlertGroup

# Each replica puts at most this many on a card (20 sections, 2 menus and the head: 23
# blocks), so two replicas adding to the same card at once still keep under 50 blocks.
MAX_ON_CARD = 200
LINES_PER_SECTION = 10
OPTIONS_PER_MENU = 100
MAX_TITLE_SHOWN = 250  # escaped: ten lines of it and their words stay under 3000


def _title(text: str) -> str:
    shown = escape(text)
    if len(shown) <= MAX_TITLE_SHOWN:
        return shown
    cut = shown[: MAX_TITLE_SHOWN - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:  # not inside an entity
        cut = cut[:amp]
    return cut + "…"


def _plain(text: str, limit: int = 75) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line(group: AlertGroup) -> str:
    title = _title(group.title)
    if group.incident_id is not None:
        return f"• ~{title}~ ({group.severity.upper()}): declared as incident #{group.incident_id}"
    status = "resolved" if group.status == "resolved" else "firing"
    return f"• *{title}* ({group.severity.upper()}, {status})"


def storm_text(groups: list[AlertGroup]) -> str:
    return f"Alert storm: {len(groups)} alert groups wait for someone to declare them"


def storm_blocks(groups: list[AlertGroup], per_minute: int) -> list[dict[str, Any]]:
    waiting = [g for g in groups if g.incident_id is None]
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": (
                    f":ocean: *Alert storm*: more than {per_minute} alert groups a minute asked "
                    f"for an incident, so these {len(groups)} did not each open a war room "
                    f"(`ALERT_DECLARES_PER_MINUTE`). {len(waiting)} wait: declare the ones "
                    "that need a war room."
                ),
            },
        }
    ]
    for start in range(0, len(groups), LINES_PER_SECTION):
        lines = [_line(g) for g in groups[start : start + LINES_PER_SECTION]]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    for start in range(0, len(waiting), OPTIONS_PER_MENU):
        chunk = waiting[start : start + OPTIONS_PER_MENU]
        blocks.append(
            {
                "type": "actions",
                "block_id": f"storm_declare:{start // OPTIONS_PER_MENU}",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": DECLARE_ACTION,
                        "placeholder": {"type": "plain_text", "text": "Declare…"},
                        "options": [
                            {
                                "text": {
                                    "type": "plain_text",
                                    "text": _plain(f"{g.severity.upper()} {g.title}"),
                                },
                                "value": str(g.id),
                            }
                            for g in chunk
                        ],
                    }
                ],
            }
        )
    return blocks
