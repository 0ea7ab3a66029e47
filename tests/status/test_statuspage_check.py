"""`python -m bot check` reads the Statuspage page (`GET /v1/pages/{page_id}`): a key that
works passes in one line naming the page; a refused key fails in one line saying what to do,
with the key never printed; STATUSPAGE_API_KEY without STATUSPAGE_PAGE_ID is a settings
problem."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.app.test_check_command import full_env, healthy, run_check
from tests.support.fake_slack import FakeSlack
from tests.support.fake_statuspage import FakeStatuspage

__all__ = ["healthy"]  # the fixture, shared with tests/app/test_check_command.py


@pytest.fixture
async def statuspage() -> AsyncIterator[FakeStatuspage]:
    fake = FakeStatuspage()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def _env(database_url: str, slack: FakeSlack, fake: FakeStatuspage, key: str) -> dict[str, str]:
    return full_env(
        database_url,
        slack,
        STATUSPAGE_API_KEY=key,
        STATUSPAGE_PAGE_ID=fake.page_id,
        STATUSPAGE_API_URL=fake.url,
    )


async def test_check_reads_the_statuspage_page(
    database_url: str, healthy: FakeSlack, statuspage: FakeStatuspage, tmp_path: Path
) -> None:
    env = _env(database_url, healthy, statuspage, statuspage.api_key)
    code, lines = await run_check(env, tmp_path)
    assert code == 0, lines
    [line] = [x for x in lines if "statuspage:" in x]
    assert line == f"[ok] statuspage: page 'Example Inc.' ({statuspage.page_id}) answers"
    assert statuspage.api_key not in "\n".join(lines)


async def test_check_says_a_refused_key_without_printing_it(
    database_url: str, healthy: FakeSlack, statuspage: FakeStatuspage, tmp_path: Path
) -> None:
    env = _env(database_url, healthy, statuspage, "sp-key-revoked-never-printed")
    code, lines = await run_check(env, tmp_path)
    assert code == 1, lines
    [line] = [x for x in lines if "statuspage:" in x]
    assert line.startswith(
        "[FAIL] statuspage: STATUSPAGE_API_KEY was refused (HTTP 401: Could not authenticate)"
    )
    assert "never-printed" not in "\n".join(lines)


async def test_a_key_without_a_page_id_is_a_settings_problem(
    database_url: str, healthy: FakeSlack, tmp_path: Path
) -> None:
    env = full_env(database_url, healthy, STATUSPAGE_API_KEY="sp-key-alone-never-printed")
    code, lines = await run_check(env, tmp_path)
    assert code == 1, lines
    assert (
        "[FAIL] settings: STATUSPAGE_PAGE_ID is required with STATUSPAGE_API_KEY "
        "(or unset both: no sync)"
    ) in lines
    assert "never-printed" not in "\n".join(lines)
