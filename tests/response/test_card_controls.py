"""The card's controls, driven as Slack sends them: block_actions for the selects and buttons,
view_submission for the resolve form. Same rules as the commands; the card follows each change."""

from __future__ import annotations

import json

from bot.slack.permissions import ACTIONS, Audience, refusal
from tests.conftest import BROADCAST, RunningBot
from tests.support.incident_steps import declare, entries, incident, posts_in
from tests.support.process_helpers import (
    check_block_kit,
    current_card,
    ephemerals_to,
    initial,
    pick_user,
    press,
    select,
)
from tests.support.slack_requests import view_submission


async def _card_changed(bot: RunningBot, channel: str, action_id: str, value: str) -> None:
    await bot.fake.wait_for(
        lambda: initial(current_card(bot, channel), action_id) == value,
        what=f"the card's {action_id} showing {value}",
    )


async def test_the_card_has_every_control_within_block_kit_limits(bot: RunningBot) -> None:
    channel = await declare(bot)
    blocks = current_card(bot, channel)
    check_block_kit(blocks)
    ids = {e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert ids == {
        "card_status",
        "card_severity",
        "take_command",
        "card_communicator",
        "post_status_update",
        "card_resolve",
    }
    assert initial(blocks, "card_status") == "investigating"
    assert initial(blocks, "card_severity") == "sev2"


async def test_status_and_severity_from_the_card(bot: RunningBot) -> None:
    channel = await declare(bot)
    resp = await bot.slack.interaction(select(bot, channel, "card_status", "identified"))
    assert resp.status == 200
    await _card_changed(bot, channel, "card_status", "identified")
    assert (await incident(bot)).status == "identified"
    assert "| identified |" in bot.fake.channels[channel].topic
    await bot.fake.wait_for(
        lambda: any("set the status to *identified*" in p["text"] for p in posts_in(bot, channel)),
        what="the change said in the war room",
    )
    [entry] = await entries(bot, "status_change")
    assert entry.text == "<@U111> changed the status from investigating to identified"

    await bot.slack.interaction(select(bot, channel, "card_severity", "sev1"))
    await _card_changed(bot, channel, "card_severity", "sev1")
    assert (await incident(bot)).severity == "sev1"
    [sev] = await entries(bot, "severity_change")
    assert "from SEV2 to SEV1" in sev.text
    check_block_kit(current_card(bot, channel))


async def test_take_command_and_communicator_from_the_card(bot: RunningBot) -> None:
    channel = await declare(bot)
    await bot.slack.interaction(press(bot, channel, "take_command", user="U222"))
    await bot.fake.wait_for(
        lambda: "Commander*\\n<@U222>" in json.dumps(current_card(bot, channel)),
        what="U222 as commander on the card",
    )
    assert (await incident(bot)).commander_id == "U222"
    await bot.fake.wait_for(
        lambda: any("made <@U222> the *commander*" in p["text"] for p in posts_in(bot, channel)),
        what="the change said in the war room",
    )

    await bot.slack.interaction(pick_user(bot, channel, "U333", user="U222"))
    await _card_changed(bot, channel, "card_communicator", "U333")
    assert (await incident(bot)).communicator_id == "U333"
    invited = [c["users"] for c in bot.fake.calls_to("conversations.invite")]
    assert "U333" in invited
    texts = [e.text for e in await entries(bot, "role_change")]
    assert texts == [
        "<@U222> made commander: <@U222> (was <@U111>)",
        "<@U222> made communicator: <@U333>",
    ]

    # Taking command you already hold is refused privately, as the command refuses it.
    await bot.slack.interaction(press(bot, channel, "take_command", user="U222"))
    [told] = await ephemerals_to(bot, "U222")
    assert "already the commander" in told["text"]


# What a guest is told when a card control would change the incident (the permission table's).
GUEST_REFUSAL = refusal(ACTIONS["change"], Audience.GUEST)


async def test_guests_are_refused_and_the_card_shows_the_real_state(bot: RunningBot) -> None:
    channel = await declare(bot)
    bot.fake.add_user("UGUEST", is_restricted=True)
    updates_before = len(bot.fake.calls_to("chat.update"))
    await bot.slack.interaction(select(bot, channel, "card_status", "mitigated", user="UGUEST"))
    [told] = await ephemerals_to(bot, "UGUEST")
    assert told["text"] == GUEST_REFUSAL
    await bot.fake.wait_for(
        lambda: len(bot.fake.calls_to("chat.update")) > updates_before, what="the card redrawn"
    )
    assert initial(current_card(bot, channel), "card_status") == "investigating"
    for payload in (
        select(bot, channel, "card_severity", "sev1", user="UGUEST"),
        press(bot, channel, "take_command", user="UGUEST"),
        pick_user(bot, channel, "UGUEST", user="UGUEST"),
        press(bot, channel, "card_resolve", user="UGUEST"),
    ):
        await bot.slack.interaction(payload)
    refusals = await ephemerals_to(bot, "UGUEST", 5)
    assert all(r["text"] == GUEST_REFUSAL for r in refusals)
    found = await incident(bot)
    assert (found.status, found.severity, found.commander_id, found.communicator_id) == (
        "investigating",
        "sev2",
        "U111",
        None,
    )
    assert bot.fake.calls_to("views.open") == []
    assert await entries(bot, "status_change") == []


async def test_resolve_from_the_card_with_a_verification(bot: RunningBot) -> None:
    channel = await declare(bot)
    await bot.slack.interaction(press(bot, channel, "card_resolve"))
    [opened] = await bot.fake.wait_for_call("views.open")
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert view["callback_id"] == "resolve_incident"
    check_block_kit(view["blocks"], limit=100)
    form = view_submission(
        "resolve_incident",
        {
            "summary": {"value": {"type": "plain_text_input", "value": "Rolled back <deploy>"}},
            "verification": {
                "value": {"type": "plain_text_input", "value": "5xx under 0.1% for 30 minutes"}
            },
        },
        private_metadata=view["private_metadata"],
    )
    resp = await bot.slack.interaction(form)
    assert resp.status == 200
    await bot.fake.wait_for(
        lambda: any("All clear" in json.dumps(p.get("blocks")) for p in posts_in(bot, BROADCAST)),
        what="the all-clear",
    )
    resolved = await incident(bot)
    assert resolved.status == "resolved"
    assert resolved.resolution_summary == "Rolled back <deploy>"
    [verified] = await entries(bot, "verification")
    assert verified.text == "<@U111> verified the fix: 5xx under 0.1% for 30 minutes"
    all_clear = json.dumps(posts_in(bot, channel)[-1]["blocks"])
    assert "Rolled back &lt;deploy&gt;" in all_clear and "Not yet verified" not in all_clear
    await bot.fake.wait_for(
        lambda: "card_resolve" not in json.dumps(current_card(bot, channel)), what="card resolved"
    )
    card = current_card(bot, channel)
    assert "5xx under 0.1% for 30 minutes" in json.dumps(card)
    # The form again on a resolved incident: refused privately, nothing changes. (A new
    # submission: the very same signed request again would be a replay, answered once.)
    await bot.slack.interaction({**form, "trigger_id": "trigger-resubmitted"})
    [told] = await ephemerals_to(bot, "U111")
    assert "already resolved" in told["text"]


async def test_a_guest_submitting_the_resolve_form_is_refused(bot: RunningBot) -> None:
    channel = await declare(bot)
    await bot.slack.interaction(press(bot, channel, "card_resolve"))
    [opened] = await bot.fake.wait_for_call("views.open")
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    bot.fake.add_user("UGUEST", is_restricted=True)
    form = view_submission(
        "resolve_incident",
        {"summary": {"value": {"type": "plain_text_input", "value": "done"}}},
        user_id="UGUEST",
        private_metadata=view["private_metadata"],
    )
    assert (await bot.slack.interaction(form)).status == 200
    [told] = await ephemerals_to(bot, "UGUEST")
    assert told["text"] == GUEST_REFUSAL
    assert (await incident(bot)).status == "investigating"


def test_a_full_card_stays_within_block_kit_limits() -> None:
    from bot.response.card import CardFacts, card_blocks
    from storage.models.incidents import Incident

    incident = Incident(
        id=123456,
        title="T" * 200,
        description="<d> & " * 2000,
        severity="sev1",
        status="monitoring",
        declared_by="U1",
        commander_id="U1",
        communicator_id="U2",
    )
    facts = CardFacts(
        checklist_done=7,
        checklist_total=60,
        runbooks=tuple((f"https://wiki.example.com/{n}?a=1&b=<2>", "R" * 300) for n in range(30)),
        verification="<@U1> verified the fix: " + "ok & fine " * 500,
    )
    blocks = card_blocks(incident, facts)
    check_block_kit(blocks)
    text = json.dumps(blocks)
    assert "7/60 done" in text and "&amp;b=%3C2%3E" in text
    resolved = Incident(**{**incident.model_dump(), "status": "resolved"})
    check_block_kit(card_blocks(resolved, CardFacts()))
    assert "not yet" in json.dumps(card_blocks(resolved, CardFacts()))
