"""Alert parsing, auth and the triage card, without a bot."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.blocks import triage_card
from bot.alerts.intake import (
    BadAlert,
    ParsedAlert,
    ParsedGroup,
    alert_severity,
    auto_declare_labels,
    pagerduty_event_type,
    pagerduty_priority_severity,
    parse_alertmanager,
    parse_json,
    parse_pagerduty,
    parse_time,
    severity_map,
)
from bot.alerts.queries import GroupState
from bot.alerts.routes import bearer_ok, pagerduty_signature_ok
from bot.alerts.transactions import WriterLock
from bot.core.settings import load_settings
from storage.models.alerts import Alert, AlertGroup
from storage.models.incidents import Incident
from tests.support.alert_helpers import (
    firing,
    pagerduty_event,
    pd_signature,
    resolved,
    with_severity,
)
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


# ---- what the intake reads from each field, exactly (bot/alerts/intake.py) --------------------

T0 = datetime(2026, 1, 15, 10, tzinfo=UTC)
GENERATOR = "http://prometheus:9090/graph?g0.expr=job%3Acheckout_5xx_ratio%3Arate5m+%3E+0.05"


def _labels(**extra: str) -> dict[str, str]:
    base = {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"}
    return {**base, "instance": "checkout-7d9f:8080", "job": "checkout", **extra}


def test_the_sample_alertmanager_send_is_read_field_by_field() -> None:
    assert parse_alertmanager(firing(), settings()) == ParsedGroup(
        source="alertmanager",
        group_key='{}:{alertname="HighErrorRate"}',
        title="checkout 5xx > 5% for 5m",
        severity="sev1",
        auto_declare=True,
        labels=_labels(),
        description=None,
        links=[
            ("Source", GENERATOR),
            ("Runbook", "https://runbooks.example.com/checkout-5xx"),
            ("Alertmanager", "http://alertmanager:9093"),
        ],
        alerts=[ParsedAlert("c2f4a1b9e0d3a7f1", "firing", "HighErrorRate", _labels(), T0, None)],
        promql=None,
    )
    [gone] = parse_alertmanager(resolved(), settings()).alerts
    assert (gone.status, gone.ends_at) == ("resolved", datetime(2026, 1, 15, 10, 25, tzinfo=UTC))


def _bare(*raw_alerts: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A version 4 send with nothing common: every fallback is taken."""
    return {"version": "4", "groupKey": "g", "alerts": list(raw_alerts), **top}


def _raw(fingerprint: str, **fields: Any) -> dict[str, Any]:
    base = {"status": "firing", "startsAt": "2026-01-15T10:00:00Z"}
    return {**base, "fingerprint": fingerprint, **fields}


def test_what_is_not_common_to_the_group_comes_from_its_first_alert() -> None:
    first = _raw(
        "f1",
        labels={"alertname": "A0", "zone": "b"},
        annotations={
            "summary": "first  alert\nsummary",
            "description": "first description",
            "runbook_url": "https://runbooks.example.com/first",
            "promql": "  up == 0 ",
        },
    )
    second = _raw("f2", labels={"alertname": "A1"}, annotations={"description": "not this"})
    group = parse_alertmanager(
        _bare(first, second, groupLabels={"alertname": "G", "severity": "ERROR"}), settings()
    )
    assert (group.title, group.labels) == ("G", {"alertname": "G", "severity": "ERROR"})
    assert (group.severity, group.auto_declare) == ("sev2", False)
    assert group.description == "first description" and group.promql == "up == 0"
    assert group.links == [("Runbook", "https://runbooks.example.com/first")]
    group = parse_alertmanager(_bare(first, second), settings(default_severity="sev4"))
    assert (group.title, group.labels, group.severity) == (
        "first alert summary",
        {"alertname": "A0", "zone": "b"},
        "sev4",
    )
    del first["annotations"]["summary"]
    assert parse_alertmanager(_bare(first), settings()).title == "A0"
    # commonLabels before groupLabels, commonAnnotations before the first alert's.
    both = _bare(
        first,
        commonLabels={"alertname": "C", "severity": "Critical"},
        groupLabels={"alertname": "G", "severity": "info"},
        commonAnnotations={"description": "common", "promql": "rate(x[5m])"},
    )
    group = parse_alertmanager(both, settings())
    assert (group.title, group.severity, group.auto_declare) == ("C", "sev1", True)
    assert (group.description, group.promql) == ("common", "rate(x[5m])")
    both["commonAnnotations"]["summary"] = "S"
    assert parse_alertmanager(both, settings()).title == "S"


