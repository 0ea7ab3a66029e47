"""`python -m bot check` asks PROMETHEUS_URL for /api/v1/status/buildinfo: a real Prometheus
passes, one that is not there fails in one line, with its credentials never printed."""

from __future__ import annotations

from pathlib import Path

from tests.app.test_check_command import full_env, healthy, run_check
from tests.support.fake_slack import FakeSlack
from tests.support.prometheus import RunningPrometheus, free_port

__all__ = ["healthy"]  # the fixture, shared with tests/app/test_check_command.py


async def test_check_finds_a_real_prometheus(
    database_url: str, healthy: FakeSlack, prometheus: RunningPrometheus, tmp_path: Path
) -> None:
    env = full_env(
        database_url,
        healthy,
        PROMETHEUS_URL=prometheus.url,
        PROMETHEUS_USERNAME="sisyphus",
        PROMETHEUS_PASSWORD="never-printed-0123",
    )
    code, lines = await run_check(env, tmp_path)
    assert code == 0, lines
    [line] = [x for x in lines if "prometheus:" in x]
    assert line.startswith(f"[ok] prometheus: 127.0.0.1:{prometheus.url.rsplit(':', 1)[1]}")
    assert "answers: Prometheus 2." in line
    assert "never-printed" not in "\n".join(lines)


async def test_check_says_when_prometheus_is_not_there(
    database_url: str, healthy: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    env = full_env(
        database_url,
        healthy,
        PROMETHEUS_URL=f"http://127.0.0.1:{port}",
        PROMETHEUS_BEARER_TOKEN="secret-token-never-printed",
    )
    code, lines = await run_check(env, tmp_path)
    assert code == 1, lines
    assert (
        f"[FAIL] prometheus: Prometheus at 127.0.0.1:{port} is unreachable (connection refused) "
        "(GET /api/v1/status/buildinfo)"
    ) in lines
    assert "never-printed" not in "\n".join(lines)
    assert lines[-1] == "1 check(s) failed"
