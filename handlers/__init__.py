"""The one place that lists the domains and wires each into the process: its Bolt listeners,
its subcommands (in the order of the help), its start-up and shutdown work, its HTTP routes
and its hooks into other domains. Everything comes from each domain's front door
(`bot/<domain>/__init__.py`, `domain()`); adding a domain is one package and one line here.
"""

from __future__ import annotations

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot import (
    alerts,
    api,
    cadence,
    checklists,
    followthrough,
    home,
    incidents,
    learning,
    metrics,
    oncall,
    paging,
    postmortem,
    response,
    slack,
    status,
    timeline,
)
from bot import web as web_archive  # `web` is aiohttp's here
from bot.core.domain import Domain, Installer
from bot.core.runtime import Runtime
from bot.slack.grammar import registry
from handlers import commands

# The layers in order: each domain may import the ones before it, never one after it
# (tests/test_architecture.py takes the order from here). Bolt listeners are matched in this
# order too: the timeline's first, since message events are by far the most frequent requests
# (no two domains listen for the same thing, so the order of the rest does not matter).
DOMAINS: list[Domain] = [
    slack.domain(),  # Slack plumbing, below every domain: the help, the access guard
    incidents.domain(),
    timeline.domain(),
    cadence.domain(),
    checklists.domain(),
    response.domain(),
    alerts.domain(),
    postmortem.domain(),
    followthrough.domain(),
    learning.domain(),
    metrics.domain(),  # the alert's expression asked of Prometheus; charts with learning's
    oncall.domain(),  # uses the service catalog and people's time zones
    paging.domain(),  # pages by the on-call's escalation policies
    status.domain(),  # the public status page: publishes incidents the response declared
    web_archive.domain(),  # the archive outside Slack, behind Sign in with Slack
    home.domain(),
    api.domain(),  # the read API and MCP: reads every domain's record, changes nothing
]
BY_NAME = {d.name: d for d in DOMAINS}


def _commands(name: str, *modules: str) -> list[str]:
    """The named commands modules of a domain (all of them if none are named)."""
    declared = [m.__name__ for m in BY_NAME[name].commands]
    if not modules:
        return declared
    chosen = [f"bot.{name}.{m}" for m in modules]
    if not set(chosen) <= set(declared):
        raise ValueError(f"{name} declares no such commands module: {chosen}")
    return chosen


# The order of `/incident help` and `/postmortem help`, by the modules that declare them.
# Follow-through's subcommands come right after `/postmortem action`.
HELP_ORDER: list[str] = [
    *_commands("response"),
    *_commands("status"),  # publish: right after update and cadence
    *_commands("timeline"),
    *_commands("alerts"),
    *_commands("metrics"),
    *_commands("checklists"),
    *_commands("postmortem", "commands.analysis", "commands.actions"),
    *_commands("followthrough"),
    *_commands("postmortem", "commands.form", "commands.document"),
    *_commands("learning"),
    *_commands("slack"),  # help itself
    *_commands("oncall"),
]
registry.arrange(HELP_ORDER)

# Start-up and shutdown work, in the order it runs: the Slack access guard first, and the
# rest in the order it has always run (each is independent of the others).
START_ORDER: list[str] = [
    "install_access",
    "install_war_room",
    "install_identity",
    "install_cadence",
    "install_backfill",
    "install_outbox",
    "install_nudges",
    "install_alerts",
    "install_home_refresh",
    "install_fatigue",
    "install_handovers",
    "install_nights",
    "install_twilio",  # the SMS and call sender, before the escalator that wakes it
    "install_paging",
    "install_metrics",
    "install_watches",
    "install_statuspage",  # the Statuspage sync's outbox sender
    "install_budgets",
    "install_status_maintenance",  # scheduled maintenance starts and completes by itself
    "install_pruning",  # housekeeping last: forgetting old webhook deliveries
]


def installers() -> list[Installer]:
    by_name = {f.__name__: f for d in DOMAINS for f in d.installers}
    if sorted(by_name) != sorted(START_ORDER):
        raise ValueError(f"START_ORDER does not list the domains' installers: {sorted(by_name)}")
    return [by_name[name] for name in START_ORDER]


def install_all(rt: Runtime) -> None:
    """Before the runtime starts: each installer may add start-up or shutdown hooks to it."""
    for install in installers():
        install(rt)


def register_all(app: AsyncApp) -> None:
    """The hooks between domains, every Bolt listener, and one listener per slash command."""
    for domain in DOMAINS:
        for hook in domain.hooks:
            hook.install()
    for domain in DOMAINS:
        if domain.register is not None:
            domain.register(app)
    commands.register(app)


def add_routes(app: web.Application, rt: Runtime) -> None:
    """The domains' webhook and API routes (/alerts/..., /webhooks/..., /api/deploy-gate)."""
    for domain in DOMAINS:
        for add in domain.routes:
            add(app, rt)
