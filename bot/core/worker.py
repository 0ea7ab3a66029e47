"""The one shape of every background loop (reminders, pages, alert groups, tickets, nudges, the
fatigue check, App Home): a `Worker` runs its `run_once` on its interval and whenever it is
woken, and this module is the only place that schedules or spawns such runs.

What the base does for every worker:
- one run at a time (or `runs_at_once`); a wake during a run starts another run after it, so
  nothing asked for is missed and nothing runs twice at once;
- each run is counted in the runtime's in-flight work, so a graceful stop lets it finish;
- a database outage (StorageUnavailable, logged by the database layer) is left to the next
  run; any other failure is logged under the subclass's own module logger, and runs go on;
- `stop` starts no run after it, lets the run in progress finish (up to STOP_WAIT_SECONDS),
  then cancels it while the database is still open;
- `of(rt)` finds the running worker of a kind for a runtime (routes, commands and tests);
- `at(when, key, call)` for work due at an exact moment (a reminder's due time).

What a run does, and whether two replicas may both do it, is the subclass's: it claims its
work in the database (leases with `self.instance`, the runtime's one claimer id) before it
sends anything.
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

STOP_WAIT_SECONDS = 5.0
CANCEL_WAIT_SECONDS = 2.0

# (kind, id of the runtime) -> the running worker. (Runtime is an unhashable dataclass.)
_running: dict[tuple[str, int], Worker] = {}


class Worker(ABC):
    kind: ClassVar[str]  # the scheduler job's id, the registry key and the task name
    name: ClassVar[str]  # for the log: "<name> failed"
    # The first run: this long after start (0: at once, catching up on what was due while
    # stopped). With `run_at_start`, start() itself waits for a first run instead.
    first_run_after: ClassVar[timedelta] = timedelta(0)
    run_at_start: ClassVar[bool] = False
    # Run late rather than skip an interval missed while the event loop was busy.
    run_late: ClassVar[bool] = True
    # Runs that may go at once (each claims its own work in the database); usually one.
    runs_at_once: ClassVar[int] = 1

    def __init__(self, rt: Runtime, clock: Callable[[], datetime] = utcnow) -> None:
        self.rt = rt
        self.clock = clock
        self.runs = 0  # completed runs (tests wait on it instead of sleeping)
        self._stopping = False
        self._active = 0  # runs going or about to (counted before their task starts)
        self._again = False  # woken during a run: run once more after it
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiting: list[asyncio.Future[None]] = []  # run_now() callers, for the next run

    @classmethod
    def of(cls, rt: Runtime) -> Self | None:
        """The worker of this kind running for `rt`, if it was started."""
        found = _running.get((cls.kind, id(rt)))
        return found if isinstance(found, cls) else None

    @property
    def stopping(self) -> bool:
        """True once stop() began: a run returns early between pieces of work."""
        return self._stopping

    @property
    def instance(self) -> str:
        """Who claims: written into every claim this worker takes in the database."""
        return self.rt.instance

    def interval_seconds(self) -> float | None:
        """Seconds between runs; None for a worker that runs only when woken."""
        return None

    @abstractmethod
    async def run_once(self, now: datetime) -> None:
        """One run; return early when `stopping` turns true between pieces of work."""

    # ---- lifecycle --------------------------------------------------------------------------
    async def start(self, rt: Runtime) -> None:
        _running[(self.kind, id(rt))] = self
        interval = self.interval_seconds()
        if self.run_at_start:
            await self.run_now()
        if interval is None:
            return
        first = timedelta(seconds=interval) if self.run_at_start else self.first_run_after
        options: dict[str, Any] = {"misfire_grace_time": None} if self.run_late else {}
        rt.scheduler.add_job(
            self.tick,
            "interval",
            seconds=interval,
            next_run_time=datetime.now(UTC) + first,
            id=self.kind,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            **options,
        )

    async def stop(self, rt: Runtime) -> None:
        self._stopping = True
        _running.pop((self.kind, id(rt)), None)
        for job in rt.scheduler.get_jobs():
            if job.id == self.kind or job.id.startswith(f"{self.kind}:"):
                with contextlib.suppress(JobLookupError):
                    job.remove()
        if self._tasks:
            _, left = await asyncio.wait(set(self._tasks), timeout=STOP_WAIT_SECONDS)
            for task in left:  # cancelled while the database is still open, not after it closed
                task.cancel()
            if left:
                await asyncio.wait(left, timeout=CANCEL_WAIT_SECONDS)
        self._release(self._waiting)  # no run comes for them now
        self._waiting = []

    # ---- asking for a run -------------------------------------------------------------------
    def wake(self) -> None:
        """Run soon (in the background): at once if no run is going, else right after it."""
        if self._stopping:
            return
        if self._active >= self.runs_at_once:
            self._again = True
            return
        self._active += 1
        task = self.rt.spawn(self._runs(), name=self.kind)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run_now(self) -> None:
        """Wake it and wait for a run that starts after this call (tests, and start-up)."""
        if self._stopping:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(done)
        self.wake()
        await done

    async def tick(self) -> None:
        """What the scheduler calls every interval."""
        self.wake()

    def at(self, when: datetime, key: str, call: Callable[[], None]) -> None:
        """Call `call` at `when` (which usually queues work and wakes this worker). One call
        per key is pending (a later one with the same key replaces it); stop drops them."""
        if self._stopping:
            return

        async def due() -> None:
            if not self._stopping:
                call()

        self.rt.scheduler.add_job(
            due,
            "date",
            run_date=when,
            id=f"{self.kind}:{key}",
            replace_existing=True,
            misfire_grace_time=None,
        )

    # ---- running ----------------------------------------------------------------------------
    async def _runs(self) -> None:
        try:
            while True:
                self._again = False
                waiting, self._waiting = self._waiting, []
                try:
                    await self._run()
                finally:
                    self._release(waiting)
                if not (self._again or self._waiting) or self._stopping:
                    return
        finally:
            # Here, not in a done callback: a wake() between this run's end and the callback
            # would otherwise find the run still counted and be lost.
            self._active -= 1

    @staticmethod
    def _release(waiting: list[asyncio.Future[None]]) -> None:
        for done in waiting:
            if not done.done():
                done.set_result(None)

    async def _run(self) -> None:
        try:
            async with self.rt.in_flight():
                await self.run_once(self.clock())
        except StorageUnavailable:
            pass  # logged by the database layer; the next run tries again
        except Exception:  # logged as the worker's own module's
            logging.getLogger(type(self).__module__).exception("%s failed", self.name)
        finally:
            self.runs += 1
