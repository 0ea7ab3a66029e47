"""The checklist's checkboxes: ticking and unticking (members only, as any change is)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.checklists.board import TICK_ACTION, apply_ticks, redraw_for_block, shown_ticked
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.buttons import clicked
from bot.slack.answers import answer_user
from bot.slack.permissions import authorize


def register(app: AsyncApp) -> None:
    @app.action(TICK_ACTION)
    async def on_tick(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id, channel_id, _ = clicked(body)
        action = (body.get("actions") or [{}])[0]
        block_id = action.get("block_id") or ""
        selected = {
            int(o["value"])
            for o in action.get("selected_options") or []
            if str(o.get("value", "")).isdigit()
        }

        async def work() -> str | None:
            try:
                await authorize(rt, f"action:{TICK_ACTION}", user_id)
            except UserError:
                await redraw_for_block(rt, block_id)  # undo the guest's tick on screen
                raise
            before = shown_ticked(body.get("message"), block_id)
            outcome = await apply_ticks(rt, user_id, block_id, selected, before)
            lines = []
            if outcome.beaten:
                lines.append(
                    "Someone was quicker; the checklist shows their tick:\n"
                    + "\n".join(f"• {b}" for b in outcome.beaten)
                )
            if outcome.problems:
                lines.append(
                    "Your change is recorded, but:\n"
                    + "\n".join(f"• {p}" for p in outcome.problems)
                )
            return "\n".join(lines) or None

        async with rt.in_flight():
            await answer_user(rt, user_id, channel_id, "Ticking the checklist", work)
