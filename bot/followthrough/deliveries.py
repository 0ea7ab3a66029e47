"""Tracker deliveries act once, across replicas (issue 23).

GitHub signs a delivery's body but not its headers, and the signature carries no time: a
captured "closed" delivery stays valid forever. A delivery that is about to change an item is
therefore remembered twice, in one statement: by its `X-GitHub-Delivery` id (GitHub's own
redelivery of it) and by the digest of its signed body (the same body under an id an attacker
made up). Either already known means a replay: answered 200, so GitHub does not retry, and
nothing is done. GitHub's issue events carry the issue's `updated_at`, so two genuine events
never share a body. Jira Cloud's deliveries are remembered the same way, by their
`X-Atlassian-Webhook-Identifier` (unchanged across Jira's retries of a delivery) and their
body (each event carries its own millisecond `timestamp`). Only deliveries that change an item
are kept, and those older than WEBHOOK_DELIVERY_RETENTION_DAYS are pruned (pruning.py).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage import Database
from storage.models.webhooks import WebhookDelivery
from storage.tables import table_of
from storage.types import utcnow

_TABLE = table_of(WebhookDelivery)


def delivery_keys(delivery_id: str, body: bytes) -> list[str]:
    keys = ["body:" + hashlib.sha256(body).hexdigest()]
    if delivery_id:
        keys.append("id:" + delivery_id[:100])
    return keys


async def first_delivery(db: Database, source: str, keys: list[str]) -> bool:
    """Remember the delivery's keys; True if none of them was known (on any replica).
    (A key stored beside a known one is harmless: it names the same delivery.)"""
    async with db.connection() as conn:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        result = await conn.execute(
            insert(_TABLE)
            .values([{"source": source, "key": key, "received_at": utcnow()} for key in keys])
            .on_conflict_do_nothing(index_elements=["source", "key"])
            .returning(_TABLE.c.key)
        )
        return len(result.all()) == len(keys)


async def forget_delivery(db: Database, source: str, keys: list[str]) -> None:
    """The delivery was not acted on after all: its retry must be able to act."""
    async with db.connection() as conn:
        await conn.execute(delete(_TABLE).where(_TABLE.c.source == source, _TABLE.c.key.in_(keys)))
