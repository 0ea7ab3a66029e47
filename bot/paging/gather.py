"""`POST /paging/twilio/gather?d=<token>`: the key pressed on a paging call, from Twilio.

Twilio posts the `<Gather>`'s form (`Digits`, `CallSid`, ...) to the action URL the call was
given. The request must carry a valid `X-Twilio-Signature` (bot/paging/twilio.py: the URL is
WEB_BASE_URL plus the path and query as requested, the address Twilio was given), else 403 with
one line. The page is found by the opaque token in the URL (never by the caller's number).
`Digits=1` acknowledges exactly as the Slack Acknowledge button does (bot/paging/acknowledge.py:
pressed twice, or on two replicas, one acknowledgement), and the call says so; any other key
says nothing changed. Without TWILIO_AUTH_TOKEN or WEB_BASE_URL the route answers 404.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from aiohttp import web

from bot.core.errors import UserError
from bot.core.http_bodies import BodyRefused, read_body, refusal_response
from bot.core.runtime import Runtime
from bot.paging import deliveries, twilio
from bot.paging.acknowledge import acknowledge
from storage import StorageUnavailable

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # Twilio's form is a few hundred bytes
ACKED = "Acknowledged. Paging has stopped, and the war room knows you are on it. Goodbye."
OVER = "This page was already acknowledged, or is over. Nothing changed. Goodbye."
UNCHANGED = "Nothing changed: the page is still open. Acknowledge it in Slack. Goodbye."


def _line(status: int, reason: str) -> web.Response:
    return web.Response(status=status, text=reason + "\n")


def _twiml(text: str) -> web.Response:
    return web.Response(text=twilio.twiml_say(text), content_type="text/xml")


async def gather(rt: Runtime, request: web.Request) -> web.Response:
    settings = rt.settings
    token = settings.twilio_auth_token
    if token is None or not settings.web_base_url:
        return _line(404, "paging by call is not configured here")
    try:
        raw = await read_body(request, timeout=settings.http_read_timeout_seconds, limit=MAX_BODY)
    except BodyRefused as refused:
        return refusal_response(refused)
    try:
        params = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return _line(400, "the body is not a UTF-8 form")
    url = settings.web_base_url + request.raw_path
    header = request.headers.get("X-Twilio-Signature")
    if not twilio.signed(token.get_secret_value(), url, params, header):
        return _line(403, "missing or wrong X-Twilio-Signature")
    form = dict(params)
    try:
        async with rt.db.session() as session:
            delivery = await deliveries.by_token(session, request.query.get("d", ""))
        if delivery is None or delivery.way != "call":
            return _twiml("This page is not one I know. " + UNCHANGED)
        if form.get("Digits", "").strip() != "1":
            return _twiml(UNCHANGED)
        async with rt.in_flight():
            won, _ = await acknowledge(
                rt, delivery.escalation_id, delivery.user_id, how=" by phone (pressed 1)"
            )
    except UserError as exc:
        return _twiml(f"{exc} {UNCHANGED}")
    except StorageUnavailable:
        return _line(503, "the database does not answer; try again")
    return _twiml(ACKED if won else OVER)


def add_twilio_routes(app: web.Application, rt: Runtime) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await gather(rt, request)

    app.router.add_post(twilio.GATHER_PATH, handler)
