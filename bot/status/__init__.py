"""The public status page: the configuration file's `status_page` section (title, components),
publishing from Slack (`/incident publish`, commander or communicator: public words only,
never a private incident or a drill), `GET /status`, one page per public incident and
Statuspage-compatible JSON, all served from renderings kept at each publication (also while
the database is unreachable); with STATUSPAGE_API_KEY, each publication also sent to Atlassian
Statuspage through an outbox."""

from __future__ import annotations

from bot.core.domain import Domain, Hook


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked)."""
    from slack_bolt.async_app import AsyncApp

    from bot.postmortem.render.draft import DRAFT_HOOKS
    from bot.response.lifecycle import RESOLVED_BY_HOOKS
    from bot.response.updates import UPDATE_HOOKS
    from bot.status import maintenance, publish, resolve_prompt, update_button
    from bot.status.config import STATUS_PAGE
    from bot.status.draft_section import said_publicly
    from bot.status.routes import add_status_routes
    from bot.status.statuspage_sync import install_statuspage
    from bot.status.update_button import publish_button

    def register(app: AsyncApp) -> None:
        publish.register(app)  # the publish form's submission
        update_button.register(app)  # "Publish to status page" on each posted update
        resolve_prompt.register(app)  # "Resolve on the status page" after a resolve

    return Domain(
        "status",
        register=register,
        commands=(publish, maintenance),
        installers=(
            install_statuspage,  # the Statuspage sync (STATUSPAGE_API_KEY)
            maintenance.install_status_maintenance,  # starts and completes maintenance
        ),
        routes=(add_status_routes,),  # /status, /status/incidents/<id>, /status/api/v2/*.json
        hooks=(
            Hook(UPDATE_HOOKS, publish_button),  # the button on each posted update
            Hook(RESOLVED_BY_HOOKS, resolve_prompt.ask_on_resolve),  # resolve it publicly too?
            Hook(DRAFT_HOOKS, said_publicly),  # the postmortem draft's "Said publicly"
        ),
        config_section=STATUS_PAGE,
    )