def test_an_alert_is_named_and_fingerprinted_from_what_it_has() -> None:
    labels = {"zone": "b", "alertname": "Disk"}  # not in sorted order
    named = [
        _raw("", labels=labels),
        _raw("x" * 70, labels={"job": "j"}, annotations={"summary": "From the summary"}),
        _raw("b", labels={"alertname": None, "n": 5}, endsAt="2026-01-15T11:00:00Z"),
        _raw("a", labels=None, endsAt=""),
    ]
    hashed = hashlib.sha256(b'{"alertname": "Disk", "zone": "b"}').hexdigest()
    assert [
        (a.fingerprint, a.name, a.labels, a.ends_at)
        for a in parse_alertmanager(_bare(*named), settings()).alerts
    ] == [
        ("a", "alert", {}, None),
        ("b", "alert", {"n": "5"}, None),  # a firing alert's endsAt is only Alertmanager's guess
        (hashed, "Disk", labels, None),
        ("x" * 64, "From the summary", {"job": "j"}, None),
    ]


def test_the_same_fingerprint_twice_is_one_alert_the_last_sent() -> None:
    sent = [_raw("z"), _raw("k", labels={"v": "1"}), _raw("k", labels={"v": "2"}), _raw("c")]
    assert [
        (a.fingerprint, a.labels) for a in parse_alertmanager(_bare(*sent), settings()).alerts
    ] == [("c", {}), ("k", {"v": "2"}), ("z", {})]


def test_links_three_sources_at_most_each_once_and_only_to_the_web() -> None:
    urls = ["https://g.example/1", "ftp://g.example/2", "https://g.example/1", 7]
    urls += ["http://g.example/3", "https://g.example/4", "https://g.example/5"]
    sent = [_raw(f"f{i}", generatorURL=url) for i, url in enumerate(urls)]
    body = _bare(*sent, externalURL="javascript:alert(1)")
    body["commonAnnotations"] = {"runbook_url": "https://r.example/" + "r" * 1982}  # 2,000
    group = parse_alertmanager(body, settings())
    assert group.links == [
        ("Source", "https://g.example/1"),
        ("Source", "http://g.example/3"),
        ("Source", "https://g.example/4"),
    ]
    body["commonAnnotations"]["runbook_url"] = "https://r.example/" + "r" * 1981  # 1,999
    body["externalURL"] = "https://am.example"
    assert parse_alertmanager(body, settings()).links[3:] == [
        ("Runbook", "https://r.example/" + "r" * 1981),
        ("Alertmanager", "https://am.example"),
    ]


def test_titles_and_queries_are_trimmed_to_their_limits() -> None:
    def read(summary: str, promql: str) -> tuple[str, str | None]:
        body = firing()
        body["commonAnnotations"].update(summary=summary, promql=promql)
        group = parse_alertmanager(body, settings())
        return group.title, group.promql

    assert read("t" * 150, "q" * 4000) == ("t" * 150, "q" * 4000)
    assert read(" " + "t" * 151, "q" * 4001) == ("t" * 149 + "…", None)
    assert read("ping <@U1> and\t<!here>", "   ") == ("ping <\u2060@U1> and <\u2060!here>", None)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"groupKey": "g"}, 'unsupported version null; expected "4"'),
        ({"version": "4" * 30}, 'unsupported version "4444444444444444444; expected "4"'),
        ({"version": "4", "groupKey": 1}, "missing field groupKey"),
        ({"version": "4", "groupKey": "g"}, "missing field alerts (a non-empty list)"),
        (_bare(), "missing field alerts (a non-empty list)"),
        (_bare({}, commonLabels=[1]), "commonLabels is not an object"),
        (_bare({}, groupLabels="x"), "groupLabels is not an object"),
        (_bare({}, commonAnnotations=2), "commonAnnotations is not an object"),
        (_bare(_raw("a"), 5), "alerts[1] is not an object"),
        (_bare({"status": "pending"}), 'alerts[0].status must be "firing" or "resolved"'),
        (_bare(_raw("a"), _raw("b", labels=[])), "alerts[1].labels is not an object"),
        (_bare({"status": "firing"}), "missing field alerts[0].startsAt"),
        (_bare(_raw("a", startsAt=None)), "alerts[0].startsAt is not a time"),
        (_bare(_raw("a", startsAt="0001-01-01T00:00:00Z")), "alerts[0].startsAt is the zero time"),
        (_bare(_raw("a", endsAt="soon")), "alerts[0].endsAt is not an RFC 3339 time"),
        (
            _bare(_raw("a", status="resolved")),
            "missing field alerts[0].endsAt (the alert is resolved)",
        ),
        (_bare(_raw("a", annotations=[])), "alerts[0].annotations is not an object"),
    ],
)
def test_each_unusable_alertmanager_send_says_why(body: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadAlert) as refused:
        parse_alertmanager(body, settings())
    assert str(refused.value) == reason


