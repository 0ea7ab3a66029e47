"""The update cadence: APScheduler keeps the time, the database decides who sends each prompt.

Every POLL_SECONDS a job reads the prompts due within the next moment and schedules one
APScheduler date job per prompt at its exact due time. The date job queues the prompt; a
drainer claims what is queued with conditional UPDATEs (bot.cadence.queries.claim_prompt, in
batches when many fall due together, see bot.cadence.sender) and posts only what it claimed,
so any number of replicas can poll the same PostgreSQL and each prompt is posted once. Nothing
lives only in memory: a restarted bot finds what is due by polling, and a prompt missed while
it was down is claimed (and sent) once, its successor scheduled one interval later. A claim is
a lease: a prompt whose claimer died before posting it falls due again when the lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from apscheduler.jobstores.base import JobLookupError

from bot.cadence.queries import DuePrompt, due_prompts
from bot.cadence.sender import Claim, claim_batch, post_claim, record_sent
from bot.core.runtime import Runtime
from bot.slack.access import access_of
from storage import StorageUnavailable
from storage.types import utcnow

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# Prompts due this far ahead are scheduled now, so each fires at its own time, not a poll's.
LOOKAHEAD_SECONDS = 2.0
# Prompts due together are claimed in batches of up to BATCH_SIZE (one transaction each),
# by at most CONCURRENT_BATCHES drainers, posting at most CONCURRENT_POSTS at once.
BATCH_SIZE = 50
CONCURRENT_BATCHES = 3
CONCURRENT_POSTS = 16
POLL_JOB_ID = "cadence-poll"
PROMPT_JOB_PREFIX = "cadence-prompt:"


class PromptScheduler:
    """One per running bot. `start`/`stop` are its Runtime start-up and shutdown hooks."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]
        self._planned: dict[int, datetime] = {}
        self._ready: list[DuePrompt] = []
        self._drainers = 0
        self._running: set[asyncio.Task[None]] = set()
        self._gate = asyncio.Semaphore(CONCURRENT_POSTS)
        self._stopping = False
        self.polls = 0  # completed polls: tests wait for some instead of sleeping

    async def start(self, rt: Runtime) -> None:
        """Rebuild the schedule from the database, then keep polling it."""
        await self.poll()
        rt.scheduler.add_job(
            self.poll,
            "interval",
            seconds=POLL_SECONDS,
            id=POLL_JOB_ID,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    async def stop(self, rt: Runtime) -> None:
        """Schedule nothing more and let prompts being posted finish (unclaimed ones stay due)."""
        self._stopping = True
        for job in rt.scheduler.get_jobs():
            if job.id == POLL_JOB_ID or job.id.startswith(PROMPT_JOB_PREFIX):
                with contextlib.suppress(JobLookupError):
                    job.remove()
        if not self._running:
            return
        _, left = await asyncio.wait(set(self._running), timeout=5)
        for task in left:  # cancelled while the database is still open, not after it closed
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=2)

    async def poll(self) -> None:
        """Plan the prompts falling due soon. Tracked in `_running` like the posting, so a stop
        waits for a poll in progress: one left running past the stop would be cancelled
        mid-query when the event loop closes, which can leave the process unable to exit."""
        if self._stopping:
            return
        current = asyncio.current_task()
        if current is None:
            await self._poll()
            return
        self._running.add(current)
        try:
            await self._poll()
        finally:
            self._running.discard(current)
            self.polls += 1

    async def _poll(self) -> None:
        if access_of(self.rt.client).suspended is not None:
            return  # the token does not work: prompts stay due in the database until it does
        now = utcnow()
        try:
            async with self.rt.db.session() as session:
                due = await due_prompts(session, now + timedelta(seconds=LOOKAHEAD_SECONDS))
        except StorageUnavailable:
            return  # logged by the database layer; the next poll tries again
        for prompt in due:
            if self._planned.get(prompt.incident_id) == prompt.due_at:
                continue
            self._planned[prompt.incident_id] = prompt.due_at
            self.rt.scheduler.add_job(
                self._fire,
                "date",
                run_date=max(prompt.due_at, now),
                args=[prompt],
                id=f"{PROMPT_JOB_PREFIX}{prompt.incident_id}:{prompt.due_at.timestamp()}",
                replace_existing=True,
                misfire_grace_time=None,
            )

    async def _fire(self, due: DuePrompt) -> None:
        """The date job at a prompt's due time: queue it; a drainer claims and posts it."""
        if self._stopping:
            return
        if access_of(self.rt.client).suspended is not None:
            self._planned.pop(due.incident_id, None)  # still due in the database
            return
        self._ready.append(due)
        if self._drainers < CONCURRENT_BATCHES:
            self._drainers += 1
            task = asyncio.create_task(self._drain())
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _drain(self) -> None:
        """Claim, post and record what is ready, a batch at a time, until nothing is left."""
        try:
            async with self.rt.in_flight():  # a graceful stop lets claimed prompts go out
                await self._drain_ready()
        finally:
            self._drainers -= 1

    async def _drain_ready(self) -> None:
        while self._ready and not self._stopping:
            batch = self._ready[:BATCH_SIZE]
            del self._ready[:BATCH_SIZE]
            try:
                await self._send(batch)
            except StorageUnavailable:
                log.warning("%s prompt(s) not sent: storage unavailable", len(batch))
            except Exception:
                log.exception("%s prompt(s) failed", len(batch))
            finally:
                for due in batch:
                    if self._planned.get(due.incident_id) == due.due_at:
                        del self._planned[due.incident_id]

    async def _send(self, batch: list[DuePrompt]) -> None:
        claims = await claim_batch(self.rt, batch, self.instance)
        gate = self._gate

        async def post_and_record(claim: Claim) -> None:
            async with gate:
                sent = await post_claim(self.rt, claim)
            if sent is not None:
                # Each as soon as it is posted, not with its batch: until it is recorded, the
                # clock is on the claim's lease, and the reminder would fall due again.
                await record_sent(self.rt, sent)

        # One prompt's failure (say, storage failing while it gives the prompt back) must not
        # stop the others.
        outcomes = await asyncio.gather(
            *(post_and_record(c) for c in claims), return_exceptions=True
        )
        for claim, outcome in zip(claims, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                log.error(
                    "prompt for incident %s failed",
                    claim.incident.id,
                    exc_info=(type(outcome), outcome, outcome.__traceback__),
                )


def install_cadence(rt: Runtime) -> None:
    # APScheduler logs every job run and every job added at INFO: with a poll each second
    # and a job per prompt, that would drown the bot's own log lines. Warnings still show.
    for name in ("apscheduler.executors.default", "apscheduler.scheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    scheduler = PromptScheduler(rt)
    rt.startup_hooks.append(scheduler.start)
    rt.shutdown_hooks.append(scheduler.stop)
