"""Guests (restricted accounts) cannot change an incident, and an account that cannot be
checked is treated as one that may not: the check fails closed.

The subcommands tried come from the command registry itself, so a new subcommand is refused
to guests here unless it is listed in GUESTS_MAY on purpose. GUESTS_MAY is written out by hand
(the policy), not read from the permission table (the code): a table entry loosened by mistake
fails the test instead of silently changing what the test expects.
"""

from __future__ import annotations

import pytest

import handlers  # noqa: F401  (registers every subcommand)
from bot.slack.grammar import registry
from tests.conftest import RunningBot
from tests.support.incident_steps import declare, incident, run

# What a guest may run: reading, and adding to the timeline and the postmortem.
GUESTS_MAY = {
    "/incident": {"roles", "note", "log", "timeline", "help", "checklist", "stats"},
    "/postmortem": {
        "summary", "impact", "factor", "why", "well", "poorly", "lesson", "actions", "add",
        "help", "search",
    },
    # Reading: the schedules, their overrides, the feeds and the fair share.
    "/oncall": {"", "help", "overrides", "calendar", "report"},
}  # fmt: skip
# The end of every refusal to a guest (bot/slack/permissions.py `refusal`).
GUEST_REFUSAL = "is for full members of the workspace. Ask the commander."

# Arguments that would make each refused subcommand succeed for a member, so a guest who got
# through would change something (the test also checks the incident did not change).
ARGUMENTS = {
    "commander": "<@U222>",
    "communicator": "<@U222>",
    "role": "communicator <@U222>",
    "handoff": "<@U222>",
    "status": "identified",
    "severity": "sev1",
    "resolve": "rolled back",
    "reopen": "",
    "cadence": "30m",
    "metric": "up",  # adding; showing is for everyone
}

GUEST = "UGUEST"


def refused_to_guests() -> list[tuple[str, str]]:
    """Every registered subcommand a guest may not run, from the registry."""
    return [
        (command, sub.name)
        for command in registry.commands()
        for sub in registry.subcommands(command)
        if sub.name not in GUESTS_MAY.get(command, set())
    ]


def test_the_guest_list_names_only_registered_subcommands() -> None:
    registered = {(c, s.name) for c in registry.commands() for s in registry.subcommands(c)}
    listed = {(c, name) for c, names in GUESTS_MAY.items() for name in names}
    assert listed <= registered, listed - registered
    assert refused_to_guests(), "no subcommand is refused to guests"


async def test_guests_are_refused_every_members_only_subcommand(bot: RunningBot) -> None:
    channel = await declare(bot)
    bot.fake.add_user(GUEST, is_restricted=True)
    bot.fake.add_user("UMULTI", is_ultra_restricted=True)
    before = (await incident(bot)).model_dump()
    let_through = []
    for command, name in refused_to_guests():
        for user in (GUEST, "UMULTI"):
            text = f"{name} {ARGUMENTS.get(name, '')}".strip()
            answer = await run(bot, text, channel, user=user, command=command)
            if GUEST_REFUSAL not in answer["text"]:
                let_through.append((command, name, user, answer["text"]))
    assert let_through == []
    assert (await incident(bot)).model_dump() == before


async def test_guests_see_the_cadence_they_cannot_change(bot: RunningBot) -> None:
    channel = await declare(bot)
    bot.fake.add_user(GUEST, is_restricted=True)
    shown = (await run(bot, "cadence", channel, user=GUEST))["text"]
    assert GUEST_REFUSAL not in shown and "a status update every 15 min" in shown, shown
    refused = (await run(bot, "cadence 30m", channel, user=GUEST))["text"]
    assert "changing the update cadence " + GUEST_REFUSAL in refused, refused
    assert (await incident(bot)).update_interval_seconds is None


async def test_members_get_past_the_check(bot: RunningBot) -> None:
    """The refusal above is about guests: a full member running the same command is not
    refused (else the test above would pass for every user)."""
    channel = await declare(bot)
    bot.fake.add_user("U222")
    answer = await run(bot, "severity sev1", channel, user="U222")
    assert GUEST_REFUSAL not in answer["text"] and "SEV1" in answer["text"]
    assert (await incident(bot)).severity == "sev1"


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500, "times": 50},
        {"status": 429, "retry_after": 1, "times": 50},
        {"error": "fatal_error", "times": 50},
        {"error": "user_not_found", "times": 50},
    ],
    ids=["lasting-500", "lasting-429", "fatal_error", "user_not_found"],
)
async def test_an_account_that_cannot_be_checked_changes_nothing(
    bot: RunningBot, fault: dict
) -> None:
    channel = await declare(bot)
    before = (await incident(bot)).model_dump()
    bot.fake.fail("users.info", **fault)
    answer = await run(bot, "severity sev1", channel, user="U111")
    assert "could not check your account type" in answer["text"], answer["text"]
    assert "did not make the change" in answer["text"]
    assert (await incident(bot)).model_dump() == before
    assert bot.fake.calls_to("users.info"), "the account was never looked up"


async def test_an_unknown_user_changes_nothing(bot: RunningBot) -> None:
    """`users.info` answering `user_not_found` (a deleted account, say) is a refusal."""
    channel = await declare(bot)
    before = (await incident(bot)).model_dump()
    # UGONE is not in the workspace: users.info answers user_not_found
    for text in ("resolve done", "commander <@UGONE>", "reopen"):
        answer = await run(bot, text, channel, user="UGONE")
        assert "could not check your account type" in answer["text"], (text, answer["text"])
        assert "user_not_found" in answer["text"]
    assert (await incident(bot)).model_dump() == before
