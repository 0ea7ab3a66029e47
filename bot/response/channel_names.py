"""Valid Slack channel names for incident war rooms."""

from __future__ import annotations

import re
import unicodedata

MAX_CHANNEL_NAME = 80


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug


def incident_channel_name(number: int, title: str, attempt: int = 0, *, drill: bool = False) -> str:
    """`inc-<number>-<slug>` (`drill-<number>-<slug>` for a drill); later attempts (after
    `name_taken`) end in `-2`, `-3`, ...

    Always lowercase a-z0-9 and dashes, at most 80 characters, never ending in a dash.
    """
    prefix = f"{'drill' if drill else 'inc'}-{number}"
    suffix = f"-{attempt + 1}" if attempt else ""
    room = MAX_CHANNEL_NAME - len(prefix) - len(suffix) - 1
    slug = slugify(title)[:room].strip("-")
    return f"{prefix}-{slug}{suffix}" if slug else f"{prefix}{suffix}"
