"""The record outside Slack for programs: the read API (`/api/v1/...`, an OpenAPI 3.1
document at `/api/v1/openapi.json`) and an MCP server (`/mcp` over streamable HTTP, and
`python -m bot mcp` over stdio), under API_TOKENS and the permissions of Slack (a private
incident only for a token acting for a member of its war room, bot/learning/viewer.py)."""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked)."""
    from bot.api.routes import add_api_routes

    return Domain("api", routes=(add_api_routes,))  # /api/v1/..., /mcp
