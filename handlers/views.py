"""Modal submissions."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.declare_args import DeclareArgs
from bot.declare_modal import CALLBACK_ID as DECLARE_CALLBACK
from bot.declare_modal import read_declare_submission
from bot.incidents import DeclareRequest, declare, declared_message
from bot.notify import answer_user, tell_user
from bot.postmortem_modal import CALLBACK_ID as POSTMORTEM_CALLBACK
from bot.postmortem_modal import read_postmortem_submission
from bot.postmortem_submit import store_modal_entry
from bot.runtime import Runtime
from bot.status_updates import post_update_from_form
from bot.update_modal import CALLBACK_ID as UPDATE_CALLBACK
from bot.update_modal import read_update_submission
from storage.types import utcnow

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    @app.view(DECLARE_CALLBACK)
    async def on_declare_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        rt = context["runtime"]
        args, description, meta, errors = read_declare_submission(
            view, rt.settings.default_severity
        )
        if errors or args is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        async with rt.in_flight():
            await _declare_from_modal(rt, body, args, description, meta)

    @app.view(POSTMORTEM_CALLBACK)
    async def on_postmortem_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        entry, meta, errors = read_postmortem_submission(view, utcnow())
        if errors or entry is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        rt = context["runtime"]
        async with rt.in_flight():
            user_id = body["user"]["id"]
            await answer_user(
                rt,
                user_id,
                meta.get("channel_id"),
                "Adding to the postmortem",
                lambda: store_modal_entry(rt, entry, meta, user_id),
            )

    @app.view(UPDATE_CALLBACK)
    async def on_update_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        rt = context["runtime"]
        incident_id, update, next_in, errors = read_update_submission(
            view, rt.settings.update_interval_seconds
        )
        if errors or update is None or incident_id is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        async with rt.in_flight():
            user_id = body["user"]["id"]

            async def work() -> None:
                text, channel_id = await post_update_from_form(
                    rt, incident_id, user_id, update, next_in
                )
                if text:
                    await tell_user(rt, user_id, channel_id, text)

            # Unexpected failures are told by DM: the form has no channel of its own.
            await answer_user(rt, user_id, None, "Posting your update", work)


async def _declare_from_modal(
    rt: Runtime,
    body: dict[str, Any],
    args: DeclareArgs,
    description: str | None,
    meta: dict[str, Any],
) -> None:
    user_id = body["user"]["id"]
    channel_id = meta.get("channel_id")

    async def work() -> str:
        outcome = await declare(
            rt,
            DeclareRequest(
                args=args,
                user_id=user_id,
                channel_id=channel_id,
                team_id=(body.get("team") or {}).get("id"),
                description=description,
            ),
        )
        return declared_message(outcome)

    await answer_user(rt, user_id, channel_id, "Declaring the incident", work)
