"""The playground's web page and its small JSON endpoints, on the stand-in's own port.

`GET /` is the page (server-rendered; playground.js polls `/ui/pane` for changes); each
`POST /ui/...` is one thing a person does, answered 204, or 400 with a one-line reason.
`GET /files/<id>` shows an uploaded file. Only 127.0.0.1 serves it (bot/app/demo.py).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from markupsafe import Markup

from bot.playground.client import PlaygroundClient
from bot.playground.html import BANNER, known_person, modal_html, pane, sidebar
from bot.playground.people import INCIDENTS, PEOPLE

STATIC = Path(__file__).parent / "static"
CLIENT: web.AppKey[PlaygroundClient] = web.AppKey("playground_client", PlaygroundClient)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: https: http:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# Files shown inline; anything else is downloaded, never run as a page.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "text/plain", "text/markdown"}

SHELL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sisyphus playground</title><link rel="stylesheet" href="/static/playground.css"></head>
<body data-person="{person}" data-channel="{channel}" data-home="{home}">
<div class="banner" role="status">{banner}</div>
<div class="layout"><nav class="sidebar">{sidebar}</nav>
<main><div id="pane">{pane}</div>
<form id="composer" autocomplete="off"><div id="replying" hidden>Replying in a thread
<button type="button" id="cancel-reply">×</button></div>
<textarea id="text" rows="2" placeholder="Message, or a command: /incident declare sev2 \
Checkout is down · /incident help · /postmortem draft"></textarea>
<button type="submit" class="btn primary" id="send">Send</button></form></main></div>
<div id="modal" data-key="{modal_key}">{modal}</div>
<script src="/static/playground.js"></script></body></html>"""


def _person(value: Any) -> str:
    user = str(value or PEOPLE[0].id)
    if not known_person(user):
        raise web.HTTPBadRequest(text="no such playground person")
    return user


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html", headers=HEADERS)


STARTING = "The playground is starting: the bot is not up yet. Try again in a few seconds."


async def index(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    if not client.ready:
        return web.Response(status=503, text=STARTING, headers=HEADERS)
    user = _person(request.query.get("as"))
    home = request.query.get("home") == "1"
    channel = request.query.get("c") or INCIDENTS
    key, modal = modal_html(client, user)
    page = Markup(SHELL).format(
        person=user,
        channel="home" if home else channel,
        home="1" if home else "",
        banner=BANNER,
        sidebar=sidebar(client, user, "home" if home else channel),
        pane=pane(client, user, channel, home),
        modal_key=key,
        modal=modal,
    )
    return _html(str(page))


async def pane_json(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    user = _person(request.query.get("as"))
    home = request.query.get("home") == "1"
    channel = request.query.get("c") or INCIDENTS
    key, modal = modal_html(client, user)
    body = {
        "version": client.standin.version,
        "pane": str(pane(client, user, channel, home)),
        "sidebar": str(sidebar(client, user, "home" if home else channel)),
        "modal_key": key,
        "modal": str(modal),
    }
    return web.json_response(body, headers=HEADERS)


async def version(request: web.Request) -> web.Response:
    return web.json_response({"version": request.app[CLIENT].standin.version}, headers=HEADERS)


Act = Callable[[PlaygroundClient, str, dict[str, Any]], Awaitable[None]]


def _post(act: Act) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="the body is not JSON")
        if not isinstance(body, dict):
            return web.Response(status=400, text="the body is not a JSON object")
        user = _person(body.get("as"))
        if not request.app[CLIENT].ready:
            return web.Response(status=503, text=STARTING)
        try:
            await act(request.app[CLIENT], user, body)
        except (KeyError, TypeError, ValueError) as exc:
            return web.Response(status=400, text=f"bad request: {type(exc).__name__}")
        except (aiohttp.ClientError, TimeoutError):
            return web.Response(status=502, text="the bot did not answer")
        await request.app[CLIENT].standin._notify()
        return web.Response(status=204)

    return handler


async def _say(c: PlaygroundClient, user: str, b: dict[str, Any]) -> None:
    await c.say(user, str(b["channel"]), str(b.get("text", "")), b.get("thread_ts") or None)


async def _action(c: PlaygroundClient, user: str, b: dict[str, Any]) -> None:
    await c.action(user, dict(b.get("where") or {}), str(b["name"]), b.get("value"))


async def _submit(c: PlaygroundClient, user: str, b: dict[str, Any]) -> None:
    await c.submit(user, str(b["view_id"]), dict(b.get("form") or {}))


async def _close(c: PlaygroundClient, user: str, b: dict[str, Any]) -> None:
    await c.close(user, str(b["view_id"]))


async def _react(c: PlaygroundClient, user: str, b: dict[str, Any]) -> None:
    await c.react(user, str(b["channel"]), str(b["ts"]), str(b["name"]))


async def _delete(c: PlaygroundClient, user: str, b: dict[str, Any]) -> None:
    await c.delete(user, str(b["channel"]), str(b["ts"]))


async def _home(c: PlaygroundClient, user: str, b: dict[str, Any]) -> None:
    await c.app_home(user)


async def _shortcut(c: PlaygroundClient, user: str, b: dict[str, Any]) -> None:
    await c.shortcut(user, str(b["callback_id"]), str(b.get("channel", "")), str(b.get("ts", "")))


async def _alert(c: PlaygroundClient, user: str, b: dict[str, Any]) -> None:
    await c.fire_alert(user)


async def file(request: web.Request) -> web.Response:
    upload = request.app[CLIENT].standin.uploads.get(request.match_info["file_id"])
    if upload is None or "content" not in upload:
        return web.Response(status=404, text="no such file")
    name = str(upload.get("filename") or "file")
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if name.endswith(".md"):
        kind = "text/plain"
    headers = dict(HEADERS)
    if kind not in INLINE_TYPES:
        headers["Content-Disposition"] = "attachment"
        kind = "application/octet-stream"
    charset = "utf-8" if kind.startswith("text/") else None
    return web.Response(body=upload["content"], content_type=kind, charset=charset, headers=headers)


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ("playground.js", "playground.css"):
        return web.Response(status=404, text="no such file")
    kind = "text/javascript" if name.endswith(".js") else "text/css"
    return web.Response(
        text=(STATIC / name).read_text(), content_type=kind, headers=HEADERS, charset="utf-8"
    )


def build_page(client: PlaygroundClient) -> web.Application:
    """The page's application; the stand-in adds its Web API routes to it."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[CLIENT] = client
    app.router.add_get("/", index)
    app.router.add_get("/ui/pane", pane_json)
    app.router.add_get("/ui/version", version)
    acts: dict[str, Act] = {
        "say": _say,
        "action": _action,
        "submit": _submit,
        "close": _close,
        "react": _react,
        "delete": _delete,
        "home": _home,
        "shortcut": _shortcut,
        "alert": _alert,
    }
    for name, act in acts.items():
        app.router.add_post(f"/ui/{name}", _post(act))
    app.router.add_get("/files/{file_id}", file)
    app.router.add_get("/static/{name}", static)
    return app


def dumps(value: Any) -> str:
    return json.dumps(value)
