"""Alert parsing, auth and the triage card, without a bot."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.alerts.blocks import triage_card
from bot.alerts.intake import BadAlert, parse_alertmanager, parse_time
from bot.alerts.queries import GroupState
from bot.alerts.routes import bearer_ok, pagerduty_signature_ok
from bot.core.settings import load_settings
from storage.models.alerts import Alert, AlertGroup
from storage.models.incidents import Incident
from tests.support.alert_helpers import firing, pd_signature, with_severity
from tests.support.block_limits import check_message_blocks


def settings(**overrides: str):
    return load_settings(
        slack_bot_token="xoxb-1", slack_signing_secret="s", _env_file=None, **overrides
    )


def test_times_as_alertmanager_writes_them() -> None:
    assert parse_time("2026-01-15T10:00:00.123456789Z", "t") == datetime(
        2026, 1, 15, 10, 0, 0, 123456, tzinfo=UTC
    )
    assert parse_time("2026-01-15T12:00:00+02:00", "t") == datetime(2026, 1, 15, 10, tzinfo=UTC)
    assert parse_time("0001-01-01T00:00:00Z", "t") is None  # Go's zero time: no end yet
    for bad in ("yesterday", "2026-01-15 10:00:00", "2026-13-15T10:00:00Z", 5):
        with pytest.raises(BadAlert):
            parse_time(bad, "t")


def test_severity_map_auto_declare_and_title() -> None:
    s = settings(
        alert_auto_declare="critical,error", alert_severity_map="critical=sev1,error=sev2,page=sev1"
    )
    group = parse_alertmanager(with_severity(firing(), "error"), s)
    assert (group.severity, group.auto_declare) == ("sev2", True)
    group = parse_alertmanager(with_severity(firing(), "bogus"), s)
    assert (group.severity, group.auto_declare) == ("sev3", False)  # DEFAULT_SEVERITY
    payload = firing()
    del payload["commonAnnotations"]["summary"]
    assert parse_alertmanager(payload, s).title == "HighErrorRate"  # no summary: alertname


def test_alerts_without_fingerprint_get_one_from_their_labels() -> None:
    payload = firing()
    del payload["alerts"][0]["fingerprint"]
    twice = [parse_alertmanager(payload, settings()).alerts[0].fingerprint for _ in range(2)]
    assert twice[0] == twice[1] and len(twice[0]) == 64


def test_bad_settings_are_refused_one_line_each() -> None:
    from bot.core.settings import SettingsError

    with pytest.raises(SettingsError) as err:
        settings(
            alert_severity_map="critical=sev9",
            pagerduty_services="checkout",
            alert_channel="#alerts",
        )
    assert len(err.value.problems) == 3


def test_tokens_and_signatures() -> None:
    assert bearer_ok("Bearer tok-123", "tok-123") and bearer_ok("bearer  tok-123 ", "tok-123")
    assert not bearer_ok("Bearer tok-124", "tok-123") and not bearer_ok(None, "tok-123")
    assert not bearer_ok("Basic tok-123", "tok-123") and not bearer_ok("tok-123", "tok-123")
    body = b'{"event": {}}'
    good = pd_signature(body, "s3cret")
    assert pagerduty_signature_ok(good, "s3cret", body)
    assert pagerduty_signature_ok(f"v1=00, {good}", "s3cret", body)
    assert not pagerduty_signature_ok(good, "other", body)
    assert not pagerduty_signature_ok(good, "s3cret", body + b" ")
    assert not pagerduty_signature_ok(None, "s3cret", body)


def test_the_triage_card_stays_within_block_kit_limits_and_hides_private_incidents() -> None:
    now = datetime(2026, 1, 15, 10, tzinfo=UTC)
    group = AlertGroup(
        id=7,
        source="alertmanager",
        key_hash="h",
        group_key="k",
        title="t" * 150,
        severity="sev3",
        labels=json.dumps({f"label{i}": "v" * 100 for i in range(100)}),
        description="<!channel> " + "d" * 5000,
        links=json.dumps([["Source", "https://x.example/a|b>c"], ["Runbook", "https://r.example"]]),
        first_starts_at=now,
    )
    alerts = [
        Alert(id=i, group_id=7, fingerprint=str(i), status="firing", name=f"A{i}", starts_at=now)
        for i in range(40)
    ]
    incidents = [
        Incident(
            id=i,
            title="i" * 200,
            severity="sev2",
            declared_by="U",
            commander_id="U",
            private=(i == 3),
        )
        for i in range(1, 150)
    ]
    blocks = triage_card(GroupState(group, alerts), None, incidents)
    check_message_blocks(blocks)
    text = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    # A URL that would end the link early is shown as text, not as a broken link.
    assert "<https://x.example/a|b>c" not in text
    menu = next(e for e in blocks[-1]["elements"] if e["type"] == "static_select")
    values = [o["value"] for o in menu["options"]]
    assert len(values) == 100 and "7:3" not in values  # private incidents are not offered
    assert "… and 30 more" in text
