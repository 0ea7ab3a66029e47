"""Each publication is posted to STATUS_PAGE_CHANNEL (public words only, escaped) and, with
STATUS_EXPORT_DIR set, rewritten into that folder; the folder, and `python -m bot status
export <folder>`, hold byte for byte what the server answers over HTTP."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp

from tests.conftest import RunningBot, StartBot
from tests.status.helpers import JSON_DOCS, get_json, publish, start_with_page
from tests.support.incident_steps import declare, run

SHARED = "C0SHARED1"
TITLE = "Login <failing> & slow"
BODY = "Some sign-ins fail <@U111> <!channel>.\nWe are on it & rolling back."
ROOT = Path(__file__).resolve().parents[2]


async def _raw(bot: RunningBot, path: str) -> bytes:
    async with aiohttp.ClientSession() as session:
        async with session.get(bot.url + path) as resp:
            assert resp.status == 200, path
            return await resp.read()


async def _served(bot: RunningBot) -> dict[str, bytes]:
    """What the server answers at each path, by the file the export writes it to."""
    [public] = (await get_json(bot, "incidents.json"))["incidents"]
    paths = {
        "index.html": "/status",
        "feed.atom": "/status/feed.atom",
        f"incidents/{public['id']}/index.html": f"/status/incidents/{public['id']}",
        "static/local-times.js": "/status/static/local-times.js",
    }
    paths |= {f"api/v2/{n}": f"/status/api/v2/{n}" for n in JSON_DOCS}
    for name in ("scheduled-maintenances.json", "scheduled-maintenances/upcoming.json"):
        paths[f"api/v2/{name}"] = f"/status/api/v2/{name}"
    return {file: await _raw(bot, path) for file, path in paths.items()}


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


async def test_publication_is_posted_and_exported_identically(
    start_bot: StartBot, tmp_path: Path
) -> None:
    folder = tmp_path / "site" / "status"
    bot = await start_with_page(
        start_bot, tmp_path, status_page_channel=SHARED, status_export_dir=str(folder)
    )
    bot.fake.add_channel(SHARED, "customers", bot_member=True)
    channel = await declare(bot, "Auth db-3 internal meltdown")
    await run(bot, "note the db-3 replica lag is 40 min, ask Carol", channel)
    await publish(
        bot, channel, title=TITLE, body=BODY, status="identified", states={"API": "major_outage"}
    )
    [posted] = [c for c in bot.fake.calls_to("chat.postMessage") if c.get("channel") == SHARED]
    text = posted["blocks"][0]["text"]["text"]
    assert "*Login &lt;failing&gt; &amp; slow*: Identified" in text
    assert "&lt;@U111&gt; &lt;!channel&gt;" in text and "<!channel>" not in text
    assert "API: major outage" in text and "/status/incidents/" in text
    assert "db-3" not in str(posted) and "Carol" not in str(posted)

    served = await _served(bot)
    exported = _files(folder)
    assert set(served) <= set(exported)
    for name, body in served.items():
        assert exported[name] == body, name
    assert [p.name for p in folder.parent.iterdir()] == ["status"], "no temporary folder left"

    # A second publication rewrites the folder whole.
    await publish(
        bot, channel, title=TITLE, body="Fixed.", status="monitoring", states={"API": "operational"}
    )
    served = await _served(bot)
    exported = _files(folder)
    for name, body in served.items():
        assert exported[name] == body, name
    assert b"Fixed." in exported["index.html"]
    assert len([c for c in bot.fake.calls_to("chat.postMessage") if c["channel"] == SHARED]) == 2

    # `python -m bot status export <folder>`: the same bytes, from another process.
    other = tmp_path / "cli-export"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STATUS_"))} | {
        "DATABASE_URL": bot.rt.settings.database_url,
        "CONFIG_FILE": str(tmp_path / "sisyphus.yml"),
        "WEB_BASE_URL": bot.rt.settings.web_base_url or "",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "status", "export", str(other),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert b"exported" in err
    assert _files(other) == exported
    # Nothing internal in any file.
    for body in exported.values():
        for internal in (b"db-3", b"Carol", b"meltdown", b'U111"', channel.encode()):
            assert internal not in body


async def test_export_without_a_page_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")} | {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        "CONFIG_FILE": "",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "status", "export", str(tmp_path / "out"),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert "no status_page section" in err.decode()
    assert not (tmp_path / "out").exists()


async def test_the_postmortem_draft_lists_what_was_said_publicly(
    start_bot: StartBot, tmp_path: Path
) -> None:
    from tests.support.postmortem_helpers import uploaded

    bot = await start_with_page(start_bot, tmp_path)
    channel = await declare(bot)
    await publish(
        bot, channel, title="Slow *logins*", body="Logins are slow.", status="investigating",
        states={"API": "degraded_performance"},
    )  # fmt: skip
    await publish(
        bot, channel, title="Slow *logins*", body="Fixed, watching.", status="monitoring",
        states={"API": "operational"},
    )  # fmt: skip
    await run(bot, "draft", channel, command="/postmortem")
    doc = await uploaded(bot, "postmortem-incident-1.md", timeout=30)
    said = doc.split("### Said publicly", 1)[1]
    assert "“Slow *logins*”" in said and "2 publications, oldest first" in said
    first, second = said.index("Logins are slow."), said.index("Fixed, watching.")
    assert first < second
    assert "Investigating (API: degraded performance): Logins are slow." in said
    assert "Monitoring (API: operational): Fixed, watching." in said
    assert doc.index("## 2. Timeline") < doc.index("### Said publicly") < doc.index("## 3.")
