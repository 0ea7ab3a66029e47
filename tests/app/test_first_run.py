"""A new user's first runs, as real processes.

Every wait of the start-up ends on SIGTERM (the database, auth.test, Socket Mode); a token Slack
refuses stops the bot with one line naming the setting (exit 2); Slack away is retried with one
warning line each time while /healthz says so; a database that cannot be used says why (exit 1);
`--help` and `--version` print and exit.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.support.databases import PG_HOST, PG_PORT, PG_USER, postgres_reachable
from tests.support.fake_slack import FakeSlack
from tests.support.process import bot_env, free_port, spawn_bot_process, wait_for_log

GRACE_SECONDS = 5.0  # a stopped process must be gone within this
FAST_RETRY = {"STARTUP_RETRY_SECONDS": "0.2"}
APP_TOKEN = "xapp-1-A111-test"


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'incidents.db'}"


async def health(port: int) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{port}/healthz") as r:
        return r.status, await r.json()


# How long a bot process may take to start, meet the refusal and exit: seconds on a quiet
# machine, more with four test processes on two cores (a hang still fails here).
PROCESS_EXIT_WAIT = 30


async def exit_code(proc: asyncio.subprocess.Process, timeout: float) -> int:
    try:
        return await asyncio.wait_for(proc.wait(), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def sigterm(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGTERM)
    return await exit_code(proc, GRACE_SECONDS)


def error_lines(log: str) -> list[str]:
    return [line.split(": ", 1)[1] for line in log.splitlines() if " ERROR " in line]


# ---- Slack refuses a token: a setting to fix, one line, exit 2 ------------------------------


@pytest.mark.parametrize("error", ["invalid_auth", "account_inactive"])
async def test_a_bot_token_slack_refuses_stops_the_bot_with_one_line(
    fake_slack: FakeSlack, tmp_path: Path, error: str
) -> None:
    fake_slack.fail("auth.test", error=error, times=100)
    env = bot_env(sqlite_url(tmp_path), fake_slack.base_url, free_port(), **FAST_RETRY)
    log_path = tmp_path / "bot.log"
    proc = await spawn_bot_process(env, log_path)
    code = await exit_code(proc, PROCESS_EXIT_WAIT)
    log = log_path.read_text()
    assert code == 2, log
    [line] = error_lines(log)
    assert line.startswith(f"SLACK_BOT_TOKEN was refused by Slack ({error}): "), line
    assert "OAuth & Permissions" in line
    assert "Traceback" not in log
    assert len(fake_slack.calls_to("auth.test")) == 1  # a refusal is not retried


async def test_a_bot_token_refused_on_a_retry_also_stops_the_bot(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.fail("auth.test", status=500, times=3)  # the first attempt, with its 2 retries
    fake_slack.fail("auth.test", error="token_revoked", times=100)
    port = free_port()
    env = bot_env(sqlite_url(tmp_path), fake_slack.base_url, port, **FAST_RETRY)
    log_path = tmp_path / "bot.log"
    proc = await spawn_bot_process(env, log_path)
    code = await exit_code(proc, PROCESS_EXIT_WAIT)
    log = log_path.read_text()
    assert code == 2, log
    assert "auth.test failed (Slack answered HTTP 500); trying again in 0.2s" in log
    [line] = error_lines(log)
    assert line.startswith("SLACK_BOT_TOKEN was refused by Slack (token_revoked): "), line
    assert "Traceback" not in log


async def test_an_app_token_slack_refuses_stops_the_bot_with_one_line(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    # The fake answers apps.connections.open with invalid_auth while it has no socket URL.
    env = bot_env(
        sqlite_url(tmp_path),
        fake_slack.base_url,
        free_port(),
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_SIGNING_SECRET="",
        **FAST_RETRY,
    )
    log_path = tmp_path / "bot.log"
    proc = await spawn_bot_process(env, log_path)
    code = await exit_code(proc, PROCESS_EXIT_WAIT)
    log = log_path.read_text()
    assert code == 2, log
    [line] = error_lines(log)
    assert line.startswith("SLACK_APP_TOKEN was refused by Slack (invalid_auth): "), line
    assert "App-Level Tokens" in line
    assert "Traceback" not in log


# ---- Slack away: retried, one warning line each time, /healthz says so, SIGTERM ends it -----


@pytest.mark.parametrize("away", ["answers 500", "does not answer"])
async def test_sigterm_while_retrying_auth_test(
    fake_slack: FakeSlack, tmp_path: Path, away: str
) -> None:
    if away == "answers 500":
        fake_slack.fail("auth.test", status=500, times=1000)
        api_url, why = fake_slack.base_url, "Slack answered HTTP 500"
    else:
        api_url = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
        why = "could not reach Slack (ClientConnectorError)"
    port = free_port()
    env = bot_env(sqlite_url(tmp_path), api_url, port, **FAST_RETRY)
    log_path = tmp_path / "bot.log"
    proc = await spawn_bot_process(env, log_path)
    try:
        await wait_for_log(proc, log_path, f"auth.test failed ({why}); trying again in 0.2s")
        await wait_for_log(proc, log_path, "serving POST /slack/events, GET /healthz")
        status, body = await health(port)
        assert (status, body["slack"]) == (503, "unreachable")
    finally:
        code = await sigterm(proc)
    log = log_path.read_text()
    assert code == 0, log
    assert "Traceback" not in log
    retries = [line for line in log.splitlines() if "bot.slack.identity: auth.test failed" in line]
    assert retries and all(" WARNING " in line for line in retries), retries
    # A quiet start: no Bolt warnings about tokens, no Alembic plugin lines, every route named.
    assert "slack_bolt" not in log, log
    assert "setup plugin" not in log and "A retry handler found" not in log
    serving = next(line for line in log.splitlines() if " serving POST /slack/events" in line)
    assert all(route in serving for route in ("GET /healthz", "GET /metrics")), serving


@pytest.mark.parametrize("fault", ["websocket refused", "apps.connections.open 500"])
async def test_sigterm_while_connecting_to_socket_mode(
    fake_slack: FakeSlack, tmp_path: Path, fault: str
) -> None:
    if fault == "websocket refused":
        fake_slack.socket_mode_url = f"ws://127.0.0.1:{free_port()}/link"  # nobody listens
        expected = "Failed to connect"
    else:
        fake_slack.socket_mode_url = "ws://127.0.0.1:9/never-given"
        fake_slack.fail("apps.connections.open", status=500, times=1000)
        expected = "apps.connections.open failed (Slack answered HTTP 500); trying again in"
    port = free_port()
    env = bot_env(
        sqlite_url(tmp_path),
        fake_slack.base_url,
        port,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_SIGNING_SECRET="",
        **FAST_RETRY,
    )
    log_path = tmp_path / "bot.log"
    proc = await spawn_bot_process(env, log_path)
    try:
        await wait_for_log(proc, log_path, expected)
        status, body = await health(port)  # served while connecting, and not healthy
        assert (status, body["slack"]) == (503, "unreachable")
    finally:
        code = await sigterm(proc)
    log = log_path.read_text()
    assert code == 0, log
    assert "stop signal during start-up" in log
    assert "Traceback" not in log
    [failed] = [line for line in log.splitlines() if expected in line][:1]
    assert " WARNING " in failed


# ---- The database: SIGTERM while waiting for it, and an error that says why ------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_stop_signal_while_the_database_does_not_answer(
    fake_slack: FakeSlack, tmp_path: Path, sig: signal.Signals
) -> None:
    connected = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept, then never answer (a firewall dropping packets, say)
        connected.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    db_port = server.sockets[0].getsockname()[1]
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{db_port}/sisyphus"
    log_path = tmp_path / "bot.log"
    proc = await spawn_bot_process(bot_env(url, fake_slack.base_url, free_port()), log_path)
    try:
        await asyncio.wait_for(connected.wait(), 10)
        # Well before the driver's own 5 s connect timeout would give up.
        proc.send_signal(sig)
        code = await exit_code(proc, 3)
    finally:
        if proc.returncode is None:
            proc.kill()
        for writer in held:
            writer.close()
        server.close()
    log = log_path.read_text()
    assert code == 0, log
    assert "stop signal during start-up" in log


@pytest.fixture
async def pg_server() -> AsyncIterator[None]:
    if not await postgres_reachable():
        pytest.skip(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}")
    yield


def missing_directory(tmp_path: Path) -> tuple[str, str]:
    folder = tmp_path / "no-such-dir"
    return f"sqlite+aiosqlite:///{folder}/incidents.db", f"the directory {folder} does not exist"


def connection_refused(tmp_path: Path) -> tuple[str, str]:
    port = free_port()
    return (
        f"postgresql+asyncpg://postgres@127.0.0.1:{port}/sisyphus",
        f"connection refused by 127.0.0.1:{port}",
    )


@pytest.mark.parametrize("case", [missing_directory, connection_refused])
async def test_a_database_that_cannot_be_used_says_why(
    fake_slack: FakeSlack, tmp_path: Path, case
) -> None:
    url, why = case(tmp_path)
    await _database_refused(fake_slack, tmp_path, url, why)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
async def test_a_database_file_without_permission_says_so(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    url = f"sqlite+aiosqlite:///{folder}/incidents.db"
    await _database_refused(fake_slack, tmp_path, url, "permission denied")


@pytest.mark.parametrize(
    ("where", "why"),
    [
        ("nobody@{host}:{port}/postgres", "the server refused user 'nobody'"),
        ("{user}@{host}:{port}/no_such_db_x", "the database 'no_such_db_x' does not exist"),
    ],
)
async def test_a_postgresql_server_refusing_says_why(
    pg_server: None, fake_slack: FakeSlack, tmp_path: Path, where: str, why: str
) -> None:
    url = "postgresql+asyncpg://" + where.format(host=PG_HOST, port=PG_PORT, user=PG_USER)
    await _database_refused(fake_slack, tmp_path, url, why)


async def _database_refused(fake_slack: FakeSlack, tmp_path: Path, url: str, why: str) -> None:
    log_path = tmp_path / "bot.log"
    proc = await spawn_bot_process(bot_env(url, fake_slack.base_url, free_port()), log_path)
    code = await exit_code(proc, PROCESS_EXIT_WAIT)
    log = log_path.read_text()
    assert code == 1, log
    [line] = error_lines(log)
    assert line.startswith("the database at DATABASE_URL could not be used: " + why), line
    assert "Traceback" not in log


# ---- The command line ------------------------------------------------------------------------


async def test_help_prints_and_exits_without_starting(tmp_path: Path) -> None:
    log_path = tmp_path / "out.log"
    proc = await spawn_bot_process({}, log_path, "--help")
    assert await exit_code(proc, PROCESS_EXIT_WAIT) == 0
    out = log_path.read_text()
    assert out.startswith("usage: python -m bot")
    assert "check" in out and "Exit codes" in out
    assert not (tmp_path / "incidents.db").exists()  # no settings read, no database touched


async def test_version_prints_and_exits(tmp_path: Path) -> None:
    from importlib.metadata import version

    log_path = tmp_path / "out.log"
    proc = await spawn_bot_process({}, log_path, "--version")
    assert await exit_code(proc, PROCESS_EXIT_WAIT) == 0
    assert log_path.read_text().strip() == f"sisyphus {version('sisyphus')}"
