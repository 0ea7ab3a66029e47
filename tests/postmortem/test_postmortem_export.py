"""`/postmortem export json`: the whole record as a file that parses back to the same record."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from bot.postmortem.export import record_from_json
from storage.models.cadence import UpdatePrompt
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem, PostmortemItem
from storage.models.timeline import TimelineEntry, TimelineRevision
from storage.types import utcnow
from tests.conftest import RunningBot
from tests.support.postmortem_helpers import LONG_TEXT, ask, build_record, uploaded


async def rows(bot: RunningBot, model: type, *order: object) -> list:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(model).order_by(*order))).all())


def dumps(models: list) -> list[dict]:
    return [m.model_dump() for m in models]


async def test_export_parses_back_to_the_same_record(bot: RunningBot) -> None:
    incident = await build_record(bot)
    async with bot.rt.db.session() as session:
        session.add(UpdatePrompt(incident_id=incident.id, due_at=utcnow(), mentioned="U111"))
    answer = await ask(bot, "export json")
    assert answer.startswith(":floppy_disk: The record of incident #1 as JSON: https://")
    text = await uploaded(bot, "incident-1-record.json")
    upload = bot.fake.calls_to("files.completeUploadExternal")[-1]
    assert upload["channel_id"] == "C111"

    document = json.loads(text)
    assert document["format"] == "sisyphus.incident-record" and document["version"] == 1
    assert document["incident"]["title"] == "Checkout returns 500s"
    assert document["incident"]["status"] == "resolved"
    texts = [e["text"] for e in document["timeline"]]
    assert LONG_TEXT in texts and "Error rate at 12 percent" in texts
    [deleted] = [e for e in document["timeline"] if e["deleted_at"]]
    assert deleted["text"] == "" and deleted["deleted_by"] == "U333"
    assert [r["text"] for r in document["revisions"]] == ["Error rate at 2 percent"]
    assert len(document["action_items"]) == 2 and len(document["update_prompts"]) == 1

    parsed = record_from_json(text)
    [db_incident] = await rows(bot, Incident, Incident.id)
    assert parsed.incident.model_dump() == db_incident.model_dump()
    entries = await rows(bot, TimelineEntry, col(TimelineEntry.occurred_at), TimelineEntry.id)
    assert len(entries) == 13
    assert dumps(parsed.timeline) == dumps(entries)
    assert dumps(parsed.revisions) == dumps(await rows(bot, TimelineRevision, TimelineRevision.id))
    assert dumps(parsed.update_prompts) == dumps(await rows(bot, UpdatePrompt, UpdatePrompt.id))
    assert dumps(parsed.postmortem_items) == dumps(
        await rows(bot, PostmortemItem, PostmortemItem.id)
    )
    assert dumps(parsed.action_items) == dumps(await rows(bot, ActionItem, ActionItem.number))
    assert parsed.incident.declared_at.utcoffset().total_seconds() == 0


def test_a_foreign_document_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Sisyphus incident record"):
        record_from_json(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="unsupported record version"):
        record_from_json(json.dumps({"format": "sisyphus.incident-record", "version": 9}))


async def test_export_failure_is_explained(bot: RunningBot) -> None:
    await build_record(bot)
    bot.fake.fail("files.getUploadURLExternal", error="not_in_channel")
    answer = await ask(bot, "export json")
    assert "I could not upload the export (Slack answered `not_in_channel`)" in answer
