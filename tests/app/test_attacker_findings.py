"""Issue 23's findings 4 to 12, each sent over HTTP as an attacker (or a careless sender) would,
against the running bot. Each of these failed on the code before the fix."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.core.logs import RedactSecrets
from bot.core.settings import CHOSEN_SECRETS, Settings, SettingsError, secret_values
from storage.models import Incident
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot, make_settings
from tests.followthrough.test_followthrough_nudges import ALWAYS, checker, checks_later
from tests.support.alert_helpers import (
    ALERT_CHANNEL,
    ALERT_SETTINGS,
    ALERT_TOKEN,
    alerts,
    cards_in,
    firing,
    groups,
    incidents,
    pd_signature,
    post_alert,
    wait_handled,
    with_severity,
)
from tests.support.fake_github import FakeGitHub, github_delivery, github_signature
from tests.support.fake_jira import FakeJira
from tests.support.followthrough_helpers import (
    due,
    github_bot,
    github_fixture,  # noqa: F401
    items,
    jira_fixture,  # noqa: F401
    jira_settings,
    wait_ticket_state,
)
from tests.support.incident_steps import run
from tests.support.learning_helpers import Past, command, section_texts, seed
from tests.support.postmortem_helpers import ask, declare_here

HOOK_SECRET = "It's a Secret to Everybody"
GATE_TOKEN = "gate-token-for-the-tests-0001"
JIRA_QUERY = "/webhooks/jira?secret=It's%20a%20Secret%20to%20Everybody"
BACKGROUND = ("aiosqlite", "apscheduler", "sqlalchemy", "asyncio")


async def _post(
    bot: RunningBot, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(bot.url + path, data=body, headers=headers) as resp:
            return resp.status, await resp.text()


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if not r.name.startswith(BACKGROUND)]


def _jira_signature(body: bytes, secret: str = HOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def _alert_bot(start_bot: StartBot, **overrides: Any) -> RunningBot:
    bot = await start_bot(**{**ALERT_SETTINGS, **overrides})
    bot.fake.add_channel(ALERT_CHANNEL, "alerts")
    return bot


# --- 4 and 9: secrets and header values never reach the log ----------------------------------


async def test_the_jira_secret_in_the_url_is_never_logged_and_signed_webhooks_work(
    start_bot: StartBot, fake_jira: FakeJira, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = await start_bot(**jira_settings(fake_jira, jira_webhook_secret=HOOK_SECRET))
    await declare_here(bot)
    await ask(bot, f"action P0 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(bot, fake_jira, "filed")
    body = json.dumps(fake_jira.issue_updated("OPS-1", "done")).encode()
    json_type = {"Content-Type": "application/json"}
    # The URL form still works; neither its secret nor its query string is written anywhere.
    status, text = await _post(bot, JIRA_QUERY, body, json_type)
    assert status == 200, text
    logged = "\n".join(_logged(caplog))
    assert "Secret" not in logged and "secret=" not in logged, logged[-2000:]
    assert re.search(r"POST /webhooks/jira 200 \d+B \d+ms request=[0-9a-f]{12}", logged)

    # Jira Cloud's signed form: X-Hub-Signature, an HMAC-SHA256 of the body with the secret.
    body = json.dumps(fake_jira.issue_updated("OPS-1", "indeterminate")).encode()
    forged = {**json_type, "X-Hub-Signature": _jira_signature(body, "not-the-secret-at-all")}
    assert (await _post(bot, "/webhooks/jira", body, forged))[0] == 401
    signed = {**json_type, "X-Hub-Signature": _jira_signature(body)}
    status, text = await _post(bot, "/webhooks/jira", body, signed)
    assert status == 200, text
    [item] = await items(bot)
    assert item.status == "open"


async def test_an_unsigned_request_with_a_huge_user_agent_writes_one_short_line(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    agent = "Mozilla/5.0 " + "A" * 7_000
    headers = {"Content-Type": "application/json", "User-Agent": agent, "Referer": "r" * 500}
    async with bot.slack.session.post(bot.slack.url, data=b"{}", headers=headers) as r:
        assert r.status == 401
    await asyncio.sleep(0.1)
    lines = [line for line in _logged(caplog) if "/slack/events" in line]
    assert lines and all(len(line) < 200 for line in lines), lines
    assert not any("AAAAAAAAAA" in line or "rrrrrrrr" in line for line in _logged(caplog))


def test_every_secret_setting_is_a_secret_and_is_redacted() -> None:
    """Derived from the settings: a new `*_token`/`*_secret`/`*_key` that is not a SecretStr
    fails here, and every SecretStr value is in the log's redaction list."""
    not_secrets = {"jira_project_key", "key_event_emoji"}
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-1-2-abcdefghijklmnop",
        "slack_signing_secret": "signing-secret-abcdef0123",
        "slack_app_token": "xapp-1-A111-abcdef0123",
        "_env_file": None,
    }
    for name, field in Settings.model_fields.items():
        if re.search(r"(token|secret|_key|password|services)$", name) and name not in not_secrets:
            assert field.annotation in (SecretStr, SecretStr | None), name
        if field.annotation in (SecretStr, SecretStr | None) and name not in values:
            values[name] = f"{name}-value-0123456789"
    values["pagerduty_services"] = "checkout=ROUTINGKEYCHECKOUT1,db=ROUTINGKEYDATABASE2"
    values["api_tokens"] = f"dash={'T' * 32},me={'V' * 32}@U0123ABCD"  # each token alone too
    settings = Settings(**values, statuspage_page_id="8kbf7d35c070")  # the key needs its page
    redact = RedactSecrets(secret_values(settings))
    for name, value in values.items():
        if name.startswith("_"):
            continue
        record = logging.LogRecord("bot", logging.INFO, __file__, 1, "saw %s", (value,), None)
        redact.filter(record)
        assert value not in record.getMessage(), name
    for key in ("ROUTINGKEYCHECKOUT1", "ROUTINGKEYDATABASE2", "T" * 32, "V" * 32):
        record = logging.LogRecord("bot", logging.INFO, __file__, 1, "key %s", (key,), None)
        redact.filter(record)
        assert record.getMessage() == "key [redacted]"
    for name in ("github_token", "jira_api_token", "github_webhook_secret", "deploy_gate_token"):
        assert f"{name}-value-0123456789" in secret_values(settings)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("name", CHOSEN_SECRETS)
