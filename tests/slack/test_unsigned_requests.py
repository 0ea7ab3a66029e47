"""Unsigned requests cost nothing: refused on their headers, never parsed, never logged whole,
never a new `/metrics` label; slow clients are disconnected.

Each of these reproduces a finding of the security review (issue 17) against today's code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from bot.core.logs import RedactSecrets
from bot.core.metrics import REQUEST_KINDS
from tests.conftest import RunningBot, StartBot
from tests.support.signing import signed_headers

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def metrics_text(bot: RunningBot) -> str:
    async with bot.slack.session.get(bot.url + "/metrics") as r:
        assert r.status == 200
        return await r.text()


def kinds_in(text: str) -> set[str]:
    kinds = set()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if "kind" in sample.labels and family.name.startswith(
                ("sisyphus_slack", "sisyphus_ack")
            ):
                kinds.add(sample.labels["kind"])
    return kinds


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def post_raw(bot: RunningBot, body: bytes, headers: dict[str, str]) -> int:
    async with bot.slack.session.post(bot.slack.url, data=body, headers=headers) as r:
        await r.read()
        return r.status


def event_body(event_type: str) -> str:
    return json.dumps({"type": "event_callback", "event": {"type": event_type}})


@sqlite_only
async def test_unsigned_events_with_new_types_add_no_metrics(bot: RunningBot) -> None:
    before = await metrics_text(bot)
    for n in range(300):
        status = await post_raw(
            bot, event_body(f"x{n:05d}").encode(), {"Content-Type": "application/json"}
        )
        assert status == 401
    after = await metrics_text(bot)
    assert kinds_in(after) <= REQUEST_KINDS, kinds_in(after) - REQUEST_KINDS
    assert not any(f"x{n:05d}" in after for n in range(300))
    assert len(after) - len(before) < 2_000


@sqlite_only
async def test_signed_events_of_unknown_types_are_counted_as_other(bot: RunningBot) -> None:
    for n in range(20):
        body = event_body(f"made_up_{n}")
        status = await bot.slack.post(body, "application/json")
        assert status.status in (200, 404)
    text = await metrics_text(bot)
    assert "made_up_" not in text
    assert "other" in kinds_in(text)
    assert kinds_in(text) <= REQUEST_KINDS


@sqlite_only
async def test_huge_unsigned_bodies_grow_neither_metrics_nor_memory(bot: RunningBot) -> None:
    before_metrics = len(await metrics_text(bot))
    before_rss = rss_bytes()
    for n in range(5):
        body = event_body(f"{n}" + "y" * 900_000).encode()
        assert await post_raw(bot, body, {"Content-Type": "application/json"}) == 401
    assert len(await metrics_text(bot)) - before_metrics < 2_000
    assert rss_bytes() - before_rss < 30 * 1024 * 1024


@sqlite_only
async def test_bodies_over_one_mebibyte_are_refused_even_when_signed(bot: RunningBot) -> None:
    body = event_body("message" + "z" * (1024 * 1024))
    headers = signed_headers(bot.slack.secret, body, "application/json")
    assert await post_raw(bot, body.encode(), headers) == 413

    async def chunks():  # no Content-Length: the size is only known while reading
        for _ in range(3):
            yield b"z" * (512 * 1024)

    async with bot.slack.session.post(bot.slack.url, data=chunks(), headers=headers) as r:
        assert r.status == 413


@sqlite_only
async def test_refusals_are_logged_in_one_line_without_body_or_text(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    forged = "x=1\n2026-11-29 15:00:00,000 ERROR bot: FORGED"
    for _ in range(5):
        body = f"token=abc&text={forged}&marker=UNSIGNED-BODY-{'q' * 500_000}"
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        assert await post_raw(bot, body.encode(), headers) == 401
    # A genuine Slack request, but too old: its message text and email must not be logged.
    body = bot.slack.command_body("note hunter2 is the password, mail ann@example.com")
    stale = signed_headers(
        bot.slack.secret, body, "application/x-www-form-urlencoded", int(time.time()) - 400
    )
    assert await post_raw(bot, body.encode(), stale) == 401
    # A wrong signature on a fresh request.
    wrong = signed_headers("not-the-secret", body, "application/x-www-form-urlencoded")
    assert await post_raw(bot, body.encode(), wrong) == 401

    # The bot's background jobs (reminders, outboxes) talk to the database meanwhile: aiosqlite's
    # and APScheduler's own DEBUG lines are about that, not about these requests.
    background = ("aiosqlite", "apscheduler", "sqlalchemy")
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(background))
    assert "UNSIGNED-BODY" not in logged
    assert "FORGED" not in logged
    assert "hunter2" not in logged and "ann@example.com" not in logged
    assert len(logged) < 2_000, logged[:500]
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 7


def test_log_lines_escape_line_breaks_from_request_values() -> None:
    record = logging.LogRecord(
        "bot", logging.INFO, __file__, 1, "answer to %s", ("x=1\n2026 ERROR bot: FORGED\r",), None
    )
    assert RedactSecrets([]).filter(record)
    message = record.getMessage()
    assert "\n" not in message and "\r" not in message
    assert message == "answer to x=1\\n2026 ERROR bot: FORGED\\r"


@pytest.mark.slow  # the read timeout, in real time
@sqlite_only
async def test_slow_clients_are_disconnected(start_bot: StartBot) -> None:
    bot = await start_bot(http_read_timeout_seconds=1.0)
    port = bot.server.port
    started = time.monotonic()
    connections = []
    for _ in range(50):  # headers that never end
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slack-Sig")
        connections.append((reader, writer))
    body = event_body("message")
    headers = signed_headers(bot.slack.secret, body, "application/json")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(  # a body that never ends
        f"POST /slack/events HTTP/1.1\r\nHost: x\r\n{head}Content-Length: 5000\r\n\r\n".encode()
        + body[:10].encode()
    )
    connections.append((reader, writer))
    answers = await asyncio.wait_for(
        asyncio.gather(*(r.read() for r, _ in connections)), timeout=15
    )
    assert time.monotonic() - started < 15
    assert answers[-1].startswith(b"HTTP/1.1 408"), answers[-1][:100]
    for _, w in connections:
        w.close()
    async with aiohttp.ClientSession() as s, s.get(bot.url + "/healthz") as r:
        assert r.status == 200


HEADER_NAMES = st.sampled_from(
    [
        "X-Slack-Signature",
        "X-Slack-Request-Timestamp",
        "Content-Type",
        "X-Slack-Retry-Num",
        "X-Forwarded-For",
        "X-Anything",
    ]
)
HEADER_VALUES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80),
    st.just("v0=" + "0" * 64),
    st.integers(min_value=0, max_value=2**40).map(str),
    st.builds(lambda: str(int(time.time()))),
    st.sampled_from(["application/json", "application/x-www-form-urlencoded"]),
)
BODIES = st.one_of(
    st.binary(max_size=2_000),
    st.builds(
        lambda t, big: event_body(t + "w" * big).encode(),
        st.text(max_size=40),
        st.sampled_from([0, 10_000, 200_000]),
    ),
    st.builds(lambda t: f"payload={t}&command=/incident&text={t}".encode(), st.text(max_size=200)),
)


@sqlite_only
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODIES, headers=st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4))
async def test_random_unsigned_requests_keep_metrics_and_memory_flat(
    bot: RunningBot, body: bytes, headers: dict[str, str]
) -> None:
    if not hasattr(bot, "_baseline"):
        # The first refusal creates the `unverified` series; count it in the baseline.
        assert await post_raw(bot, b"{}", {}) == 401
        bot._baseline = (len(await metrics_text(bot)), rss_bytes())  # type: ignore[attr-defined]
    status = await post_raw(bot, body, headers)
    assert 400 <= status < 500, status
    text = await metrics_text(bot)
    assert kinds_in(text) <= REQUEST_KINDS
    metrics_before, rss_before = bot._baseline  # type: ignore[attr-defined]
    assert len(text) - metrics_before < 2_000
    assert rss_bytes() - rss_before < 40 * 1024 * 1024


def test_debug_logging_keeps_the_slack_sdks_bodies_out() -> None:
    """slack_sdk logs every Web API call's body (message text) at DEBUG."""
    from bot.core.logs import configure_logging

    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("slack_sdk").level)
    try:
        configure_logging("DEBUG", "text", [])
        assert logging.getLogger("slack_sdk.web.async_base_client").getEffectiveLevel() >= 20
        assert logging.getLogger("bot").getEffectiveLevel() == logging.DEBUG
    finally:
        root.handlers[:], level, sdk_level = saved
        root.setLevel(level)
        logging.getLogger("slack_sdk").setLevel(sdk_level)
