"""The postmortem's Slack listeners: the "Add to postmortem" form."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.incidents.authorize import authorize_on_incident
from bot.postmortem.modal import CALLBACK_ID as POSTMORTEM_CALLBACK
from bot.postmortem.modal import read_postmortem_submission
from bot.postmortem.submit import store_modal_entry
from bot.slack.answers import answer_user
from storage.types import utcnow


def register(app: AsyncApp) -> None:
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

            async def work() -> str:
                raw_id = str(meta.get("incident_id") or "")
                await authorize_on_incident(
                    rt,
                    f"view:{POSTMORTEM_CALLBACK}",
                    user_id,
                    int(raw_id) if raw_id.isdigit() else None,
                    also="action_items" if entry.action is not None else None,
                )
                return await store_modal_entry(rt, entry, meta, user_id)

            await answer_user(rt, user_id, meta.get("channel_id"), "Adding to the postmortem", work)
