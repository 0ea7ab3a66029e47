"""Forgetting old tracker deliveries: the `webhook_delivery` rows (queries.py) older than
WEBHOOK_DELIVERY_RETENTION_DAYS are deleted every hour, so the table does not grow forever.

Forgetting a delivery cannot let it act again: the routes ignore any event older than the same
retention (GitHub's `issue.updated_at`, Jira's `timestamp`), and a row is only pruned once its
delivery arrived more than the retention ago, after the event it carried happened.

No claim: the run is one idempotent `DELETE ... WHERE received_at < cutoff`, with no effect
outside the database. Two replicas running it at once delete each row once between them (the
second finds it gone: PostgreSQL's row locks, SQLite's one writer), and neither can delete a row
the other still needs, so a claim would only add a table.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete

from bot.core.runtime import Runtime
from bot.core.worker import Worker
from storage.models.webhooks import WebhookDelivery
from storage.tables import table_of

log = logging.getLogger(__name__)

PRUNE_JOB_ID = "webhook-delivery-prune"
PRUNE_SECONDS = 3600.0
_TABLE = table_of(WebhookDelivery)


def retention(rt: Runtime) -> timedelta:
    return timedelta(days=rt.settings.webhook_delivery_retention_days)


async def prune_deliveries(rt: Runtime, now: datetime) -> int:
    """Delete the deliveries remembered for longer than the retention; how many went."""
    async with rt.db.connection() as conn:
        result = await conn.execute(
            delete(_TABLE).where(_TABLE.c.received_at < now - retention(rt))
        )
    return int(result.rowcount or 0)


class DeliveryPruner(Worker):
    kind = PRUNE_JOB_ID
    name = "webhook delivery pruning"

    def interval_seconds(self) -> float:
        return PRUNE_SECONDS

    async def run_once(self, now: datetime) -> None:
        pruned = await prune_deliveries(self.rt, now)
        if pruned:
            log.info("forgot %d webhook deliveries older than the retention", pruned)


def install_pruning(rt: Runtime) -> None:
    pruner = DeliveryPruner(rt)
    rt.startup_hooks.append(pruner.start)
    rt.shutdown_hooks.append(pruner.stop)
