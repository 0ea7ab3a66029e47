"""Running `python -m bot` as a real process, for signal and crash tests."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bot_env(database_url: str, api_url: str, port: int, **extra: str) -> dict[str, str]:
    """The environment of a test bot process (the test secrets from tests/conftest.py)."""
    from tests.conftest import BOT_TOKEN, SIGNING_SECRET

    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DATABASE_URL": database_url,
        "SLACK_API_URL": api_url,
        "PORT": str(port),
        **extra,
    }


async def spawn_bot_process(
    env: dict[str, str], log_path: Path, *args: str
) -> asyncio.subprocess.Process:
    """`python -m bot [args]` in log_path's directory, output to log_path; does not wait."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    full.update(env, PYTHONPATH=str(ROOT))
    log = log_path.open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=full,
        cwd=str(log_path.parent),
        stdout=log,
        stderr=log,
    )


async def wait_for_log(
    proc: asyncio.subprocess.Process, log_path: Path, text: str, timeout: float = 30.0
) -> str:
    """Wait until the process has logged `text` (it must still be running); the log so far."""
    deadline = time.monotonic() + timeout
    while True:
        log = log_path.read_text() if log_path.exists() else ""
        if text in log:
            return log
        if proc.returncode is not None:
            raise AssertionError(f"bot exited ({proc.returncode}) before logging {text!r}: {log}")
        if time.monotonic() > deadline:
            raise AssertionError(f"bot did not log {text!r} within {timeout}s: {log}")
        await asyncio.sleep(0.05)


async def start_bot_process(env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    proc = await spawn_bot_process(env, log_path)
    deadline = time.monotonic() + 30
    url = f"http://127.0.0.1:{env['PORT']}/healthz"
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise AssertionError(f"bot exited early: {log_path.read_text()}")
            try:
                async with session.get(url) as r:
                    if r.status == 200:
                        return proc
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    proc.kill()
    raise AssertionError(f"bot did not become healthy: {log_path.read_text()}")
