"""Hostile input: any text into any subcommand gets HTTP 200 and a clear answer, never a crash.

Hypothesis drives the real app over HTTP. One bot serves all examples (per backend for the
commands, since PostgreSQL refuses text SQLite takes, such as NUL), with an open incident in
C111 so the incident subcommands get past "not an incident channel".
"""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handlers  # noqa: F401  (registers every subcommand)
from bot.slack.grammar import registry
from tests.conftest import RunningBot

_keys = itertools.count()

WORDS = [s.name for c in registry.commands() for s in registry.subcommands(c)]
NASTY = st.sampled_from(
    [
        "<!channel>",
        "<@U111|al>",
        "<@U999>",
        "&amp;",
        "&lt;",
        "|",
        "`",
        "*",
        "#",
        "\n",
        "\x00",
        "\u202e",
        "sev1",
        "P0",
        "2026-02-30",
        "25:61",
        "--here",
        "--private",
        "9" * 40,
        "-1",
        " ",
    ]
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(NASTY, st.text(max_size=12)), max_size=12).map(" ".join),
    st.text(min_size=3000, max_size=4000),
)


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[str, str, str]:
    command = draw(st.sampled_from(registry.commands()))
    names = [s.name for s in registry.subcommands(command)] or ["help"]
    head = draw(st.one_of(st.sampled_from(names), st.text(max_size=10)))
    rest = draw(TEXT)
    channel = draw(st.sampled_from(["C111", "CNOTINCIDENT"]))
    return command, f"{head} {rest}", channel


@pytest.fixture
async def incident_bot(bot: RunningBot) -> RunningBot:
    bot.fake.add_channel("CNOTINCIDENT", "general")
    await bot.slack.command("declare --here sev2 Fuzzing", channel_id="C111", response_key="setup")
    await bot.fake.wait_for_response()
    return bot


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.slow  # hypothesis: 80 commands over HTTP
@given(line=command_lines())
async def test_any_command_text_gets_200_and_an_answer(
    incident_bot: RunningBot, line: tuple[str, str, str]
) -> None:
    command, text, channel = line
    key = f"fuzz{next(_keys)}"
    resp = await incident_bot.slack.command(
        text, command=command, channel_id=channel, response_key=key, trigger_id=""
    )
    assert resp.status == 200
    answer = await incident_bot.fake.wait_for(
        lambda: next((r for r in incident_bot.fake.responses if r["_key"] == key), None),
        timeout=20,
        what=f"an answer to {command} {text[:60]!r}",
    )
    assert answer.get("text"), answer
    assert "failed unexpectedly" not in answer["text"], (command, text, answer["text"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=50),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "type",
                        "event",
                        "channel",
                        "ts",
                        "user",
                        "text",
                        "subtype",
                        "item",
                        "reaction",
                        "message",
                        "payload",
                        "view",
                        "actions",
                        "event_id",
                    ]
                ),
                children,
                max_size=6,
            )
        ),
        max_leaves=20,
    )
)
async def test_any_signed_json_body_never_breaks_the_server(
    incident_bot: RunningBot, body: object
) -> None:
    envelope = {"type": "event_callback", "event": body} if isinstance(body, dict) else body
    resp = await incident_bot.slack.post(json.dumps(envelope), "application/json")
    assert resp.status < 500, resp.status
    health = await incident_bot.slack.session.get(incident_bot.url + "/healthz")
    assert health.status == 200
    health.release()
