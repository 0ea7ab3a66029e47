"""Features that need to act when the bot starts or stops (backfill, schedules, ...).

Each entry is called with the Runtime before it starts and may add start-up or shutdown
hooks to it. Keep the list in the order the hooks should run.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.alerts.install import install_alerts
from bot.cadence.fatigue import install_fatigue
from bot.cadence.scheduler import install_cadence
from bot.core.runtime import Runtime
from bot.followthrough.home_refresh import install_home_refresh
from bot.followthrough.nudges import install_nudges
from bot.followthrough.outbox import install_outbox
from bot.response.war_room_listeners import install_war_room
from bot.slack.access import install_access
from bot.slack.identity import install_identity
from bot.timeline.backfill import install_backfill

Installer = Callable[[Runtime], None]

INSTALLERS: list[Installer] = [
    install_access,
    install_war_room,
    install_identity,
    install_cadence,
    install_backfill,
    install_outbox,
    install_nudges,
    install_alerts,
    install_home_refresh,
    install_fatigue,
]


def install_features(rt: Runtime) -> None:
    for install in INSTALLERS:
        install(rt)
