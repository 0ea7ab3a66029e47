"""The follow-through part of the postmortem draft's action items: states, tickets, criteria,
waivers, and the prevention classes no item covers (a suggestion, never an error)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from bot.postmortem.item_text import missing_classes, ticket_label
from bot.postmortem.markdown import cell, slack_to_plain
from storage.models.postmortem import ActionItem

EXTRA_HEADER = " Ticket | Done when |"
EXTRA_RULE = "---|---|"


def status_cell(a: ActionItem, today: date, names: Mapping[str, str]) -> str:
    if a.status == "verified":
        how = slack_to_plain(a.verification or "", names)
        return "verified" + (f": {cell(how)}" if how else "")
    if a.status == "done":
        return (
            f"done {a.done_at.date().isoformat()}, unverified" if a.done_at else "done, unverified"
        )
    status = "**open, overdue**" if a.due_date < today else "open"
    return status + (", waived for deploys" if a.waived_at else "")


def extra_cells(a: ActionItem, names: Mapping[str, str]) -> str:
    ticket = (
        f"[{cell(ticket_label(a.ticket_url, None, None))}]({a.ticket_url})" if a.ticket_url else " "
    )
    criteria = cell(slack_to_plain(a.criteria, names)) if a.criteria else " "
    return f" {ticket} | {criteria} |"


def notes(
    actions: list[ActionItem], who: Callable[[str | None], str], names: Mapping[str, str]
) -> list[str]:
    out: list[str] = []
    unclear = [a for a in actions if a.priority in ("P0", "P1") and not a.criteria]
    if unclear:
        numbers = ", ".join(f"#{a.number}" for a in unclear)
        out += [
            "",
            f"> ⚠️ P0 and P1 items without acceptance criteria: {numbers}. Say how anyone can "
            "tell each is done: end the item with `Done when: …`.",
        ]
    for a in actions:
        if a.waived_at is not None:
            reason = cell(slack_to_plain(a.waived_reason or "", names))
            out += [
                "",
                f"> 🔓 P0 item #{a.number} was waived for deploys by {who(a.waived_by)} on "
                f"{a.waived_at.date().isoformat()}: {reason}",
            ]
    missing = missing_classes([a.prevention_class for a in actions])
    if missing:
        tags = ", ".join(f"`#{c}`" for c in missing)
        out += [
            "",
            f"**Prevention classes without an item (a suggestion):** {tags}. Incidents recur "
            "when follow-up covers only one kind of fix; tag an item's text with its class.",
        ]
    return out