def test_times_exactly_and_their_refusals() -> None:
    assert parse_time(" 2026-01-15T10:00:00.5-05:00\n", "t") == datetime(
        2026, 1, 15, 15, 0, 0, 500000, tzinfo=UTC
    )
    assert parse_time("0002-01-01T00:00:00Z", "t") == datetime(2, 1, 1, tzinfo=UTC)
    assert parse_time("2026-01-15T10:00:00+00:00", "t").tzinfo is UTC  # type: ignore[union-attr]
    for value, reason in [
        (None, "when is not a time"),
        ("2026-01-15", "when is not an RFC 3339 time"),
        ("2026-02-30T10:00:00Z", "when is not a valid time"),
    ]:
        with pytest.raises(BadAlert) as refused:
            parse_time(value, "when")
        assert str(refused.value) == reason


def test_control_characters_leave_every_key_and_string_but_tab_and_line_breaks() -> None:
    raw = json.dumps(
        {
            "k\x01ey": ["a\x00b", {"x": "\x08\t\n\x0b\x0c\r\x0e\x1f \x7f\x80\x9f\xa0é"}],
            "n": 5,
            "none": None,
        }
    )
    assert parse_json(raw.encode()) == {"key": ["ab", {"x": "\t\n\r \xa0é"}], "n": 5, "none": None}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "malformed JSON"),
        (b'{"a": "\xff"}', "malformed JSON"),
        (b"[1, 2]", "the body is not a JSON object"),
        (b'{"a": ' + b"[" * 32 + b"]" * 32 + b"}", "JSON nested too deeply (at most 32 levels)"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply (at most 32 levels)"),
    ],
)
def test_bodies_that_are_not_a_usable_json_object(raw: bytes, reason: str) -> None:
    with pytest.raises(BadAlert) as refused:
        parse_json(raw)
    assert str(refused.value) == reason


def test_the_severity_map_as_written_in_the_settings() -> None:
    s = settings(alert_severity_map=" Page = SEV1 ,, warning=sev4", default_severity="sev2")
    assert severity_map(s) == {"page": "sev1", "warning": "sev4"}
    severities = [alert_severity(s, label) for label in ("PAGE", "Warning", None, "x")]
    assert severities == ["sev1", "sev4", "sev2", "sev2"]
    declaring = auto_declare_labels(settings(alert_auto_declare=" Critical,,page"))
    assert declaring == {"critical", "page"}
    # An alert with no severity label is not one labelled with some other word.
    s = settings(alert_severity_map="xxxx=sev1", alert_auto_declare="xxxx")
    group = parse_alertmanager(_bare(_raw("a")), s)
    assert (alert_severity(s, None), group.severity, group.auto_declare) == ("sev3", "sev3", False)


