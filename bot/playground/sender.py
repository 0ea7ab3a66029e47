"""What Slack sends the bot, sent by the playground: slash commands, events and interactions,
signed with the signing secret to `/slack/events`, in the shapes of Slack's own payloads
(tests/support/payloads holds the recorded ones these follow)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.playground.people import BY_ID, TEAM_ID
from bot.playground.signing import signed_headers

_ids = itertools.count(1)


def trigger_id() -> str:
    return f"{next(_ids)}.{time.time_ns()}.playground"


def user_object(user_id: str) -> dict[str, Any]:
    person = BY_ID.get(user_id)
    name = person.name if person else user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": TEAM_ID}


class BotSender:
    """Posts to the bot as Slack does; each answer is (HTTP status, body as text)."""

    def __init__(self, bot_url: str, secret: str) -> None:
        self.url = bot_url.rstrip("/") + "/slack/events"
        self.secret = secret
        self.session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def session_for_alerts(self) -> aiohttp.ClientSession:
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self.session

    async def post(self, body: str, content_type: str) -> tuple[int, str]:
        session = await self.session_for_alerts()
        headers = signed_headers(self.secret, body, content_type)
        async with session.post(self.url, data=body.encode(), headers=headers) as resp:
            return resp.status, await resp.text()

    async def command(
        self,
        command: str,
        text: str,
        *,
        user_id: str,
        channel_id: str,
        channel_name: str,
        response_url: str,
        trigger: str,
    ) -> tuple[int, str]:
        fields = {
            "token": "verification_token",
            "team_id": TEAM_ID,
            "team_domain": "playground",
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_object(user_id)["name"],
            "command": command,
            "text": text,
            "api_app_id": "A111",
            "response_url": response_url,
            "trigger_id": trigger,
        }
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded")

    async def event(self, event: dict[str, Any]) -> tuple[int, str]:
        envelope = {
            "token": "verification_token",
            "team_id": TEAM_ID,
            "api_app_id": "A111",
            "event": event,
            "type": "event_callback",
            "event_id": f"EvPG{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT", "is_bot": True}],
        }
        return await self.post(json.dumps(envelope), "application/json")

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, str]:
        base = {
            "user": user_object(str(payload.pop("user_id"))),
            "api_app_id": "A111",
            "token": "verification_token",
            "team": {"id": TEAM_ID, "domain": "playground"},
        }
        body = urlencode({"payload": json.dumps({**base, **payload})})
        return await self.post(body, "application/x-www-form-urlencoded")
