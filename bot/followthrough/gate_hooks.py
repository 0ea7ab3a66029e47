"""What later domains add to the deploy gate (`GET /api/deploy-gate`) and to `/postmortem
waive`, without this domain knowing them (bot.metrics: a service whose error budget is spent
closes the gate, with DEPLOY_GATE_ERROR_BUDGET=true).

- GATE_HOOKS: each returns its entries for the gate's answer, a JSON object each with
  `blocked` (true closes the gate) and `reason` (one line for CI's log); the gate lists them
  under `budgets`.
- WAIVE_HOOKS: (word, handler) pairs: `/postmortem waive <word> <reason>` (e.g. `budget`)
  goes to the word's handler, which answers with the reply (or a UserError). The commander
  check and the reason's are the gate's, done before.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.runtime import Runtime
from bot.slack.context import CommandContext
from storage.models.incidents import Incident

log = logging.getLogger(__name__)

GateHook = Callable[[Runtime], Awaitable[list[dict[str, Any]]]]
GATE_HOOKS: list[GateHook] = []

WaiveHandler = Callable[[CommandContext, Incident, str], Awaitable[str]]
WAIVE_HOOKS: list[tuple[str, WaiveHandler]] = []


async def gate_entries(rt: Runtime) -> list[dict[str, Any]]:
    """Every hook's entries. A hook that fails says so in an entry that does not close the
    gate (the action items still do): CI learns why, deploys are not held by a bug."""
    entries: list[dict[str, Any]] = []
    for hook in GATE_HOOKS:
        try:
            entries += await hook(rt)
        except Exception as exc:  # one line for CI, the log has the rest
            log.exception("deploy gate hook failed")
            entries.append({"blocked": False, "reason": f"check failed ({type(exc).__name__})"})
    return entries
