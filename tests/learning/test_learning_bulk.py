"""`python -m bot export` and `python -m bot import`, run as real processes: the SQLite to
PostgreSQL round trip gives back the same document, a second import changes nothing, a bad file
is named and changes nothing, and the progress bar shows on a terminal only."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import pty
import stat
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.learning.bulk_import import ImportProblem, parse_record, read_documents
from storage import Database
from storage.models.cadence import UpdatePrompt
from storage.models.incidents import Incident
from storage.models.timeline import TimelineEntry
from storage.types import utcnow
from tests.conftest import StartBot
from tests.support.incident_steps import declare
from tests.support.learning_helpers import Past, command, seed
from tests.support.postmortem_helpers import ask, build_record, uploaded
from tests.support.process import ROOT


async def cli(
    *args: str, database_url: str, tty: bool = False, cwd: Path | None = None
) -> tuple[int, str, str]:
    """Run `python -m bot <args>`; (exit code, stdout, stderr). With `tty`, stderr is a
    terminal (a pty)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(DATABASE_URL=database_url, PYTHONPATH=str(ROOT))
    if tty:
        leader, follower = pty.openpty()
        stderr: int = follower
    else:
        stderr = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        stdout=asyncio.subprocess.PIPE, stderr=stderr, env=env, cwd=cwd or ROOT,
    )  # fmt: skip
    if tty:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = await asyncio.to_thread(os.read, leader, 65536)
            except OSError:  # the pty closes when the process ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        out = await process.stdout.read()  # type: ignore[union-attr]
        await process.wait()
        return process.returncode or 0, out.decode(), b"".join(chunks).decode(errors="replace")
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


def documents(text: str) -> list[dict]:
    """The records of an export, without the moment each was exported."""
    out = []
    for line in text.splitlines():
        document = json.loads(line)
        document.pop("exported_at")
        out.append(document)
    return out


async def count(database_url: str, model: type = Incident) -> int:
    db = Database(database_url)
    try:
        async with db.session() as session:
            return int((await session.exec(select(func.count()).select_from(model))).one())
    finally:
        await db.dispose()


@pytest.mark.slow  # several `python -m bot` processes
async def test_sqlite_to_database_url_round_trip(
    start_bot: StartBot, database_url: str, tmp_path: Path
) -> None:
    """From the SQLite default into this test's database (PostgreSQL, and SQLite)."""
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    old = await start_bot(database_url=source)
    await seed(bot=old, past=Past("Orders slow", tags="database", channel_id="C900"))
    await seed(bot=old, past=Past("Game day", drill=True, channel_id="C901"))
    await build_record(old)
    async with old.rt.db.session() as session:
        session.add(UpdatePrompt(incident_id=3, due_at=utcnow(), mentioned="U111"))
    assert (await ask(old, "export json")).startswith(":floppy_disk:")
    single = json.loads(await uploaded(old, "incident-3-record.json"))
    single.pop("exported_at")
    await old.stop()

    first = tmp_path / "export.jsonl"
    code, out, err = await cli("export", "--out", str(first), database_url=source)
    assert (code, out) == (0, "") and err.strip() == f"exported 3 incidents to {first}"
    assert "%|" not in err and "\r" not in err  # no progress bar when stderr is not a terminal
    exported = documents(first.read_text())
    assert [d["incident"]["title"] for d in exported] == [
        "Orders slow", "Game day", "Checkout returns 500s"
    ]  # fmt: skip
    assert exported[2]["format"] == "sisyphus.incident-record" and len(exported[2]["timeline"]) > 10
    assert exported[2] == single  # the same document as /postmortem export json

    code, _, err = await cli("import", str(first), database_url=database_url)
    assert code == 0 and "imported 3 incidents; 0 already there" in err
    code, _, err = await cli("import", str(first), database_url=database_url)
    assert code == 0 and "imported 0 incidents; 3 already there, left as they were" in err
    assert await count(database_url) == 3

    code, again, _ = await cli("export", database_url=database_url)
    assert code == 0 and documents(again) == exported

    # The imported record is a working database: searchable, and new incidents number on.
    bot = await start_bot()
    assert "#3 Checkout returns 500s" in (await command(bot, "search rollback"))["text"]
    await declare(bot, "After the move")
    async with bot.rt.db.session() as session:
        newest = (await session.exec(select(Incident).order_by(Incident.id.desc()))).first()
    assert newest is not None and newest.id == 4 and newest.title == "After the move"