def test_a_pagerduty_incident_event_read_field_by_field() -> None:
    body = pagerduty_event("incident.triggered", occurred_at="2026-01-15T10:05:00Z")
    body["event"]["data"].update(created_at="2026-01-15T10:01:00+01:00", number=0)
    labels = {"source": "PagerDuty", "urgency": "high", "status": "triggered"}
    labels |= {"service": "API Service", "priority": "P1", "number": "0"}
    started, title = datetime(2026, 1, 15, 9, 1, tzinfo=UTC), "A little bump in the road"
    assert parse_pagerduty(body) == ParsedGroup(
        source="pagerduty",
        group_key="PGR0VU2",
        title=title,
        severity="sev1",
        auto_declare=True,
        labels=labels,
        description=None,
        links=[("PagerDuty", "https://acme.pagerduty.com/incidents/PGR0VU2")],
        alerts=[ParsedAlert("PGR0VU2", "firing", title, labels, started, None)],
    )
    bare = pagerduty_event("incident.resolved", urgency="", priority=None, incident_id="P" * 70)
    data = bare["event"]["data"]
    data.update(title=5, service={"summary": ""}, number=None, html_url="mailto:x@y.z")
    data["created_at"] = "2026-01-15T11:00:00Z"  # after the event: the event's time is kept
    group = parse_pagerduty(bare)
    ended = datetime(2026, 1, 15, 10, tzinfo=UTC)
    assert (group.group_key, group.title, group.severity, group.auto_declare, group.links) == (
        "P" * 70,
        "PagerDuty incident " + "P" * 70,
        "sev2",
        False,
        [],
    )
    labels = {"source": "PagerDuty", "urgency": "", "status": "resolved"}
    assert group.labels == labels
    assert group.alerts == [ParsedAlert("P" * 64, "resolved", "P" * 70, labels, ended, ended)]


def test_pagerduty_priorities_and_refusals() -> None:
    assert [
        pagerduty_priority_severity(p)
        for p in ({"summary": "p3"}, {"summary": "P4"}, {"summary": "P5"}, {"summary": 1}, "P1")
    ] == ["sev3", "sev4", "sev2", "sev2", "sev2"]
    for event, reason in [
        ({}, "missing field event"),
        ({"event": {"event_type": ""}}, "missing field event.event_type"),
        ({"event": {"event_type": 5}}, "missing field event.event_type"),
    ]:
        with pytest.raises(BadAlert) as refused:
            pagerduty_event_type(event)
        assert str(refused.value) == reason
    T = "2026-01-15T10:00:00Z"
    acknowledged = pagerduty_event("incident.acknowledged")  # no created_at: when it happened
    assert pagerduty_event_type(acknowledged) == "incident.acknowledged"
    assert parse_pagerduty(acknowledged).alerts[0].starts_at == T0
    for data, occurred, reason in [
        (None, T, "missing field event.data"),
        ({"id": ""}, T, "missing field event.data.id"),
        ({"id": "P1"}, None, "event.occurred_at is not a time"),
        ({"id": "P1"}, "0001-01-01T00:00:00Z", "event.occurred_at is the zero time"),
        ({"id": "P1", "created_at": "x"}, T, "event.data.created_at is not an RFC 3339 time"),
    ]:
        body = {"event": {"event_type": "incident.triggered", "occurred_at": occurred}}
        body["event"]["data"] = data
        with pytest.raises(BadAlert) as refused:
            parse_pagerduty(body)
        assert str(refused.value) == reason


# ---- one writer at a time on SQLite, webhooks first (bot/alerts/transactions.py) -------------


async def test_urgent_writers_go_before_those_already_waiting() -> None:
    lock, order = WriterLock(), []

    async def write(name: str, urgent: bool) -> None:
        async with lock.hold(urgent=urgent):
            order.append(name)
            await asyncio.sleep(0.01)

    async with lock.hold(urgent=False):
        waiting = [asyncio.create_task(write("worker", False))]
        await asyncio.sleep(0.01)  # the worker is past the urgent check, queued on the lock
        waiting += [asyncio.create_task(write(f"webhook{i}", True)) for i in (1, 2)]
        await asyncio.sleep(0.01)
        waiting.append(asyncio.create_task(write("worker2", False)))
        await asyncio.sleep(0.01)
    await asyncio.wait_for(asyncio.gather(*waiting), timeout=5)
    # The worker that had the lock first gave it back; which worker then goes first is open.
    assert order[:2] == ["webhook1", "webhook2"] and sorted(order[2:]) == ["worker", "worker2"]
    await asyncio.wait_for(write("after", False), timeout=1)  # nobody urgent is counted
