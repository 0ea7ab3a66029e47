"""Features that need to act when the bot starts or stops (backfill, schedules, ...).

Each entry is called with the Runtime before it starts and may add start-up or shutdown
hooks to it. Keep the list in the order the hooks should run.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.alerts.install import install_alerts
from bot.backfill import install_backfill
from bot.cadence import install_cadence
from bot.identity import install_identity
from bot.runtime import Runtime

Installer = Callable[[Runtime], None]

INSTALLERS: list[Installer] = [install_identity, install_cadence, install_backfill, install_alerts]


def install_features(rt: Runtime) -> None:
    for install in INSTALLERS:
        install(rt)