def read_fifo(path: Path, seconds: float = 60) -> str:
    """Everything written into a named pipe, without blocking forever if no writer comes."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    chunks, connected, end = [], False, time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:  # a writer is there, with nothing yet
                connected = True
                time.sleep(0.01)
                continue
            if chunk:
                chunks.append(chunk)
                connected = True
            elif connected:
                break  # the writer closed it
            else:
                time.sleep(0.01)  # no writer yet
    finally:
        os.close(fd)
    return b"".join(chunks).decode()


async def test_export_into_a_pipe_and_into_places_it_cannot_write(
    start_bot: StartBot, database_url: str, tmp_path: Path
) -> None:
    bot = await start_bot()
    await seed(bot, Past("Orders slow", channel_id="C900"))
    # A named pipe (or a device) is written as the export goes and stays what it was: it was
    # once replaced by a regular file, as the export of a regular file is renamed into place.
    here = tmp_path / "exports"  # (the SQLite database is in tmp_path)
    here.mkdir()
    fifo = here / "export.fifo"
    os.mkfifo(fifo)
    reading = asyncio.create_task(asyncio.to_thread(read_fifo, fifo))
    code, _, err = await cli("export", "--out", str(fifo), database_url=database_url)
    assert code == 0 and err.strip() == f"exported 1 incident to {fifo}", err
    assert [d["incident"]["title"] for d in documents(await reading)] == ["Orders slow"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)

    # Places it cannot write: one line saying why, no traceback, nothing left behind.
    missing = here / "missing" / "x.jsonl"
    for out, reason in ((missing, "No such file or directory"), (here, "Is a directory")):
        code, _, err = await cli("export", "--out", str(out), database_url=database_url)
        assert (code, err.strip()) == (
            1, f"error: could not write {out}: {reason}. Nothing was written."
        )  # fmt: skip
    assert [p.name for p in here.iterdir()] == ["export.fifo"]
    code, _, err = await cli("import", str(here), database_url=database_url)
    assert (code, err.strip()) == (1, f"error: {here}: Is a directory")


async def test_csv_has_one_row_per_incident_with_its_metrics(
    start_bot: StartBot, database_url: str
) -> None:
    bot = await start_bot()
    await build_record(bot)
    await seed(bot, Past("=cmd|' /C calc'!A0", channel_id="C900"))
    code, out, _ = await cli("export", "--format", "csv", database_url=database_url)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["time_to_resolve_s"] == "5400" and rows[0]["time_to_mitigate_s"] == "1800"
    assert rows[0]["status_updates"] == "2" and rows[0]["contributing_factors"] == "2"
    assert rows[0]["action_items"] == "2" and rows[0]["action_items_open"] == "2"
    assert rows[1]["title"].startswith("'=")  # not a spreadsheet formula
    later = ("--since", "2099-01-01")
    code, out, _ = await cli("export", "--format", "csv", *later, database_url=database_url)
    assert code == 0 and out.strip() == ",".join(next(csv.reader(io.StringIO(out))))


@pytest.mark.slow  # several `python -m bot import` processes
async def test_a_bad_file_is_named_and_nothing_is_imported(
    start_bot: StartBot, database_url: str, tmp_path: Path
) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    old = await start_bot(database_url=source)
    await seed(old, Past("First", channel_id="C900"))
    await seed(old, Past("Second", channel_id="C901", notes=["a note"]))
    await old.stop()
    code, out, _ = await cli("export", database_url=source)
    good, second = out.splitlines()
    bot = await start_bot()  # the target database, empty

    def broken(change) -> str:
        document = json.loads(second)
        change(document)
        return json.dumps(document)

    cases = [
        (
            broken(lambda d: d["timeline"][0].update(occurred_at="2026-10-01T12:01:00")),
            "line 2 (incident #2): field `timeline[0].occurred_at` has no UTC offset",
        ),
        (
            broken(lambda d: d["timeline"][0].update(occurred_at="yesterday")),
            "line 2 (incident #2): field `timeline[0].occurred_at` is not a time (ISO 8601",
        ),
        (
            broken(lambda d: d["incident"].pop("title")),
            "line 2 (incident #2): field `incident.title`",
        ),
        (broken(lambda d: d["timeline"][0].pop("id")), "field `timeline[0].id` is missing"),
        (broken(lambda d: d.update(version=7)), "line 2 (incident #2): field `version` is 7"),
        (broken(lambda d: d.update(timeline=None)), "field `timeline` is missing or not"),
        ("{not json", "line 2: not JSON"),
        ("[1, 2]", "line 2: not a Sisyphus incident record"),
        ("[" * 100_000 + "]" * 100_000, "line 2: JSON nested too deeply"),
    ]
    for bad, expected in cases:
        with pytest.raises(ImportProblem) as problem:
            for where, raw in read_documents(io.StringIO(good + "\n" + bad + "\n")):
                parse_record(where, raw)
        assert expected in str(problem.value)

    # As the command says it: the record and the field named, nothing imported.
    path = tmp_path / "bad.jsonl"
    path.write_text(good + "\n" + cases[0][0] + "\n")
    code, _, err = await cli("import", str(path), database_url=database_url)
    assert code == 1 and cases[0][1] in err and "Nothing was imported." in err, err
    assert await count(database_url) == 0 and await count(database_url, TimelineEntry) == 0

    # A different incident under the same number: refused, and the other record is not kept.
    await seed(bot, Past("Someone else's incident"))
    path.write_text(second + "\n" + good + "\n")
    code, _, err = await cli("import", str(path), database_url=database_url)
    assert code == 1 and "line 2 (incident #1): the database already has a different" in err
    assert await count(database_url) == 1

    code, _, err = await cli("import", str(tmp_path / "missing.jsonl"), database_url=database_url)
    assert code == 1 and "no such file" in err
    code, _, err = await cli("export", "--since", "last week", database_url=database_url)
    assert code == 2 and "'last week' is not a date (YYYY-MM-DD)" in err


async def test_a_progress_bar_on_a_terminal(start_bot: StartBot, database_url: str) -> None:
    bot = await start_bot()
    for n in range(3):
        await seed(bot, Past(f"Incident {n}"))
    code, out, err = await cli("export", database_url=database_url, tty=True)
    assert code == 0 and len(out.splitlines()) == 3
    assert "export: 100%" in err and "3/3" in err
