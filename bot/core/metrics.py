"""Prometheus metrics, served on GET /metrics. Process-wide, as Prometheus expects."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from storage.db import DATABASE_ERRORS  # noqa: F401  (defined beside the engine; listed here)

SLACK_REQUESTS = Counter(
    "sisyphus_slack_requests_total",
    "Requests from Slack, by kind and HTTP status",
    ["kind", "status"],
)
ACK_SECONDS = Histogram(
    "sisyphus_ack_seconds",
    "Time from receiving a Slack request to acknowledging it",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 3, 5),
)
SLACK_API_CALLS = Counter(
    "sisyphus_slack_api_calls_total", "Slack Web API calls, by method", ["method"]
)
SLACK_API_ERRORS = Counter(
    "sisyphus_slack_api_errors_total", "Failed Slack Web API calls, by method", ["method"]
)
SLACK_RATE_LIMITED = Counter(
    "sisyphus_slack_rate_limited_total",
    "HTTP 429 answers from the Slack Web API (each retry counted), by method",
    ["method"],
)
SLACK_PACED_SECONDS = Counter(
    "sisyphus_slack_paced_seconds_total",
    "Seconds calls waited for their rate-limit tier before going to Slack, by method",
    ["method"],
)
TIMELINE_ENTRIES = Counter(
    "sisyphus_timeline_entries_total", "Timeline entries stored, by kind", ["kind"]
)
PROMPTS_SENT = Counter("sisyphus_update_prompts_total", "Status-update prompts posted")
PROMPTS_LATE = Counter(
    "sisyphus_update_prompts_late_total", "Status-update prompts posted more than 2 s after due"
)


# The event types the app subscribes to (manifest.yml); any other type is counted as `other`, so
# a sender cannot add label values (and memory) by inventing event types.
KNOWN_EVENTS = frozenset(
    ("message", "reaction_added", "reaction_removed", "pin_added", "pin_removed")
)
# Every value the `kind` label can take: a closed set.
REQUEST_KINDS = frozenset(
    {"command", "interaction", "url_verification", "unverified", "malformed", "replay", "other"}
    | {f"event:{name}" for name in KNOWN_EVENTS}
)


def request_kind(body: dict[str, object] | None, form: dict[str, str] | None) -> str:
    """A label for a Slack request from REQUEST_KINDS: command, event type or interaction."""
    if form is not None:
        if "command" in form:
            return "command"
        if "payload" in form:
            return "interaction"
    if isinstance(body, dict):
        if body.get("type") == "event_callback":
            event = body.get("event")
            kind = event.get("type") if isinstance(event, dict) else None
            if isinstance(kind, str) and kind in KNOWN_EVENTS:
                return f"event:{kind}"
        if body.get("type") == "url_verification":
            return "url_verification"
    return "other"
