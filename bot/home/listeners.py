"""App Home's listener: the view is published when someone opens the Home tab."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.core.runtime import Runtime
from bot.home.view import publish_home
from storage import StorageUnavailable

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("tab") not in (None, "home"):
            return
        rt: Runtime = context["runtime"]
        user_id = event.get("user") or ""
        async with rt.in_flight():
            try:
                await publish_home(rt, user_id)
            except StorageUnavailable:
                return  # the next time the tab is opened
            except Exception as exc:
                log.warning("could not publish App Home for %s: %s", user_id, exc)
