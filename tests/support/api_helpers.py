"""The read API's tests: tokens, a history with a private incident, and asking over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp

from tests.conftest import RunningBot, StartBot
from tests.support.learning_helpers import Past, seed

PUBLIC_TOKEN = "p" * 40
MEMBER_TOKEN = "m" * 40  # acts for U111, a member of the private war room CPRIV
OUTSIDER_TOKEN = "o" * 40  # acts for U222, not in it
WRONG_TOKEN = "w" * 40
GUEST_TOKEN = "g" * 40  # acts for U333, a guest, in CPRIV
EXTERNAL_TOKEN = "e" * 40  # acts for U444, of another organisation, not in CPRIV
API_TOKENS = (
    f"dashboard={PUBLIC_TOKEN},alice={MEMBER_TOKEN}@U111,bob={OUTSIDER_TOKEN}@U222,"
    f"guest={GUEST_TOKEN}@U333,partner={EXTERNAL_TOKEN}@U444"
)
PRIVATE_TITLE = "Payroll export leaked salaries"


async def api_bot(start_bot: StartBot, **overrides: Any) -> RunningBot:
    bot = await start_bot(api_tokens=API_TOKENS, **overrides)
    bot.fake.add_channel("CPRIV", "inc-payroll", is_private=True, bot_member=True)
    bot.fake.channels["CPRIV"].members.update({"U111", "U333"})
    bot.fake.users["U333"]["is_restricted"] = True
    bot.fake.users["U444"]["team_id"] = "TOTHER"
    return bot


async def seed_history(bot: RunningBot) -> dict[str, int]:
    """Three public incidents (one a drill, one open) and one private; their ids by name."""
    ids = {}
    for name, past in {
        "checkout": Past(
            "Checkout returns 500s",
            severity="sev1",
            channel_id="C900",
            tags="checkout db",
            declared_at=datetime(2026, 9, 3, 4, 5, tzinfo=UTC),
            items=[("factor", "Database connection pool exhausted under load", "technical")],
            notes=["checked the database replica lag"],
        ),
        "search": Past(
            "Search latency spike",
            channel_id="C901",
            declared_at=datetime(2026, 10, 1, 12, 0, tzinfo=UTC),
            updates=["Investigating slow search; database looks fine"],
            resolved_after=None,
            mitigated_after=None,
        ),
        "drill": Past(
            "Game day: database failover",
            channel_id="C902",
            drill=True,
            declared_at=datetime(2026, 10, 5, 12, 0, tzinfo=UTC),
        ),
        "private": Past(
            PRIVATE_TITLE,
            severity="sev1",
            private=True,
            channel_id="CPRIV",
            tags="payroll",
            declared_at=datetime(2026, 10, 10, 9, 0, tzinfo=UTC),
            items=[("factor", "Database export job had no access control", "technical")],
            notes=["the database dump of checkout returns was public for an hour"],
        ),
    }.items():
        incident = await seed(bot, past)
        assert incident.id is not None
        ids[name] = incident.id
    return ids


async def get(
    bot: RunningBot, path: str, token: str | None = PUBLIC_TOKEN, **params: Any
) -> tuple[int, Any, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with aiohttp.ClientSession() as http:
        async with http.get(bot.url + path, headers=headers, params=params) as resp:
            body = await resp.json(content_type=None)
            return resp.status, body, dict(resp.headers)