async def test_a_short_secret_a_team_chooses_stops_the_bot(
    database_url: str, fake_slack: Any, name: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        make_settings(database_url, fake_slack, **{name: "hunter2-short"})
    assert raised.value.problems == [
        f"{name.upper()} must be at least 16 characters (generate one: openssl rand -hex 32)"
    ]
    assert "hunter2" not in str(raised.value)
    make_settings(database_url, fake_slack, **{name: "sixteen-chars-ok"})


# --- 5 and 12: read deadlines and bodies that cannot be parsed --------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_body_that_never_arrives_gets_408_on_every_webhook_route(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await start_bot(
        **ALERT_SETTINGS,
        github_webhook_secret=HOOK_SECRET,
        jira_webhook_secret=HOOK_SECRET,
        http_read_timeout_seconds=1.0,
    )
    routes = {
        "/alerts/pagerduty": {"X-PagerDuty-Signature": "v1=" + "0" * 64},
        "/alerts/alertmanager": {"Authorization": f"Bearer {ALERT_TOKEN}"},
        "/webhooks/github": {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        "/webhooks/jira": {"X-Hub-Signature": "sha256=" + "0" * 64},
    }
    started = time.monotonic()

    async def slow(path: str, headers: dict[str, str]) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", bot.server.port)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: x\r\n{head}Content-Type: application/json\r\n"
            'Content-Length: 5000\r\n\r\n{"event": '.encode()
        )
        try:
            return await asyncio.wait_for(reader.read(), timeout=6)
        finally:
            writer.close()

    answers = await asyncio.gather(*(slow(p, h) for p, h in routes.items()))
    for path, answer in zip(routes, answers, strict=True):
        assert answer.startswith(b"HTTP/1.1 408"), (path, answer[:80])
    assert time.monotonic() - started < 5


