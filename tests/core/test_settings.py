"""`python -m bot` refuses bad settings with one clear line per problem, and no secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bot(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    clean.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        env=clean,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_settings_exit_non_zero_one_line_each(tmp_path: Path) -> None:
    result = run_bot({}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [  # every problem at once, not one per run
        "error: SLACK_BOT_TOKEN is required",
        "error: SLACK_SIGNING_SECRET is required in HTTP mode "
        "(or set SLACK_APP_TOKEN for Socket Mode)",
    ]


def test_the_env_example_copied_unchanged_names_its_placeholders(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    result = run_bot({}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "error: SLACK_BOT_TOKEN is still the placeholder from .env.example: copy the Bot User "
        "OAuth Token from your app's OAuth & Permissions page",
        "error: SLACK_SIGNING_SECRET is required in HTTP mode "
        "(or set SLACK_APP_TOKEN for Socket Mode)",
    ]


def test_tokens_in_each_others_place_are_named(tmp_path: Path) -> None:
    result = run_bot(
        {"SLACK_BOT_TOKEN": "xapp-1-A111-swapped", "SLACK_APP_TOKEN": "xoxb-1-swapped"}, tmp_path
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(
        "error: SLACK_BOT_TOKEN must start with xoxb-; this is an app-level token (it goes in "
        "SLACK_APP_TOKEN)"
    )
    assert lines[1].startswith(
        "error: SLACK_APP_TOKEN must start with xapp-; this is a bot token (it goes in "
        "SLACK_BOT_TOKEN)"
    )
    assert "swapped" not in result.stderr


def test_invalid_settings_name_each_problem_and_hide_values(tmp_path: Path) -> None:
    secret_like = "xoxp-user-token-that-must-not-be-printed"
    result = run_bot(
        {
            "SLACK_BOT_TOKEN": secret_like,
            "SLACK_APP_TOKEN": "not-an-app-token-secret",
            "DATABASE_URL": "mysql://root@localhost/x",
            "UPDATE_INTERVAL_SECONDS": "soon",
            "INCIDENT_BROADCAST_CHANNEL": "#incidents",
        },
        tmp_path,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 5, lines
    text = "\n".join(lines)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "DATABASE_URL",
        "UPDATE_INTERVAL_SECONDS",
        "INCIDENT_BROADCAST_CHANNEL",
    ):
        assert name in text
    assert secret_like not in text and "not-an-app-token-secret" not in text


def test_http_mode_needs_the_signing_secret(tmp_path: Path) -> None:
    result = run_bot({"SLACK_BOT_TOKEN": "xoxb-1"}, tmp_path)
    assert result.returncode != 0
    assert "SLACK_SIGNING_SECRET is required in HTTP mode" in result.stderr


def test_settings_come_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nUPDATE_INTERVAL_SECONDS=0\n")
    result = run_bot({}, tmp_path)
    assert result.returncode != 0
    # The token was read from .env (no "required" line); the bad interval is reported.
    assert "SLACK_BOT_TOKEN" not in result.stderr
    assert "UPDATE_INTERVAL_SECONDS" in result.stderr


def test_a_bad_checklists_file_stops_the_bot_naming_file_line_and_problem(tmp_path: Path) -> None:
    bad = tmp_path / "checklists.yml"
    bad.write_text("checklists:\n  - name: SEV1\n    when: {severity: sev9}\n    items: [x]\n")
    result = run_bot(
        {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "s3cret",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
            "CHECKLISTS_FILE": str(bad),
        },
        tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: CHECKLISTS_FILE {bad}, line 3: `sev9` is not a severity "
        "(one of sev1, sev2, sev3, sev4)"
    ]
