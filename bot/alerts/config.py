"""The paging settings and the triage channel, read into the shapes the code uses (the intake
reads its own, ALERT_SEVERITY_MAP and ALERT_AUTO_DECLARE, in intake.py)."""

from __future__ import annotations

from bot.core.settings import Settings

# Events API v2 severities for ours.
PAGE_SEVERITY = {"sev1": "critical", "sev2": "error", "sev3": "warning", "sev4": "info"}
DEFAULT_SERVICE = "default"  # the service name of PAGERDUTY_ROUTING_KEY


def pagerduty_services(settings: Settings) -> dict[str, str]:
    """Service name (lower case) -> routing key, from PAGERDUTY_SERVICES."""
    raw = settings.pagerduty_services.get_secret_value() if settings.pagerduty_services else ""
    services: dict[str, str] = {}
    for pair in (p.strip() for p in raw.split(",") if p.strip()):
        name, _, key = pair.partition("=")
        services[name.strip().lower()] = key.strip()
    return services


def routing_key(settings: Settings, service: str) -> str | None:
    if service == DEFAULT_SERVICE and settings.pagerduty_routing_key is not None:
        return settings.pagerduty_routing_key.get_secret_value()
    return pagerduty_services(settings).get(service)


def triage_channel(settings: Settings) -> str | None:
    return settings.alert_channel or settings.incident_broadcast_channel
