"""The "fire an alert" button's webhook: an Alertmanager v4 group, firing, in the shape
Alertmanager posts (tests/support/payloads/alertmanager_v4_firing.constructed.json)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any


def alertmanager_payload(number: int) -> dict[str, Any]:
    """A firing group; each press names a new alert, so each is a new group the bot sees."""
    name = f"HighErrorRate{number}" if number > 1 else "HighErrorRate"
    labels = {
        "alertname": name,
        "service": "checkout",
        "severity": "critical",
        "instance": "checkout-7d9f:8080",
        "job": "checkout",
    }
    annotations = {
        "summary": "checkout 5xx > 5% for 5m (a playground alert)",
        "runbook_url": "https://runbooks.example.com/checkout-5xx",
    }
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "receiver": "incident-bot",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": annotations,
                "startsAt": started,
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph?g0.expr=job%3Acheckout_5xx",
                "fingerprint": hashlib.sha256(name.encode()).hexdigest()[:16],
            }
        ],
        "groupLabels": {"alertname": name},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
    }
