"""Who may change a schedule's shifts, beyond the permission table's "full members only"
(bot/slack/permissions.py, action `oncall`): a member of the schedule (any layer) their own
shifts; an on-call admin (`oncall.admins`: user IDs, or user groups read with
`usergroups.users.list`) anyone's. People are compared by Slack user ID: a member written as
an email is looked up first (bot/oncall/people.py)."""

from __future__ import annotations

import logging
import time
import weakref

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.oncall.config import ScheduleDef
from bot.oncall.people import slack_ids
from bot.oncall.schedules import oncall_config
from bot.slack.client import slack_error_code, slack_error_text
from bot.slack.text import escape

log = logging.getLogger(__name__)
GROUP_SECONDS = 300.0  # a user group's members, remembered this long
_GROUPS: weakref.WeakKeyDictionary[AsyncWebClient, dict[str, tuple[frozenset[str], float]]] = (
    weakref.WeakKeyDictionary()
)
ADMINS_NOTE = "an on-call admin (`oncall.admins` in the configuration file)"


async def members_of(rt: Runtime, schedule: ScheduleDef) -> set[str]:
    """The Slack user IDs of every layer's members (emails nobody has are left out)."""
    everyone = [m for layer in schedule.layers for m in layer.members]
    return {uid for uid in (await slack_ids(rt, everyone)).values() if uid}


async def is_admin(rt: Runtime, user_id: str) -> bool:
    """In `oncall.admins` by user ID, or in one of its user groups. A group Slack cannot be
    asked about now refuses (fails closed), saying so."""
    admins = oncall_config(rt).admins
    if user_id in admins:
        return True
    for group in (a for a in admins if a.startswith("S")):
        if user_id in await _group_members(rt, group):
            return True
    return False


async def _group_members(rt: Runtime, group: str) -> frozenset[str]:
    cache = _GROUPS.setdefault(rt.client, {})
    held = cache.get(group)
    if held is not None and held[1] > time.monotonic():
        return held[0]
    try:
        resp = await rt.client.usergroups_users_list(usergroup=group)
    except Exception as exc:
        if slack_error_code(exc) in ("no_such_subteam", "subteam_not_found"):
            log.warning("oncall.admins names user group %s, which Slack does not know", group)
            members: frozenset[str] = frozenset()
            cache[group] = (members, time.monotonic() + GROUP_SECONDS)
            return members
        raise UserError(
            f"I could not check the on-call admins' user group ({slack_error_text(exc)}), so "
            "I did not make the change. Please try again."
        ) from exc
    members = frozenset(str(u) for u in resp.get("users") or [])
    cache[group] = (members, time.monotonic() + GROUP_SECONDS)
    return members


async def check_may_change(
    rt: Runtime, actor: str, schedule: ScheduleDef, person: str | None = None
) -> bool:
    """Refuse (UserError) unless `actor` may put `person` (default: themselves) on call for
    `schedule`. True when the actor is an admin."""
    person = person or actor
    if person == actor and actor in await members_of(rt, schedule):
        return False
    if await is_admin(rt, actor):
        return True
    name = escape(schedule.name)
    if person != actor:
        raise UserError(
            f"Putting someone else on call for *{name}* needs {ADMINS_NOTE}. You may change "
            "your own shifts, if you are a member of the schedule."
        )
    raise UserError(
        f"You are not a member of the *{name}* schedule: its members change their own "
        f"shifts, and {ADMINS_NOTE} anyone's."
    )


async def check_may_remove(
    rt: Runtime, actor: str, schedule: ScheduleDef, involved: set[str]
) -> None:
    """An override may be removed by an admin, or by a member of its schedule it involves
    (the person it puts on call, who made it, or who asked for the swap)."""
    if actor in involved and actor in await members_of(rt, schedule):
        return
    if await is_admin(rt, actor):
        return
    raise UserError(
        f"That override of *{escape(schedule.name)}* is not yours: removing it needs {ADMINS_NOTE}."
    )


async def check_on_call_person(rt: Runtime, user_id: str) -> None:
    """Someone put on call must be a full member of the workspace: not a bot, not a deleted
    account, not a guest or someone from another organisation (they only read)."""
    who = f"<@{user_id}>"
    try:
        resp = await rt.client.users_info(user=user_id)
        user = resp.get("user") or {}
    except Exception as exc:
        if slack_error_code(exc) == "user_not_found":
            raise UserError(f"I can't find {who} in this workspace.") from exc
        raise UserError(
            f"I could not look up {who} ({slack_error_text(exc)}), so I did not make the "
            "change. Please try again."
        ) from exc
    if user.get("is_bot") or user.get("deleted"):
        raise UserError(f"{who} is a bot or a deactivated account: nobody to put on call.")
    team = user.get("team_id")
    if (
        user.get("is_restricted")
        or user.get("is_ultra_restricted")
        or user.get("is_stranger")
        or (team and rt.team_id and team != rt.team_id)
    ):
        raise UserError(
            f"{who} is a guest or from another organisation: they can read the schedules, "
            "but only full members of the workspace go on call."
        )
