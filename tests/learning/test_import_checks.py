"""`python -m bot import` run as an attacker or a careless operator would, against a running
bot: a file whose rows claim another incident, values the bot would never have stored (a
mention in a user id, `private: "yes"`, `sev9`, id -5, a two-million-character title), ids at
the end of PostgreSQL's range, and an incident re-imported with rows the database lacks.
Every problem is one line naming the record and the field, nothing is written, and nothing
imported reaches more people than its own record names."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from storage.models import ActionItem, Incident, TimelineEntry
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.followthrough.test_followthrough_http import _gate
from tests.followthrough.test_followthrough_nudges import ALWAYS, checker, checks_later, dms
from tests.learning.test_learning_bulk import cli, count, documents
from tests.support.alert_helpers import ALERT_CHANNEL, ALERT_SETTINGS, firing, incidents, post_alert
from tests.support.incident_steps import declare, polls_later, prompts_in, wait_for_prompts
from tests.support.learning_helpers import Past, seed

GATE_TOKEN = "gate-token-123456"  # 16 characters at least
DECLARED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _encode(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def record(
    number: int = 20,
    *,
    timeline: list[dict[str, Any]] | None = None,
    actions: list[dict[str, Any]] | None = None,
    prompts: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An export document (what `python -m bot export` writes for one incident), as JSON."""
    incident = Incident(
        id=number,
        title="Imported outage",
        severity="sev2",
        status="resolved",
        declared_by="U111",
        commander_id="U111",
        declared_at=DECLARED,
        resolved_at=DECLARED + timedelta(hours=1),
        updated_at=DECLARED,
    ).model_dump()
    incident.update(fields)
    return json.loads(
        json.dumps(
            {
                "format": "sisyphus.incident-record",
                "version": 1,
                "exported_at": DECLARED,
                "incident": incident,
                "timeline": timeline or [],
                "revisions": [],
                "update_prompts": prompts or [],
                "postmortem_items": [],
                "action_items": actions or [],
            },
            default=_encode,
        )
    )


def entry(number: int, incident_id: int, text: str, **fields: Any) -> dict[str, Any]:
    row = TimelineEntry(
        id=number,
        incident_id=incident_id,
        kind="note",
        author_id="U111",
        text=text,
        occurred_at=DECLARED + timedelta(minutes=number),
        recorded_at=DECLARED + timedelta(minutes=number),
    ).model_dump()
    row.update(fields)
    return json.loads(json.dumps(row, default=_encode))


def action(row_id: int, incident_id: int, **fields: Any) -> dict[str, Any]:
    row = ActionItem(
        id=row_id,
        incident_id=incident_id,
        number=min(row_id, 99),
        priority="P1",
        owner_id="U222",
        due_date=utcnow().date() - timedelta(days=1),
        text="Block config deploys without a schema check",
        created_by="U111",
        created_at=DECLARED,
    ).model_dump()
    row.update(fields)
    return json.loads(json.dumps(row, default=_encode))


