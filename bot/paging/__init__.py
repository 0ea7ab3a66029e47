"""Paging our own on-call: `/incident page <service>` for a service with an escalation policy
(`oncall.escalation_policies`) DMs each level's people in turn until someone acknowledges,
exactly once across replicas and restarts (the steps are due rows in the database); a level's
`via: [slack, sms, call]` adds an SMS and a voice call through Twilio, whose keypress comes
back to `POST /paging/twilio/gather`."""

from __future__ import annotations

from bot.core.domain import Domain, Hook


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked)."""
    from bot.alerts.declare import ALERT_PAGE_HOOKS
    from bot.alerts.paging import PAGE_HOOKS
    from bot.paging import listeners
    from bot.paging.escalator import install_paging, release_on_severity, wake_on_resolve
    from bot.paging.gather import add_twilio_routes
    from bot.paging.start import page_by_policy, page_from_alert
    from bot.paging.twilio_sender import install_twilio
    from bot.response.lifecycle import RESOLVED_HOOKS, SEVERITY_HOOKS

    return Domain(
        "paging",
        register=listeners.register,
        installers=(install_twilio, install_paging),
        routes=(add_twilio_routes,),  # POST /paging/twilio/gather: a call's keypress
        hooks=(
            Hook(PAGE_HOOKS, page_by_policy),  # `/incident page` of a service with a policy
            # an alert auto-declared, or "Page on-call" on its triage card
            Hook(ALERT_PAGE_HOOKS, page_from_alert),
            Hook(RESOLVED_HOOKS, wake_on_resolve),  # resolving cancels its escalations
            Hook(SEVERITY_HOOKS, release_on_severity),  # SEV1/SEV2 delivers held pages now
        ),
    )
