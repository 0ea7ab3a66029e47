"""The read API over real HTTP: tokens (public, acting for a member and a non-member of a
private incident's war room, wrong, none), filters, paging, search, stats, and a private
incident absent from everything a token that may not see it is given."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from bot.api.routes import GATE
from tests.conftest import StartBot
from tests.support.api_helpers import (
    EXTERNAL_TOKEN,
    GUEST_TOKEN,
    MEMBER_TOKEN,
    OUTSIDER_TOKEN,
    PRIVATE_TITLE,
    PUBLIC_TOKEN,
    WRONG_TOKEN,
    api_bot,
    get,
    seed_history,
)
from tests.support.timeline_helpers import wait_until


async def test_tokens_and_the_private_incident(start_bot: StartBot) -> None:
    bot = await api_bot(start_bot)
    ids = await seed_history(bot)
    private = ids["private"]

    status, body, headers = await get(bot, "/api/v1/incidents", token=None)
    assert status == 401 and body == {"error": "send Authorization: Bearer <one of API_TOKENS>"}
    assert headers["WWW-Authenticate"].startswith("Bearer")
    status, body, _ = await get(bot, "/api/v1/incidents", token=WRONG_TOKEN)
    assert status == 401 and body == {"error": "that token is not one of API_TOKENS"}

    for token in (PUBLIC_TOKEN, OUTSIDER_TOKEN):
        status, body, _ = await get(bot, "/api/v1/incidents", token=token)
        assert status == 200
        assert [i["id"] for i in body["incidents"]] == [ids["search"], ids["checkout"]]
        status, body, _ = await get(bot, f"/api/v1/incidents/{private}", token=token)
        assert status == 404 and body == {"error": f"no incident #{private}"}
        status, body, _ = await get(bot, f"/api/v1/incidents/{private}/timeline", token=token)
        assert status == 404
        status, body, _ = await get(bot, "/api/v1/search", token=token, q="database")
        assert status == 200 and body["results"]
        assert private not in [r["id"] for r in body["results"]]
        assert PRIVATE_TITLE not in json.dumps(body)
        status, body, _ = await get(bot, "/api/v1/stats", token=token, period="all")
        assert status == 200 and body["incidents"] == 2
        assert "payroll" not in json.dumps(body)
        status, body, _ = await get(bot, "/api/v1/incidents", token=token, tag="payroll")
        assert body["incidents"] == []

    # A token acting for a member of the war room sees it, everywhere.
    status, body, _ = await get(bot, "/api/v1/incidents", token=MEMBER_TOKEN)
    assert [i["id"] for i in body["incidents"]] == [private, ids["search"], ids["checkout"]]
    status, body, _ = await get(bot, f"/api/v1/incidents/{private}", token=MEMBER_TOKEN)
    assert status == 200 and body["incident"]["title"] == PRIVATE_TITLE
    assert body["format"] and [e["text"] for e in body["timeline"]] == [
        "the database dump of checkout returns was public for an hour"
    ]
    status, body, _ = await get(bot, "/api/v1/search", token=MEMBER_TOKEN, q="database access")
    assert body["results"][0]["id"] == private and "**" in body["results"][0]["snippet"]
    status, body, _ = await get(bot, "/api/v1/stats", token=MEMBER_TOKEN, period="all")
    assert body["incidents"] == 3
    assert {"tag": "payroll", "incidents": 1} in body["top_tags"]


async def test_guests_and_external_people_read_as_slack_lets_them(start_bot: StartBot) -> None:
    """Reading is for everyone the permission table names (guests and external people too);
    a private incident for those in its war room only."""
    bot = await api_bot(start_bot)
    ids = await seed_history(bot)
    for token, sees in ((GUEST_TOKEN, True), (EXTERNAL_TOKEN, False)):
        status, body, _ = await get(bot, "/api/v1/incidents", token=token)
        assert status == 200
        assert (ids["private"] in [i["id"] for i in body["incidents"]]) == sees
        status, _, _ = await get(bot, f"/api/v1/incidents/{ids['private']}", token=token)
        assert status == (200 if sees else 404)
        status, body, _ = await get(bot, "/api/v1/stats", token=token, period="all")
        assert body["incidents"] == (3 if sees else 2)


async def test_the_record_is_the_export_document(start_bot: StartBot) -> None:
    bot = await api_bot(start_bot)
    ids = await seed_history(bot)
    status, body, _ = await get(bot, f"/api/v1/incidents/{ids['checkout']}")
    assert status == 200
    from bot.postmortem.export import record_from_json

    parsed = record_from_json(json.dumps(body))  # the import reads it back: the same document
    assert parsed.incident.title == "Checkout returns 500s"
    assert body["postmortem_items"][0]["text"].startswith("Database connection pool")


async def test_filters_paging_and_bad_input(start_bot: StartBot) -> None:
    bot = await api_bot(start_bot)
    ids = await seed_history(bot)
    _, body, _ = await get(bot, "/api/v1/incidents", drills="true")
    assert [i["id"] for i in body["incidents"]] == [ids["drill"], ids["search"], ids["checkout"]]
    _, body, _ = await get(bot, "/api/v1/incidents", severity="sev1")
    assert [i["id"] for i in body["incidents"]] == [ids["checkout"]]
    _, body, _ = await get(bot, "/api/v1/incidents", status="open")
    assert [i["id"] for i in body["incidents"]] == [ids["search"]]
    _, body, _ = await get(bot, "/api/v1/incidents", tag="checkout")
    assert [i["id"] for i in body["incidents"]] == [ids["checkout"]]
    _, body, _ = await get(bot, "/api/v1/incidents", **{"from": "2026-09-04", "to": "2026-10-01"})
    assert [i["id"] for i in body["incidents"]] == [ids["search"]]

    # Cursor paging: one at a time, the same three as one page, in the same order.
    seen, cursor = [], None
    while True:
        params = {"limit": "1", "drills": "true", **({"cursor": cursor} if cursor else {})}
        status, body, _ = await get(bot, "/api/v1/incidents", **params)
        assert status == 200
        seen += [i["id"] for i in body["incidents"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [ids["drill"], ids["search"], ids["checkout"]]

    for path, params, reason in (
        ("/api/v1/incidents", {"severity": "sev9"}, "severity must be one of"),
        ("/api/v1/incidents", {"status": "asleep"}, "status must be open or one of"),
        ("/api/v1/incidents", {"limit": "0"}, "limit must be a whole number"),
        ("/api/v1/incidents", {"cursor": "garbage!"}, "cursor is not one this API gave out"),
        ("/api/v1/incidents", {"from": "yesterday"}, "from must be a date"),
        ("/api/v1/incidents", {"drills": "maybe"}, "drills must be true or false"),
        ("/api/v1/incidents/abc", {}, "the incident id must be a whole number"),
        ("/api/v1/search", {}, "q must be the words to search for"),
        ("/api/v1/stats", {"period": "2w"}, "period must be one of"),
    ):
        status, body, _ = await get(bot, path, **params)
        assert status == 400, (path, params, body)
        assert body["error"].startswith(reason) and "\n" not in body["error"]
    status, body, _ = await get(bot, "/api/v1/incidents/999")
    assert status == 404 and body == {"error": "no incident #999"}


async def test_timeline_pages(start_bot: StartBot) -> None:
    bot = await api_bot(start_bot)
    from tests.support.learning_helpers import Past, seed

    incident = await seed(
        bot, Past("Many entries", channel_id="C950", notes=[f"note {n}" for n in range(7)])
    )
    texts, cursor = [], None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        status, body, _ = await get(bot, f"/api/v1/incidents/{incident.id}/timeline", **params)
        assert status == 200 and len(body["entries"]) <= 3
        texts += [e["text"] for e in body["entries"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert texts == [f"note {n}" for n in range(7)]


async def test_rate_limit_and_the_api_off(start_bot: StartBot) -> None:
    bot = await api_bot(start_bot, api_rate_per_minute=3)
    for _ in range(3):
        status, _, _ = await get(bot, "/api/v1/incidents")
        assert status == 200
    status, body, headers = await get(bot, "/api/v1/incidents")
    assert status == 429 and body["error"].startswith("over API_RATE_PER_MINUTE (3)")
    assert int(headers["Retry-After"]) >= 1
    status, _, _ = await get(bot, "/api/v1/incidents", token=MEMBER_TOKEN)  # its own rate
    assert status == 200

    off = await start_bot()
    status, body, _ = await get(off, "/api/v1/incidents")
    assert status == 404 and body == {"error": "the read API is off: set API_TOKENS"}


async def test_a_deactivated_user_token_is_refused(start_bot: StartBot) -> None:
    bot = await api_bot(start_bot)
    bot.fake.users["U222"]["deleted"] = True
    status, body, _ = await get(bot, "/api/v1/incidents", token=OUTSIDER_TOKEN)
    assert status == 403
    assert body == {"error": "the Slack user this token acts for is deactivated"}


async def test_tokens_never_reach_the_log(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = await api_bot(start_bot)
    await seed_history(bot)
    for token in (PUBLIC_TOKEN, MEMBER_TOKEN, WRONG_TOKEN, None):
        await get(bot, "/api/v1/incidents", token=token, q="x")
        await get(bot, "/api/v1/search", token=token, q="database")
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {MEMBER_TOKEN}"}
        async with http.post(f"{bot.url}/mcp", json={}, headers=headers) as resp:
            assert resp.status < 500
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /api/v1/incidents 401" in logged  # the request log wrote its lines
    for token in (PUBLIC_TOKEN, MEMBER_TOKEN, WRONG_TOKEN):
        assert token not in logged
    assert "Bearer" not in logged


async def test_membership_is_remembered_briefly_and_fails_closed(start_bot: StartBot) -> None:
    bot = await api_bot(start_bot)
    ids = await seed_history(bot)
    gate = bot.server.web[GATE]
    gate.memberships.ttl = 0.5
    path = f"/api/v1/incidents/{ids['private']}"
    status, _, _ = await get(bot, path, token=MEMBER_TOKEN)
    assert status == 200
    bot.fake.channels["CPRIV"].members.discard("U111")  # taken out of the war room

    async def hidden() -> bool:
        return (await get(bot, path, token=MEMBER_TOKEN))[0] == 404

    await wait_until(hidden, timeout=10, what="the private incident hidden")
    bot.fake.channels["CPRIV"].members.add("U111")  # back in

    async def shown() -> bool:
        return not await hidden()

    await wait_until(shown, timeout=10, what="the private incident shown again")
    # A member still, but Slack does not answer: hidden once the remembered answer is old.
    bot.fake.fail("conversations.members", error="internal_error", times=10_000)
    await wait_until(hidden, timeout=10, what="the private incident hidden when Slack fails")
    status, body, _ = await get(bot, path, token=MEMBER_TOKEN)
    assert status == 404 and body == {"error": f"no incident #{ids['private']}"}
    _, body, _ = await get(bot, "/api/v1/incidents", token=MEMBER_TOKEN)
    assert ids["private"] not in [i["id"] for i in body["incidents"]]
