"""Reading alert webhooks into one shape: Alertmanager's (version "4", which Grafana also
sends) and PagerDuty's v3 incident events. Pure; every refusal is a one-line reason."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.core.http_bodies import MAX_JSON_DEPTH, json_depth_exceeds
from bot.core.settings import Settings
from bot.slack.text import inert_references

MAX_TITLE = 150
PAGERDUTY_EVENTS = ("incident.triggered", "incident.acknowledged", "incident.resolved")
_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


# ---- ALERT_SEVERITY_MAP and ALERT_AUTO_DECLARE, as the intake reads them


def auto_declare_labels(settings: Settings) -> set[str]:
    return {w for w in settings.alert_auto_declare.split(",") if w}


def severity_map(settings: Settings) -> dict[str, str]:
    pairs = (p.strip() for p in settings.alert_severity_map.split(",") if p.strip())
    result: dict[str, str] = {}
    for pair in pairs:
        label, _, sev = pair.partition("=")
        result[label.strip().lower()] = sev.strip().lower()
    return result


def alert_severity(settings: Settings, label: str | None) -> str:
    """Our severity for an alert's `severity` label (DEFAULT_SEVERITY when unmapped)."""
    return severity_map(settings).get((label or "").lower(), settings.default_severity)


class BadAlert(ValueError):
    """The webhook cannot be used; the message is the one-line reason sent back (400)."""


@dataclass(frozen=True)
class ParsedAlert:
    fingerprint: str
    status: str  # firing|resolved
    name: str
    labels: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None


@dataclass(frozen=True)
class ParsedGroup:
    source: str  # alertmanager|pagerduty
    group_key: str
    title: str
    severity: str  # sev1..sev4
    auto_declare: bool
    labels: dict[str, str]
    description: str | None
    links: list[tuple[str, str]]
    alerts: list[ParsedAlert] = field(default_factory=list)
    promql: str | None = None  # the `promql` annotation (bot/metrics asks Prometheus with it)

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(self.group_key.encode()).hexdigest()


