"""Who may change an incident: full members yes, guests (restricted accounts) no."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.slack.client import slack_error_text

GUEST_REFUSAL = (
    "Guests can follow an incident and add to its timeline, but changing roles, status or "
    "severity, or resolving, is for full members of the workspace. Ask the commander."
)


async def require_member(rt: Runtime, user_id: str) -> None:
    """Refuse guests (users.info `is_restricted` / `is_ultra_restricted`). Fails closed."""
    try:
        resp = await rt.client.users_info(user=user_id)
    except Exception as exc:
        raise UserError(
            f"I could not check your account type ({slack_error_text(exc)}), so I did not "
            "make the change. Please try again."
        ) from exc
    user = resp.get("user") or {}
    if user.get("is_restricted") or user.get("is_ultra_restricted"):
        raise UserError(GUEST_REFUSAL)
