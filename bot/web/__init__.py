"""The web archive: Sign in with Slack (OpenID Connect), and the record outside Slack:
`GET /` (open incidents, then the archive, filtered, searched, paged), an incident's page with
its timeline, its postmortem rendered from the draft, and /stats. The permission table and the war
rooms' membership decide what each reader sees (visibility.py). Off without SLACK_CLIENT_ID."""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked)."""
    from bot.web.routes import add_web_routes

    # /, /incidents/<id>, /incidents/<id>/postmortem, /stats, /stats/chart.png, /auth/login,
    # /auth/callback, /auth/logout, /web/static/web.css
    return Domain("web", routes=(add_web_routes,))
