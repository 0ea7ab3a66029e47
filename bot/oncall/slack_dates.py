"""Times that Slack shows in each reader's own zone: `<!date^…>` tokens (Slack's "Formatting
dates" in its message formatting reference), for text many people read (the incident card) or
that is republished unread (App Home). The fallback, shown by clients that cannot render the
token, is the time in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def slack_time(moment: datetime) -> str:
    """`<!date^1765098000^{date_short_pretty} {time}|2025-12-07 09:00 UTC>`: "Today 10:00" or
    "Dec 7 10:00" in the reader's zone."""
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"
