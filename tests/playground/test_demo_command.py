"""`python -m bot demo`'s safety rails: it refuses a Slack token in its environment, listens
on 127.0.0.1 whatever HOST says, reads no .env, says everywhere it is a playground, and stops
cleanly on SIGINT and SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.app.demo import slack_tokens_in
from tests.playground.demo_process import demo_env, running_demo


@pytest.mark.parametrize("token", ["xoxb-1-2-abc", "xoxp-1-2-abc", "xapp-1-A1-abc"])
def test_a_slack_token_in_the_environment_stops_it(tmp_path: Path, token: str) -> None:
    env = demo_env(SOME_OLD_EXPORT=token)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--port", "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "SOME_OLD_EXPORT" in done.stderr and token not in done.stderr + done.stdout
    assert not (tmp_path / "demo.db").exists()


def test_token_lookalikes_are_found_by_name_only() -> None:
    found = slack_tokens_in({"A": " xoxb-1", "B": "hello", "C": "xapp-x", "D": "noxoxb-"})
    assert found == ["A", "C"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_it_is_local_labelled_and_stops_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    # A .env that would point it at a real workspace, and a HOST that would open it up.
    (tmp_path / ".env").write_text("SLACK_API_URL=https://slack.com/api/\nHOST=0.0.0.0\n")
    with running_demo(tmp_path, HOST="0.0.0.0") as demo:
        with urllib.request.urlopen(demo.url + "?as=UDEMOANA") as resp:
            page = resp.read().decode()
            assert resp.headers["Content-Security-Policy"]
        assert "Playground: a local stand-in for Slack" in page
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
        with pytest.raises(OSError):  # a person the playground does not have: 400
            urllib.request.urlopen(demo.url + "?as=U%3Cscript%3E")
        demo.process.send_signal(sig)
        assert demo.process.wait(60) == 0
        out = demo.process.stdout.read()  # type: ignore[union-attr]
    assert "PLAYGROUND" in out and "http://127.0.0.1:" in out
    assert "0.0.0.0" not in out
    assert (tmp_path / "demo.db").exists()
