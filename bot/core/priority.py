"""Whose work this is: a person waiting for it (their command, button, form or event, as Bolt
hands it over) or the background (everything `Runtime.spawn` and the scheduler run: the alert
worker's declares and triage cards, backfill, digests, nudges, App Home refreshes).

The Slack pacer (bot/slack/tiers.py) lets a person's calls go ahead of queued background calls.
A context variable carries it, so tasks started for a person inherit it and `Runtime.spawn`
clears it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_PERSON_WAITING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "person_waiting", default=False
)


def person_waiting() -> bool:
    return _PERSON_WAITING.get()


def for_person() -> None:
    """From here on in this task (and the tasks it starts), a person waits for the work."""
    _PERSON_WAITING.set(True)


@contextmanager
def for_background() -> Iterator[None]:
    """Within this block, the work is background work (nobody is waiting for it)."""
    token = _PERSON_WAITING.set(False)
    try:
        yield
    finally:
        _PERSON_WAITING.reset(token)


def background_context() -> contextvars.Context:
    """A copy of the current context in which nobody is waiting: for a background task."""
    context = contextvars.copy_context()
    context.run(_PERSON_WAITING.set, False)
    return context
