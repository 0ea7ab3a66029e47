"""Claiming, posting and recording a batch of due prompts.

Prompts that fall due together are claimed in one transaction, so a busy minute costs one
claiming commit per batch rather than one per prompt. Each claim is still its own conditional
UPDATE: a batch never takes a prompt someone else took. Each prompt is then recorded as sent
in its own commit as soon as it is posted, because until then its clock is on the claim's
lease (bot.cadence.queries).
Batches lock incident rows in id order, so two replicas claiming overlapping batches on
PostgreSQL wait for each other instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.cadence.prompt import prompt_message
from bot.cadence.queries import (
    ClaimedIncident,
    DuePrompt,
    SentPrompt,
    Settlement,
    add_prompt,
    claim_prompt,
    give_back_prompt,
    record_prompts_sent,
    settle,
)
from bot.cadence.rules import (
    interval_of,
    next_due_after_prompt,
    prompt_recipients,
    retry_delay,
)
from bot.core.metrics import PROMPTS_LATE, PROMPTS_SENT, TIMELINE_ENTRIES
from bot.core.runtime import Runtime
from bot.slack.access import AUTH_ERRORS, CHANNEL_ERRORS
from bot.slack.client import slack_error_code, slack_error_text
from bot.slack.durations import humanize
from storage import StorageUnavailable
from storage.models.timeline import EntryKind
from storage.types import utcnow

log = logging.getLogger(__name__)
# A prompt posted later than this after its due time counts as late (sisyphus_..._late_total).
LATE_SECONDS = 2.0
# Refusals that pass: a token that stops working (access is suspended, the prompt stays due)
# or a war room archived or left (it waits for the room to come back; see due_prompts).
RETRIED_ERRORS = AUTH_ERRORS | CHANNEL_ERRORS
PAUSED_RETRY_SECONDS = 5
# How often to try again to record a posted prompt while the database is away.
RECORD_RETRY_SECONDS = 1.0
# Run once a reminder is posted and recorded, with its incident's id (bot.metrics asks
# Prometheus again, so the communicator sees the trend as they write). Each must be quick
# (database work, then background): the next reminders wait for it.
PromptedHook = Callable[[Runtime, int], Awaitable[None]]
PROMPTED_HOOKS: list[PromptedHook] = []


@dataclass(frozen=True)
class Claim:
    due: DuePrompt
    incident: ClaimedIncident
    prompt_id: int
    recipients: list[str]
    escalated: bool
    next_due: datetime
    interval: int
    claimed_at: datetime
    lease_until: datetime

    def posting_budget(self) -> float:
        """Seconds left to post in: half the lease from the claim, so the claimer gives up
        long before the lease ends and nobody else can claim the prompt while it still
        might post it."""
        half_lease = (self.lease_until - self.claimed_at).total_seconds() / 2
        return half_lease - (utcnow() - self.claimed_at).total_seconds()


async def claim_batch(rt: Runtime, batch: list[DuePrompt], instance: str) -> list[Claim]:
    """Claim what is still ours to send, all in one transaction (one by one if that fails)."""
    ordered = sorted(batch, key=lambda d: d.incident_id)
    try:
        return await _claim_in_one_transaction(rt, ordered, instance)
    except IntegrityError:
        # Some prompt's row exists already; find which by claiming the rest one at a time.
        claims: list[Claim] = []
        for due in ordered:
            try:
                claims += await _claim_in_one_transaction(rt, [due], instance)
            except IntegrityError:
                log.info("prompt for incident %s is already recorded", due.incident_id)
        return claims


async def _claim_in_one_transaction(
    rt: Runtime, batch: list[DuePrompt], instance: str
) -> list[Claim]:
    now = utcnow()
    lease_until = now + timedelta(seconds=rt.settings.prompt_claim_lease_seconds)
    claims: list[Claim] = []
    async with rt.db.session() as session:
        for due in batch:
            interval = interval_of(due.interval_seconds, rt.settings.update_interval_seconds)
            next_due = next_due_after_prompt(due.due_at, now, interval)
            incident = await claim_prompt(session, due.incident_id, due.due_at, lease_until)
            if incident is None:
                continue  # another replica took it, or an update or snooze moved the clock
            recipients, escalated = prompt_recipients(
                incident.commander_id, incident.communicator_id, incident.unanswered_prompts - 1
            )
            prompt_id = await add_prompt(session, due.incident_id, due.due_at, instance, recipients)
            claims.append(
                Claim(
                    due,
                    incident,
                    prompt_id,
                    recipients,
                    escalated,
                    next_due,
                    interval,
                    now,
                    lease_until,
                )
            )
    return claims


async def post_claim(rt: Runtime, claim: Claim) -> SentPrompt | None:
    """Post one claimed prompt; on failure, maybe bring the next one forward (see below)."""
    incident = claim.incident
    silent = (claim.claimed_at - (incident.last_update_at or incident.declared_at)).total_seconds()
    text, blocks = prompt_message(
        incident,
        recipients=claim.recipients,
        escalated=claim.escalated,
        silent_seconds=silent,
        interval_seconds=claim.interval,
        prompt_id=claim.prompt_id,
    )
    try:
        budget = claim.posting_budget()
        if budget <= 0:
            raise TimeoutError("no time left in the claim's lease")
        async with asyncio.timeout(budget):
            resp = await rt.client.chat_postMessage(
                channel=incident.channel_id, text=text, blocks=blocks
            )
    except Exception as exc:  # a timeout too: Slack may or may not have it; try again soon
        await _posting_failed(rt, claim, exc)
        return None
    asked = " ".join(f"<@{u}>" for u in claim.recipients)
    return SentPrompt(
        prompt_id=claim.prompt_id,
        incident_id=incident.id,
        due_at=claim.due.due_at,
        message_ts=resp.get("ts"),
        sent_at=utcnow(),
        timeline_text=f"Reminded {asked} to post a status update ({humanize(silent)} without one)",
        lease_until=claim.lease_until,
        next_due=claim.next_due,
    )


async def record_sent(rt: Runtime, sent: SentPrompt) -> None:
    """Record a posted prompt and move its incident's clock on to the next one.

    Tried again while the database is away, until shortly before the claim's lease ends:
    a posted prompt left on its lease would be claimed and posted a second time.
    """
    while True:
        try:
            async with rt.db.session() as session:
                await record_prompts_sent(session, [sent])
            break
        except StorageUnavailable:
            if utcnow() + timedelta(seconds=2 * RECORD_RETRY_SECONDS) >= sent.lease_until:
                log.error(
                    "prompt for incident %s was posted but could not be recorded; it may be "
                    "posted again when its claim's lease ends",
                    sent.incident_id,
                )
                raise
            await asyncio.sleep(RECORD_RETRY_SECONDS)
    PROMPTS_SENT.inc()
    TIMELINE_ENTRIES.labels(kind=EntryKind.PROMPT).inc()
    if (sent.sent_at - sent.due_at).total_seconds() > LATE_SECONDS:
        PROMPTS_LATE.inc()
    for hook in PROMPTED_HOOKS:
        try:
            await hook(rt, sent.incident_id)
        except Exception:  # the reminder is sent and recorded; a later domain's extra is not
            log.exception("prompted hook %s failed", getattr(hook, "__name__", hook))


async def _posting_failed(rt: Runtime, claim: Claim, exc: Exception) -> None:
    """Slack refused (a Slack error such as `channel_not_found`: give up on this prompt) or
    failed (HTTP 429 or 5xx, timeouts, after the client's retries): try again soon."""
    incident_id = claim.incident.id
    status = getattr(getattr(exc, "response", None), "status_code", 200)
    code = slack_error_code(exc)
    if code is not None and code not in RETRIED_ERRORS and status != 429 and status < 500:
        log.warning("prompt for incident %s refused: %s", incident_id, slack_error_text(exc))
        async with rt.db.session() as session:  # not retried: the next prompt as usual
            await settle(session, [Settlement(incident_id, claim.lease_until, claim.next_due)])
        return
    delay = retry_delay(claim.interval)
    if code in RETRIED_ERRORS:  # paused (the war room or the token): due again as soon as
        delay = min(delay, PAUSED_RETRY_SECONDS)  # it is back (see due_prompts, the scheduler)
    retry_at = utcnow() + timedelta(seconds=delay)
    async with rt.db.session() as session:
        moved = await give_back_prompt(session, incident_id, claim.lease_until, retry_at)
    log.warning(
        "prompt for incident %s not posted (%s); %s",
        incident_id,
        slack_error_text(exc),
        "trying again at " + retry_at.isoformat() if moved else "the clock moved meanwhile",
    )
