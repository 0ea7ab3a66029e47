"""How an incident is named in messages: "Incident #12: API down" (DRILL first for a game day),
and the emoji of its status (on the card and in App Home).

Its own module, apart from the Block Kit of the card, because nearly every domain names
incidents in what it posts.
"""

from __future__ import annotations

from typing import Protocol

from bot.slack.text import escape


class Titled(Protocol):
    """An incident, or a row read for a reminder: anything with a number and a title."""

    @property
    def id(self) -> int | None: ...

    @property
    def title(self) -> str: ...


def plain_label(incident_id: int | None, title: str, *, drill: bool = False) -> str:
    """ "Incident #12: API down", for plain_text fields, which Slack shows as typed.
    A drill says so first: "DRILL: Incident #12: ..."."""
    return f"{'DRILL: ' if drill else ''}Incident #{incident_id}: {title}"


def incident_label(incident: Titled) -> str:
    """The same label for mrkdwn: the title escaped (DRILL first for a game day)."""
    return plain_label(
        incident.id, escape(incident.title), drill=bool(getattr(incident, "drill", False))
    )


STATUS_EMOJI = {
    "investigating": ":mag:",
    "identified": ":bulb:",
    "mitigated": ":adhesive_bandage:",
    "monitoring": ":eyes:",
    "resolved": ":white_check_mark:",
}