async def test_bodies_that_cannot_be_parsed_are_400_with_a_reason(
    start_bot: StartBot, fake_github: FakeGitHub, fake_jira: FakeJira
) -> None:
    bot = await start_bot(
        **ALERT_SETTINGS, github_webhook_secret=HOOK_SECRET, jira_webhook_secret=HOOK_SECRET
    )
    deep = b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    json_type = {"Content-Type": "application/json"}
    answers = [
        await post_alert(bot, deep),
        await _post(bot, "/alerts/pagerduty", deep, {"X-PagerDuty-Signature": pd_signature(deep)}),
        await _post(
            bot,
            "/webhooks/github",
            deep,
            {
                **github_delivery(HOOK_SECRET, "issues", {})[1],
                "X-Hub-Signature-256": github_signature(HOOK_SECRET, deep),
            },
        ),
        await _post(bot, JIRA_QUERY, deep, json_type),
    ]
    for status, text in answers:
        assert (status, text) == (400, "JSON nested too deeply (at most 32 levels)\n")

    # Wrong types where objects belong.
    event = {"action": "closed", "issue": {"number": 1}, "repository": "acme/ops"}
    body, headers = github_delivery(HOOK_SECRET, "issues", event)
    assert await _post(bot, "/webhooks/github", body, headers) == (
        400,
        "repository must be a JSON object\n",
    )
    event = {"action": "closed", "issue": {"number": {"x": 1}}}
    body, headers = github_delivery(HOOK_SECRET, "issues", event)
    status, text = await _post(bot, "/webhooks/github", body, headers)
    assert status == 400 and text.count("\n") == 1
    jira = {"issue": {"key": "OPS-1", "fields": "Done"}}
    status, text = await _post(bot, JIRA_QUERY, json.dumps(jira).encode(), json_type)
    assert (status, text) == (400, "issue.fields must be a JSON object\n")
    jira = {"issue": {"key": "OPS-1", "fields": {"status": {"statusCategory": ["done"]}}}}
    status, text = await _post(bot, JIRA_QUERY, json.dumps(jira).encode(), json_type)
    assert (status, text) == (400, "statusCategory must be a JSON object\n")


# --- 6, 10, 11, 12: alerts ---------------------------------------------------------------------


async def test_control_characters_are_stripped_so_the_alert_is_stored(start_bot: StartBot) -> None:
    bot = await _alert_bot(start_bot)
    payload = with_severity(firing(), "warning")
    payload["groupKey"] = 'key\u0000{alertname="HighErrorRate"}'
    payload["commonAnnotations"]["summary"] = "checkout\u0000 5xx\u0007 up"
    payload["commonAnnotations"]["description"] = "line one\nline\u0000two"
    payload["alerts"][0]["labels"]["instance"] = "host\u0000:8080"
    status, text = await post_alert(bot, payload)
    assert status == 200, text
    [group] = await groups(bot)
    assert group.title == "checkout 5xx up"
    assert group.description == "line one\nlinetwo"
    assert group.group_key == 'key{alertname="HighErrorRate"}'
    [alert] = await alerts(bot)
    assert "\x00" not in alert.labels and "host:8080" in alert.labels


async def test_one_group_stores_at_most_its_cap_and_the_card_says_how_many_were_left_out(
    start_bot: StartBot,
) -> None:
    bot = await _alert_bot(start_bot, alert_max_per_group=5)
    payload = with_severity(firing(), "warning")
    template = payload["alerts"][0]

    def send(offset: int) -> dict[str, Any]:
        body = copy.deepcopy(payload)
        body["alerts"] = []
        for n in range(offset, offset + 12):
            alert = copy.deepcopy(template)
            alert["fingerprint"] = f"fp{n:04d}"
            alert["labels"]["instance"] = f"host-{n}"
            body["alerts"].append(alert)
        return body

    assert (await post_alert(bot, send(0)))[0] == 200
    await wait_handled(bot)
    [card] = await bot.fake.wait_for(lambda: cards_in(bot, ALERT_CHANNEL), what="the card")
    assert "7 more alerts in the last send were left out" in json.dumps(card["blocks"])
    for offset in (100, 200, 300):  # resent with new fingerprints each time
        assert (await post_alert(bot, send(offset)))[0] == 200
    await wait_handled(bot)
    assert len(await alerts(bot)) == 5
    [group] = await groups(bot)
    assert group.alerts_left_out == 12
    updates = [u for u in bot.fake.done("chat.update") if u["channel"] == ALERT_CHANNEL]
    assert "12 more alerts in the last send were left out" in json.dumps(updates[-1]["blocks"])


