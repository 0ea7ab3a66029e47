"""Who may do what: one permission model, written down as a table, enforced here for every entry
point (slash subcommands, buttons, form submissions).

Every entry point names an action; every action says which audiences may take it:

- a **member**: a full member of this workspace;
- a **guest**: a restricted or single-channel guest (`is_restricted` / `is_ultra_restricted`);
- an **external** user: someone from another organisation in a Slack Connect channel
  (`is_stranger`, or a `team_id` other than ours);
- **not in the channel**: anyone acting on a *private* incident whose channel they are not in.

Guests and external users can talk, add notes and postmortem entries, and read; they cannot
declare, change state, roles or the cadence, post official updates, snooze, add or close action
items, or export. It fails closed: when the bot cannot learn who someone is (`users.info` fails
or answers `user_not_found`) or whether they are in a private channel, the action is refused
with a plain reason. An entry point missing from the table is treated as members-only.
Allowed actions other than reading then count against the person's rate limit
(bot/slack/rate_limits.py). The README's permission table is generated from ACTIONS
(tests/slack/test_permissions.py checks it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.slack.client import slack_error_text
from bot.slack.identity import forget_member, member_seen, remember_member
from bot.slack.rate_limits import count_and_check

log = logging.getLogger(__name__)


class Audience(StrEnum):
    MEMBER = "member"
    GUEST = "guest"
    EXTERNAL = "external"
    OUTSIDER = "not in the channel"


EVERYONE = frozenset(Audience)
PARTICIPANTS = frozenset({Audience.MEMBER, Audience.GUEST, Audience.EXTERNAL})
MEMBERS = frozenset({Audience.MEMBER})


@dataclass(frozen=True)
class Action:
    name: str
    doing: str  # "declaring an incident": fits "… is for full members"
    allowed: frozenset[Audience]


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "read",
            "reading (an incident's roles, timeline, lists; on-call schedules; help)",
            EVERYONE,
        ),
        Action("note", "adding to the timeline (note, log)", PARTICIPANTS),
        Action("contribute", "adding to the postmortem (summary, factors, whys…)", PARTICIPANTS),
        # Declaring opens a new channel: not being in some other channel does not matter.
        Action("declare", "declaring an incident", MEMBERS | {Audience.OUTSIDER}),
        Action("change", "changing roles, status or severity, resolving or reopening", MEMBERS),
        Action("cadence", "changing the update cadence", MEMBERS),
        Action("update", "posting an official status update", MEMBERS),
        Action("snooze", "snoozing a reminder", MEMBERS),
        Action("action_items", "adding or closing action items", MEMBERS),
        Action("export", "exporting or publishing the record (draft, export)", MEMBERS),
        Action("page", "paging someone through PagerDuty", MEMBERS),
        Action("process", "ticking checklists, linking runbooks, recording verification", MEMBERS),
        # Then: a member of the schedule their own shifts, an on-call admin anyone's
        Action("oncall", "changing on-call shifts (override, take, swap, swap cancel)", MEMBERS),
    )
}

# Every entry point: `<command> <subcommand>`, `action:<action_id>`, `view:<callback_id>`.
ENTRY_POINTS: dict[str, str] = {
    "/incident declare": "declare",
    "/incident commander": "change",
    "/incident communicator": "change",
    "/incident role": "change",
    "/incident roles": "read",
    "/incident handoff": "change",
    "/incident status": "change",
    "/incident severity": "change",
    "/incident resolve": "change",
    "/incident reopen": "change",
    "/incident update": "update",
    "/incident cadence": "read",  # showing it; changing it is `cadence` (WITH_ARGUMENTS)
    "/incident note": "note",
    "/incident log": "note",
    "/incident timeline": "read",
    "/incident help": "read",
    "/postmortem summary": "contribute",
    "/postmortem impact": "contribute",
    "/postmortem factor": "contribute",
    "/postmortem why": "contribute",
    "/postmortem well": "contribute",
    "/postmortem poorly": "contribute",
    "/postmortem lesson": "contribute",
    "/postmortem action": "action_items",
    "/postmortem actions": "read",
    "/postmortem done": "action_items",
    "/postmortem add": "contribute",
    "/postmortem draft": "export",
    "/postmortem export": "export",
    "/postmortem help": "read",
    "action:post_status_update": "update",
    "action:snooze_update_prompt": "snooze",
    "view:declare_incident": "declare",
    "view:status_update": "update",
    "view:postmortem_add": "contribute",  # an action item in it also needs action_items
    # Detection and escalation (bot/alerts)
    "/incident page": "page",
    "action:alert_declare_incident": "declare",
    "action:alert_page_oncall": "page",  # it declares too: `declare` is checked as well
    "action:alert_add_to_incident": "change",
    "action:alert_resolve_incident": "change",
    "action:take_incident_command": "change",
    # The card's controls and the shortcuts (bot/response)
    "action:card_status": "change",
    "action:card_severity": "change",
    "action:take_command": "change",
    "action:card_communicator": "change",
    "action:card_resolve": "change",
    "view:resolve_incident": "change",
    "action:home_declare_incident": "declare",
    "shortcut:declare_incident": "declare",
    "shortcut:add_to_timeline": "note",
    "view:add_to_timeline_pick": "note",
    # Checklists, runbooks, verification (bot/checklists); adding an item is also `process`
    "/incident checklist": "read",
    "/incident runbook": "process",
    "/incident verify": "process",
    # The metric beside the incident (bot/metrics): showing it posts in the war room
    "/incident metric": "read",
    "action:checklist_tick": "process",
    # Follow-through on action items (bot/followthrough)
    "/postmortem verify": "action_items",
    "/postmortem ticket": "action_items",
    "/postmortem waive": "action_items",  # and only the incident's commander
    "action:followthrough_done": "action_items",
    "action:followthrough_snooze": "action_items",
    "action:paging_acknowledge": "change",
    "action:paging_escalate": "change",
    # Learning across incidents (bot/learning); publishing is also the commander's only
    "/incident tag": "change",
    "/incident untag": "change",
    "/incident stats": "read",
    "/postmortem search": "read",
    "/postmortem publish": "export",
    # On call (bot/oncall): anyone may read the schedules
    "/oncall": "read",
    "/oncall help": "read",
    "/oncall report": "read",
    "/oncall calendar": "read",  # the feeds show what /oncall shows
    "/oncall overrides": "read",
    "/oncall override": "oncall",
    "/oncall take": "oncall",
    "/oncall unoverride": "oncall",
    "/oncall swap": "oncall",  # asking, and `swap cancel <n>` withdrawing (the requester only)
    "action:oncall_swap_accept": "oncall",
    "action:oncall_swap_decline": "oncall",
    # The public status page (bot/status): and only the incident's commander or communicator
    "/incident publish": "update",
    "view:status_publish": "update",
    "action:status_publish_update": "update",
    "action:status_resolve_public": "update",  # resolving the public incident too
    "action:status_keep_public": "read",  # leaving it open: only an answer
    "/incident maintenance": "update",  # scheduling maintenance (full members)
}

# Subcommands that show something to everyone (`read` above) and change something when given
# these arguments: the command then also asks for this action, `authorize(..., also=...)`.
WITH_ARGUMENTS: dict[str, tuple[str, str]] = {
    # what it is called in the README: (entry point, action)
    "/incident cadence <duration>": ("/incident cadence", "cadence"),
    "/incident checklist add": ("/incident checklist", "process"),
    "/incident metric <promql>": ("/incident metric", "process"),
}

FALLBACK_ACTION = "change"  # an entry point nobody put in the table: members only


def action_for(entry_point: str) -> Action:
    name = ENTRY_POINTS.get(entry_point)
    if name is None:
        log.warning("no permission entry for %s; treating it as members-only", entry_point)
        name = FALLBACK_ACTION
    return ACTIONS[name]


def refusal(action: Action, audience: Audience) -> str:
    if audience is Audience.OUTSIDER:
        return (
            f"This incident is private: {action.doing} is for people in its channel. "
            "Ask the commander to invite you."
        )
    who = "Guests" if audience is Audience.GUEST else "People from other organisations"
    return (
        f"{who} can follow an incident, talk in it, add notes and read it, but {action.doing} "
        "is for full members of the workspace. Ask the commander."
    )


async def audience_of(rt: Runtime, user_id: str) -> Audience:
    """Member, guest or external, from `users.info`. Fails closed with a UserError."""
    try:
        resp = await rt.client.users_info(user=user_id)
        user: dict[str, Any] = resp.get("user") or {}
        if not user:
            raise ValueError("no user in the answer")
    except Exception as exc:
        raise UserError(
            f"I could not check your account type ({slack_error_text(exc)}), so I did not "
            "make the change. Please try again."
        ) from exc
    if user.get("is_restricted") or user.get("is_ultra_restricted"):
        forget_member(rt, user_id)
        return Audience.GUEST
    team = user.get("team_id")
    if user.get("is_stranger") or (team and rt.team_id and team != rt.team_id):
        forget_member(rt, user_id)
        return Audience.EXTERNAL
    remember_member(rt, user_id)
    return Audience.MEMBER


async def in_channel(rt: Runtime, user_id: str, channel_id: str) -> bool:
    """Whether the user is in the channel (`conversations.members`). Fails closed."""
    cursor = None
    try:
        for _ in range(100):  # 100 pages of 1,000: any real channel
            resp = await rt.client.conversations_members(
                channel=channel_id, limit=1000, cursor=cursor
            )
            if user_id in (resp.get("members") or []):
                return True
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False
    except Exception as exc:
        raise UserError(
            f"I could not check that you are in this private incident's channel "
            f"({slack_error_text(exc)}), so I did not make the change. Please try again."
        ) from exc
    return False


async def authorize(
    rt: Runtime,
    entry_point: str,
    user_id: str,
    *,
    private_channel: str | None = None,
    also: str | None = None,
) -> None:
    """Refuse (UserError) unless `user_id` may use `entry_point` (and the action `also`).

    `private_channel`: the channel of the private incident acted on, if it is private.
    """
    actions = [action_for(entry_point)] + ([ACTIONS[also]] if also else [])
    if any(not PARTICIPANTS <= a.allowed for a in actions):  # only then ask who they are
        declaring = all(a.name == "declare" for a in actions)
        if declaring and member_seen(rt, user_id):  # no Slack call before the channel
            audience = Audience.MEMBER
        else:
            audience = await audience_of(rt, user_id)
        for action in actions:
            if audience not in action.allowed:
                raise UserError(refusal(action, audience))
    if private_channel and any(Audience.OUTSIDER not in a.allowed for a in actions):
        if not await in_channel(rt, user_id, private_channel):
            denied = next(a for a in actions if Audience.OUTSIDER not in a.allowed)
            raise UserError(refusal(denied, Audience.OUTSIDER))
    changing = [a.name for a in actions if a.name != "read"]
    if changing:  # rate limits: declares, and every other change
        await count_and_check(rt, user_id, "declare" if changing[0] == "declare" else "change")


def permission_table_markdown() -> str:
    """The README's permission table, from ACTIONS and ENTRY_POINTS."""
    columns = list(Audience)
    lines = [
        "| Action | Entry points | " + " | ".join(c.value for c in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for action in ACTIONS.values():
        named = [p for p, a in ENTRY_POINTS.items() if a == action.name]
        named += [p for p, (_, a) in WITH_ARGUMENTS.items() if a == action.name]
        points = ", ".join(f"`{p}`" for p in named)
        marks = " | ".join("yes" if c in action.allowed else "no" for c in columns)
        lines.append(f"| {action.doing} | {points} | {marks} |")
    return "\n".join(lines) + "\n"
