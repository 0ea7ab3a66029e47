"""Who may change an incident: full members yes, guests (restricted accounts) no, nor people
of another organisation in a Slack Connect channel (external users)."""

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
    if is_external(user, rt.team_id):
        raise UserError(EXTERNAL_REFUSAL)


# ---- Slack Connect (issue 14): kept apart so it merges into one permission table easily ----
EXTERNAL_REFUSAL = (
    "You are in another organisation (Slack Connect): you can follow the incident and add to "
    "its timeline, but changing roles, status or severity, or resolving, is for members of "
    "the workspace running it. Ask the commander."
)


def is_external(user: dict[str, object], home_team: str | None) -> bool:
    """A users.info `user` from another organisation: Slack says `is_stranger`, or their
    `team_id` is not the bot's workspace (when both are known)."""
    if user.get("is_stranger"):
        return True
    team = user.get("team_id")
    return bool(home_team and isinstance(team, str) and team and team != home_team)
