"""Starting and stopping the alert worker and the page sender with the bot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.runtime import Runtime

if TYPE_CHECKING:
    from bot.alerts.page_sender import PageSender
    from bot.alerts.worker import AlertWorker

# One of each per running bot, found by the web routes and the listeners. (Runtime is an
# unhashable dataclass, hence keyed by id; entries go when the bot stops.)
_WORKERS: dict[int, AlertWorker] = {}
_SENDERS: dict[int, PageSender] = {}


def worker_for(rt: Runtime) -> AlertWorker | None:
    return _WORKERS.get(id(rt))


def sender_for(rt: Runtime) -> PageSender | None:
    return _SENDERS.get(id(rt))


def install_alerts(rt: Runtime) -> None:
    from bot.alerts.page_sender import PageSender
    from bot.alerts.worker import AlertWorker

    worker = AlertWorker(rt)
    sender = PageSender(rt)
    _WORKERS[id(rt)] = worker
    _SENDERS[id(rt)] = sender

    async def start(rt: Runtime) -> None:
        await worker.start(rt)
        await sender.start(rt)

    async def stop(rt: Runtime) -> None:
        await worker.stop(rt)
        await sender.stop(rt)
        _WORKERS.pop(id(rt), None)
        _SENDERS.pop(id(rt), None)

    rt.startup_hooks.append(start)
    rt.shutdown_hooks.append(stop)
