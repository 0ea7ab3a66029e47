"""`python -m bot check` as a new user runs it after filling in `.env`: one line per check, `ok`
or what to do, exit 0 only when every check passes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import BROADCAST
from tests.support.fake_slack import FakeSlack
from tests.support.process import ROOT, bot_env, spawn_bot_process

APP_TOKEN = "xapp-1-A111-test"
NAMES = [
    "settings",
    "config file",
    "oncall payments",  # sisyphus.example.yml's schedule: no gap in the next 4 weeks
    "database",
    "slack token",
    "scopes",
    "socket mode",
    "broadcast channel",
]


async def run_check(env: dict[str, str], tmp_path: Path) -> tuple[int, list[str]]:
    out = tmp_path / "check.out"
    proc = await spawn_bot_process(env, out, "check")
    try:
        code = await asyncio.wait_for(proc.wait(), 90)  # a cap for a hang: slow under load
    finally:
        if proc.returncode is None:
            proc.kill()
    return code, out.read_text().splitlines()


@pytest.fixture
def healthy(fake_slack: FakeSlack) -> FakeSlack:
    """A workspace where everything is as the README says: socket mode on, bot invited."""
    fake_slack.socket_mode_url = "ws://127.0.0.1:9/link"  # given out, never dialled by check
    fake_slack.channels[BROADCAST].members.add(fake_slack.bot_user_id)
    return fake_slack


def full_env(database_url: str, fake: FakeSlack, **extra: str) -> dict[str, str]:
    env = bot_env(
        database_url,
        fake.base_url,
        0,
        SLACK_APP_TOKEN=APP_TOKEN,
        INCIDENT_BROADCAST_CHANNEL=BROADCAST,
        CONFIG_FILE=str(ROOT / "sisyphus.example.yml"),
    )
    env.update(extra)
    return env


async def test_check_against_a_healthy_workspace_passes(
    database_url: str, healthy: FakeSlack, tmp_path: Path
) -> None:
    code, lines = await run_check(full_env(database_url, healthy), tmp_path)
    assert code == 0, lines
    # Prometheus, Statuspage and the web archive are optional: unset, their checks are skipped
    # (tests/metrics, tests/status and tests/web/test_check_sign_in.py check them for real).
    assert lines[-4] == "[skip] prometheus: PROMETHEUS_URL is not set (no metrics on the card)"
    assert lines[-3] == "[skip] statuspage: STATUSPAGE_API_KEY is not set (no Statuspage sync)"
    assert lines[-2] == "[skip] sign in with slack: SLACK_CLIENT_ID is not set (no web archive)"
    lines = lines[:-4] + lines[-1:]
    assert [line.split("]")[0] for line in lines[:-1]] == ["[ok"] * len(NAMES), lines
    assert [line.split("] ")[1].split(":")[0] for line in lines[:-1]] == NAMES
    assert lines[-1] == "all checks passed"
    text = "\n".join(lines)
    assert "bot user UBOT" in text and "T111" in text
    assert "#incidents" in text
    assert "sisyphus.example.yml: 3 services, 3 checklists, 2 SLOs, 1 on-call schedule" in text
    assert "[ok] oncall payments: someone is on call all of the next 4 weeks" in text
    assert not healthy.calls_to("chat.postMessage")  # a check posts nothing
    assert healthy.calls_to("apps.connections.open")


async def test_a_public_broadcast_channel_the_bot_is_not_in_is_fine(
    database_url: str, healthy: FakeSlack, tmp_path: Path
) -> None:
    """The bot joins a public channel when it first announces there (bot/slack/posting.py)."""
    healthy.channels[BROADCAST].members.clear()
    code, lines = await run_check(full_env(database_url, healthy), tmp_path)
    assert code == 0, lines
    assert "[ok] broadcast channel: #incidents: the bot joins it (channels:join)" in "\n".join(
        lines
    )
    assert not healthy.calls_to("conversations.join")  # a check changes nothing


def bad_token(fake: FakeSlack, tmp_path: Path) -> dict[str, str]:
    fake.fail("auth.test", error="invalid_auth")
    return {}


def scope_missing(fake: FakeSlack, tmp_path: Path) -> dict[str, str]:
    fake.granted_scopes.remove("chat:write")
    return {}


def app_token_refused(fake: FakeSlack, tmp_path: Path) -> dict[str, str]:
    fake.socket_mode_url = None  # the fake then answers invalid_auth, as Slack does
    return {}


def channel_not_found(fake: FakeSlack, tmp_path: Path) -> dict[str, str]:
    return {"INCIDENT_BROADCAST_CHANNEL": "CNOSUCH1"}


def bot_not_invited(fake: FakeSlack, tmp_path: Path) -> dict[str, str]:
    """A private broadcast channel: the bot cannot join it, only be invited. Until it is,
    Slack does not even show it the channel (conversations.info: channel_not_found)."""
    fake.channels[BROADCAST].is_private = True
    fake.channels[BROADCAST].members.clear()
    return {}


def database_directory_missing(fake: FakeSlack, tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/gone/incidents.db"}


def placeholder_token(fake: FakeSlack, tmp_path: Path) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-your-bot-token"}


CASES: list[tuple[Callable[[FakeSlack, Path], dict[str, str]], str]] = [
    (bad_token, "[FAIL] slack token: SLACK_BOT_TOKEN was refused by Slack (invalid_auth): "),
    (scope_missing, "[FAIL] scopes: the token lacks chat:write: add them under OAuth"),
    (app_token_refused, "[FAIL] socket mode: SLACK_APP_TOKEN was refused by Slack (invalid_auth)"),
    (channel_not_found, "[FAIL] broadcast channel: INCIDENT_BROADCAST_CHANNEL CNOSUCH1 was not"),
    (
        bot_not_invited,
        "[FAIL] broadcast channel: INCIDENT_BROADCAST_CHANNEL CBROADCAST was not found: copy the "
        "channel ID from the channel's details (a private channel: /invite @sisyphus first)",
    ),
    (database_directory_missing, "[FAIL] database: DATABASE_URL could not be used: the directory"),
    (placeholder_token, "[FAIL] settings: SLACK_BOT_TOKEN is still the placeholder"),
]


@pytest.mark.parametrize(("breakage", "expected"), CASES, ids=[c[0].__name__ for c in CASES])
async def test_check_names_what_is_broken(
    healthy: FakeSlack,
    tmp_path: Path,
    breakage: Callable[[FakeSlack, Path], dict[str, str]],
    expected: str,
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'incidents.db'}"
    env = full_env(database_url, healthy, **breakage(healthy, tmp_path))
    code, lines = await run_check(env, tmp_path)
    assert code == 1, lines
    failed = [line for line in lines if line.startswith("[FAIL]")]
    assert len(failed) == 1 and failed[0].startswith(expected), lines
    assert lines[-1] == "1 check(s) failed"
    assert "your-bot-token" not in "\n".join(lines)  # values are never printed


def readme_on_call() -> str:
    """The README's On call section."""
    readme = (ROOT / "README.md").read_text()
    assert "\n## On call\n" in readme, "the README has an On call section"
    return readme.split("\n## On call\n", 1)[1].split("\n## ", 1)[0]


async def test_the_readme_s_on_call_example_and_the_file_it_names_pass_check(
    database_url: str, healthy: FakeSlack, tmp_path: Path
) -> None:
    """What the README shows is what passes: its excerpt, as a file of its own, and every
    example file it tells people to check."""
    section = readme_on_call()
    [excerpt] = re.findall(r"```yaml\n(.*?)```", section, re.S)
    named = re.findall(r"CONFIG_FILE=(\S+) \S*python -m bot check", section)
    assert named, "the README shows how to check the example file"
    (tmp_path / "excerpt.yml").write_text(excerpt)
    for n, path in enumerate([tmp_path / "excerpt.yml", *(ROOT / name for name in named)]):
        (run := tmp_path / f"run{n}").mkdir()  # a check's output file of its own
        code, lines = await run_check(full_env(database_url, healthy, CONFIG_FILE=str(path)), run)
        assert code == 0, (path.name, lines)
        assert lines[-1].startswith("all checks passed"), (path.name, lines)
        [read] = [line for line in lines if line.startswith("[ok] config file: ")]
        assert f"{path.name}: " in read and "on-call schedule" in read, read
