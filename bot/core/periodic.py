"""A check the scheduler runs every so many seconds (the fatigue check, the action-item
nudges, the App Home refresh): one run at a time, in the runtime's in-flight count so a
shutdown waits for it, a database outage left to the next run, and a stop that lets a run in
progress finish (up to 5 s) before cancelling it.

What each run does, and whether two replicas may both do it, is the subclass's: `run_once`
claims its work in the database where it sends anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Self

from apscheduler.jobstores.base import JobLookupError

from bot.core.runtime import Runtime
from storage import StorageUnavailable
from storage.types import utcnow

STOP_WAIT_SECONDS = 5

# (job id, id of the runtime) -> the running check, for tests and commands that look at it
_running: dict[tuple[str, int], PeriodicCheck] = {}


class PeriodicCheck(ABC):
    job_id: ClassVar[str]
    name: ClassVar[str]  # for the log: "fatigue check failed"
    # The first run: at start-up (catching up on what was due while stopped), or after this.
    first_run_after: ClassVar[timedelta] = timedelta(0)
    # Run late rather than skip a run missed while the event loop was busy.
    run_late: ClassVar[bool] = True

    def __init__(self, rt: Runtime, clock: Callable[[], datetime] = utcnow) -> None:
        self.rt = rt
        self.clock = clock
        self.checks = 0  # completed runs (tests wait on it instead of sleeping)
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, rt: Runtime) -> Self | None:
        """The check of this kind running for `rt`, if it was started."""
        found = _running.get((cls.job_id, id(rt)))
        return found if isinstance(found, cls) else None

    @property
    def stopping(self) -> bool:
        return self._stopping

    @abstractmethod
    def interval_seconds(self) -> float: ...

    @abstractmethod
    async def run_once(self, now: datetime) -> None:
        """One run; return early when `stopping` turns true between pieces of work."""

    async def start(self, rt: Runtime) -> None:
        _running[(self.job_id, id(rt))] = self
        options: dict[str, Any] = {"misfire_grace_time": None} if self.run_late else {}
        rt.scheduler.add_job(
            self.check,
            "interval",
            seconds=self.interval_seconds(),
            next_run_time=datetime.now(UTC) + self.first_run_after,
            id=self.job_id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            **options,
        )

    async def stop(self, rt: Runtime) -> None:
        self._stopping = True
        _running.pop((self.job_id, id(rt)), None)
        with contextlib.suppress(JobLookupError):
            rt.scheduler.remove_job(self.job_id)
        if self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), STOP_WAIT_SECONDS)
            except TimeoutError:
                self._task.cancel()

    async def check(self) -> None:
        """What the scheduler calls."""
        if self._stopping:
            return
        self._task = asyncio.current_task()
        try:
            async with self.rt.in_flight():
                await self.run_once(self.clock())
        except StorageUnavailable:
            pass  # logged by the database layer; the next run tries again
        except Exception:  # logged as the check's own module's
            logging.getLogger(type(self).__module__).exception("%s failed", self.name)
        finally:
            self.checks += 1
