"""The alert and paging settings, read into the shapes the code uses."""

from __future__ import annotations

from bot.core.settings import Settings

# Events API v2 severities for ours.
PAGE_SEVERITY = {"sev1": "critical", "sev2": "error", "sev3": "warning", "sev4": "info"}
DEFAULT_SERVICE = "default"  # the service name of PAGERDUTY_ROUTING_KEY


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
