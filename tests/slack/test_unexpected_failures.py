"""Buttons and forms answer even when something fails that nobody foresaw.

The failure is real: a database trigger makes one write fail with an error that is not an
outage (a bug, a constraint), and the person who pressed the button or sent the form is
told so instead of hearing nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text, update

from storage.models.incidents import Incident
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.postmortem.test_postmortem_modal import open_modal, select_, text_
from tests.support.incident_steps import (
    click,
    declare,
    posts_in,
    prompt_rows,
    sent_prompt_rows,
    update_form,
    wait_for_prompts,
)
from tests.support.slack_requests import view_submission
from tests.support.timeline_helpers import declare_here

FAILED = "failed unexpectedly. It has been logged; please try again."


async def break_inserts(bot: RunningBot, table: str, kind: str | None = None) -> None:
    """Make inserts into `table` (of rows of `kind`, if given) fail from now on."""
    async with bot.rt.db.session() as session:
        if bot.rt.db.is_sqlite:
            when = f"WHEN NEW.kind = '{kind}'" if kind else ""
            await session.exec(
                text(
                    f"CREATE TRIGGER broken_{table} BEFORE INSERT ON {table} {when} "
                    "BEGIN SELECT RAISE(ABORT, 'broken for the test'); END"
                )
            )
            return
        await session.exec(
            text(
                "CREATE OR REPLACE FUNCTION broken() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'broken for the test'; END $$"
            )
        )
        when = f"WHEN (NEW.kind = '{kind}')" if kind else ""
        await session.exec(
            text(
                f"CREATE TRIGGER broken_{table} BEFORE INSERT ON {table} FOR EACH ROW {when} "
                "EXECUTE FUNCTION broken()"
            )
        )


async def test_declare_form(bot: RunningBot) -> None:
    await bot.slack.command("declare", channel_id="C111", trigger_id="1.2.a")
    [opened] = await bot.fake.wait_for_call("views.open")
    await break_inserts(bot, "incident")
    values = {
        "title": {"value": {"type": "plain_text_input", "value": "Login broken"}},
        "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev1"}}},
    }
    form = view_submission(
        "declare_incident", values, private_metadata=opened["view"]["private_metadata"]
    )
    assert (await bot.slack.interaction(form)).status == 200
    [told] = await bot.fake.wait_for_call("chat.postEphemeral")
    assert told["user"] == "U111" and f"Declaring the incident {FAILED}" in told["text"]


async def test_update_form(bot: RunningBot) -> None:
    channel = await declare(bot)
    card = posts_in(bot, channel)[0]
    await bot.slack.interaction(click(bot, card, "post_status_update", "U222", channel))
    [opened] = await bot.fake.wait_for_call("views.open")
    await break_inserts(bot, "timeline_entry", "status_update")
    await bot.slack.interaction(update_form(opened["view"], "U222", known="DB is down"))
    [told] = await bot.fake.wait_for(
        lambda: [p for p in bot.fake.calls_to("chat.postMessage") if p["channel"] == "U222"],
        what="a DM to U222",
    )
    assert f"Posting your update {FAILED}" in told["text"]


async def test_postmortem_form(bot: RunningBot) -> None:
    await declare_here(bot)
    view = await open_modal(bot)
    await break_inserts(bot, "postmortem_item")
    values = {"kind": select_("lesson"), "text": text_("Config is code")}
    form = view_submission("postmortem_add", values, private_metadata=view["private_metadata"])
    assert (await bot.slack.interaction(form)).status == 200
    [told] = await bot.fake.wait_for_call("chat.postEphemeral")
    assert told["user"] == "U111" and f"Adding to the postmortem {FAILED}" in told["text"]


async def test_snooze_button(start_bot: StartBot) -> None:
    bot = await start_bot(update_interval_seconds=1)
    channel = await declare(bot)
    [first] = await wait_for_prompts(bot, channel, 1)
    await break_inserts(bot, "timeline_entry", "snooze")
    await bot.slack.interaction(click(bot, first, "snooze_update_prompt", "U333", channel))
    [told] = await bot.fake.wait_for_call("chat.postEphemeral")
    assert told["user"] == "U333" and f"Snoozing the reminder {FAILED}" in told["text"]


async def test_one_failing_prompt_does_not_unrecord_the_others(start_bot: StartBot) -> None:
    """Two prompts due together; one cannot be posted nor given back (storage fails): the
    other, posted, is still recorded as sent."""
    bot = await start_bot()
    failing, fine = await declare(bot, "Checkout down"), await declare(bot, "Search slow")
    async with bot.rt.db.session() as session:  # both due together, in one batch
        await session.exec(update(Incident).values(next_prompt_at=utcnow() + timedelta(seconds=3)))
    give_back = "NEW.id = 1 AND NEW.next_prompt_at < OLD.next_prompt_at"
    async with bot.rt.db.session() as session:
        if bot.rt.db.is_sqlite:
            await session.exec(
                text(
                    f"CREATE TRIGGER broken_give_back BEFORE UPDATE ON incident WHEN {give_back} "
                    "BEGIN SELECT RAISE(ABORT, 'broken for the test'); END"
                )
            )
        else:
            await session.exec(
                text(
                    "CREATE OR REPLACE FUNCTION broken() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'broken for the test'; END $$"
                )
            )
            await session.exec(
                text(
                    "CREATE TRIGGER broken_give_back BEFORE UPDATE ON incident FOR EACH ROW "
                    f"WHEN ({give_back}) EXECUTE FUNCTION broken()"
                )
            )
    bot.fake.fail("chat.postMessage", status=500, times=3, channel=failing)  # and the retries
    await wait_for_prompts(bot, fine, 1)
    await sent_prompt_rows(bot, 1)
    rows = {r.incident_id: r for r in await prompt_rows(bot)}
    assert rows[2].sent_at is not None and rows[2].message_ts
    assert rows[1].sent_at is None