def parse_json(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, nested no deeper than MAX_JSON_DEPTH, with every control
    character (NUL and the like, which PostgreSQL refuses in text) taken out of its strings:
    an alert that could never be stored would be retried by its sender forever."""
    try:
        body = json.loads(raw)
    except RecursionError:
        raise BadAlert(f"JSON nested too deeply (at most {MAX_JSON_DEPTH} levels)") from None
    except (UnicodeDecodeError, ValueError):
        raise BadAlert("malformed JSON") from None
    if not isinstance(body, dict):
        raise BadAlert("the body is not a JSON object")
    if json_depth_exceeds(body):
        raise BadAlert(f"JSON nested too deeply (at most {MAX_JSON_DEPTH} levels)")
    return _without_controls(body)


# C0 controls but tab, line feed and carriage return; DEL; C1 controls.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _clean(text: str) -> str:
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text


def _without_controls(value: Any) -> Any:
    """A copy of decoded JSON with control characters removed from every key and string.
    Recursive, but only to MAX_JSON_DEPTH (checked first)."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {_clean(str(k)): _without_controls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_controls(v) for v in value]
    return value


def parse_time(value: Any, where: str) -> datetime | None:
    """RFC 3339 as Alertmanager writes it (nanoseconds too); Go's zero time is None."""
    if not isinstance(value, str):
        raise BadAlert(f"{where} is not a time")
    match = _TIME.match(value.strip())
    if match is None:
        raise BadAlert(f"{where} is not an RFC 3339 time")
    whole, fraction, zone = match.groups()
    text = whole + (fraction[:7] if fraction else "") + ("+00:00" if zone == "Z" else zone)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadAlert(f"{where} is not a valid time") from None
    if parsed.year <= 1:
        return None
    return parsed.astimezone(UTC)


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadAlert(f"{where} is not an object")
    return {str(k): str(v) for k, v in value.items() if v is not None}


def _http_url(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) < 2000:
        return value
    return None


MAX_PROMQL = 4000


def _promql(value: str | None) -> str | None:
    text = (value or "").strip()
    return text if text and len(text) <= MAX_PROMQL else None


def parse_alertmanager(body: dict[str, Any], settings: Settings) -> ParsedGroup:
    version = body.get("version")
    if version != "4":
        raise BadAlert(f'unsupported version {json.dumps(version)[:20]}; expected "4"')
    group_key = body.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        raise BadAlert("missing field groupKey")
    raw_alerts = body.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        raise BadAlert("missing field alerts (a non-empty list)")
    common = _str_map(body.get("commonLabels"), "commonLabels")
    group_labels = _str_map(body.get("groupLabels"), "groupLabels")
    annotations = _str_map(body.get("commonAnnotations"), "commonAnnotations")
    alerts: list[ParsedAlert] = []
    first_annotations: dict[str, str] = {}
    links: list[tuple[str, str]] = []
    for i, raw in enumerate(raw_alerts):
        alerts.append(_alertmanager_alert(raw, f"alerts[{i}]"))
        if i == 0:
            first_annotations = _str_map(raw.get("annotations"), f"alerts[{i}].annotations")
        url = _http_url(raw.get("generatorURL"))
        if url and len(links) < 3 and ("Source", url) not in links:
            links.append(("Source", url))
    runbook = _http_url(annotations.get("runbook_url") or first_annotations.get("runbook_url"))
    if runbook:
        links.append(("Runbook", runbook))
    external = _http_url(body.get("externalURL"))
    if external:
        links.append(("Alertmanager", external))
    labels = common or group_labels or alerts[0].labels
    severity_label = common.get("severity") or group_labels.get("severity")
    title = (
        annotations.get("summary")
        or common.get("alertname")
        or group_labels.get("alertname")
        or first_annotations.get("summary")
        or alerts[0].name
    )
    return ParsedGroup(
        source="alertmanager",
        group_key=group_key,
        title=_title(title),
        severity=alert_severity(settings, severity_label),
        auto_declare=(severity_label or "").lower() in auto_declare_labels(settings),
        labels=labels,
        description=annotations.get("description") or first_annotations.get("description"),
        links=links,
        alerts=_dedupe(alerts),
        promql=_promql(annotations.get("promql") or first_annotations.get("promql")),
    )


def _alertmanager_alert(raw: Any, where: str) -> ParsedAlert:
    if not isinstance(raw, dict):
        raise BadAlert(f"{where} is not an object")
    status = raw.get("status")
    if status not in ("firing", "resolved"):
        raise BadAlert(f'{where}.status must be "firing" or "resolved"')
    labels = _str_map(raw.get("labels"), f"{where}.labels")
    if "startsAt" not in raw:
        raise BadAlert(f"missing field {where}.startsAt")
    starts_at = parse_time(raw["startsAt"], f"{where}.startsAt")
    if starts_at is None:
        raise BadAlert(f"{where}.startsAt is the zero time")
    ends_at = parse_time(raw["endsAt"], f"{where}.endsAt") if raw.get("endsAt") else None
    if status == "resolved" and ends_at is None:
        raise BadAlert(f"missing field {where}.endsAt (the alert is resolved)")
    fingerprint = raw.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        fingerprint = hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()
    annotations = _str_map(raw.get("annotations"), f"{where}.annotations")
    name = labels.get("alertname") or annotations.get("summary") or "alert"
    return ParsedAlert(
        fingerprint=fingerprint[:64],
        status=status,
        name=name,
        labels=labels,
        starts_at=starts_at,
        ends_at=ends_at if status == "resolved" else None,
    )


def _dedupe(alerts: list[ParsedAlert]) -> list[ParsedAlert]:
    """One alert per fingerprint (the last one sent), in a fixed order (no upsert deadlocks)."""
    by_fingerprint = {a.fingerprint: a for a in alerts}
    return [by_fingerprint[k] for k in sorted(by_fingerprint)]


def _title(text: str) -> str:
    """One line, cut to MAX_TITLE; a `<@U1>` in it stays text wherever the title goes (the
    incident declared from it, its timeline)."""
    one_line = inert_references(" ".join(text.split()))
    return one_line if len(one_line) <= MAX_TITLE else one_line[: MAX_TITLE - 1] + "…"


def pagerduty_event_type(body: dict[str, Any]) -> str:
    event = body.get("event")
    if not isinstance(event, dict):
        raise BadAlert("missing field event")
    kind = event.get("event_type")
    if not isinstance(kind, str) or not kind:
        raise BadAlert("missing field event.event_type")
    return kind


def pagerduty_priority_severity(priority: Any) -> str:
    """P1-P4 -> sev1-sev4; anything else (or none) -> sev2."""
    summary = priority.get("summary") if isinstance(priority, dict) else None
    if isinstance(summary, str) and summary.upper() in ("P1", "P2", "P3", "P4"):
        return f"sev{summary[1]}"
    return "sev2"


def parse_pagerduty(body: dict[str, Any]) -> ParsedGroup:
    """An incident.triggered/acknowledged/resolved event (check pagerduty_event_type first)."""
    event = body["event"]
    kind = event["event_type"]
    data = event.get("data")
    if not isinstance(data, dict):
        raise BadAlert("missing field event.data")
    incident_id = data.get("id")
    if not isinstance(incident_id, str) or not incident_id:
        raise BadAlert("missing field event.data.id")
    occurred_at = parse_time(event.get("occurred_at"), "event.occurred_at")
    if occurred_at is None:
        raise BadAlert("event.occurred_at is the zero time")
    title = data.get("title") if isinstance(data.get("title"), str) else None
    urgency = str(data.get("urgency") or "")
    raw_service = data.get("service")
    service: dict[str, Any] = raw_service if isinstance(raw_service, dict) else {}
    priority = data.get("priority")
    labels = {"source": "PagerDuty", "urgency": urgency, "status": kind.removeprefix("incident.")}
    if service.get("summary"):
        labels["service"] = str(service["summary"])
    if isinstance(priority, dict) and priority.get("summary"):
        labels["priority"] = str(priority["summary"])
    if data.get("number") is not None:
        labels["number"] = str(data["number"])
    created = data.get("created_at")
    starts_at = (parse_time(created, "event.data.created_at") if created else None) or occurred_at
    resolved = kind == "incident.resolved"
    alert = ParsedAlert(
        fingerprint=incident_id[:64],
        status="resolved" if resolved else "firing",
        name=title or incident_id,
        labels=labels,
        starts_at=min(starts_at, occurred_at),
        ends_at=occurred_at if resolved else None,
    )
    links = [("PagerDuty", url)] if (url := _http_url(data.get("html_url"))) else []
    return ParsedGroup(
        source="pagerduty",
        group_key=incident_id,
        title=_title(title or f"PagerDuty incident {incident_id}"),
        severity=pagerduty_priority_severity(priority),
        auto_declare=urgency == "high",
        labels=labels,
        description=None,
        links=links,
        alerts=[alert],
    )
