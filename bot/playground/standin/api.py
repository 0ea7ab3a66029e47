"""The Slack Web API stand-in, served over real HTTP on localhost: the one implementation the
tests' fake Slack (tests/support/fake_slack.py re-exports it) and the playground
(`python -m bot demo`) share, so the two cannot drift.

The bot's real `slack_sdk` client reaches it through `SLACK_API_URL`. It records every call,
keeps just enough state (channels, messages, users, files) to answer like Slack, and can be
told to fail a method with a 429 (Retry-After), a 500, or a Slack error such as `name_taken`.
It also collects what the bot posts to `response_url`s.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml
from aiohttp import web

from bot.playground.standin.block_limits import MAX_TEXT, MAX_VIEW_BLOCKS, problems
from bot.playground.standin.methods import Channel, SlackMethods
from bot.playground.standin.realities import SlackRealities
from bot.playground.standin.tiers import TierLimits


def manifest_bot_scopes() -> list[str]:
    """The bot scopes of manifest.yml (the checkout's, else the working directory's): what
    installing the app grants."""
    for folder in (Path(__file__).parents[3], Path.cwd()):
        if (folder / "manifest.yml").is_file():
            manifest = yaml.safe_load((folder / "manifest.yml").read_text())
            return list(manifest["oauth_config"]["scopes"]["bot"])
    return []


# Methods whose blocks Slack checks against Block Kit's limits (50 a message, 100 a view).
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})

# From ../shared/slack/payloads/webapi_429_ratelimited.sdk.json
RATE_LIMITED_BODY = {"ok": False, "error": "ratelimited"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    ok: bool | None = None  # how it was answered: None while in flight (or never answered)


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    times: int = 1
    channel: str | None = None  # only calls about this channel fail


class FakeSlack(TierLimits, SlackRealities, SlackMethods):
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.posted_ts: dict[int, str] = {}  # id(params of a chat.postMessage) -> its ts
        self.responses: list[dict[str, Any]] = []  # bodies posted to response_url
        self.channels: dict[str, Channel] = {}
        self.dms: dict[str, Channel] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}  # user group ID -> its members
        self.uploads: dict[str, dict[str, Any]] = {}
        # Methods answered by another fake (tests/support/fake_slack_openid.py: openid.connect.*),
        # called with the parameters and the request's headers.
        self.extra_methods: dict[str, Callable[[dict[str, Any], Mapping[str, str]], dict]] = {}
        self.ephemerals: list[dict[str, Any]] = []  # chat.postEphemeral: channel, user, message
        self.views: dict[str, dict[str, Any]] = {}  # views.open/push/update: by view id
        self.home_views: dict[str, dict[str, Any]] = {}  # views.publish: App Home, by user
        self.version = 0  # counts every change, for the playground page's polling
        # The playground's hook for what the bot posts to a response_url: (key, body).
        self.on_response: Callable[[str, dict[str, Any]], None] | None = None
        self.socket_mode_url: str | None = None
        self.bot_user_id = "UBOT"
        self.granted_scopes: list[str] = manifest_bot_scopes()  # what installing the app grants
        self._failures: dict[str, list[Failure]] = {}
        self._delays: dict[str, float] = {}
        self._lost_if_caller_leaves: set[str] = set()
        self._ids = itertools.count(1)
        self._last_ts = 0  # the last message ts given, in microseconds
        self._cursors: dict[str, int] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.init_realities()
        self.init_tiers(enforced=True)

    # ---- lifecycle -------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        """Serve the Web API, response_urls and uploads from `app` (the playground's own)."""
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)

    async def start(self, app: web.Application | None = None, port: int = 0) -> None:
        """Listen on 127.0.0.1 (`port`, or any free one), serving `app` with the API added."""
        if app is None:
            app = web.Application(client_max_size=64 * 1024 * 1024)
        self.add_routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # started: it has sockets

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str = "cmd") -> str:
        return f"http://127.0.0.1:{self.port}/response/{key}"

    # ---- test controls ---------------------------------------------------------------------
    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail: an HTTP status and/or a Slack error.

        With `channel`, only calls about that channel fail (others go through meanwhile)."""
        self._failures.setdefault(method, []).append(
            Failure(
                status=status, error=error, retry_after=retry_after, times=times, channel=channel
            )
        )

    def heal(self, method: str) -> None:
        """Forget the failures still pending for `method`: it answers normally again."""
        self._failures.pop(method, None)

    def delay(self, method: str, seconds: float, *, lost_if_caller_leaves: bool = False) -> None:
        """Make every call of `method` answer only after `seconds` (a slow Slack).

        With `lost_if_caller_leaves`, a call whose caller hangs up (or dies) meanwhile never
        takes effect: Slack never got to it. Without, it takes effect anyway, as a request
        Slack had already received would."""
        self._delays[method] = seconds
        if lost_if_caller_leaves:
            self._lost_if_caller_leaves.add(method)
        else:
            self._lost_if_caller_leaves.discard(method)

    def add_user(self, user_id: str, *, tz: str = "UTC", **extra: Any) -> None:
        """A member of the workspace, as users.info shows them (`extra`: is_restricted,
        team_id, is_bot, deleted...). users.info answers user_not_found for anyone else."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": "T111",
            "name": user_id.lower(),
            "tz": tz,
            **extra,
        }

    def add_channel(
        self, channel_id: str, name: str, *, is_private: bool = False, bot_member: bool = False
    ) -> Channel:
        """A channel that exists in the workspace. The bot is in it only with `bot_member`
        (invited before the test begins); otherwise it must join (public) or be invited."""
        channel = Channel(channel_id, name, is_private)
        if bot_member:
            channel.members.add(self.bot_user_id)
        self.channels[channel_id] = channel
        return channel

    def add_message(self, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Put a message into a channel's history (as if someone said it while we were away)."""
        message = dict(message)
        message.setdefault("type", "message")
        message.setdefault("ts", self.next_ts())
        self.channels[channel_id].messages.append(message)
        return message

    def next_ts(self) -> str:
        """A message ts as Slack makes them: the time of posting, in microseconds, unique and
        increasing (two posts in the same microsecond get the next one)."""
        self._last_ts = max(round(time.time() * 1_000_000), self._last_ts + 1)
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def invalid_content(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Slack's answer to a message or view over Block Kit's limits, or None."""
        if method in MESSAGE_METHODS:
            if len(str(params.get("text") or "")) > MAX_TEXT:
                return {"ok": False, "error": "msg_too_long"}
            if "blocks" in params and problems(params["blocks"]):
                return {
                    "ok": False,
                    "error": "invalid_blocks",
                    "errors": problems(params["blocks"]),
                }
        if method in VIEW_METHODS:
            view = params.get("view")
            blocks = view.get("blocks", []) if isinstance(view, dict) else None
            found = problems(blocks, MAX_VIEW_BLOCKS)
            if found:
                return {"ok": False, "error": "invalid_blocks", "errors": found}
        return None

    def ts_of(self, params: dict[str, Any]) -> str:
        """The ts Slack gave the message posted with these chat.postMessage params."""
        try:
            return self.posted_ts[id(params)]
        except KeyError:
            raise AssertionError(f"no message was posted with {params.get('text')!r}") from None

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Every call of `method`, answered or not, failed or not."""
        return [c.params for c in self.calls if c.method == method]

    def done(self, method: str) -> list[dict[str, Any]]:
        """The calls of `method` Slack answered `ok`: what really took effect."""
        return [c.params for c in self.calls if c.method == method and c.ok]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition"
    ) -> Any:
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out waiting for {what}; calls so far: {self.methods()}; "
                        f"responses: {self.responses}"
                    )
                try:  # woken by a call; and every 50 ms, for conditions outside the fake
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))
                except TimeoutError:
                    pass

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 10.0) -> list:
        return await self.wait_for(
            lambda: len(self.calls_to(method)) >= count and self.calls_to(method),
            timeout,
            f"{count} call(s) to {method}",
        )

    async def wait_for_response(self, count: int = 1, timeout: float = 10.0) -> dict[str, Any]:
        await self.wait_for(
            lambda: len(self.responses) >= count, timeout, f"{count} response_url post(s)"
        )
        return self.responses[count - 1]

    async def _notify(self) -> None:
        self.version += 1
        async with self._changed:
            self._changed.notify_all()

    # ---- HTTP handlers ---------------------------------------------------------------------
    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_key"] = request.match_info["key"]
        self.responses.append(body)
        if self.on_response is not None:
            self.on_response(body["_key"], body)
        await self._notify()
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        data = await request.read()
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            data = b""
            async for part in reader:
                data += await part.read()  # type: ignore[union-attr]  # a part, not a nested reader
        self.uploads[file_id]["content"] = data
        await self._notify()
        return web.Response(text="OK - 1")

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(parse_qsl(request.query_string))
        if request.method == "POST" and request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                params.update(json.loads(raw or b"{}"))
            else:
                params.update(dict(parse_qsl(raw.decode())))
        for key in ("blocks", "view", "files", "attachments", "document_content"):
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        try:
            response = await self._answer(request, method, params)
            if response.status == 200 and isinstance(response.body, bytes):
                call.ok = bool(json.loads(response.body).get("ok"))
            else:
                call.ok = False
            return response
        finally:
            await self._notify()

    async def _answer(
        self, request: web.Request, method: str, params: dict[str, Any]
    ) -> web.Response:
        if self._delays.get(method):
            await self._notify()  # a slow call is seen arriving, not only once answered
            lost_if_left = method in self._lost_if_caller_leaves  # as it was when the call came
            await asyncio.sleep(self._delays[method])
            gone = request.transport is None or request.transport.is_closing()
            if gone and lost_if_left:
                return web.Response(status=499, text="client went away")
        refused = self.refusal(method, params)  # issue 14: token, archived, left channels
        if refused is not None:
            return web.json_response(refused)
        failures = self._failures.get(method) or []
        about = params.get("channel") or params.get("channel_id")
        failure = next((f for f in failures if f.channel in (None, about)), None)
        if failure is not None:
            failure.times -= 1
            if failure.times <= 0:
                failures.remove(failure)
            if failure.status == 429:
                return web.json_response(
                    RATE_LIMITED_BODY,
                    status=429,
                    headers={"Retry-After": str(failure.retry_after or 1)},
                )
            if failure.status >= 500:
                return web.Response(status=failure.status, text="upstream failure")
            if failure.error:
                return web.json_response({"ok": False, "error": failure.error})
        # Slack's rate-limit tiers (issue 14), after the failures a test asked for: a call
        # that fails on purpose never reaches the method, so it does not count.
        retry_after = self.over_tier(method, params)
        if retry_after is not None:
            return web.json_response(
                RATE_LIMITED_BODY, status=429, headers={"Retry-After": str(retry_after)}
            )
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if method in self.extra_methods:
            extra = self.extra_methods[method]
            handler = lambda p: extra(p, request.headers)  # noqa: E731
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        invalid = self.invalid_content(method, params)
        if invalid is not None:
            return web.json_response(invalid)
        result = self.amend(method, handler(params))
        if "ok" not in result:
            result = {"ok": True, **result}
        # As Slack does on every Web API answer: the scopes granted to the token.
        return web.json_response(result, headers={"x-oauth-scopes": ",".join(self.granted_scopes)})
