"""`python -m bot mcp`: the same MCP tools over stdio, for an assistant on this machine.

It reads the same settings and database as the bot (DATABASE_URL, SLACK_BOT_TOKEN for the
membership checks, CONFIG_FILE for the on-call schedules) and reads as one of API_TOKENS,
named by the environment variable MCP_TOKEN (the token itself, as a client would send it):
unset, it sees public incidents only. Standard output carries the protocol alone; the log
goes to standard error.
"""

from __future__ import annotations

import logging
import os
import sys

from bot.api.auth import matching_token
from bot.api.errors import ApiError
from bot.api.mcp_tools import build_mcp
from bot.core.config_file import Config
from bot.core.runtime import Runtime
from bot.core.settings import Settings
from bot.learning.viewer import MembershipCache, Viewer
from bot.slack.client import make_web_client
from storage import Database

log = logging.getLogger(__name__)

TOKEN_VARIABLE = "MCP_TOKEN"


def stdio_viewer(rt: Runtime, presented: str | None) -> Viewer:
    """Who the stdio server reads as: the token's viewer; no token, public only."""
    if not presented:
        return Viewer.public()
    token = matching_token(rt.settings.api_token_list(), f"Bearer {presented}")
    if token.user_id is None:
        return Viewer.public()
    return Viewer.acting_for(token.user_id, MembershipCache(rt))


async def serve_stdio(settings: Settings, config: Config) -> int:
    presented = os.environ.pop(TOKEN_VARIABLE, None)
    db = Database(settings.database_url)
    try:
        await db.migrate()
        rt = Runtime(settings=settings, db=db, client=make_web_client(settings), config=config)
        try:
            viewer = stdio_viewer(rt, presented)
        except ApiError as exc:
            print(f"error: {TOKEN_VARIABLE}: {exc.reason}", file=sys.stderr)
            return 2
        log.info("MCP over stdio, reading as %s", viewer.user_id or "public incidents only")
        await build_mcp(rt, stdio_viewer=viewer).run_stdio_async()
    finally:
        await db.dispose()
    return 0
