"""Storing the analysis: postmortem items and action items added to an incident.

Shared by the slash commands and the "Add to postmortem" modal, so both apply the same rules.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.runtime import Runtime
from bot.postmortem.item_text import prevention_class_of, split_item_text
from bot.postmortem.queries import add_action_item, add_postmortem_item, count_postmortem_items
from bot.postmortem.rules import ActionDraft, ActionProblem
from bot.slack.client import slack_error_code, slack_error_text
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem, PostmortemItem

log = logging.getLogger(__name__)

ITEM_KINDS = ("summary", "impact", "factor", "why", "well", "poorly", "lesson")

# Called in the transaction that stores a new action item (follow-through queues its ticket
# there); each may return what to run once the transaction has committed. Filled by handlers/
# from the front doors (bot/followthrough/__init__.py).
NewActionHook = Callable[[Runtime, AsyncSession, ActionItem], Awaitable[Callable[[], None] | None]]
NEW_ACTION_HOOKS: list[NewActionHook] = []


async def factor_count(rt: Runtime, incident_id: int) -> int:
    async with rt.db.session() as session:
        return await count_postmortem_items(session, incident_id, "factor")


async def record_item(
    rt: Runtime,
    incident: Incident,
    kind: str,
    text: str,
    *,
    author_id: str,
    category: str | None = None,
) -> tuple[PostmortemItem, int]:
    """Store one item; returns it with its number among items of its kind (F2, why #3)."""
    if kind not in ITEM_KINDS:
        raise ValueError(kind)
    async with rt.db.session() as session:
        item = await add_postmortem_item(
            session, incident.id or 0, kind, text, author_id=author_id, category=category
        )
        number = await count_postmortem_items(session, incident.id or 0, kind)
    return item, number


async def check_owner(rt: Runtime, owner_id: str) -> None:
    """Refuse an owner Slack knows to be a bot, deactivated, or nobody at all.

    When Slack cannot be asked (an outage), the mention is trusted: it came from Slack.
    """
    if rt.bot_user_id and owner_id == rt.bot_user_id:
        raise ActionProblem("owner", "I can't own an action item; pick a person.")
    try:
        resp = await rt.client.users_info(user=owner_id)
    except SlackApiError as exc:
        if slack_error_code(exc) in ("user_not_found", "users_not_found"):
            raise ActionProblem(
                "owner", f"<@{owner_id}> is not a user of this workspace; pick a person."
            ) from None
        log.info("could not check owner %s: %s", owner_id, slack_error_text(exc))
        return
    except Exception:
        log.info("could not check owner %s", owner_id)
        return
    user = resp.get("user") or {}
    if user.get("is_bot") or user.get("is_app_user"):
        raise ActionProblem("owner", f"<@{owner_id}> is a bot; an action item needs a person.")
    if user.get("deleted"):
        raise ActionProblem(
            "owner", f"<@{owner_id}> is deactivated; pick someone who can do the work."
        )


async def record_action(
    rt: Runtime, incident: Incident, draft: ActionDraft, *, created_by: str
) -> ActionItem:
    await check_owner(rt, draft.owner_id)
    text, criteria = split_item_text(draft.text)
    async with rt.db.session() as session:
        item = await add_action_item(
            session,
            incident.id or 0,
            priority=draft.priority,
            owner_id=draft.owner_id,
            due_date=draft.due_date,
            text=text,
            created_by=created_by,
        )
        item.criteria = criteria
        item.prevention_class = prevention_class_of(item.text)
        session.add(item)
        await session.flush()
        after_commit = [await hook(rt, session, item) for hook in NEW_ACTION_HOOKS]
    for then in after_commit:
        if then is not None:
            then()  # e.g. the ticket row is committed with the item: file it now
    return item