async def test_a_mention_in_an_alert_label_stays_text_in_the_timeline(start_bot: StartBot) -> None:
    bot = await _alert_bot(start_bot)
    payload = firing()  # critical: an incident is declared
    payload["commonAnnotations"]["summary"] = "checkout down <!channel>"
    for labels in (payload["commonLabels"], payload["alerts"][0]["labels"]):
        labels["service"] = "<@U222>"
    assert (await post_alert(bot, payload))[0] == 200
    await wait_handled(bot)
    [incident] = await incidents(bot)
    answer = await run(bot, "timeline", incident.channel_id or "")
    shown = json.dumps(answer)
    assert "HighErrorRate" in shown
    assert "<@U222>" not in shown and "<!channel>" not in shown
    for params in bot.fake.calls_to("chat.postMessage") + bot.fake.calls_to("chat.update"):
        assert "<@U222>" not in json.dumps(params) and "<!channel>" not in json.dumps(params)


async def test_a_resend_cannot_rewrite_the_cards_links(start_bot: StartBot) -> None:
    bot = await _alert_bot(start_bot)
    payload = with_severity(firing(), "warning")
    assert (await post_alert(bot, payload))[0] == 200
    evil = copy.deepcopy(payload)
    evil["commonAnnotations"]["runbook_url"] = "https://evil.example.com/runbook"
    evil["alerts"][0]["generatorURL"] = "https://evil.example.com/graph"
    evil["externalURL"] = "https://evil.example.com"
    assert (await post_alert(bot, evil))[0] == 200
    await wait_handled(bot)
    [group] = await groups(bot)
    assert "runbooks.example.com/checkout-5xx" in group.links
    assert "evil" not in group.links
    for params in bot.fake.done("chat.postMessage") + bot.fake.done("chat.update"):
        assert "evil.example.com" not in json.dumps(params)


# --- 7: private incidents in the digest, the gate and stats -----------------------------------


async def _make_private(bot: RunningBot, incident_id: int = 1) -> None:
    async with bot.rt.db.session() as session:
        incident = await session.get(Incident, incident_id)
        assert incident is not None
        incident.private = True
        session.add(incident)


async def test_the_deploy_gate_tells_only_numbers_of_a_private_incident(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github, deploy_gate_token=GATE_TOKEN)
    await declare_here(bot, "Payroll data exposed")
    await ask(bot, f"action P0 <@U222|bob> {due(2)} Rotate the payroll export credentials")
    await _make_private(bot)
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {GATE_TOKEN}"}
        async with session.get(bot.url + "/api/deploy-gate", headers=headers) as resp:
            status, answer = resp.status, await resp.json()
    assert status == 423
    assert answer == {
        "blocked": True,
        "items": [{"incident": 1, "item": 1, "priority": "P0", "due": due(2), "private": True}],
    }


async def test_the_weekly_digest_leaves_private_incidents_out(start_bot: StartBot) -> None:
    bot = await start_bot(**ALWAYS, action_digest_channel="CDIGEST")
    bot.fake.add_channel("CDIGEST", "action-items")
    today = utcnow().date()
    monday = today - timedelta(days=today.weekday())
    before = datetime.combine(monday, datetime.min.time(), UTC) + timedelta(hours=8)
    checker(bot).clock = lambda: before
    await declare_here(bot, "Payroll data exposed")
    await ask(bot, f"action P1 <@U222|bob> {due(1)} Rotate the payroll export credentials")
    await _make_private(bot)
    checker(bot).clock = lambda: before + timedelta(days=2)
    await checks_later(bot, 4)
    for params in bot.fake.calls_to("chat.postMessage"):
        if params["channel"] == "CDIGEST":
            assert "payroll" not in json.dumps(params).lower()
            assert "U222" not in json.dumps(params)


