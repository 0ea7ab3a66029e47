"""Starting and stopping the alert worker and the page sender with the bot."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.core.runtime import Runtime

if TYPE_CHECKING:
    from bot.alerts.page_sender import PageSender
    from bot.alerts.worker import AlertWorker


def worker_for(rt: Runtime) -> AlertWorker | None:
    """The running bot's alert worker, for the web routes and the listeners."""
    from bot.alerts.worker import AlertWorker

    return AlertWorker.of(rt)


def sender_for(rt: Runtime) -> PageSender | None:
    from bot.alerts.page_sender import PageSender

    return PageSender.of(rt)


def install_alerts(rt: Runtime) -> None:
    from bot.alerts.page_sender import PageSender
    from bot.alerts.worker import AlertWorker

    worker = AlertWorker(rt)
    sender = PageSender(rt)

    async def start(rt: Runtime) -> None:
        await worker.start(rt)
        await sender.start(rt)

    async def stop(rt: Runtime) -> None:  # both at once: each may wait for its run
        await asyncio.gather(worker.stop(rt), sender.stop(rt))

    rt.startup_hooks.append(start)
    rt.shutdown_hooks.append(stop)
