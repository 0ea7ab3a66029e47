"""A local WebSocket server speaking Slack's Socket Mode protocol.

It greets with `hello`, pushes envelopes (`slash_commands`, `events_api`, `interactive`) and
collects the client's acknowledgements, which name the `envelope_id` they answer.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.slack_requests import load_payload


class FakeSocketMode:
    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.connected = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self._ack_arrived = asyncio.Condition()
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._link)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps(load_payload("socket_mode_hello.sdk.json")))
        self.connected.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = json.loads(msg.data)
                if "envelope_id" in data:
                    async with self._ack_arrived:
                        self.acks[data["envelope_id"]] = data
                        self._ack_arrived.notify_all()
        return ws

    async def send(self, envelope_file: str, payload_changes: dict[str, Any]) -> str:
        """Push an envelope built from a real payload file; returns its envelope_id."""
        envelope = copy.deepcopy(load_payload(envelope_file))
        envelope["envelope_id"] = str(uuid.uuid4())
        envelope["payload"].update(payload_changes)
        await asyncio.wait_for(self.connected.wait(), 10)
        assert self._ws is not None
        await self._ws.send_str(json.dumps(envelope))
        return envelope["envelope_id"]

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        async with self._ack_arrived:
            await asyncio.wait_for(
                self._ack_arrived.wait_for(lambda: envelope_id in self.acks), timeout
            )
        return self.acks[envelope_id]
