"""The public status page: the configuration file's `status_page` section (title, components),
publishing from Slack (`/incident publish`, commander or communicator: public words only,
never a private incident or a drill), `GET /status`, one page per public incident and
Statuspage-compatible JSON, all served from renderings kept at each publication (also while
the database is unreachable)."""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked)."""
    from bot.status import publish
    from bot.status.config import STATUS_PAGE
    from bot.status.routes import add_status_routes

    return Domain(
        "status",
        register=publish.register,  # the publish form's submission
        commands=(publish,),
        routes=(add_status_routes,),  # /status, /status/incidents/<id>, /status/api/v2/*.json
        config_section=STATUS_PAGE,
    )