async def test_stats_leave_out_private_incidents_for_anyone_not_in_their_channel(
    bot: RunningBot,
) -> None:
    now = utcnow()
    room = bot.fake.add_channel("GPAYROLL", "payroll-breach", is_private=True, bot_member=True)
    room.members.add("U222")
    await seed(bot, Past("Database failover", declared_at=now - timedelta(days=2), tags="database"))
    await seed(
        bot,
        Past(
            "Payroll data exposed",
            declared_at=now - timedelta(days=3),
            private=True,
            channel_id="GPAYROLL",
            tags="payroll-leak",
        ),
    )

    async def figures(text: str, user: str) -> list[str]:
        answer = await command(bot, text, command="/incident", user=user)
        return [s for s in section_texts(answer) if not s.startswith(("*Chart*", ":warning:"))]

    outsider = "\n".join(await figures("stats all", "U111"))
    assert "payroll-leak" not in outsider and "`database` 1" in outsider
    member = "\n".join(await figures("stats all", "U222"))
    assert "payroll-leak" in member
    # Asking for the tag tells an outsider nothing a tag nobody used would not.
    asked = await figures("stats all payroll-leak", "U111")
    unused = await figures("stats all no-such-tag", "U111")
    assert [s.replace("payroll-leak", "T") for s in asked] == [
        s.replace("no-such-tag", "T") for s in unused
    ]


# --- 8: GitHub deliveries replayed ------------------------------------------------------------


async def test_a_replayed_github_delivery_is_answered_and_does_nothing(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github, github_webhook_secret=HOOK_SECRET)
    other = await github_bot(start_bot, fake_github, github_webhook_secret=HOOK_SECRET)
    await declare_here(bot)
    await ask(bot, f"action P0 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(bot, fake_github, "filed")
    closed, close_headers = github_delivery(
        HOOK_SECRET, "issues", fake_github.issues_event(1, "closed")
    )
    assert (await _post(bot, "/webhooks/github", closed, close_headers))[0] == 200
    reopened, headers = github_delivery(
        HOOK_SECRET, "issues", fake_github.issues_event(1, "reopened")
    )
    assert (await _post(bot, "/webhooks/github", reopened, headers))[0] == 200
    [item] = await items(bot)
    assert item.status == "open"

    # The captured "closed" delivery again, to the other replica; then under a made-up id.
    replayed = await _post(other, "/webhooks/github", closed, close_headers)
    assert replayed == (200, "ignored: this delivery was already handled\n")
    renamed = dict(close_headers, **{"X-GitHub-Delivery": "00000000-0000-0000-0000-000000000000"})
    replayed = await _post(bot, "/webhooks/github", closed, renamed)
    assert replayed == (200, "ignored: this delivery was already handled\n")
    [item] = await items(bot)
    assert item.status == "open"


# --- 12: text sent to a tracker -----------------------------------------------------------------


async def test_mentions_and_images_in_item_text_reach_no_one_on_github(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot, "Checkout down @acme/oncall")
    await ask(
        bot,
        f"action P1 <@U222|bob> {due()} Tell @acme/everyone and @octocat "
        "![pixel](https://evil.example.com/p.png) <img src=https://evil.example.com/q.png>. "
        "Done when: @octocat agrees",
    )
    [request] = await fake_github.wait_for(lambda: fake_github.requests, what="the issue")
    title, body = request.body["title"], request.body["body"]
    for text in (title, body):
        assert not re.search(r"(?<![\w`])@[A-Za-z0-9]", text), text
        assert "![" not in text and "<img" not in text
    assert "[pixel](https://evil.example.com/p.png)" in body
    assert "@\u200dacme/everyone" in body and "@\u200doctocat" in body
