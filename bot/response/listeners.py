"""The response's Slack listeners: the declare and status-update forms, the Post update button;
the card's controls and the resolve form are card_controls.py's."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.authorize import authorize_on_incident
from bot.incidents.buttons import (
    HOME_DECLARE_ACTION,
    POST_UPDATE_ACTION,
    clicked,
)
from bot.response import card_controls, war_room_listeners
from bot.response.declare import DeclareRequest, declare
from bot.response.declare_args import DeclareArgs
from bot.response.declare_modal import CALLBACK_ID as DECLARE_CALLBACK
from bot.response.declare_modal import (
    DECLARE_SHORTCUT,
    declare_modal,
    read_declare_submission,
)
from bot.response.update_modal import CALLBACK_ID as UPDATE_CALLBACK
from bot.response.update_modal import read_update_submission
from bot.response.updates import post_update_from_form, update_form_for
from bot.slack.answers import answer_user, tell_user
from bot.slack.client import slack_error_text

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    card_controls.register(app)  # the card's controls and the resolve form

    @app.shortcut(DECLARE_SHORTCUT)
    async def on_declare_shortcut(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """The global shortcut (search bar, "+" menu): the declare form, from anywhere."""
        await ack()
        rt: Runtime = context["runtime"]
        async with rt.in_flight():
            await _open_declare_form(rt, body, f"shortcut:{DECLARE_SHORTCUT}")

    @app.action(HOME_DECLARE_ACTION)
    async def on_home_declare(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """App Home's "Declare incident" button: the same form."""
        await ack()
        rt: Runtime = context["runtime"]
        async with rt.in_flight():
            await _open_declare_form(rt, body, f"action:{HOME_DECLARE_ACTION}")

    war_room_listeners.register(app)

    @app.action(POST_UPDATE_ACTION)
    async def on_post_update(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        rt = context["runtime"]
        async with rt.in_flight():
            await _open_update_form(rt, body)

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
                await authorize_on_incident(rt, f"view:{UPDATE_CALLBACK}", user_id, incident_id)
                text, channel_id = await post_update_from_form(
                    rt, incident_id, user_id, update, next_in
                )
                if text:
                    await tell_user(rt, user_id, channel_id, text)

            # Unexpected failures are told by DM: the form has no channel of its own.
            await answer_user(rt, user_id, None, "Posting your update", work)


async def _open_declare_form(rt: Runtime, body: dict[str, Any], entry_point: str) -> None:
    """The declare form, opened from a shortcut or a button: no channel, so a new war room."""
    user_id = body["user"]["id"]

    async def work() -> None:
        await authorize_on_incident(rt, entry_point, user_id, None)
        try:
            await rt.client.views_open(
                trigger_id=body.get("trigger_id") or "",
                view=declare_modal(None, rt.settings.default_severity),
            )
        except Exception as exc:
            raise UserError(
                f"I could not open the declare form ({slack_error_text(exc)}). Declare with "
                "`/incident declare sev2 <title>` instead."
            ) from exc

    await answer_user(rt, user_id, None, "Opening the declare form", work)


async def _declare_from_modal(
    rt: Runtime,
    body: dict[str, Any],
    args: DeclareArgs,
    description: str | None,
    meta: dict[str, Any],
) -> None:
    user_id = body["user"]["id"]
    channel_id = meta.get("channel_id")

    async def tell(text: str) -> None:
        await tell_user(rt, user_id, channel_id, text)

    async def work() -> None:
        await authorize_on_incident(rt, f"view:{DECLARE_CALLBACK}", user_id, None)
        await declare(  # answers as soon as the war room exists, and again if a step fails
            rt,
            DeclareRequest(
                args=args,
                user_id=user_id,
                channel_id=channel_id,
                team_id=(body.get("team") or {}).get("id"),
                description=description,
                tell=tell,
            ),
        )

    await answer_user(rt, user_id, channel_id, "Declaring the incident", work)


async def _open_update_form(rt: Runtime, body: dict[str, Any]) -> None:
    """The "Post update" button, on the card and on every reminder, opens the update form."""
    user_id, channel_id, value = clicked(body)

    async def work() -> None:
        incident_id = int(value) if value.isdigit() else 0
        await authorize_on_incident(rt, f"action:{POST_UPDATE_ACTION}", user_id, incident_id)
        view = await update_form_for(rt, incident_id)
        try:
            await rt.client.views_open(trigger_id=body.get("trigger_id") or "", view=view)
        except Exception as exc:
            log.warning("could not open the update form: %s", slack_error_text(exc))
            raise UserError(
                f"I could not open the update form ({slack_error_text(exc)}). "
                "Post it with `/incident update <text>` instead."
            ) from exc

    await answer_user(rt, user_id, channel_id, "Opening the update form", work)
