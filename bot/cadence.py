"""The update cadence: APScheduler keeps the time, the database decides who sends each prompt.

Every POLL_SECONDS a job reads the prompts due within the next moment and schedules one
APScheduler date job per prompt at its exact due time. The date job claims the prompt with a
conditional UPDATE (storage.cadence.claim_prompt) and posts it only if the claim matched, so
any number of replicas can poll the same PostgreSQL and each prompt is posted once. Nothing
lives only in memory: a restarted bot finds what is due by polling, and a prompt missed while
it was down is claimed (and sent) once, its successor scheduled one interval later.
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
from sqlalchemy.exc import IntegrityError

from bot.cadence_rules import (
    RETRY_FAILED_PROMPT_SECONDS,
    interval_of,
    next_due_after_prompt,
    prompt_recipients,
)
from bot.durations import humanize
from bot.prompt_message import prompt_message
from bot.runtime import Runtime
from bot.slack_client import slack_error_code, slack_error_text
from storage import StorageUnavailable
from storage.cadence import (
    DuePrompt,
    add_prompt,
    claim_prompt,
    due_prompts,
    give_back_prompt,
    mark_prompt_sent,
)
from storage.timeline import add_bot_action
from storage.types import utcnow

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# Prompts due this far ahead are scheduled now, so each fires at its own time, not a poll's.
LOOKAHEAD_SECONDS = 2.0
# At most this many prompts are being claimed and posted at once (database pool, Slack).
CONCURRENT_PROMPTS = 8
POLL_JOB_ID = "cadence-poll"
PROMPT_JOB_PREFIX = "cadence-prompt:"


class PromptScheduler:
    """One per running bot. `start`/`stop` are its Runtime start-up and shutdown hooks."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]
        self._planned: dict[int, datetime] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._gate: asyncio.Semaphore | None = None
        self._stopping = False

    async def start(self, rt: Runtime) -> None:
        """Rebuild the schedule from the database, then keep polling it."""
        self._gate = asyncio.Semaphore(CONCURRENT_PROMPTS)
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
        if self._running:
            await asyncio.wait(set(self._running), timeout=10)

    async def poll(self) -> None:
        if self._stopping:
            return
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
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)  # type: ignore[arg-type]
        try:
            assert self._gate is not None
            async with self._gate:
                if not self._stopping:
                    await self.send_prompt(due)
        except StorageUnavailable:
            log.warning("prompt for incident %s not claimed: storage unavailable", due.incident_id)
        except Exception:
            log.exception("prompt for incident %s failed", due.incident_id)
        finally:
            if task is not None:
                self._running.discard(task)  # type: ignore[arg-type]
            if self._planned.get(due.incident_id) == due.due_at:
                del self._planned[due.incident_id]

    async def send_prompt(self, due: DuePrompt) -> bool:
        """Claim the prompt and post it. False if another process (or a change) got there first."""
        rt = self.rt
        now = utcnow()
        interval = interval_of(due.interval_seconds, rt.settings.update_interval_seconds)
        next_due = next_due_after_prompt(due.due_at, now, interval)
        try:
            async with rt.db.session() as session:
                incident = await claim_prompt(session, due.incident_id, due.due_at, next_due)
                if incident is None:
                    return False
                recipients, escalated = prompt_recipients(
                    incident.commander_id, incident.communicator_id, incident.unanswered_prompts - 1
                )
                prompt = await add_prompt(
                    session, due.incident_id, due.due_at, self.instance, recipients
                )
        except IntegrityError:
            return False  # the unique (incident_id, due_at) key: someone else holds it
        silent = (now - (incident.last_update_at or incident.declared_at)).total_seconds()
        text, blocks = prompt_message(
            incident,
            recipients=recipients,
            escalated=escalated,
            silent_seconds=silent,
            interval_seconds=interval,
            prompt_id=prompt.id or 0,
        )
        try:
            resp = await rt.client.chat_postMessage(
                channel=incident.channel_id or "", text=text, blocks=blocks
            )
        except Exception as exc:
            await self._posting_failed(due, next_due, interval, exc)
            return False
        async with rt.db.session() as session:
            await mark_prompt_sent(session, prompt.id or 0, resp.get("ts"))
            await add_bot_action(
                session,
                due.incident_id,
                f"Reminded {' '.join(f'<@{u}>' for u in recipients)} to post a status update "
                f"({humanize(silent)} without one)",
                kind="prompt",
                occurred_at=now,
            )
        return True

    async def _posting_failed(
        self, due: DuePrompt, claimed_next: datetime, interval: int, exc: Exception
    ) -> None:
        """Slack refused (a Slack error: give up on this one) or failed (try again soon)."""
        if slack_error_code(exc) is not None:
            log.warning(
                "prompt for incident %s refused: %s", due.incident_id, slack_error_text(exc)
            )
            return
        retry_at = utcnow() + timedelta(seconds=min(interval, RETRY_FAILED_PROMPT_SECONDS))
        async with self.rt.db.session() as session:
            moved = await give_back_prompt(session, due.incident_id, claimed_next, retry_at)
        log.warning(
            "prompt for incident %s not posted (%s); %s",
            due.incident_id,
            slack_error_text(exc),
            "trying again at " + retry_at.isoformat() if moved else "the clock moved meanwhile",
        )


def install_cadence(rt: Runtime) -> None:
    scheduler = PromptScheduler(rt)
    rt.startup_hooks.append(scheduler.start)
    rt.shutdown_hooks.append(scheduler.stop)
