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
import logging
from datetime import datetime, timedelta
from functools import partial

from bot.cadence.queries import DuePrompt, due_prompts
from bot.cadence.sender import Claim, claim_batch, post_claim, record_sent
from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.slack.access import access_of
from storage import StorageUnavailable

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
SEND_KIND = "cadence-prompt"  # its date jobs are "cadence-prompt:<incident>:<due>"


class PromptScheduler(Worker):
    """One per running bot: the poll. Its start also rebuilds the schedule from the database
    (before start-up goes on), and its stop stops the sender too."""

    kind = POLL_JOB_ID
    name = "prompt poll"
    run_at_start = True

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self._planned: dict[int, datetime] = {}
        self.sender = PromptSender(rt, self._planned)

    def interval_seconds(self) -> float:
        return POLL_SECONDS

    async def start(self, rt: Runtime) -> None:
        await self.sender.start(rt)
        await super().start(rt)

    async def stop(self, rt: Runtime) -> None:
        """Schedule nothing more and let prompts being posted finish (unclaimed ones stay due).
        Both at once, so the stop is bounded by one worker's wait, not two."""
        await asyncio.gather(super().stop(rt), self.sender.stop(rt))

    async def run_once(self, now: datetime) -> None:
        """Plan the prompts falling due soon: each gets a date job at its due time."""
        if access_of(self.rt.client).suspended is not None:
            return  # the token does not work: prompts stay due in the database until it does
        async with self.rt.db.session() as session:
            due = await due_prompts(session, now + timedelta(seconds=LOOKAHEAD_SECONDS))
        for prompt in due:
            if self._planned.get(prompt.incident_id) == prompt.due_at:
                continue
            self._planned[prompt.incident_id] = prompt.due_at
            key = f"{prompt.incident_id}:{prompt.due_at.timestamp()}"
            self.sender.at(max(prompt.due_at, now), key, partial(self.sender.fire, prompt))


class PromptSender(Worker):
    """Claims, posts and records the prompts that fell due, a batch at a time; up to
    CONCURRENT_BATCHES runs at once, each draining the same queue."""

    kind = SEND_KIND
    name = "prompt sending"
    runs_at_once = CONCURRENT_BATCHES

    def __init__(self, rt: Runtime, planned: dict[int, datetime]) -> None:
        super().__init__(rt)
        self._planned = planned  # the poll's: a prompt sent (or dropped) is planned again
        self._ready: list[DuePrompt] = []
        self._gate = asyncio.Semaphore(CONCURRENT_POSTS)

    def fire(self, due: DuePrompt) -> None:
        """At a prompt's due time: queue it; a run claims and posts it."""
        if access_of(self.rt.client).suspended is not None:
            self._planned.pop(due.incident_id, None)  # still due in the database
            return
        self._ready.append(due)
        self.wake()

    async def run_once(self, now: datetime) -> None:
        while self._ready and not self.stopping:
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
