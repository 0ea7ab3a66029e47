"""What the soak test counts at the end: lost, doubled and late, from the database and the fake.

- lost: messages Slack got a 2xx for (after its retries) that are not in the timeline;
  pushpin reactions whose message is not a key event; notes and updates answered 200
  whose timeline entry never appeared.
- doubled: timeline rows with the same channel and ts; notes or updates stored twice;
  prompts posted to Slack more often than recorded (one per incident and due time).
- late: prompts posted more than 2 s after they were due (update_prompt.sent_at - due_at),
  and prompts still unposted more than 2 s after they were due when the soak ends.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

LATE_SECONDS = 2.0
TOKEN = re.compile(r"soak-(?:note|update)-\d+")


@dataclass
class Sent:
    """What the traffic generator got a 2xx for (and what it never could deliver)."""

    messages: set[tuple[str, str]] = field(default_factory=set)  # (channel, ts)
    pinned: set[tuple[str, str]] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)  # soak-note-N / soak-update-N, acked
    undelivered: int = 0  # gave up after Slack's retries
    retried: int = 0  # deliveries that needed a retry
    command_failures: int = 0  # slash commands not answered 200 (Slack does not retry those)


@dataclass
class Verdict:
    lost_messages: int
    lost_marks: int
    lost_commands: int
    doubled_messages: int
    doubled_commands: int
    doubled_prompts: int
    prompts_sent: int
    prompts_posted: int
    late_prompts: int
    overdue_prompts: int
    worst_lateness: float

    @property
    def lost(self) -> int:
        return self.lost_messages + self.lost_marks + self.lost_commands

    @property
    def doubled(self) -> int:
        return self.doubled_messages + self.doubled_commands + self.doubled_prompts

    @property
    def late(self) -> int:
        return self.late_prompts + self.overdue_prompts


async def check(
    dsn: str, sent: Sent, prompts_by_channel: dict[str, int], ended: datetime
) -> Verdict:
    """`ended`: when traffic stopped (a prompt due before then should have been posted)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT channel_id, ts, count(*) AS n, bool_or(key_event) AS key "
            "FROM timeline_entry WHERE ts IS NOT NULL GROUP BY channel_id, ts"
        )
        texts = await conn.fetch(
            "SELECT text FROM timeline_entry WHERE kind IN ('note', 'status_update')"
        )
        prompts = await conn.fetch(
            "SELECT p.due_at, p.sent_at, i.channel_id FROM update_prompt p "
            "JOIN incident i ON i.id = p.incident_id"
        )
        due = await conn.fetch(
            "SELECT next_prompt_at FROM incident "
            "WHERE status <> 'resolved' AND next_prompt_at IS NOT NULL"
        )
    finally:
        await conn.close()
    stored = {(r["channel_id"], r["ts"]): r for r in rows}
    tokens = Counter(t for r in texts for t in set(TOKEN.findall(r["text"])))
    sent_rows = [p for p in prompts if p["sent_at"] is not None]
    recorded = Counter(p["channel_id"] for p in sent_rows)
    lateness = [(p["sent_at"] - p["due_at"]).total_seconds() for p in sent_rows]
    now = ended.astimezone(UTC).replace(tzinfo=None)  # the columns hold naive UTC
    return Verdict(
        lost_messages=len(sent.messages - set(stored)),
        lost_marks=sum(1 for m in sent.pinned if m in stored and not stored[m]["key"]),
        lost_commands=len(sent.tokens - set(tokens)),
        doubled_messages=sum(1 for r in rows if r["n"] > 1),
        doubled_commands=sum(1 for n in tokens.values() if n > 1),
        doubled_prompts=sum(
            max(0, n - recorded.get(channel, 0)) for channel, n in prompts_by_channel.items()
        ),
        prompts_sent=len(sent_rows),
        prompts_posted=sum(prompts_by_channel.values()),
        late_prompts=sum(1 for s in lateness if s > LATE_SECONDS),
        overdue_prompts=sum(
            1 for r in due if (now - r["next_prompt_at"]).total_seconds() > LATE_SECONDS
        ),
        worst_lateness=max(lateness, default=0.0),
    )


if __name__ == "__main__":
    from bench.cli import bench_parser

    bench_parser(__doc__, "bench.soak_check").parse_args()  # --help only: bench.soak uses this
    print("part of bench.soak: run `python -m bench.soak`")