def write(path: Path, *records: dict[str, Any]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def posted_text(bot: RunningBot) -> str:
    """Everything the bot asked Slack to post or update, as one string."""
    calls = [
        c
        for method in ("chat.postMessage", "chat.update", "chat.postEphemeral")
        for c in bot.fake.calls_to(method)
    ]
    return json.dumps(calls)


async def test_rows_claiming_another_incident_never_reach_it(
    start_bot: StartBot, database_url: str, tmp_path: Path
) -> None:
    """Finding 1: incident #20's key event and P0 say `incident_id: 1`, an existing private
    incident. Refused: no key event, no P0, the gate stays open, the commander is not told."""
    bot = await start_bot(**ALWAYS, deploy_gate_token=GATE_TOKEN)
    private = await seed(bot, Past("Payroll data exposed", private=True, channel_id="C900"))
    open_gate = (200, {"blocked": False, "items": []})
    assert private.id == 1 and await _gate(bot, GATE_TOKEN) == open_gate
    forged = record(
        20,
        timeline=[entry(1, 20, "ok"), entry(2, 1, "Exfiltration confirmed", key_event=True)],
        actions=[action(1, 1, priority="P0")],
    )
    path = write(tmp_path / "f.jsonl", forged)
    code, _, err = await cli("import", path, database_url=database_url)
    # What it did first (as it was seen: a key event, a P0 closing the gate, the DM), then why.
    async with bot.rt.db.session() as session:
        entries = (await session.exec(select(TimelineEntry))).all()
        actions = (await session.exec(select(ActionItem))).all()
    assert [e.text for e in entries if e.key_event] == [] and actions == []
    await checks_later(bot, 3)
    assert await _gate(bot, GATE_TOKEN) == open_gate
    assert dms(bot, "U900") == [] and dms(bot, "U111") == []
    assert code == 1, err
    lines = err.strip().splitlines()
    assert lines == [
        f"error: {tmp_path / 'f.jsonl'}: record 1 (incident #20): field `timeline[1].incident_id` "
        "is 1, not this record's incident #20: a record holds only its own rows",
        f"error: {tmp_path / 'f.jsonl'}: record 1 (incident #20): field "
        "`action_items[0].incident_id` is 1, not this record's incident #20: a record holds "
        "only its own rows",
        f"error: {tmp_path / 'f.jsonl'}: 2 problems. Nothing was imported.",
    ]
    assert await count(database_url) == 1

    # Nor may an imported incident take over its war room (the newest incident of a channel
    # gets what is said there).
    path = write(tmp_path / "f.jsonl", record(21, channel_id="C900"))
    code, _, err = await cli("import", path, database_url=database_url)
    assert code == 1 and "field `incident.channel_id` is the war room of incident #1 here" in err
    assert await count(database_url) == 1


async def test_a_mention_in_an_id_is_refused_and_never_posted(
    start_bot: StartBot, database_url: str, tmp_path: Path
) -> None:
    """Finding 2: a commander id carrying `<!channel>`, with a reminder due, and an owner id
    carrying `<!here>`, due in the digest. Refused; no ping. The same record with a real id
    is imported and its reminder comes, as if it had been declared here."""
    bot = await start_bot(**ALWAYS, action_digest_channel="CDIGEST")
    bot.fake.add_channel("CDIGEST", "action-items", bot_member=True)
    bot.fake.add_channel("C0IMPORT20", "inc-20-imported-outage", bot_member=True)
    monday = utcnow().date() - timedelta(days=utcnow().weekday())
    wednesday = datetime.combine(monday, datetime.min.time(), UTC) + timedelta(days=2, hours=8)
    checker(bot).clock = lambda: wednesday  # the digest is due

    def open_incident(commander: str, owner: str) -> dict[str, Any]:
        return record(
            20,
            status="investigating",
            resolved_at=None,
            channel_id="C0IMPORT20",
            commander_id=commander,
            next_prompt_at=(utcnow() - timedelta(minutes=5)).isoformat(),
            # Text may say `<!channel>` (people type it): it stays text wherever it goes.
            title="Orders <!channel> down",
            actions=[action(1, 20, owner_id=owner, text="Add a schema check <!here> to CI")],
        )

    path = tmp_path / "pings.jsonl"
    bad = open_incident("U1><!channel><@U1", "U2><!here>")
    code, _, err = await cli("import", write(path, bad), database_url=database_url)
    await polls_later(bot, 4)
    await checks_later(bot, 3)
    sent = posted_text(bot)
    assert "<!channel>" not in sent and "<!here>" not in sent
    assert code == 1, err
    assert (
        "record 1 (incident #20): field `incident.commander_id` is not a Slack user id (U… or W…)"
        in err
    )
    assert "record 1 (incident #20): field `action_items[0].owner_id` is not a Slack user id" in err
    assert "Traceback" not in err and await count(database_url) == 0

    # The same record, honest: imported, and it reminds as a declared incident does.
    code, _, err = await cli(
        "import", write(path, open_incident("U111", "U222")), database_url=database_url
    )
    assert code == 0 and "imported 1 incident;" in err, err
    [prompt] = await wait_for_prompts(bot, "C0IMPORT20", 1)
    assert "<@U111>" in prompt["text"] and "#20" in prompt["text"]
    assert "Orders &lt;!channel&gt; down" in json.dumps(prompt["blocks"])
    [digest] = await bot.fake.wait_for(
        lambda: [p for p in bot.fake.done("chat.postMessage") if p["channel"] == "CDIGEST"],
        what="the digest",
    )
    assert "<@U222>" in json.dumps(digest["blocks"])
    assert "Add a schema check &lt;!here&gt; to CI" in json.dumps(digest["blocks"])
    sent = posted_text(bot)
    assert "<!channel>" not in sent and "<!here>" not in sent


async def test_each_value_the_bot_would_not_store_is_named(
    start_bot: StartBot, database_url: str, tmp_path: Path
) -> None:
    """Finding 2: one line per problem, with its line and field; nothing written."""
    await start_bot()
    path = tmp_path / "values.jsonl"
    cases = [
        (record(1, private="yes"), "line 1 (incident #1): field `incident.private` must be true"),
        (
            record(2, severity="sev9"),
            "line 2 (incident #2): field `incident.severity` must be one of `sev1`, `sev2`, "
            "`sev3`, `sev4`",
        ),
        (record(3, status="pwned"), "line 3 (incident #3): field `incident.status` must be one of"),
        (record(-5), "line 4 (incident #-5): field `incident.id` must be from 1 to 500,000,000"),
        (
            record(5, title="x" * 2_000_000),
            "line 5 (incident #5): field `incident.title` is 2,000,000 characters; at most 200",
        ),
        (
            record(6, actions=[action(6, 6, owner_id="<!here>", priority="P9")]),
            "line 6 (incident #6): field `action_items[0].priority` must be one of `P0`, `P1`",
        ),
        (
            record(7, timeline=[entry(7, 7, "hi", kind="pwned", channel_id="C1|x")]),
            "line 7 (incident #7): field `timeline[0].kind` must be one of",
        ),
        (record(8, declared_at="2026-11-02T09:00:00"), "field `incident.declared_at` has no UTC"),
        (record(9, drill=1), "line 9 (incident #9): field `incident.drill` must be true or false"),
        (record(10, similar='[{"id": 1, "title": "x", "channel_id": "C1><!channel>", "date": '
         '"2026-01-01"}]'), "field `incident.similar` holds a channel that is not a Slack channel"),
        (record(11, paged="<!channel> paged"), "field `incident.paged` is not a line the paging"),
    ]  # fmt: skip
    written = write(path, *(c for c, _ in cases))
    code, _, err = await cli("import", written, database_url=database_url)
    assert code == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    for _, expected in cases:
        assert any(expected in line for line in lines), (expected, err)
    # One line each, the owner and the channel too, then the verdict; each line names the file.
    assert len(lines) == len(cases) + 3
    assert all(line.startswith(f"error: {path}: ") for line in lines)
    assert "`action_items[0].owner_id` is not a Slack user id" in err
    assert "`timeline[0].channel_id` is not a Slack channel id" in err
    assert lines[-1] == f"error: {path}: {len(cases) + 2} problems. Nothing was imported."
    assert await count(database_url) == 0


async def test_ids_leave_room_for_the_sequence(
    start_bot: StartBot, database_url: str, tmp_path: Path
) -> None:
    """Finding 3: incident 500,000,000 with rows numbered 2,000,000,000 is imported and
    declares go on after it (PostgreSQL's sequences moved past every imported id); ids nearer
    the end of the range (2^31 - 2, 2^31 - 1) are refused with a line, not a traceback."""
    bot = await start_bot()
    top, rows = 500_000_000, 2_000_000_000
    path = tmp_path / "high.jsonl"
    for number in (2**31 - 2, 2**31 - 1, top + 1):
        code, _, err = await cli("import", write(path, record(number)), database_url=database_url)
        assert code == 1 and "Traceback" not in err, err
        assert f"(incident #{number}): field `incident.id` must be from 1 to 500,000,000" in err
    for row in (2**31 - 2, rows + 1):
        code, _, err = await cli(
            "import",
            write(path, record(top, timeline=[entry(row, top, "x")])),
            database_url=database_url,
        )
        assert code == 1 and "Traceback" not in err, err
        assert "field `timeline[0].id` must be from 1 to 2,000,000,000" in err
    note = entry(rows, top, "imported note", occurred_at=DECLARED.isoformat())
    high = record(top, timeline=[note], actions=[action(rows, top)])
    code, _, err = await cli("import", write(path, high), database_url=database_url)
    assert code == 0 and "imported 1 incident;" in err, err
    channel = await declare(bot, "After the import")
    async with bot.rt.db.session() as session:
        newest = (await session.exec(select(Incident).order_by(col(Incident.id).desc()))).first()
        notes = (
            await session.exec(select(TimelineEntry).where(TimelineEntry.incident_id == top + 1))
        ).all()
    assert newest is not None and (newest.id, newest.title) == (top + 1, "After the import")
    assert newest.channel_id == channel and notes and all(n.id > rows for n in notes)


async def test_a_reimport_adds_the_rows_the_database_lacks(
    start_bot: StartBot, database_url: str, tmp_path: Path
) -> None:
    """Finding 12: an incident re-imported with more rows than the database holds gets them
    (by their natural keys), even where their ids were taken meanwhile; rows it has are kept."""
    bot = await start_bot()
    path = tmp_path / "again.jsonl"
    asked_nobody = {"id": 1, "incident_id": 20, "due_at": DECLARED.isoformat(), "mentioned": ""}
    first = record(
        20, timeline=[entry(1, 20, "first note")], actions=[action(1, 20)], prompts=[asked_nobody]
    )
    code, _, err = await cli("import", write(path, first), database_url=database_url)
    assert code == 0, err
    await declare(bot, "Meanwhile here")  # takes the next incident and entry ids
    async with bot.rt.db.session() as session:
        taken = (await session.exec(select(TimelineEntry).where(TimelineEntry.id == 2))).first()
    assert taken is not None and taken.incident_id == 21

    later = record(
        20,
        timeline=[entry(1, 20, "first note"), entry(2, 20, "second note"), entry(90, 20, "third")],
        actions=[action(1, 20), action(2, 20, text="Page on checkout 500s over 2 percent")],
    )
    code, _, err = await cli("import", write(path, later), database_url=database_url)
    assert code == 0, err
    assert err.strip() == (
        "imported 0 incidents; 1 already there, given the rows they lacked "
        "(2 timeline entries, 1 action item)"
    )
    async with bot.rt.db.session() as session:
        notes = (
            await session.exec(
                select(TimelineEntry)
                .where(TimelineEntry.incident_id == 20)
                .order_by(col(TimelineEntry.occurred_at))
            )
        ).all()
        items = (await session.exec(select(ActionItem).where(ActionItem.incident_id == 20))).all()
    assert [n.text for n in notes] == ["first note", "second note", "third"]
    assert notes[0].id == 1 and notes[1].id not in (1, 2) and notes[2].id == 90
    assert sorted(i.number for i in items) == [1, 2]

    code, _, err = await cli("import", str(path), database_url=database_url)
    assert code == 0 and err.strip() == "imported 0 incidents; 1 already there, left as they were"
    code, out, _ = await cli("export", database_url=database_url)
    [exported, _declared] = documents(out)
    assert [e["text"] for e in exported["timeline"]] == ["first note", "second note", "third"]
    await declare(bot, "And after")  # the sequences are past the rows added


async def test_an_open_incident_moved_keeps_its_reminders_and_declares_go_on(
    start_bot: StartBot, database_url: str, tmp_path: Path
) -> None:
    """Declared on the SQLite default, exported, imported into this test's database: its
    reminders go on there, and so do declares, a person's and an alert's."""
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    old = await start_bot(database_url=source, update_interval_seconds=2)
    channel = await declare(old, "Still burning")
    await wait_for_prompts(old, channel, 1)
    await old.stop()
    before = len(prompts_in(old, channel))
    moved = tmp_path / "move.jsonl"
    code, _, err = await cli("export", "--out", str(moved), database_url=source)
    assert code == 0, err
    code, _, err = await cli("import", str(moved), database_url=database_url)
    assert code == 0 and "imported 1 incident;" in err, err

    bot = await start_bot(update_interval_seconds=2, **ALERT_SETTINGS)
    bot.fake.add_channel(ALERT_CHANNEL, "alerts")
    prompts = await wait_for_prompts(bot, channel, before + 1)
    assert "incident #1" in prompts[-1]["text"]
    await declare(bot, "A new one")
    status, _ = await post_alert(bot, firing())
    assert status == 200
    found: list[Incident] = []
    for _ in range(200):
        found = await incidents(bot)
        if len(found) == 3:
            break
        await asyncio.sleep(0.05)
    assert [(i.id, i.commander_id) for i in found] == [(1, "U111"), (2, "U111"), (3, "")]
